/*
 * grubenv.c: GRUB's environment block (grubenv.h). GRUB escapes a
 * backslash or newline in a value with a backslash; Basalt writes
 * neither, and a block that holds them is read with the escapes undone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/grubenv.h"

#define HEADER "# GRUB Environment Block\n"

static int name_ok(const char *n, size_t len)
{
	if (len == 0 || len >= GRUBENV_NAME_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') ||
		      (n[i] >= 'A' && n[i] <= 'Z') ||
		      (n[i] >= '0' && n[i] <= '9') || n[i] == '_'))
			return 0;
	return 1;
}

int grubenv_parse(struct grubenv *env, const char *buf, size_t len,
		  struct err *e)
{
	size_t at = sizeof(HEADER) - 1;

	env->ge_n = 0;
	if (len != GRUBENV_BYTES || memcmp(buf, HEADER, at) != 0)
		return err_set(e, -EINVAL, "not a GRUB environment block");
	while (at < len) {
		const char *line = buf + at;
		if (buf[at] == '#') {
			/* A comment line (grub-editenv writes one), or the
			 * padding to the end, which has no newline. */
			const char *nl = memchr(line, '\n', len - at);
			if (nl == NULL)
				break;
			at = (size_t)(nl - buf) + 1;
			continue;
		}
		const char *eq = memchr(line, '=', len - at);
		size_t vlen = 0;
		char *value;
		if (eq == NULL || !name_ok(line, (size_t)(eq - line)))
			return err_set(e, -EINVAL,
				       "grubenv: a bad line at byte %zu", at);
		if (env->ge_n == GRUBENV_VARS_MAX)
			return err_set(e, -EINVAL, "grubenv: over %d variables",
				       GRUBENV_VARS_MAX);
		memcpy(env->ge_name[env->ge_n], line, (size_t)(eq - line));
		env->ge_name[env->ge_n][eq - line] = '\0';
		value = env->ge_value[env->ge_n];
		at = (size_t)(eq - buf) + 1;
		for (;;) {
			char ch;
			if (at >= len)
				return err_set(
					e, -EINVAL,
					"grubenv: a line without its end");
			ch = buf[at++];
			if (ch == '\n')
				break;
			if (ch == '\\') {
				if (at >= len)
					return err_set(e, -EINVAL,
						       "grubenv: a bad escape");
				ch = buf[at++];
			}
			if (vlen + 1 >= GRUBENV_VALUE_MAX)
				return err_set(e, -EINVAL,
					       "grubenv: a value over %d bytes",
					       GRUBENV_VALUE_MAX - 1);
			value[vlen++] = ch;
		}
		value[vlen] = '\0';
		env->ge_n++;
	}
	for (; at < len; at++)
		if (buf[at] != '#')
			return err_set(e, -EINVAL,
				       "grubenv: no padding after the "
				       "variables");
	return 0;
}

int grubenv_load(struct grubenv *env, const char *path, struct err *e)
{
	void *data;
	size_t len;
	int rc;

	if ((rc = file_read_all(path, GRUBENV_BYTES, &data, &len, e)) < 0)
		return rc;
	rc = grubenv_parse(env, data, len, e);
	free(data);
	return rc;
}

const char *grubenv_get(const struct grubenv *env, const char *name)
{
	for (int i = 0; i < env->ge_n; i++)
		if (strcmp(env->ge_name[i], name) == 0)
			return env->ge_value[i];
	return "";
}

int grubenv_set(struct grubenv *env, const char *name, const char *value)
{
	int i;

	if (!name_ok(name, strlen(name)) ||
	    (value != NULL && (strlen(value) >= GRUBENV_VALUE_MAX ||
			       strpbrk(value, "\n\\") != NULL)))
		return -EINVAL;
	for (i = 0; i < env->ge_n; i++)
		if (strcmp(env->ge_name[i], name) == 0)
			break;
	if (value == NULL) {
		if (i < env->ge_n) {
			env->ge_n--;
			memmove(env->ge_name[i], env->ge_name[i + 1],
				sizeof(env->ge_name[0]) *
					(size_t)(env->ge_n - i));
			memmove(env->ge_value[i], env->ge_value[i + 1],
				sizeof(env->ge_value[0]) *
					(size_t)(env->ge_n - i));
		}
		return 0;
	}
	if (i == env->ge_n) {
		if (env->ge_n == GRUBENV_VARS_MAX)
			return -ENOSPC;
		snprintf(env->ge_name[i], GRUBENV_NAME_MAX, "%s", name);
		env->ge_n++;
	}
	snprintf(env->ge_value[i], GRUBENV_VALUE_MAX, "%s", value);
	return 0;
}

int grubenv_format(const struct grubenv *env, char out[GRUBENV_BYTES])
{
	size_t at = sizeof(HEADER) - 1;

	memset(out, '#', GRUBENV_BYTES);
	memcpy(out, HEADER, at);
	for (int i = 0; i < env->ge_n; i++) {
		size_t n = strlen(env->ge_name[i]),
		       v = strlen(env->ge_value[i]);
		if (at + n + v + 2 > GRUBENV_BYTES)
			return -ENOSPC;
		memcpy(out + at, env->ge_name[i], n);
		out[at + n] = '=';
		memcpy(out + at + n + 1, env->ge_value[i], v);
		out[at + n + 1 + v] = '\n';
		at += n + v + 2;
	}
	return 0;
}

int grubenv_store(const struct grubenv *env, const char *path, struct err *e)
{
	char block[GRUBENV_BYTES];
	int fd, rc = 0;

	if (grubenv_format(env, block) < 0)
		return err_set(e, -ENOSPC, "%s: the variables do not fit",
			       path);
	/* In place: the block keeps its sectors, as GRUB's save_env
	 * expects. */
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (pwrite(fd, block, sizeof(block), 0) != (ssize_t)sizeof(block) ||
	    fsync(fd) < 0)
		rc = err_set(e, -errno ? -errno : -EIO, "%s: %s", path,
			     strerror(errno ? errno : EIO));
	close(fd);
	return rc;
}
