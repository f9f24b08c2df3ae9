/*
 * view_manager.c: ViewManager and ContainerView: a session's live list of
 * the objects of some types inside a container (the usual way clients
 * list VMs: a view of ha-folder-root, recursive, of VirtualMachine).
 * Views belong to the session that made them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostd/hostd.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/vim.h"

#define VIEW_TYPES_MAX	 16
#define VIEWS_MAX	 256 /* per session */
#define VIEW_OBJECTS_MAX 100000

struct vim_view {
	struct vim_view *vw_next;
	char vw_id[32];
	char vw_ctype[SOAP_NAME_MAX]; /* the container */
	char vw_cid[SOAP_ID_MAX];
	char vw_types[VIEW_TYPES_MAX][SOAP_NAME_MAX];
	int vw_ntypes;
	int vw_recursive;
};

void vim_session_drop_views(struct vim_session *s)
{
	while (s->vs_views != NULL) {
		struct vim_view *v = s->vs_views;
		s->vs_views = v->vw_next;
		free(v);
	}
}

static struct vim_view *find_view(struct vim_call *c, const char *id)
{
	if (c->vc_session == NULL)
		return NULL;
	for (struct vim_view *v = c->vc_session->vs_views; v != NULL;
	     v = v->vw_next)
		if (strcmp(v->vw_id, id) == 0)
			return v;
	return NULL;
}

/* What an inventory object holds, by type. */
static const char *const child_props[][2] = {
	{"Folder", "childEntity"},
	{"Datacenter", "vmFolder"},
	{"Datacenter", "hostFolder"},
	{"Datacenter", "datastoreFolder"},
	{"Datacenter", "networkFolder"},
	{"ComputeResource", "host"},
	{"ComputeResource", "resourcePool"},
	{"ResourcePool", "resourcePool"},
	{"ResourcePool", "vm"},
};

struct found {
	char (*f_type)[SOAP_NAME_MAX];
	char (*f_id)[SOAP_ID_MAX];
	size_t f_n, f_cap;
};

static int found_has(const struct found *f, const char *type, const char *id)
{
	for (size_t i = 0; i < f->f_n; i++)
		if (strcmp(f->f_id[i], id) == 0 &&
		    strcmp(f->f_type[i], type) == 0)
			return 1;
	return 0;
}

static int found_add(struct found *f, const char *type, const char *id)
{
	if (f->f_n == VIEW_OBJECTS_MAX)
		return -1;
	if (f->f_n == f->f_cap) {
		size_t cap = f->f_cap ? 2 * f->f_cap : 16;
		void *t = realloc(f->f_type, cap * sizeof(*f->f_type));
		if (t == NULL)
			return -1;
		f->f_type = t;
		t = realloc(f->f_id, cap * sizeof(*f->f_id));
		if (t == NULL)
			return -1;
		f->f_id = t;
		f->f_cap = cap;
	}
	snprintf(f->f_type[f->f_n], SOAP_NAME_MAX, "%s", type);
	snprintf(f->f_id[f->f_n], SOAP_ID_MAX, "%s", id);
	f->f_n++;
	return 0;
}

size_t vim_children(struct vim_call *c, const char *type, const char *id,
		    char (*types)[SOAP_NAME_MAX], char (*ids)[SOAP_ID_MAX],
		    size_t max)
{
	size_t n = 0;

	for (size_t k = 0; k < sizeof(child_props) / sizeof(*child_props);
	     k++) {
		struct vval *root;
		const struct vval *val, *i;
		if (!mo_is_a(type, child_props[k][0]) ||
		    mo_get(c, type, id, child_props[k][1], &root, &val) !=
			    MO_PROP_SET)
			continue;
		i = val->vv_kind == VVAL_ARRAY ? val->vv_first : val;
		for (; i != NULL && n < max;
		     i = val->vv_kind == VVAL_ARRAY ? i->vv_next : NULL)
			if (i->vv_kind == VVAL_MOREF) {
				snprintf(types[n], SOAP_NAME_MAX, "%s",
					 i->vv_type);
				snprintf(ids[n], SOAP_ID_MAX, "%s", i->vv_text);
				n++;
			}
		vval_free(root);
	}
	return n;
}

