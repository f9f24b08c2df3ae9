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

struct acct_db;

/*
 * Make the host's accounts: root (password blank), the system users
 * (dcui, vpxuser) and groups (root, users, localadmin) when missing; a
 * blank root password set from BASALT_ROOT_PASSWORD when given. Leaves
 * existing entries alone.
 */
BASALT_MUST_CHECK int auth_init(struct hostd *h, struct err *e);

/* Is root's password blank (a fresh host: only the console logs in)? */
int auth_root_is_blank(struct hostd *h);
int auth_root_is_blank_in(const struct acct_db *db);

/* May user log in on the host's console: root, or a member of
 * localadmin (console access without the root password)? */
int auth_may_use_console(struct hostd *h, const char *user);

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
