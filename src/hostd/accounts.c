/*
 * accounts.c: passwd, shadow and group, parsed whole and written whole
 * (accounts.h). The texts are untrusted input as far as this code goes:
 * an administrator may have edited them; accounts_fuzz.c feeds it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "hostd/accounts.h"

#define HASH_MAX 512
#define ID_MAX	 4294967294ul /* (uid_t)-1 means "none" */

int acct_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > ACCT_NAME_MAX ||
	    !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

static int text_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == ':' || s[i] == 0x7f)
			return 0;
	return 1;
}

static int parse_id(const char *s, unsigned *out)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9' || strlen(s) > 10)
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v > ID_MAX)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static void user_free(struct acct_user *u)
{
	free(u->au_name);
	free(u->au_gecos);
	free(u->au_home);
	free(u->au_shell);
	free(u->au_hash);
	free(u->au_aging);
	memset(u, 0, sizeof(*u));
}

static void group_free(struct acct_group *g)
{
	for (size_t i = 0; i < g->ag_nmembers; i++)
		free(g->ag_members[i]);
	free(g->ag_members);
	free(g->ag_name);
	memset(g, 0, sizeof(*g));
}

void acct_free(struct acct_db *db)
{
	for (size_t i = 0; i < db->ad_nusers; i++)
		user_free(&db->ad_users[i]);
	for (size_t i = 0; i < db->ad_ngroups; i++)
		group_free(&db->ad_groups[i]);
	free(db->ad_users);
	free(db->ad_groups);
	memset(db, 0, sizeof(*db));
}

struct acct_user *acct_user_find(const struct acct_db *db, const char *name)
{
	for (size_t i = 0; i < db->ad_nusers; i++)
		if (strcmp(db->ad_users[i].au_name, name) == 0)
			return &db->ad_users[i];
	return NULL;
}

struct acct_group *acct_group_find(const struct acct_db *db, const char *name)
{
	for (size_t i = 0; i < db->ad_ngroups; i++)
		if (strcmp(db->ad_groups[i].ag_name, name) == 0)
			return &db->ad_groups[i];
	return NULL;
}

int acct_in_group(const struct acct_db *db, const char *user, const char *group)
{
	const struct acct_group *g = acct_group_find(db, group);
	const struct acct_user *u = acct_user_find(db, user);

	if (g == NULL || u == NULL)
		return 0;
	if (u->au_gid == g->ag_gid)
		return 1;
	for (size_t i = 0; i < g->ag_nmembers; i++)
		if (strcmp(g->ag_members[i], user) == 0)
			return 1;
	return 0;
}

/* Split line (modified) at ':' into exactly n fields. */
static int fields(char *line, char **f, int n)
{
	int k = 0;

	f[k++] = line;
	for (char *p = line; *p != '\0'; p++)
		if (*p == ':') {
			if (k == n)
				return -1;
			*p = '\0';
			f[k++] = p + 1;
		}
	return k == n ? 0 : -1;
}

/* Call fn for each non-empty line of text (a private copy, so fn may cut
 * it up); stops at fn's first failure. */
static int each_line(const char *text, size_t len, const char *file,
		     int (*fn)(struct acct_db *, char *, const char *, int,
			       struct err *),
		     struct acct_db *db, struct err *e)
{
	char *copy, *p, *end;
	int line = 0, rc = 0;

