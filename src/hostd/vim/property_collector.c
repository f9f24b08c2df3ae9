/*
 * property_collector.c: PropertyCollector (ha-property-collector):
 * RetrieveProperties, RetrievePropertiesEx and its continuation. A filter
 * spec names start objects and traversal specs that lead from object to
 * object through reference-valued properties; every object reached and
 * not skipped is reported with the properties its type's PropertySpecs
 * ask for (../shared/docs/vi-api.md §7).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hostd/hostd.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/pc.h"
#include "hostd/vim/vim.h"

/* Bounds on what one spec may make us do. */
#define PC_OBJECTS_MAX 100000
#define PC_STEPS_MAX   1000000
#define PC_DEPTH_MAX   64
#define PC_PATH_MAX    256
#define PC_PATHS_MAX   64 /* per object and filter spec */

struct pc_obj {
	char po_type[SOAP_NAME_MAX];
	char po_id[SOAP_ID_MAX];
	int po_report;
};

/* A traversal spec already followed from an object: loops end there. */
struct pc_seen {
	size_t ps_obj;
	struct soap_node *ps_spec;
};

struct pc_walk {
	struct vim_call *pw_c;
	struct soap_node *pw_filter; /* the PropertyFilterSpec */
	struct pc_obj *pw_objs;
	size_t pw_n, pw_cap;
	struct pc_seen *pw_seen;
	size_t pw_seen_n, pw_seen_cap;
	unsigned long pw_steps;
	int pw_failed; /* a fault is written */
};

static int text_is(struct soap_node *n, const char *want)
{
	char buf[16];

	return soap_text(n, buf, sizeof(buf)) == 0 && strcmp(buf, want) == 0;
}

static int fault_limit(struct pc_walk *w, const char *what)
{
	w->pw_failed = 1;
	return vim_fault(w->pw_c, "InvalidArgument",
			 "<invalidProperty>specSet</invalidProperty>",
			 "the property filter spec reaches too many %s", what);
}

/* Index of type:id in the walk, adding it if new (-1 on failure). */
static long add_obj(struct pc_walk *w, const char *type, const char *id,
		    int report)
{
	for (size_t i = 0; i < w->pw_n; i++)
		if (strcmp(w->pw_objs[i].po_id, id) == 0 &&
		    strcmp(w->pw_objs[i].po_type, type) == 0) {
			w->pw_objs[i].po_report |= report;
			return (long)i;
		}
	if (w->pw_n == PC_OBJECTS_MAX) {
		fault_limit(w, "objects");
		return -1;
	}
	if (w->pw_n == w->pw_cap) {
		size_t cap = w->pw_cap ? 2 * w->pw_cap : 16;
		struct pc_obj *o = realloc(w->pw_objs, cap * sizeof(*o));
		if (o == NULL) {
			w->pw_failed = 1;
			vim_fault(w->pw_c, "SystemError",
				  "<reason>memory</reason>", "out of memory");
			return -1;
		}
		w->pw_objs = o;
		w->pw_cap = cap;
	}
	snprintf(w->pw_objs[w->pw_n].po_type, SOAP_NAME_MAX, "%s", type);
	snprintf(w->pw_objs[w->pw_n].po_id, SOAP_ID_MAX, "%s", id);
	w->pw_objs[w->pw_n].po_report = report;
	return (long)w->pw_n++;
}

/* Has spec been followed from object i before? Remembers it if not. */
static int seen(struct pc_walk *w, size_t i, struct soap_node *spec)
{
	for (size_t k = 0; k < w->pw_seen_n; k++)
		if (w->pw_seen[k].ps_obj == i && w->pw_seen[k].ps_spec == spec)
			return 1;
	if (w->pw_seen_n == w->pw_seen_cap) {
		size_t cap = w->pw_seen_cap ? 2 * w->pw_seen_cap : 16;
		struct pc_seen *s = realloc(w->pw_seen, cap * sizeof(*s));
		if (s == NULL)
			return 1; /* cut the walk short rather than loop */
		w->pw_seen = s;
		w->pw_seen_cap = cap;
	}
	w->pw_seen[w->pw_seen_n].ps_obj = i;
	w->pw_seen[w->pw_seen_n].ps_spec = spec;
	w->pw_seen_n++;
	return 0;
}

