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

/* Is root's password blank in db (a fresh host: only the console logs
 * in)? */
int auth_root_is_blank_in(const struct acct_db *db);

/* The console reads it without rights to the shadow file: the mark
 * ROOT_BLANK_MARK in the run folder exists while root's password is
 * blank. Called after every write of the accounts. */
#define ROOT_BLANK_MARK "root-password-blank"
void auth_publish_root_state(const struct hostd *h, const struct acct_db *db);

/* Is there a local user called user? */
int auth_user_exists(struct hostd *h, const char *user);

/* May user log in on the host's console: root, or a member of
 * localadmin (console access without the root password)? */
int auth_may_use_console(struct hostd *h, const char *user);

/* user's password hash into hash[size]: 0, or -ENOENT when there is no
 * such user or it has no password to log in with ("!", "*", blank);
 * from the same read, *root_blank: is root's password blank? */
int auth_lookup_hash(struct hostd *h, const char *user, char *hash, size_t size,
		     int *root_blank);

/* 1 when password matches hash (crypt(3)), else 0. Slow by design
 * (yescrypt): callers run it without the hostd lock. */
int auth_verify(const char *password, const char *hash);

/* password hashed with yescrypt into out[size]. */
BASALT_MUST_CHECK int auth_hash(const char *password, char *out, size_t size,
				struct err *e);

/* Is name one of the system's own users (no API login, not changed
 * through the API)? */
int auth_is_system_user(const char *name);

#endif
