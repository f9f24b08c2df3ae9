/*
 * auth.h: local passwords, checked against the shadow file under the
 * host's config root with libcrypt (issue 5 adds users, groups, roles).
 */
#ifndef BASALT_HOSTD_AUTH_H
#define BASALT_HOSTD_AUTH_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

struct hostd;

/*
 * Make the host's accounts: root, the system users (dcui, vpxuser) and
 * groups (root, users, localadmin) when missing; root's password from
 * BASALT_ROOT_PASSWORD, else generated and printed once on stdout, when
 * root has none. Leaves existing entries alone.
 */
BASALT_MUST_CHECK int auth_init(struct hostd *h, struct err *e);

/* 1 when user's password is password, 0 when not (or no such user, or
 * one that cannot log in). */
int auth_check_password(struct hostd *h, const char *user,
			const char *password);

/* password hashed with yescrypt into out[size]. */
BASALT_MUST_CHECK int auth_hash(const char *password, char *out, size_t size,
				struct err *e);

/* Is name one of the system's own users (no API login, not changed
 * through the API)? */
int auth_is_system_user(const char *name);

#endif