/* The TraversalSpec called name anywhere in the filter spec. */
static struct soap_node *find_traversal(struct soap_node *n, const char *name,
					int depth)
{
	if (depth > PC_DEPTH_MAX)
		return NULL;
	for (struct soap_node *k = n->sn_children; k != NULL; k = k->sn_next) {
		struct soap_node *f;
		if ((strcmp(k->sn_name, "selectSet") == 0 ||
		     strcmp(k->sn_name, "objectSet") == 0)) {
			if (strcmp(k->sn_name, "selectSet") == 0 &&
			    soap_child(k, "path") != NULL &&
			    text_is(soap_child(k, "name"), name))
				return k;
			f = find_traversal(k, name, depth + 1);
			if (f != NULL)
				return f;
		}
	}
	return NULL;
}

static void visit(struct pc_walk *w, size_t obj, struct soap_node *parent,
		  int depth);

/* Follow traversal spec ts from object obj. */
static void follow(struct pc_walk *w, size_t obj, struct soap_node *ts,
		   int depth)
{
	char type[SOAP_NAME_MAX], path[PC_PATH_MAX];
	const struct vval *val, *items;
	struct vval *root;
	int skip;

	if (soap_text(soap_child(ts, "type"), type, sizeof(type)) < 0 ||
	    soap_text(soap_child(ts, "path"), path, sizeof(path)) < 0) {
		w->pw_failed = 1;
		vim_fault_invalid_argument(w->pw_c, "selectSet");
		return;
	}
	if (!mo_is_a(w->pw_objs[obj].po_type, type) || seen(w, obj, ts))
		return;
	skip = text_is(soap_child(ts, "skip"), "true");
	if (mo_get(w->pw_c, w->pw_objs[obj].po_type, w->pw_objs[obj].po_id,
		   path, &root, &val) != MO_PROP_SET)
		return;
	items = val->vv_kind == VVAL_ARRAY ? val->vv_first : val;
	for (const struct vval *i = items; i != NULL && !w->pw_failed;
	     i = val->vv_kind == VVAL_ARRAY ? i->vv_next : NULL) {
		long k;
		if (i->vv_kind != VVAL_MOREF ||
		    !mo_exists(w->pw_c, i->vv_type, i->vv_text))
			continue;
		k = add_obj(w, i->vv_type, i->vv_text, !skip);
		if (k >= 0)
			visit(w, (size_t)k, ts, depth + 1);
	}
	vval_free(root);
}

/* The selectSet children of parent, applied to object obj. */
static void visit(struct pc_walk *w, size_t obj, struct soap_node *parent,
		  int depth)
{
	if (depth > PC_DEPTH_MAX || ++w->pw_steps > PC_STEPS_MAX) {
		if (!w->pw_failed)
			fault_limit(w, "levels");
		return;
	}
	for (struct soap_node *s = soap_child(parent, "selectSet");
	     s != NULL && !w->pw_failed; s = soap_next(s, "selectSet")) {
		struct soap_node *ts = s;
		if (soap_child(s, "path") == NULL) {
			/* A SelectionSpec: a TraversalSpec by name. */
			char name[PC_PATH_MAX];
			if (soap_text(soap_child(s, "name"), name,
				      sizeof(name)) < 0 ||
			    (ts = find_traversal(w->pw_filter, name, 0)) ==
				    NULL) {
				w->pw_failed = 1;
				vim_fault_invalid_argument(w->pw_c,
							   "selectSet.name");
				return;
			}
		}
		follow(w, obj, ts, depth);
	}
}

/* A moref element: its type attribute and id. */
static int moref_of(struct soap_node *n, char *type, size_t tsize, char *id,
		    size_t isize)
{
	const char *t;

	if (n == NULL)
		return -ENOENT;
	t = soap_attr(n, "type");
	if (t == NULL)
		return -EINVAL;
	if (strlen(t) >= tsize)
		return -E2BIG;
	strcpy(type, t);
	return soap_text(n, id, isize);
}

/* Does the path appear in paths[0..n)? */
static int listed(const char *const *paths, size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(paths[i], p) == 0)
			return 1;
	return 0;
}

/* The properties of one content (not the content itself). */
static void content_clear(struct pc_content *pc)
{
	for (size_t k = 0; k < pc->pc_n; k++) {
		free(pc->pc_props[k].pp_path);
		free(pc->pc_props[k].pp_val);
	}
	free(pc->pc_props);
	pc->pc_props = NULL;
	pc->pc_n = 0;
}

