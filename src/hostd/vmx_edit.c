/*
 * vmx_edit.c: .vmx rewrites.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/file.h"
#include "common/kvcfg.h"
#include "hostd/vmx_edit.h"

void vmx_edit_set(struct vmx_edit *ed, const char *key, const char *value)
{
	struct vmx_kv *kv;

	/* A later setting of the same key wins. */
	for (size_t i = 0; i < ed->ve_n; i++)
		if (strcasecmp(ed->ve_kv[i].vk_key, key) == 0) {
			char *v = value != NULL ? strdup(value) : NULL;
			if (value != NULL && v == NULL) {
				ed->ve_oom = 1;
				return;
			}
			free(ed->ve_kv[i].vk_value);
			ed->ve_kv[i].vk_value = v;
			return;
		}
	kv = realloc(ed->ve_kv, (ed->ve_n + 1) * sizeof(*kv));
	if (kv == NULL) {
		ed->ve_oom = 1;
		return;
	}
	ed->ve_kv = kv;
	kv[ed->ve_n].vk_key = strdup(key);
	kv[ed->ve_n].vk_value = value != NULL ? strdup(value) : NULL;
	if (kv[ed->ve_n].vk_key == NULL ||
	    (value != NULL && kv[ed->ve_n].vk_value == NULL))
		ed->ve_oom = 1;
	ed->ve_n++;
}

void vmx_edit_setf(struct vmx_edit *ed, const char *key, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	vmx_edit_set(ed, key, buf);
}

void vmx_edit_free(struct vmx_edit *ed)
{
	for (size_t i = 0; i < ed->ve_n; i++) {
		free(ed->ve_kv[i].vk_key);
		free(ed->ve_kv[i].vk_value);
	}
	free(ed->ve_kv);
	memset(ed, 0, sizeof(*ed));
}

/* Append key = "value" to buf; -1 when it does not fit. */
static int put(char *buf, size_t cap, size_t *len, const char *key,
	       const char *value)
{
	char esc[KVCFG_LINE_MAX_BYTES];
	int n;

	if (kvcfg_escape(value, esc, sizeof(esc)) < 0)
		return -1;
	n = snprintf(buf + *len, cap - *len, "%s = \"%s\"\n", key, esc);
	if (n < 0 || (size_t)n >= cap - *len ||
	    (size_t)n >= KVCFG_LINE_MAX_BYTES)
		return -1;
	*len += (size_t)n;
	return 0;
}

static int write_file(const char *path, struct kvcfg *old,
		      const struct vmx_edit *ed, int create, struct err *e)
{
	size_t cap = KVCFG_FILE_MAX_BYTES, len = 0;
	char *buf;
	int rc = 0;

	if (ed->ve_oom)
		return err_set(e, -ENOMEM, "out of memory");
	buf = malloc(cap);
	if (buf == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	/* The existing keys, in order, with ed's new values. */
	for (int i = 0; old != NULL && i < old->kc_count && rc == 0; i++) {
		const struct kvcfg_entry *en = &old->kc_entries[i];
		const char *v = en->ke_value;
		for (size_t k = 0; k < ed->ve_n; k++)
			if (strcasecmp(ed->ve_kv[k].vk_key, en->ke_key) == 0)
				v = ed->ve_kv[k].vk_value;
		if (v != NULL && put(buf, cap, &len, en->ke_key, v) < 0)
			rc = -E2BIG;
	}
	/* Then the keys that are new. */
	for (size_t k = 0; k < ed->ve_n && rc == 0; k++)
		if (ed->ve_kv[k].vk_value != NULL &&
		    (old == NULL ||
		     kvcfg_find(old, ed->ve_kv[k].vk_key) == NULL) &&
		    put(buf, cap, &len, ed->ve_kv[k].vk_key,
			ed->ve_kv[k].vk_value) < 0)
			rc = -E2BIG;
	if (rc < 0) {
		free(buf);
		return err_set(e, rc,
			       "%s: the configuration would be too "
			       "large",
			       path);
	}
	if (create) {
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
			      0644);
		if (fd < 0) {
			rc = -errno;
			free(buf);
			return err_set(e, rc, "%s: %s", path, strerror(-rc));
		}
		close(fd);
	}
	rc = file_write_atomic(path, buf, len, 0644, e);
	if (rc < 0 && create)
		unlink(path);
	free(buf);
	return rc;
}

int vmx_edit_apply(const char *path, const struct vmx_edit *ed, struct err *e)
{
	struct kvcfg old;
	int rc = kvcfg_load(&old, path, e);

	if (rc < 0)
		return rc;
	rc = write_file(path, &old, ed, 0, e);
	kvcfg_free(&old);
	return rc;
}

int vmx_edit_create(const char *path, const struct vmx_edit *ed, struct err *e)
{
	return write_file(path, NULL, ed, 1, e);
}
