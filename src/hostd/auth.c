/*
 * auth.c: passwords: hashes by libcrypt, yescrypt ($y$) for new ones,
 * whatever crypt(3) knows for existing ones, kept in the host's shadow
 * file (accounts.c); root and the system's own users and groups made on
 * first start. No password is ever logged or kept.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "hostd/accounts.h"
#include "hostd/auth.h"
#include "hostd/hostd.h"

/* The system's own accounts: they own files and run agents, and none can
 * log in through the API ("*" as hash). */
static const struct {
	const char *name, *gecos;
	unsigned uid;
} system_users[] = {
	{CONSOLE_USER, "DCUI User", CONSOLE_UID},
	{"vpxuser", "VMware VirtualCenter administration account", 500},
};
static const struct {
	const char *name;
	unsigned gid;
} system_groups[] = {
	{"root", 0},
	{"users", ACCT_GID_USERS},
	{"localadmin", 999}, /* DCUI access without the root password */
};

int auth_hash(const char *password, char *out, size_t size, struct err *e)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;
	int rc = 0;

	if (cd == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	h = crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) != NULL
		    ? crypt_r(password, salt, cd)
		    : NULL;
	if (h == NULL || h[0] == '*')
		rc = err_set(e, -EIO, "libcrypt cannot hash with yescrypt");
	else if (strlen(h) >= size)
		rc = err_set(e, -E2BIG, "hash too long");
	else
		strcpy(out, h);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return rc;
}

int auth_lookup_hash(struct hostd *h, const char *user, char *hash, size_t size,
		     int *root_blank)
{
	struct acct_db db;
	const struct acct_user *u;
	int rc = -ENOENT;

	*root_blank = 0;
	if (acct_load(h->hd_confdir, &db, NULL) < 0)
		return -EIO;
	*root_blank = auth_root_is_blank_in(&db);
	u = acct_user_find(&db, user);
	/* "*", "!" and "" lock the account (a blank root is the console's
	 * business). */
	if (u != NULL && u->au_hash[0] == '$' && strlen(u->au_hash) < size) {
		strcpy(hash, u->au_hash);
		rc = 0;
	}
	acct_free(&db);
	return rc;
}

int auth_verify(const char *password, const char *hash)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *out;
	int ok;

	if (cd == NULL)
		return 0;
	out = crypt_r(password, hash, cd);
	ok = out != NULL && out[0] != '*' && strcmp(out, hash) == 0;
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* Add what the host needs and lacks: root, the system users and groups.
 * *changed says whether db changed. */
static int seed(struct acct_db *db, int *changed, struct err *e)
{
	for (size_t i = 0; i < sizeof(system_groups) / sizeof(*system_groups);
	     i++) {
		struct acct_group *g;
		if (acct_group_find(db, system_groups[i].name) != NULL)
			continue;
		if (acct_group_add(db, system_groups[i].name, e) < 0)
			return -EIO;
		g = acct_group_find(db, system_groups[i].name);
		g->ag_gid = system_groups[i].gid;
		*changed = 1;
	}
	if (acct_user_find(db, "root") == NULL) {
		struct acct_user *u;
		/* Blank, as on a fresh reference host: the console sets it. */
		if (acct_user_add(db, "root", "Administrator", "", e) < 0)
			return -EIO;
		u = acct_user_find(db, "root");
		u->au_uid = 0;
		u->au_gid = 0;
		*changed = 1;
	}
	for (size_t i = 0; i < sizeof(system_users) / sizeof(*system_users);
	     i++) {
		struct acct_user *u;
		if (acct_user_find(db, system_users[i].name) != NULL)
			continue;
		if (acct_user_add(db, system_users[i].name,
				  system_users[i].gecos, "*", e) < 0)
			return -EIO;
		u = acct_user_find(db, system_users[i].name);
		u->au_uid = system_users[i].uid;
		u->au_gid = ACCT_GID_USERS;
		free(u->au_shell);
		u->au_shell = strdup("/sbin/nologin");
		if (u->au_shell == NULL)
			return err_set(e, -ENOMEM, "out of memory");
		*changed = 1;
	}
	return 0;
}

