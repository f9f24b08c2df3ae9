/*
 * lockdown.c: lockdown mode, kept in <confdir>/lockdown.conf
 * (lockdown.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/kvcfg.h"
#include "hostd/hostd.h"
#include "hostd/lockdown.h"

#define LOCKDOWN_FILE "lockdown.conf"

static const char *const mode_names[] = {
	[LOCKDOWN_DISABLED] = "lockdownDisabled",
	[LOCKDOWN_NORMAL] = "lockdownNormal",
	[LOCKDOWN_STRICT] = "lockdownStrict",
};

const char *lockdown_mode_name(enum lockdown_mode m)
{
	return mode_names[m];
}

int lockdown_mode_parse(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(name, mode_names[i]) == 0)
			return i;
	return -1;
}

int lockdown_is_exception(const struct lockdown *l, const char *user)
{
	for (size_t i = 0; i < l->ld_nexceptions; i++)
		if (strcmp(l->ld_exceptions[i], user) == 0)
			return 1;
	return 0;
}

int lockdown_allows(const struct hostd *h, const char *user, int console)
{
	const struct lockdown *l = &h->hd_lockdown;

	if (l->ld_mode == LOCKDOWN_DISABLED || lockdown_is_exception(l, user))
		return 1;
	return console && l->ld_mode == LOCKDOWN_NORMAL;
}

static void path_of(const struct hostd *h, char *buf, size_t size)
{
	snprintf(buf, size, "%s/" LOCKDOWN_FILE, h->hd_confdir);
}

/* The comma-separated list text into l's exceptions. */
static int parse_exceptions(const char *text, struct lockdown *l, struct err *e)
{
	l->ld_nexceptions = 0;
	for (const char *p = text; *p != '\0';) {
		size_t n = strcspn(p, ",");
		if (n > 0) {
			if (n >= LOCKDOWN_USER_MAX)
				return err_set(e, -EINVAL,
					       "an exception user's name is "
					       "longer than %d bytes",
					       LOCKDOWN_USER_MAX - 1);
			if (l->ld_nexceptions == LOCKDOWN_EXCEPTIONS_MAX)
				return err_set(e, -E2BIG,
					       "more than %d exception users",
					       LOCKDOWN_EXCEPTIONS_MAX);
			memcpy(l->ld_exceptions[l->ld_nexceptions], p, n);
			l->ld_exceptions[l->ld_nexceptions++][n] = '\0';
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int lockdown_parse(const char *name, const char *text, size_t len,
		   struct lockdown *out, struct err *e)
{
	struct lockdown l = {.ld_mode = LOCKDOWN_DISABLED};
	struct kvcfg cfg;
	struct kvcfg_entry *en;
	struct err why = {0};
	int rc, m;

	rc = kvcfg_parse(&cfg, name, text, len, e);
	if (rc < 0)
		return rc;
	en = kvcfg_find(&cfg, "lockdown.mode");
	if (en != NULL) {
		m = lockdown_mode_parse(en->ke_value);
		if (m < 0)
			rc = err_set(e, -EINVAL,
				     "%s:%d: lockdown.mode \"%.32s\": expected "
				     "lockdownDisabled, lockdownNormal or "
				     "lockdownStrict",
				     name, en->ke_line, en->ke_value);
		else
			l.ld_mode = (enum lockdown_mode)m;
	}
	en = kvcfg_find(&cfg, "lockdown.exceptions");
	if (rc == 0 && en != NULL &&
	    parse_exceptions(en->ke_value, &l, &why) < 0)
		rc = err_set(e, -EINVAL, "%s:%d: %s", name, en->ke_line,
			     err_msg(&why));
	kvcfg_free(&cfg);
	if (rc == 0)
		*out = l;
	return rc;
}

int lockdown_load(struct hostd *h, struct err *e)
{
	struct lockdown l = {.ld_mode = LOCKDOWN_DISABLED};
	char path[PATH_MAX + 32];
	void *text;
	size_t len;
	int rc;

	path_of(h, path, sizeof(path));
	rc = file_read_all(path, KVCFG_FILE_MAX_BYTES, &text, &len, e);
	if (rc == -ENOENT) {
		err_clear(e);
		h->hd_lockdown = l;
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = lockdown_parse(path, text, len, &l, e);
	free(text);
	if (rc == 0)
		h->hd_lockdown = l;
	return rc;
}

int lockdown_format(const struct lockdown *l, char *buf, size_t size)
{
	char list[LOCKDOWN_EXCEPTIONS_MAX * LOCKDOWN_USER_MAX];
	char esc[sizeof(list) * 3];
	size_t n = 0;
	int len;

	list[0] = '\0';
	for (size_t i = 0; i < l->ld_nexceptions; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      i ? "," : "", l->ld_exceptions[i]);
	if (kvcfg_escape(list, esc, sizeof(esc)) < 0)
		return -1;
	len = snprintf(buf, size,
		       "# Basalt lockdown mode (written by hostd)\n"
		       "lockdown.mode = \"%s\"\n"
		       "lockdown.exceptions = \"%s\"\n",
		       lockdown_mode_name(l->ld_mode), esc);
	return len < 0 || (size_t)len >= size ? -1 : len;
}

int lockdown_set(struct hostd *h, const struct lockdown *l, struct err *e)
{
	char path[PATH_MAX + 32], buf[LOCKDOWN_FILE_MAX_BYTES];
	int len = lockdown_format(l, buf, sizeof(buf)), rc;

	if (len < 0)
		return err_set(e, -EINVAL, "the exception list is too long");
	path_of(h, path, sizeof(path));
	rc = file_write_atomic(path, buf, (size_t)len, 0644, e);
	if (rc == 0)
		h->hd_lockdown = *l;
	return rc;
}