void pc_contents_free(struct pc_content *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		content_clear(&v[i]);
	free(v);
}

/* Append path = val to pc; val (malloc'd) is pc's from here on, also
 * when this fails. */
static int add_prop(struct pc_content *pc, const char *path, char *val)
{
	struct pc_prop *p =
		val != NULL ? realloc(pc->pc_props,
				      (pc->pc_n + 1) * sizeof(*pc->pc_props))
			    : NULL;
	char *copy = p != NULL ? strdup(path) : NULL;

	if (p != NULL)
		pc->pc_props = p;
	if (copy == NULL) {
		free(val);
		return -1;
	}
	p[pc->pc_n].pp_path = copy;
	p[pc->pc_n].pp_val = val;
	pc->pc_n++;
	return 0;
}

static int fault_memory(struct pc_walk *w)
{
	w->pw_failed = 1;
	return vim_fault(w->pw_c, "SystemError", "<reason>memory</reason>",
			 "out of memory");
}

/*
 * What filter spec f asks of object o, into *pc: 1 when a PropertySpec is
 * about its type, 0 when none is, -1 after a fault.
 */
static int object_content(struct pc_walk *w, const struct pc_obj *o,
			  struct soap_node *f, struct pc_content *pc)
{
	const struct mo_type *t = mo_type_find(o->po_type);
	const char *paths[PC_PATHS_MAX];
	char bufs[PC_PATHS_MAX][PC_PATH_MAX];
	size_t n = 0;
	int matched = 0;

	memset(pc, 0, sizeof(*pc));
	snprintf(pc->pc_type, sizeof(pc->pc_type), "%s", o->po_type);
	snprintf(pc->pc_id, sizeof(pc->pc_id), "%s", o->po_id);
	for (struct soap_node *ps = soap_child(f, "propSet"); ps != NULL;
	     ps = soap_next(ps, "propSet")) {
		char type[SOAP_NAME_MAX];
		if (soap_text(soap_child(ps, "type"), type, sizeof(type)) < 0) {
			w->pw_failed = 1;
			return vim_fault_invalid_argument(w->pw_c,
							  "propSet.type"),
			       -1;
		}
		if (!mo_is_a(o->po_type, type))
			continue;
		matched = 1;
		if (text_is(soap_child(ps, "all"), "true")) {
			for (size_t i = 0;
			     t->mt_props != NULL && t->mt_props[i] != NULL &&
			     n < PC_PATHS_MAX;
			     i++)
				if (!listed(paths, n, t->mt_props[i]))
					paths[n++] = t->mt_props[i];
			continue;
		}
		for (struct soap_node *p = soap_child(ps, "pathSet"); p != NULL;
		     p = soap_next(p, "pathSet")) {
			if (n == PC_PATHS_MAX ||
			    soap_text(p, bufs[n], sizeof(bufs[n])) < 0) {
				w->pw_failed = 1;
				return vim_fault_invalid_argument(w->pw_c,
								  "pathSet"),
				       -1;
			}
			if (!listed(paths, n, bufs[n])) {
				paths[n] = bufs[n];
				n++;
			}
		}
	}
	if (!matched)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct vval *root;
		const struct vval *val;
		struct xmlout xo;
		switch (mo_get(w->pw_c, o->po_type, o->po_id, paths[i], &root,
			       &val)) {
		case MO_PROP_SET:
			xmlout_init(&xo);
			vval_write_any(&xo, "val", val);
			vval_free(root);
			if (xo.xo_oom ||
			    add_prop(pc, paths[i],
				     xmlout_take(&xo, &(size_t){0})) < 0) {
				xmlout_free(&xo);
				return fault_memory(w), -1;
			}
			break;
		case MO_PROP_UNSET:
			break;
		case MO_PROP_UNKNOWN:
			w->pw_failed = 1;
			vim_fault_field(w->pw_c, "InvalidProperty", "name",
					paths[i], "%s has no property %s",
					o->po_type, paths[i]);
			return -1;
		}
	}
	return 1;
}

int pc_collect_spec(struct vim_call *c, struct soap_node *f,
		    struct pc_content **out, size_t *n_out)
{
	struct pc_walk w = {.pw_c = c, .pw_filter = f};
	struct pc_content *v = NULL;
	size_t n = 0, cap = 0;

