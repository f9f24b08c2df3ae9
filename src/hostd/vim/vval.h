/*
 * vval.h: a VI API value as a small tree (data object, primitive,
 * managed object reference, array), built on demand for one property and
 * then written out. The property collector walks paths such as
 * "config.hardware.numCPU" in it, and writes a value either in a typed
 * field or in an anyType slot, where every value carries xsi:type
 * (../shared/docs/vi-api.md §4).
 */
#ifndef BASALT_HOSTD_VVAL_H
#define BASALT_HOSTD_VVAL_H

#include <stddef.h>

#include "common/compiler.h"
#include "hostd/soap/xmlout.h"

enum vval_kind {
	VVAL_OBJ,   /* data object: vv_type "AboutInfo", named fields */
	VVAL_PRIM,  /* vv_type "xsd:int" ..., or an enum's name */
	VVAL_MOREF, /* vv_type the object's type, vv_text its id */
	VVAL_ARRAY, /* vv_type the element type: "string", "VirtualDevice" */
	VVAL_RAW,   /* vv_text: XML written as it is (a fault's fields) */
};

struct vval {
	enum vval_kind vv_kind;
	char *vv_type;
	char *vv_text;	       /* PRIM: the value; MOREF: the id */
	char *vv_name;	       /* as a field of a data object */
	struct vval *vv_first; /* OBJ fields, ARRAY items, in order */
	struct vval *vv_last;
	struct vval *vv_next; /* the next field or item */
	int vv_any;	      /* a field declared anyType: with xsi:type */
};

/*
 * Builders. A NULL parent makes a root; with a parent, the new value is
 * appended to its fields (name set) or items (ARRAY parent, name NULL).
 * On allocation failure they return NULL and mark the root broken
 * (vval_ok says so), so callers chain them without checks.
 */
struct vval *vval_obj(struct vval *parent, const char *name, const char *type);
struct vval *vval_array(struct vval *parent, const char *name,
			const char *elem_type);
struct vval *vval_str(struct vval *parent, const char *name, const char *s);
struct vval *vval_prim(struct vval *parent, const char *name, const char *type,
		       const char *text);
struct vval *vval_int(struct vval *parent, const char *name, const char *type,
		      long long v);
struct vval *vval_bool(struct vval *parent, const char *name, int v);
struct vval *vval_moref(struct vval *parent, const char *name, const char *type,
			const char *id);

/* XML content for parent, written out verbatim (not walked by paths). */
struct vval *vval_raw(struct vval *parent, const char *xml);

/* A deep copy of v, as field name of parent (or a root). */
struct vval *vval_copy(struct vval *parent, const char *name,
		       const struct vval *v);

/* Mark v a field of type anyType (TaskInfo.result, OptionValue.value):
 * it is then written with its xsi:type. Returns v. */
struct vval *vval_any(struct vval *v);

void vval_free(struct vval *v);

/* The value at a dotted path below v ("hardware.numCPU"), or NULL. */
const struct vval *vval_path(const struct vval *v, const char *path);

/* v as a field named name of a typed slot: <name ...>...</name>. */
void vval_write(struct xmlout *xo, const char *name, const struct vval *v);
/* v in an anyType slot (DynamicProperty.val): with xsi:type, arrays
 * wrapped as ArrayOfX. */
void vval_write_any(struct xmlout *xo, const char *name, const struct vval *v);

#endif