/* Every object below the container (or directly in it), in order. */
static int view_walk(struct vim_call *c, const struct vim_view *v,
		     struct found *f)
{
	size_t next = 0;

	if (found_add(f, v->vw_ctype, v->vw_cid) < 0)
		return -1;
	while (next < f->f_n) {
		size_t at = next++;
		if (at > 0 && !v->vw_recursive)
			break;
		for (size_t k = 0;
		     k < sizeof(child_props) / sizeof(*child_props); k++) {
			struct vval *root;
			const struct vval *val, *i;
			if (!mo_is_a(f->f_type[at], child_props[k][0]) ||
			    mo_get(c, f->f_type[at], f->f_id[at],
				   child_props[k][1], &root,
				   &val) != MO_PROP_SET)
				continue;
			i = val->vv_kind == VVAL_ARRAY ? val->vv_first : val;
			for (; i != NULL;
			     i = val->vv_kind == VVAL_ARRAY ? i->vv_next : NULL)
				if (i->vv_kind == VVAL_MOREF &&
				    !found_has(f, i->vv_type, i->vv_text) &&
				    found_add(f, i->vv_type, i->vv_text) < 0) {
					vval_free(root);
					return -1;
				}
			vval_free(root);
		}
	}
	return 0;
}

static int wanted(const struct vim_view *v, const char *type)
{
	if (v->vw_ntypes == 0)
		return 1;
	for (int i = 0; i < v->vw_ntypes; i++)
		if (mo_is_a(type, v->vw_types[i]))
			return 1;
	return 0;
}

static int create_container_view(struct vim_call *c)
{
	struct vim_session *s = c->vc_session;
	struct vim_view *v;
	struct soap_node *n = soap_arg(c->vc_req, "container");
	const char *t;
	int count = 0;

	if (strcmp(c->vc_req->sr_this, "ViewManager") != 0)
		return vim_fault_not_found(c);
	for (v = s->vs_views; v != NULL; v = v->vw_next)
		count++;
	if (count >= VIEWS_MAX)
		return vim_fault(c, "InvalidState", NULL,
				 "this session already has %d views",
				 VIEWS_MAX);
	v = calloc(1, sizeof(*v));
	if (v == NULL)
		return vim_fault(c, "SystemError", "<reason>memory</reason>",
				 "out of memory");
	t = soap_attr(n, "type");
	if (t == NULL || strlen(t) >= sizeof(v->vw_ctype) ||
	    soap_text(n, v->vw_cid, sizeof(v->vw_cid)) < 0) {
		free(v);
		return vim_fault_invalid_argument(c, "container");
	}
	strcpy(v->vw_ctype, t);
	if (!mo_exists(c, v->vw_ctype, v->vw_cid) ||
	    !mo_is_a(v->vw_ctype, "ManagedEntity")) {
		free(v);
		return vim_fault_invalid_argument(c, "container");
	}
	for (n = soap_arg(c->vc_req, "type"); n != NULL;
	     n = soap_next(n, "type")) {
		if (v->vw_ntypes == VIEW_TYPES_MAX ||
		    soap_text(n, v->vw_types[v->vw_ntypes], SOAP_NAME_MAX) <
			    0) {
			free(v);
			return vim_fault_invalid_argument(c, "type");
		}
		v->vw_ntypes++;
	}
	{
		char rec[8] = "";
		if (soap_text(soap_arg(c->vc_req, "recursive"), rec,
			      sizeof(rec)) < 0 ||
		    (strcmp(rec, "true") != 0 && strcmp(rec, "false") != 0 &&
		     strcmp(rec, "1") != 0 && strcmp(rec, "0") != 0)) {
			free(v);
			return vim_fault_invalid_argument(c, "recursive");
		}
		v->vw_recursive = rec[0] == 't' || rec[0] == '1';
	}
	snprintf(v->vw_id, sizeof(v->vw_id), "session-view-%u",
		 ++s->vs_next_id);
	v->vw_next = s->vs_views;
	s->vs_views = v;
	xmlout_moref(&c->vc_out, "returnval", "ContainerView", v->vw_id);
	return 0;
}

