/*
 * grubenv.h: GRUB's environment block (grub/grubenv on the boot
 * partition), the way GRUB's load_env and save_env read and write it:
 * exactly 1024 bytes, "# GRUB Environment Block\n", "name=value\n" lines,
 * '#' padding. Basalt keeps its boot bank choice and the update's try
 * counter there (docs/formats/image.md). The block is rewritten in place
 * (GRUB's save_env writes into the same sectors).
 */
#ifndef BASALT_COMMON_GRUBENV_H
#define BASALT_COMMON_GRUBENV_H

#include <stddef.h>

#include "common/err.h"

#define GRUBENV_BYTES	  1024
#define GRUBENV_VARS_MAX  32
#define GRUBENV_NAME_MAX  32
#define GRUBENV_VALUE_MAX 128

struct grubenv {
	int ge_n;
	char ge_name[GRUBENV_VARS_MAX][GRUBENV_NAME_MAX];
	char ge_value[GRUBENV_VARS_MAX][GRUBENV_VALUE_MAX];
};

/* Parse a block: 0, or -EINVAL with e saying what is wrong (the header,
 * a line without '=', a name or value too long, too many). */
int grubenv_parse(struct grubenv *env, const char *buf, size_t len,
		  struct err *e);

/* Read path and parse it. */
int grubenv_load(struct grubenv *env, const char *path, struct err *e);

/* name's value, or "" when unset. */
const char *grubenv_get(const struct grubenv *env, const char *name);

/* Set (value NULL: remove) name: 0, or -EINVAL for a name or value GRUB
 * could not read back (characters outside [A-Za-z0-9_] in a name; a
 * newline or backslash in a value; too long) or -ENOSPC. */
int grubenv_set(struct grubenv *env, const char *name, const char *value);

/* The block as GRUB reads it: -ENOSPC when the variables do not fit. */
int grubenv_format(const struct grubenv *env, char out[GRUBENV_BYTES]);

/* Write env over path's block, in place, then fsync. */
int grubenv_store(const struct grubenv *env, const char *path, struct err *e);

#endif