	for (struct soap_node *os = soap_child(f, "objectSet");
	     os != NULL && !w.pw_failed; os = soap_next(os, "objectSet")) {
		char type[SOAP_NAME_MAX], id[SOAP_ID_MAX];
		long k;
		if (moref_of(soap_child(os, "obj"), type, sizeof(type), id,
			     sizeof(id)) < 0) {
			w.pw_failed = 1;
			vim_fault_invalid_argument(c, "objectSet.obj");
			break;
		}
		if (!mo_exists(c, type, id)) {
			w.pw_failed = 1;
			vim_fault_gone(c, type, id);
			break;
		}
		/* An object asked for by name that the user may not read:
		 * said, as the reference host does (a walk from it still
		 * runs when it is skipped). */
		if (!text_is(soap_child(os, "skip"), "true") &&
		    !vim_may_read(c, type, id)) {
			w.pw_failed = 1;
			vim_fault_no_permission(c, type, id, "System.Read");
			break;
		}
		k = add_obj(&w, type, id,
			    !text_is(soap_child(os, "skip"), "true"));
		if (k >= 0)
			visit(&w, (size_t)k, os, 0);
	}
	for (size_t i = 0; i < w.pw_n && !w.pw_failed; i++) {
		struct pc_content pc;
		int r;
		if (!w.pw_objs[i].po_report)
			continue;
		/* What the user may not read is left out; the walk still
		 * went through it, so a VM the user may read shows even in
		 * a folder it may not. */
		if (!vim_may_read(c, w.pw_objs[i].po_type, w.pw_objs[i].po_id))
			continue;
		r = object_content(&w, &w.pw_objs[i], f, &pc);
		if (r <= 0) {
			content_clear(&pc);
			continue;
		}
		if (n == cap) {
			struct pc_content *m;
			cap = cap ? 2 * cap : 16;
			m = realloc(v, cap * sizeof(*m));
			if (m == NULL) {
				content_clear(&pc);
				fault_memory(&w);
				break;
			}
			v = m;
		}
		v[n++] = pc;
	}
	free(w.pw_objs);
	free(w.pw_seen);
	if (w.pw_failed) {
		pc_contents_free(v, n);
		return -1;
	}
	*out = v;
	*n_out = n;
	return 0;
}

/* ObjectContent's inner XML for pc. */
static char *content_xml(const struct pc_content *pc)
{
	struct xmlout xo;

	xmlout_init(&xo);
	xmlout_printf(&xo, "<obj type=\"%s\">", pc->pc_type);
	xmlout_text(&xo, pc->pc_id);
	xmlout_raw(&xo, "</obj>");
	for (size_t i = 0; i < pc->pc_n; i++) {
		xmlout_raw(&xo, "<propSet>");
		xmlout_elem(&xo, "name", pc->pc_props[i].pp_path);
		xmlout_raw(&xo, pc->pc_props[i].pp_val);
		xmlout_raw(&xo, "</propSet>");
	}
	if (xo.xo_oom) {
		xmlout_free(&xo);
		return NULL;
	}
	return xmlout_take(&xo, &(size_t){0});
}

/*
 * Evaluate every PropertyFilterSpec of the call (argument "specSet") and
 * hand each ObjectContent's inner XML to *items (malloc'd strings).
 * Returns -1 after writing a fault.
 */
static int collect(struct vim_call *c, char ***items, size_t *n_items)
{
	size_t cap = 0;

	*items = NULL;
	*n_items = 0;
	for (struct soap_node *f = soap_arg(c->vc_req, "specSet"); f != NULL;
	     f = soap_next(f, "specSet")) {
		struct pc_content *v;
		size_t n;
		if (pc_collect_spec(c, f, &v, &n) < 0)
			goto fail;
		for (size_t i = 0; i < n; i++) {
			char *x = content_xml(&v[i]);
			if (x != NULL && *n_items == cap) {
				char **m;
				cap = cap ? 2 * cap : 16;
				m = realloc(*items, cap * sizeof(*m));
				if (m == NULL) {
					free(x);
					x = NULL;
				} else {
					*items = m;
				}
			}
			if (x == NULL) {
				pc_contents_free(v, n);
				vim_fault(c, "SystemError",
					  "<reason>memory</reason>",
					  "out of memory");
				goto fail;
			}
			(*items)[(*n_items)++] = x;
		}
		pc_contents_free(v, n);
	}
	return 0;
fail:
	for (size_t i = 0; i < *n_items; i++)
		free((*items)[i]);
	free(*items);
	*items = NULL;
	*n_items = 0;
	return -1;
}