static int destroy_view(struct vim_call *c)
{
	struct vim_view **pp = &c->vc_session->vs_views;

	for (; *pp != NULL; pp = &(*pp)->vw_next)
		if (strcmp((*pp)->vw_id, c->vc_req->sr_this) == 0) {
			struct vim_view *v = *pp;
			*pp = v->vw_next;
			free(v);
			return 0;
		}
	return vim_fault_not_found(c);
}

static int vm_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ViewManager") == 0;
}

static enum mo_prop_result vm_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	*out = NULL;
	if (!vm_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "viewList") == 0) {
		*out = vval_array(NULL, NULL, "ManagedObjectReference");
		for (struct vim_view *v = c->vc_session->vs_views; v != NULL;
		     v = v->vw_next)
			vval_moref(*out, NULL, "ContainerView", v->vw_id);
		return *out != NULL && (*out)->vv_first != NULL
			       ? MO_PROP_SET
			       : (vval_free(*out), *out = NULL, MO_PROP_UNSET);
	}
	return MO_PROP_UNKNOWN;
}

static const char *const vm_props[] = {"viewList", NULL};

const struct mo_type mo_view_manager = {
	.mt_name = "ViewManager",
	.mt_exists = vm_exists,
	.mt_prop = vm_prop,
	.mt_props = vm_props,
};

static int cv_exists(struct vim_call *c, const char *id)
{
	return find_view(c, id) != NULL;
}

static enum mo_prop_result cv_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	const struct vim_view *v = find_view(c, id);
	struct found f = {0};

	*out = NULL;
	if (v == NULL)
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "container") == 0) {
		*out = vval_moref(NULL, NULL, v->vw_ctype, v->vw_cid);
	} else if (strcmp(name, "recursive") == 0) {
		*out = vval_bool(NULL, NULL, v->vw_recursive);
	} else if (strcmp(name, "type") == 0) {
		if (v->vw_ntypes == 0)
			return MO_PROP_UNSET;
		*out = vval_array(NULL, NULL, "string");
		for (int i = 0; i < v->vw_ntypes; i++)
			vval_str(*out, NULL, v->vw_types[i]);
	} else if (strcmp(name, "view") == 0) {
		/* Nothing in it is an empty array, not unset: clients loop
		 * over it. */
		if (view_walk(c, v, &f) == 0) {
			*out = vval_array(NULL, NULL, "ManagedObjectReference");
			/* The container itself is not in its view. */
			for (size_t i = 1; i < f.f_n && *out != NULL; i++)
				if (wanted(v, f.f_type[i]) &&
				    vim_may_read(c, f.f_type[i], f.f_id[i]))
					vval_moref(*out, NULL, f.f_type[i],
						   f.f_id[i]);
		}
		free(f.f_type);
		free(f.f_id);
	} else {
		return MO_PROP_UNKNOWN;
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const cv_props[] = {"container", "recursive", "type", "view",
				       NULL};

const struct mo_type mo_container_view = {
	.mt_name = "ContainerView",
	.mt_base = "ManagedObjectView",
	.mt_exists = cv_exists,
	.mt_prop = cv_prop,
	.mt_props = cv_props,
};

const struct vim_method vim_view_manager_methods[] = {
	{"CreateContainerView", "ViewManager", 0, create_container_view},
	{"DestroyView", "ContainerView", 0, destroy_view},
	{NULL, NULL, 0, NULL},
};
