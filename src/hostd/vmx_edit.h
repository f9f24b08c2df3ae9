/*
 * vmx_edit.h: hostd's writes to .vmx files: set or remove keys (keeping
 * the order of the rest), or write a new file; always atomically. vmx
 * reads them (docs/formats/vmx.md); comments do not survive a rewrite,
 * as with VMware's own tools.
 */
#ifndef BASALT_HOSTD_VMX_EDIT_H
#define BASALT_HOSTD_VMX_EDIT_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

struct vmx_kv {
	char *vk_key;
	char *vk_value; /* NULL: remove the key */
};

struct vmx_edit {
	struct vmx_kv *ve_kv;
	size_t ve_n;
	int ve_oom;
};

/* Record key = value (value NULL: remove). Copies both. */
void vmx_edit_set(struct vmx_edit *ed, const char *key, const char *value);
void vmx_edit_setf(struct vmx_edit *ed, const char *key, const char *fmt, ...)
	BASALT_PRINTF(3, 4);
void vmx_edit_free(struct vmx_edit *ed);

/* Apply ed to the existing file path. */
BASALT_MUST_CHECK int vmx_edit_apply(const char *path,
				     const struct vmx_edit *ed, struct err *e);
/* Write a new file with ed's keys; -EEXIST if path exists. */
BASALT_MUST_CHECK int vmx_edit_create(const char *path,
				      const struct vmx_edit *ed, struct err *e);

#endif