static int check_this(struct vim_call *c)
{
	return strcmp(c->vc_req->sr_this, "ha-property-collector") == 0;
}

static int retrieve_properties(struct vim_call *c)
{
	char **items;
	size_t n;

	if (!check_this(c))
		return vim_fault_not_found(c);
	if (collect(c, &items, &n) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		xmlout_printf(&c->vc_out, "<returnval>%s</returnval>",
			      items[i]);
		free(items[i]);
	}
	free(items);
	return 0;
}

void vim_session_drop_rest(struct vim_session *s)
{
	for (size_t i = s->vs_rest_next; i < s->vs_rest_n; i++)
		free(s->vs_rest[i]);
	free(s->vs_rest);
	s->vs_rest = NULL;
	s->vs_rest_n = s->vs_rest_next = s->vs_rest_max = 0;
	s->vs_token[0] = '\0';
}

/* Up to max of the session's remaining results, and a token if more. */
static void write_batch(struct vim_call *c, size_t max)
{
	struct vim_session *s = c->vc_session;
	size_t end = s->vs_rest_next + max;

	if (s->vs_rest_next == s->vs_rest_n) {
		vim_session_drop_rest(s);
		return; /* no returnval: nothing matched */
	}
	if (end > s->vs_rest_n || max == 0)
		end = s->vs_rest_n;
	xmlout_raw(&c->vc_out, "<returnval>");
	if (end < s->vs_rest_n) {
		unsigned char r[8];
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			memset(r, 0, sizeof(r));
		snprintf(s->vs_token, sizeof(s->vs_token),
			 "%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
			 r[3], r[4], r[5], r[6], r[7]);
		xmlout_elem(&c->vc_out, "token", s->vs_token);
	}
	for (size_t i = s->vs_rest_next; i < end; i++) {
		xmlout_printf(&c->vc_out, "<objects>%s</objects>",
			      s->vs_rest[i]);
		free(s->vs_rest[i]);
		s->vs_rest[i] = NULL;
	}
	s->vs_rest_next = end;
	xmlout_raw(&c->vc_out, "</returnval>");
	if (end == s->vs_rest_n)
		vim_session_drop_rest(s);
}

static int retrieve_properties_ex(struct vim_call *c)
{
	char max_text[16] = "";
	char **items;
	size_t n;
	long max = 0;

	if (!check_this(c))
		return vim_fault_not_found(c);
	if (soap_text(soap_child(soap_arg(c->vc_req, "options"), "maxObjects"),
		      max_text, sizeof(max_text)) == 0) {
		char *end;
		max = strtol(max_text, &end, 10);
		if (*end != '\0' || max < 0)
			return vim_fault_invalid_argument(c,
							  "options.maxObjects");
	}
	if (collect(c, &items, &n) < 0)
		return 0;
	vim_session_drop_rest(c->vc_session);
	c->vc_session->vs_rest = items;
	c->vc_session->vs_rest_n = n;
	c->vc_session->vs_rest_max = (size_t)max;
	write_batch(c, (size_t)max);
	return 0;
}

static int continue_retrieve(struct vim_call *c, int cancel)
{
	char token[32];

	if (!check_this(c))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "token"), token, sizeof(token)) < 0 ||
	    token[0] == '\0' || strcmp(token, c->vc_session->vs_token) != 0)
		return vim_fault_invalid_argument(c, "token");
	if (cancel)
		vim_session_drop_rest(c->vc_session);
	else
		write_batch(c, c->vc_session->vs_rest_max);
	return 0;
}

static int continue_retrieve_properties_ex(struct vim_call *c)
{
	return continue_retrieve(c, 0);
}

static int cancel_retrieve_properties_ex(struct vim_call *c)
{
	return continue_retrieve(c, 1);
}

const struct vim_method vim_property_collector_methods[] = {
	{"RetrieveProperties", "PropertyCollector", 0, retrieve_properties},
	{"RetrievePropertiesEx", "PropertyCollector", 0,
	 retrieve_properties_ex},
	{"ContinueRetrievePropertiesEx", "PropertyCollector", 0,
	 continue_retrieve_properties_ex},
	{"CancelRetrievePropertiesEx", "PropertyCollector", 0,
	 cancel_retrieve_properties_ex},
	{NULL, NULL, 0, NULL},
};
