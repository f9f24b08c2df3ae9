/*
 * accounts.h: the host's local users and groups in the standard files,
 * passwd, shadow and group (see passwd(5), shadow(5), group(5)), under
 * the config root: parsed whole, changed in memory, written back whole,
 * each file atomically and all under one lock, so concurrent changes
 * never corrupt or lose an entry (issue 5). Fields this code does not
 * use (shadow's aging fields) are kept as they were.
 */
#ifndef BASALT_HOSTD_ACCOUNTS_H
#define BASALT_HOSTD_ACCOUNTS_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

#define ACCT_NAME_MAX  32  /* as useradd allows */
#define ACCT_FIELD_MAX 256 /* gecos, home, shell */
#define ACCT_FILE_MAX  (1u << 20)
#define ACCT_UID_FIRST 1000 /* the first uid and gid made for people */
#define ACCT_GID_USERS 100  /* new users' primary group, "users" */

struct acct_user {
	char *au_name;
	unsigned au_uid, au_gid;
	char *au_gecos, *au_home, *au_shell;
	char *au_hash;	/* shadow's second field; "*" or "!" when none */
	char *au_aging; /* shadow's fields 3 to 9, as they were */
};

struct acct_group {
	char *ag_name;
	unsigned ag_gid;
	char **ag_members;
	size_t ag_nmembers;
};

struct acct_db {
	struct acct_user *ad_users;
	size_t ad_nusers;
	struct acct_group *ad_groups;
	size_t ad_ngroups;
};

/* A name a user or group may have: [a-z_][a-z0-9_-]*, 1 to 32. */
int acct_name_ok(const char *name);

/*
 * Parse the three files' texts (NULL or empty: no entries). A line that
 * is not well formed, a duplicate name or id, fails the whole parse with
 * "passwd:N: why" in e, and db is left empty. A shadow line without its
 * passwd line is dropped (a crash between two writes leaves one).
 */
BASALT_MUST_CHECK int acct_parse(struct acct_db *db, const char *passwd,
				 size_t plen, const char *shadow, size_t slen,
				 const char *group, size_t glen, struct err *e);
void acct_free(struct acct_db *db);

/* The files' texts for db, malloc'd (NULL when out of memory). */
char *acct_format_passwd(const struct acct_db *db);
char *acct_format_shadow(const struct acct_db *db);
char *acct_format_group(const struct acct_db *db);

struct acct_user *acct_user_find(const struct acct_db *db, const char *name);
struct acct_group *acct_group_find(const struct acct_db *db, const char *name);
/* Is user a member of group (listed, or it is the user's primary one)? */
int acct_in_group(const struct acct_db *db, const char *user,
		  const char *group);

/*
 * Changes; each checks first and changes nothing on failure (-EEXIST,
 * -ENOENT, -EINVAL, -ENOMEM, with why in e). A new user gets the next
 * free uid from ACCT_UID_FIRST, group "users", home /, shell /bin/sh, and
 * hash as given ("!" for none: no password login).
 */
BASALT_MUST_CHECK int acct_user_add(struct acct_db *db, const char *name,
				    const char *gecos, const char *hash,
				    struct err *e);
BASALT_MUST_CHECK int acct_user_set(struct acct_db *db, const char *name,
				    const char *gecos, const char *hash,
				    struct err *e);
/* Remove the user and its group memberships. */
BASALT_MUST_CHECK int acct_user_remove(struct acct_db *db, const char *name,
				       struct err *e);
BASALT_MUST_CHECK int acct_group_add(struct acct_db *db, const char *name,
				     struct err *e);
/* Refused (-EBUSY) while it is some user's primary group. */
BASALT_MUST_CHECK int acct_group_remove(struct acct_db *db, const char *name,
					struct err *e);
BASALT_MUST_CHECK int acct_member_add(struct acct_db *db, const char *group,
				      const char *user, struct err *e);
BASALT_MUST_CHECK int acct_member_remove(struct acct_db *db, const char *group,
					 const char *user, struct err *e);

/*
 * The host's files under confdir. acct_lock takes the lock every writer
 * takes (confdir/.pwd.lock, a write lock as lckpwdf(3) takes on
 * /etc/.pwd.lock); load and save under it. Missing files load empty.
 * save writes group, then shadow (mode 0600), then passwd.
 */
BASALT_MUST_CHECK int acct_lock(const char *confdir, int *fd, struct err *e);
void acct_unlock(int fd);
BASALT_MUST_CHECK int acct_load(const char *confdir, struct acct_db *db,
				struct err *e);
BASALT_MUST_CHECK int acct_save(const char *confdir, const struct acct_db *db,
				struct err *e);

#endif