	if (text == NULL || len == 0)
		return 0;
	if (len > ACCT_FILE_MAX)
		return err_set(e, -EFBIG, "%s: larger than %u bytes", file,
			       ACCT_FILE_MAX);
	if (memchr(text, '\0', len) != NULL)
		return err_set(e, -EINVAL, "%s: holds a NUL byte", file);
	copy = malloc(len + 1);
	if (copy == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (p = copy, end = copy + len; p < end && rc == 0;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		if (nl != NULL)
			*nl = '\0';
		line++;
		if (*p != '\0')
			rc = fn(db, p, file, line, e);
		p = nl != NULL ? nl + 1 : end;
	}
	free(copy);
	return rc;
}

static int grow(void **arr, size_t n, size_t size)
{
	/* Room for one more, in steps that double. */
	if ((n & (n - 1)) == 0) {
		void *a = realloc(*arr, (n ? n * 2 : 1) * size);
		if (a == NULL)
			return -ENOMEM;
		*arr = a;
	}
	return 0;
}

/* A line's fields and its name checked: the right count, a good name,
 * and (again) not one seen before. */
static int line_head(char *line, char **f, int nf, const char *what, int again,
		     const char *file, int n, struct err *e)
{
	if (fields(line, f, nf) < 0)
		return err_set(e, -EINVAL, "%s:%d: expected %d fields", file, n,
			       nf);
	if (!acct_name_ok(f[0]))
		return err_set(e, -EINVAL, "%s:%d: '%.40s' is not a %s name",
			       file, n, f[0], what);
	if (again)
		return err_set(e, -EINVAL, "%s:%d: %s %s again", file, n, what,
			       f[0]);
	return 0;
}

/* Fill u's strings (NULL aging: the defaults of a new entry). */
static int user_fill(struct acct_user *u, const char *name, const char *gecos,
		     const char *home, const char *shell, const char *hash,
		     const char *aging, struct err *e)
{
	u->au_name = strdup(name);
	u->au_gecos = strdup(gecos);
	u->au_home = strdup(home);
	u->au_shell = strdup(shell);
	u->au_hash = strdup(hash);
	u->au_aging = strdup(aging);
	if (u->au_name == NULL || u->au_gecos == NULL || u->au_home == NULL ||
	    u->au_shell == NULL || u->au_hash == NULL || u->au_aging == NULL) {
		user_free(u);
		return err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

static int passwd_line(struct acct_db *db, char *line, const char *file, int n,
		       struct err *e)
{
	char *f[7];
	struct acct_user u = {0};

	if (line_head(line, f, 7, "user", 0, file, n, e) < 0)
		return -EINVAL;
	if (acct_user_find(db, f[0]) != NULL)
		return line_head(line, f, 1, "user", 1, file, n, e);
	if (parse_id(f[2], &u.au_uid) < 0 || parse_id(f[3], &u.au_gid) < 0)
		return err_set(e, -EINVAL, "%s:%d: bad uid or gid", file, n);
	if (!text_ok(f[4], ACCT_FIELD_MAX) || !text_ok(f[5], ACCT_FIELD_MAX) ||
	    !text_ok(f[6], ACCT_FIELD_MAX))
		return err_set(e, -EINVAL,
			       "%s:%d: a field is too long or holds control "
			       "characters",
			       file, n);
	if (grow((void **)&db->ad_users, db->ad_nusers, sizeof(u)) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	/* No shadow line (yet): no password. */
	if (user_fill(&u, f[0], f[4], f[5], f[6], "!", "::::::", e) < 0)
		return -ENOMEM;
	db->ad_users[db->ad_nusers++] = u;
	return 0;
}

static int shadow_line(struct acct_db *db, char *line, const char *file, int n,
		       struct err *e)
{
	char *f[9], *aging, *hash;
	struct acct_user *u;

	if (line_head(line, f, 9, "user", 0, file, n, e) < 0)
		return -EINVAL;
	if (!text_ok(f[1], HASH_MAX))
		return err_set(e, -EINVAL, "%s:%d: bad password field", file,
			       n);
	u = acct_user_find(db, f[0]);
	if (u == NULL)
		return 0; /* no passwd line: left out */
	for (int k = 2; k < 9; k++)
		if (!text_ok(f[k], 32))
			return err_set(e, -EINVAL, "%s:%d: bad aging field",
				       file, n);
	/* The aging fields again, joined as they were. */
	aging = malloc(9 * 33);
	hash = strdup(f[1]);
	if (aging == NULL || hash == NULL) {
		free(aging);
		free(hash);
		return err_set(e, -ENOMEM, "out of memory");
	}
	snprintf(aging, 9 * 33, "%s:%s:%s:%s:%s:%s:%s", f[2], f[3], f[4], f[5],
		 f[6], f[7], f[8]);
	free(u->au_hash);
	free(u->au_aging);
	u->au_hash = hash;
	u->au_aging = aging;
	return 0;
}

static int group_line(struct acct_db *db, char *line, const char *file, int n,
		      struct err *e)
{
	char *f[4];
	struct acct_group g = {0};

	if (line_head(line, f, 4, "group", 0, file, n, e) < 0)
		return -EINVAL;
	if (acct_group_find(db, f[0]) != NULL)
		return line_head(line, f, 1, "group", 1, file, n, e);
	if (parse_id(f[2], &g.ag_gid) < 0)
		return err_set(e, -EINVAL, "%s:%d: bad gid", file, n);
	if (grow((void **)&db->ad_groups, db->ad_ngroups, sizeof(g)) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	g.ag_name = strdup(f[0]);
	if (g.ag_name == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	for (char *m = f[3], *comma; *m != '\0'; m = comma + 1) {
		comma = strchr(m, ',');
		if (comma != NULL)
			*comma = '\0';
		if (!acct_name_ok(m)) {
			group_free(&g);
			return err_set(e, -EINVAL,
				       "%s:%d: '%.40s' is not a member name",
				       file, n, m);
		}
		if (grow((void **)&g.ag_members, g.ag_nmembers,
			 sizeof(char *)) < 0 ||
		    (g.ag_members[g.ag_nmembers] = strdup(m)) == NULL) {
			group_free(&g);
			return err_set(e, -ENOMEM, "out of memory");
		}
		g.ag_nmembers++;
		if (comma == NULL)
			break;
	}
	db->ad_groups[db->ad_ngroups++] = g;
	return 0;
}

int acct_parse(struct acct_db *db, const char *passwd, size_t plen,
	       const char *shadow, size_t slen, const char *group, size_t glen,
	       struct err *e)
{
	int rc;

	memset(db, 0, sizeof(*db));
	rc = each_line(passwd, plen, "passwd", passwd_line, db, e);
	if (rc == 0)
		rc = each_line(shadow, slen, "shadow", shadow_line, db, e);
	if (rc == 0)
		rc = each_line(group, glen, "group", group_line, db, e);
	if (rc < 0)
		acct_free(db);
	return rc;
}

/* A growing string for the formatters. */
struct out {
	char *o_buf;
	size_t o_len, o_cap;
	int o_oom;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->o_oom)
		return;
	if (o->o_len + n + 1 > o->o_cap) {
		size_t cap = (o->o_cap ? o->o_cap * 2 : 256) + n;
		char *b = realloc(o->o_buf, cap);
		if (b == NULL) {
			o->o_oom = 1;
			return;
		}
		o->o_buf = b;
		o->o_cap = cap;
	}
	memcpy(o->o_buf + o->o_len, s, n + 1);
	o->o_len += n;
}

static char *done(struct out *o)
{
	if (o->o_buf == NULL && !o->o_oom)
		put(o, "");
	if (o->o_oom) {
		free(o->o_buf);
		return NULL;
	}
	return o->o_buf;
}

char *acct_format_passwd(const struct acct_db *db)
{
	struct out o = {0};
	char ids[32];

	for (size_t i = 0; i < db->ad_nusers; i++) {
		const struct acct_user *u = &db->ad_users[i];
		snprintf(ids, sizeof(ids), ":x:%u:%u:", u->au_uid, u->au_gid);
		put(&o, u->au_name);
		put(&o, ids);
		put(&o, u->au_gecos);
		put(&o, ":");
		put(&o, u->au_home);
		put(&o, ":");
		put(&o, u->au_shell);
		put(&o, "\n");
	}
	return done(&o);
}

char *acct_format_shadow(const struct acct_db *db)
{
	struct out o = {0};

	for (size_t i = 0; i < db->ad_nusers; i++) {
		const struct acct_user *u = &db->ad_users[i];
		put(&o, u->au_name);
		put(&o, ":");
		put(&o, u->au_hash);
		put(&o, ":");
		put(&o, u->au_aging);
		put(&o, "\n");
	}
	return done(&o);
}

char *acct_format_group(const struct acct_db *db)
{
	struct out o = {0};
	char id[24];

	for (size_t i = 0; i < db->ad_ngroups; i++) {
		const struct acct_group *g = &db->ad_groups[i];
		snprintf(id, sizeof(id), ":x:%u:", g->ag_gid);
		put(&o, g->ag_name);
		put(&o, id);
		for (size_t k = 0; k < g->ag_nmembers; k++) {
			if (k > 0)
				put(&o, ",");
			put(&o, g->ag_members[k]);
		}
		put(&o, "\n");
	}
	return done(&o);
}

/* Days since the epoch, for shadow's last-change field. */
static long today(void)
{
	return (long)(time(NULL) / 86400);
}

/* "" is a blank password, as a fresh host's root has until the console
 * sets one (auth.c lets no one use it over the network). */
static int check_hash(const char *hash, struct err *e)
{
	if (hash == NULL || !text_ok(hash, HASH_MAX))
		return err_set(e, -EINVAL,
			       "a password hash (\"!\" for none, \"\" for "
			       "blank) is needed");
	return 0;
}

int acct_user_add(struct acct_db *db, const char *name, const char *gecos,
		  const char *hash, struct err *e)
{
	struct acct_user u = {0};
	unsigned uid = ACCT_UID_FIRST;
	char aging[64];

	if (!acct_name_ok(name))
		return err_set(e, -EINVAL,
			       "'%.40s' is not a user name: 1 to 32 of a-z, "
			       "0-9, _ - . starting with a letter or _",
			       name);
	if (acct_user_find(db, name) != NULL)
		return err_set(e, -EEXIST, "user %s exists", name);
	if (gecos == NULL)
		gecos = "";
	if (!text_ok(gecos, ACCT_FIELD_MAX))
		return err_set(e, -EINVAL,
			       "the description is too long or holds ':' or "
			       "control characters");
	if (check_hash(hash, e) < 0)
		return -EINVAL;
	for (size_t i = 0; i < db->ad_nusers; i++)
		if (db->ad_users[i].au_uid >= uid &&
		    db->ad_users[i].au_uid < 60000)
			uid = db->ad_users[i].au_uid + 1;
	if (uid >= 60000)
		return err_set(e, -ENOSPC, "no free uid");
	if (grow((void **)&db->ad_users, db->ad_nusers, sizeof(u)) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	snprintf(aging, sizeof(aging), "%ld:0:99999:7:::", today());
	if (user_fill(&u, name, gecos, "/", "/bin/sh", hash, aging, e) < 0)
		return -ENOMEM;
	u.au_uid = uid;
	u.au_gid = ACCT_GID_USERS;
	db->ad_users[db->ad_nusers++] = u;
	return 0;
}

int acct_user_set(struct acct_db *db, const char *name, const char *gecos,
		  const char *hash, struct err *e)
{
	struct acct_user *u = acct_user_find(db, name);
	char *ng = NULL, *nh = NULL, *na = NULL, aging[128];

	if (u == NULL)
		return err_set(e, -ENOENT, "no user %s", name);
	if (gecos != NULL && !text_ok(gecos, ACCT_FIELD_MAX))
		return err_set(e, -EINVAL,
			       "the description is too long or holds ':' or "
			       "control characters");
	if (hash != NULL && check_hash(hash, e) < 0)
		return -EINVAL;
	if ((gecos != NULL && (ng = strdup(gecos)) == NULL) ||
	    (hash != NULL && (nh = strdup(hash)) == NULL)) {
		free(ng);
		free(nh);
		return err_set(e, -ENOMEM, "out of memory");
	}
	if (hash != NULL) {
		/* The last change is today; the other aging fields stay. */
		const char *rest = strchr(u->au_aging, ':');
		snprintf(aging, sizeof(aging), "%ld%.50s", today(),
			 rest != NULL ? rest : ":0:99999:7:::");
		na = strdup(aging);
		if (na == NULL) {
			free(ng);
			free(nh);
			return err_set(e, -ENOMEM, "out of memory");
		}
	}
	if (ng != NULL) {
		free(u->au_gecos);
		u->au_gecos = ng;
	}
	if (nh != NULL) {
		free(u->au_hash);
		u->au_hash = nh;
		free(u->au_aging);
		u->au_aging = na;
	}
	return 0;
}

static void drop_member(struct acct_group *g, const char *user)
{
	for (size_t k = 0; k < g->ag_nmembers; k++)
		if (strcmp(g->ag_members[k], user) == 0) {
			free(g->ag_members[k]);
			memmove(&g->ag_members[k], &g->ag_members[k + 1],
				(g->ag_nmembers - k - 1) * sizeof(char *));
			g->ag_nmembers--;
			return;
		}
}

int acct_user_remove(struct acct_db *db, const char *name, struct err *e)
{
	struct acct_user *u = acct_user_find(db, name);
	size_t i;

	if (u == NULL)
		return err_set(e, -ENOENT, "no user %s", name);
	/* Memberships first: name may be the user's own string. */
	for (size_t k = 0; k < db->ad_ngroups; k++)
		drop_member(&db->ad_groups[k], name);
	i = (size_t)(u - db->ad_users);
	user_free(u);
	memmove(&db->ad_users[i], &db->ad_users[i + 1],
		(db->ad_nusers - i - 1) * sizeof(*u));
	db->ad_nusers--;
	return 0;
}

int acct_group_add(struct acct_db *db, const char *name, struct err *e)
{
	struct acct_group g = {0};
	unsigned gid = ACCT_UID_FIRST;

	if (!acct_name_ok(name))
		return err_set(e, -EINVAL, "'%.40s' is not a group name", name);
	if (acct_group_find(db, name) != NULL)
		return err_set(e, -EEXIST, "group %s exists", name);
	/* Past every group's gid and every user's primary one: a new group
	 * must not be somebody's primary group by chance. */
	for (size_t i = 0; i < db->ad_ngroups; i++)
		if (db->ad_groups[i].ag_gid >= gid &&
		    db->ad_groups[i].ag_gid < 60000)
			gid = db->ad_groups[i].ag_gid + 1;
	for (size_t i = 0; i < db->ad_nusers; i++)
		if (db->ad_users[i].au_gid >= gid &&
		    db->ad_users[i].au_gid < 60000)
			gid = db->ad_users[i].au_gid + 1;
	if (gid >= 60000)
		return err_set(e, -ENOSPC, "no free gid");
	if (grow((void **)&db->ad_groups, db->ad_ngroups, sizeof(g)) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	g.ag_name = strdup(name);
	if (g.ag_name == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	g.ag_gid = gid;
	db->ad_groups[db->ad_ngroups++] = g;
	return 0;
}

int acct_group_remove(struct acct_db *db, const char *name, struct err *e)
{
	struct acct_group *g = acct_group_find(db, name);
	size_t i;

	if (g == NULL)
		return err_set(e, -ENOENT, "no group %s", name);
	for (size_t k = 0; k < db->ad_nusers; k++)
		if (db->ad_users[k].au_gid == g->ag_gid)
			return err_set(e, -EBUSY,
				       "group %s is user %s's primary group",
				       name, db->ad_users[k].au_name);
	i = (size_t)(g - db->ad_groups);
	group_free(g);
	memmove(&db->ad_groups[i], &db->ad_groups[i + 1],
		(db->ad_ngroups - i - 1) * sizeof(*g));
	db->ad_ngroups--;
	return 0;
}

int acct_member_add(struct acct_db *db, const char *group, const char *user,
		    struct err *e)
{
	struct acct_group *g = acct_group_find(db, group);
	char *m;

	if (g == NULL)
		return err_set(e, -ENOENT, "no group %s", group);
	if (acct_user_find(db, user) == NULL)
		return err_set(e, -ENOENT, "no user %s", user);
	for (size_t k = 0; k < g->ag_nmembers; k++)
		if (strcmp(g->ag_members[k], user) == 0)
			return err_set(e, -EEXIST, "%s is in group %s already",
				       user, group);
	if (grow((void **)&g->ag_members, g->ag_nmembers, sizeof(char *)) < 0 ||
	    (m = strdup(user)) == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	g->ag_members[g->ag_nmembers++] = m;
	return 0;
}

int acct_member_remove(struct acct_db *db, const char *group, const char *user,
		       struct err *e)
{
	struct acct_group *g = acct_group_find(db, group);
	size_t before;

	if (g == NULL)
		return err_set(e, -ENOENT, "no group %s", group);
	before = g->ag_nmembers;
	drop_member(g, user);
	if (g->ag_nmembers == before)
		return err_set(e, -ENOENT, "%s is not in group %s", user,
			       group);
	return 0;
}

int acct_lock(const char *confdir, int *fd, struct err *e)
{
	char path[PATH_MAX];
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};

	snprintf(path, sizeof(path), "%s/.pwd.lock", confdir);
	*fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	while (fcntl(*fd, F_SETLKW, &fl) < 0) {
		if (errno == EINTR)
			continue;
		int rc = -errno;
		close(*fd);
		*fd = -1;
		return err_set(e, rc, "%s: cannot lock it: %s", path,
			       strerror(-rc));
	}
	return 0;
}

void acct_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* closing drops the lock */
}

static int read_opt(const char *confdir, const char *name, void **text,
		    size_t *len, struct err *e)
{
	char path[PATH_MAX];
	int rc;

	snprintf(path, sizeof(path), "%s/%s", confdir, name);
	rc = file_read_all(path, ACCT_FILE_MAX, text, len, e);
	if (rc == -ENOENT) {
		err_clear(e);
		*text = NULL;
		*len = 0;
		return 0;
	}
	return rc;
}

int acct_load(const char *confdir, struct acct_db *db, struct err *e)
{
	void *p = NULL, *s = NULL, *g = NULL;
	size_t pl = 0, sl = 0, gl = 0;
	int rc;

	memset(db, 0, sizeof(*db));
	rc = read_opt(confdir, "passwd", &p, &pl, e);
	if (rc == 0)
		rc = read_opt(confdir, "shadow", &s, &sl, e);
	if (rc == 0)
		rc = read_opt(confdir, "group", &g, &gl, e);
	if (rc == 0)
		rc = acct_parse(db, p, pl, s, sl, g, gl, e);
	free(p);
	free(s);
	free(g);
	return rc;
}

static int save_one(const char *confdir, const char *name, char *text,
		    unsigned mode, struct err *e)
{
	char path[PATH_MAX];
	int rc;

	if (text == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	snprintf(path, sizeof(path), "%s/%s", confdir, name);
	rc = file_write_atomic(path, text, strlen(text), mode, e);
	/* The hashes do not linger in freed memory. */
	memset(text, 0, strlen(text));
	free(text);
	return rc;
}

int acct_save(const char *confdir, const struct acct_db *db, struct err *e)
{
	int rc = save_one(confdir, "group", acct_format_group(db), 0644, e);

	if (rc == 0)
		rc = save_one(confdir, "shadow", acct_format_shadow(db), 0600,
			      e);
	if (rc == 0)
		rc = save_one(confdir, "passwd", acct_format_passwd(db), 0644,
			      e);
	return rc;
}
