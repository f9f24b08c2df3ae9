/*
 * vval.c: value trees and their XML. Allocation failures are sticky: a
 * failed builder returns NULL, and the NULL parent of the next call
 * makes that call a no-op too, so a broken tree is simply cut short;
 * callers that build answers check xmlout's oom and the tree's root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostd/vim/vval.h"

static struct vval *vval_new(struct vval *parent, enum vval_kind kind,
			     const char *name, const char *type,
			     const char *text)
{
	struct vval *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return NULL;
	v->vv_kind = kind;
	v->vv_type = strdup(type != NULL ? type : "");
	v->vv_text = text != NULL ? strdup(text) : NULL;
	v->vv_name = name != NULL ? strdup(name) : NULL;
	if (v->vv_type == NULL || (text != NULL && v->vv_text == NULL) ||
	    (name != NULL && v->vv_name == NULL)) {
		vval_free(v);
		return NULL;
	}
	if (parent != NULL) {
		if (parent->vv_last != NULL)
			parent->vv_last->vv_next = v;
		else
			parent->vv_first = v;
		parent->vv_last = v;
	}
	return v;
}

struct vval *vval_obj(struct vval *parent, const char *name, const char *type)
{
	return vval_new(parent, VVAL_OBJ, name, type, NULL);
}

struct vval *vval_array(struct vval *parent, const char *name,
			const char *elem_type)
{
	return vval_new(parent, VVAL_ARRAY, name, elem_type, NULL);
}

struct vval *vval_prim(struct vval *parent, const char *name, const char *type,
		       const char *text)
{
	return vval_new(parent, VVAL_PRIM, name, type, text);
}

struct vval *vval_str(struct vval *parent, const char *name, const char *s)
{
	return vval_prim(parent, name, "xsd:string", s);
}

struct vval *vval_int(struct vval *parent, const char *name, const char *type,
		      long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return vval_prim(parent, name, type, buf);
}

struct vval *vval_bool(struct vval *parent, const char *name, int v)
{
	return vval_prim(parent, name, "xsd:boolean", v ? "true" : "false");
}

struct vval *vval_moref(struct vval *parent, const char *name, const char *type,
			const char *id)
{
	return vval_new(parent, VVAL_MOREF, name, type, id);
}

struct vval *vval_raw(struct vval *parent, const char *xml)
{
	return vval_new(parent, VVAL_RAW, NULL, "", xml);
}

struct vval *vval_copy(struct vval *parent, const char *name,
		       const struct vval *v)
{
	struct vval *c =
		vval_new(parent, v->vv_kind, name, v->vv_type, v->vv_text);

	if (c != NULL)
		c->vv_any = v->vv_any;
	for (const struct vval *f = v->vv_first; f != NULL && c != NULL;
	     f = f->vv_next)
		vval_copy(c, f->vv_name, f);
	return c;
}

struct vval *vval_any(struct vval *v)
{
	if (v != NULL)
		v->vv_any = 1;
	return v;
}

void vval_free(struct vval *v)
{
	while (v != NULL) {
		struct vval *next = v->vv_next;
		vval_free(v->vv_first);
		free(v->vv_type);
		free(v->vv_text);
		free(v->vv_name);
		free(v);
		v = next;
	}
}

const struct vval *vval_path(const struct vval *v, const char *path)
{
	while (v != NULL && *path != '\0') {
		const char *dot = strchr(path, '.');
		size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		const struct vval *f;
		if (v->vv_kind != VVAL_OBJ)
			return NULL;
		for (f = v->vv_first; f != NULL; f = f->vv_next)
			if (f->vv_kind != VVAL_RAW && f->vv_name != NULL &&
			    strlen(f->vv_name) == n &&
			    memcmp(f->vv_name, path, n) == 0)
				break;
		v = f;
		path = dot != NULL ? dot + 1 : path + n;
	}
	return v;
}

static void write_children(struct xmlout *xo, const struct vval *v);

/* One element: name, optional xsi:type, then v's content. */
static void write_elem(struct xmlout *xo, const char *name,
		       const char *xsi_type, const struct vval *v)
{
	if (v->vv_kind == VVAL_MOREF) {
		xmlout_printf(xo, "<%s type=\"%s\"", name, v->vv_type);
		if (xsi_type != NULL)
			xmlout_printf(xo, " xsi:type=\"%s\"", xsi_type);
		xmlout_raw(xo, ">");
		xmlout_text(xo, v->vv_text != NULL ? v->vv_text : "");
		xmlout_printf(xo, "</%s>", name);
		return;
	}
	if (xsi_type != NULL)
		xmlout_printf(xo, "<%s xsi:type=\"%s\">", name, xsi_type);
	else
		xmlout_printf(xo, "<%s>", name);
	if (v->vv_kind == VVAL_PRIM)
		xmlout_text(xo, v->vv_text != NULL ? v->vv_text : "");
	else
		write_children(xo, v);
	xmlout_printf(xo, "</%s>", name);
}

/* A data object's fields, or an array's items in a typed field. */
static void write_children(struct xmlout *xo, const struct vval *v)
{
	for (const struct vval *f = v->vv_first; f != NULL; f = f->vv_next)
		vval_write(xo, f->vv_name, f);
}

void vval_write(struct xmlout *xo, const char *name, const struct vval *v)
{
	if (v->vv_kind == VVAL_RAW) {
		xmlout_raw(xo, v->vv_text != NULL ? v->vv_text : "");
		return;
	}
	if (v->vv_any) {
		vval_write_any(xo, name, v);
		return;
	}
	if (v->vv_kind == VVAL_ARRAY) {
		/* Arrays in typed fields repeat the element (§4). */
		for (const struct vval *i = v->vv_first; i != NULL;
		     i = i->vv_next)
			vval_write(xo, name, i);
		return;
	}
	/* Data objects carry their type: needed where it is a subtype of
	 * the declared one, harmless where it is the same. */
	write_elem(xo, name, v->vv_kind == VVAL_OBJ ? v->vv_type : NULL, v);
}

void vval_write_any(struct xmlout *xo, const char *name, const struct vval *v)
{
	if (v->vv_kind == VVAL_ARRAY) {
		char elem[96];
		/* ArrayOfString holds <string>, ArrayOfVirtualDevice holds
		 * <VirtualDevice xsi:type="VirtualDisk">. */
		snprintf(elem, sizeof(elem), "%s", v->vv_type);
		xmlout_printf(xo, "<%s xsi:type=\"ArrayOf%c%s\">", name,
			      elem[0] >= 'a' && elem[0] <= 'z' ? elem[0] - 32
							       : elem[0],
			      elem[0] != '\0' ? elem + 1 : "");
		for (const struct vval *i = v->vv_first; i != NULL;
		     i = i->vv_next) {
			if (i->vv_kind == VVAL_PRIM)
				write_elem(xo, elem, NULL, i);
			else if (i->vv_kind == VVAL_MOREF)
				write_elem(xo, "ManagedObjectReference", NULL,
					   i);
			else
				write_elem(xo, elem, i->vv_type, i);
		}
		xmlout_printf(xo, "</%s>", name);
		return;
	}
	write_elem(xo, name,
		   v->vv_kind == VVAL_MOREF ? "ManagedObjectReference"
					    : v->vv_type,
		   v);
}