int auth_is_system_user(const char *name)
{
	for (size_t i = 0; i < sizeof(system_users) / sizeof(*system_users);
	     i++)
		if (strcmp(name, system_users[i].name) == 0)
			return 1;
	return 0;
}

/* A host from before passwd and group existed kept root's hash alone in
 * shadow: read it with root's passwd line, so the password stays. */
static int load_or_migrate(const char *confdir, struct acct_db *db,
			   int *changed, struct err *e)
{
	char path[PATH_MAX + 16];
	void *text;
	size_t len;
	int rc;

	static const char root_line[] = "root:x:0:0:Administrator:/:/bin/sh\n";

	snprintf(path, sizeof(path), "%s/passwd", confdir);
	if (access(path, F_OK) == 0)
		return acct_load(confdir, db, e);
	snprintf(path, sizeof(path), "%s/shadow", confdir);
	rc = file_read_all(path, ACCT_FILE_MAX, &text, &len, NULL);
	if (rc < 0) {
		memset(db, 0, sizeof(*db));
		return 0;
	}
	rc = acct_parse(db, root_line, strlen(root_line), text, len, NULL, 0,
			e);
	explicit_bzero(text, len);
	free(text);
	*changed = 1;
	return rc;
}

int auth_init(struct hostd *h, struct err *e)
{
	const char *given = getenv("BASALT_ROOT_PASSWORD");
	char hash[CRYPT_OUTPUT_SIZE];
	struct acct_user *root;
	struct acct_db db;
	int fd, changed = 0, rc;

	if (acct_lock(h->hd_confdir, &fd, e) < 0)
		return -EIO;
	rc = load_or_migrate(h->hd_confdir, &db, &changed, e);
	if (rc == 0)
		rc = seed(&db, &changed, e);
	root = rc == 0 ? acct_user_find(&db, "root") : NULL;
	/* A blank root password is set from BASALT_ROOT_PASSWORD, as an
	 * installer's answer file would; a password set stays. */
	if (root != NULL && root->au_hash[0] == '\0' && given != NULL &&
	    given[0] != '\0') {
		rc = auth_hash(given, hash, sizeof(hash), e);
		if (rc == 0)
			rc = acct_user_set(&db, "root", NULL, hash, e);
		changed = 1;
	}
	if (rc == 0 && changed)
		rc = acct_save(h->hd_confdir, &db, e);
	/* What a login for a name with no password is checked against, so
	 * that it takes as long as one for a real account. */
	if (rc == 0)
		rc = auth_hash("no such user", h->hd_dummy_hash,
			       sizeof(h->hd_dummy_hash), e);
	if (rc == 0 && auth_root_is_blank_in(&db))
		log_warnx("root's password is blank: no login over the "
			  "network until it is set on the console");
	if (rc == 0)
		auth_publish_root_state(h, &db);
	acct_unlock(fd);
	acct_free(&db);
	explicit_bzero(hash, sizeof(hash));
	return rc;
}

int auth_root_is_blank_in(const struct acct_db *db)
{
	const struct acct_user *root = acct_user_find(db, "root");

	return root != NULL && root->au_hash[0] == '\0';
}

void auth_publish_root_state(const struct hostd *h, const struct acct_db *db)
{
	char path[PATH_MAX + 32];
	struct err e = {0};

	snprintf(path, sizeof(path), "%.*s/" ROOT_BLANK_MARK, PATH_MAX,
		 h->hd_rundir);
	if (!auth_root_is_blank_in(db)) {
		if (unlink(path) < 0 && errno != ENOENT)
			log_warn("%s", path);
	} else if (file_write_atomic(path, "", 0, 0644, &e) < 0) {
		log_warnx("%s", err_msg(&e));
	}
}

int auth_user_exists(struct hostd *h, const char *user)
{
	struct acct_db db;
	int ok;

	if (acct_load(h->hd_confdir, &db, NULL) < 0)
		return 0;
	ok = acct_user_find(&db, user) != NULL;
	acct_free(&db);
	return ok;
}

int auth_may_use_console(struct hostd *h, const char *user)
{
	struct acct_db db;
	int ok;

	if (strcmp(user, "root") == 0)
		return 1;
	if (acct_load(h->hd_confdir, &db, NULL) < 0)
		return 0;
	ok = acct_in_group(&db, user, "localadmin");
	acct_free(&db);
	return ok;
}
