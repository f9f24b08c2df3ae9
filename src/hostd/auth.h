/*
 * auth.h: local passwords, checked against the shadow file under the
 * host's config root with libcrypt (issue 5 adds users, groups, roles).
 */
#ifndef BASALT_HOSTD_AUTH_H
#define BASALT_HOSTD_AUTH_H

#include "common/compiler.h"
#include "common/err.h"

struct hostd;

/*
 * Make sure root has a password: BASALT_ROOT_PASSWORD if set, else one
 * generated and printed once on stdout. Leaves an existing entry alone.
 */
BASALT_MUST_CHECK int auth_init(struct hostd *h, struct err *e);

/* 1 when user's password is password, 0 when not (or no such user). */
int auth_check_password(struct hostd *h, const char *user,
			const char *password);

#endif
