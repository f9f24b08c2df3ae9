/*
 * property_filter.c: the watching half of the PropertyCollector:
 * CreateFilter, DestroyPropertyFilter, WaitForUpdatesEx, the older
 * WaitForUpdates and CheckForUpdates, CancelWaitForUpdates, and the
 * private collectors govmomi makes for each wait
 * (CreatePropertyCollector, DestroyPropertyCollector). A filter keeps
 * what it last reported; a wait evaluates every filter of its collector
 * again and answers with the difference: objects that entered, left or
 * had properties change (../shared/docs/vi-api.md §7).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "hostd/hostd.h"
#include "hostd/vim/pc.h"
#include "hostd/vim/vim.h"

#define PC_FILTERS_MAX 1024 /* per session */

struct pc_filter {
	struct pc_filter *pf_next;
	char pf_id[48];
	char pf_collector[SOAP_ID_MAX];
	struct soap_node *pf_spec; /* the PropertyFilterSpec, copied */
	struct pc_content *pf_last;
	size_t pf_last_n;
};

static void filter_free(struct pc_filter *f)
{
	soap_node_free(f->pf_spec);
	pc_contents_free(f->pf_last, f->pf_last_n);
	free(f);
}

void vim_session_drop_filters(struct vim_session *s)
{
	while (s->vs_filters != NULL) {
		struct pc_filter *f = s->vs_filters;
		s->vs_filters = f->pf_next;
		filter_free(f);
	}
}

/* Is id the shared collector or one of the session's? */
static int collector_ok(struct vim_session *s, const char *id)
{
	unsigned n;
	char tail;

	if (strcmp(id, "ha-property-collector") == 0)
		return 1;
	if (sscanf(id, "ha-property-collector-%u%c", &n, &tail) != 1 || n == 0)
		return 0;
	for (int i = 0; i < VIM_COLLECTORS_MAX; i++)
		if (s->vs_collectors[i] == n)
			return 1;
	return 0;
}

static int this_collector(struct vim_call *c)
{
	return strcmp(c->vc_req->sr_this_type, "PropertyCollector") == 0 &&
	       collector_ok(c->vc_session, c->vc_req->sr_this);
}

static int create_property_collector(struct vim_call *c)
{
	struct vim_session *s = c->vc_session;
	char id[48];

	if (!this_collector(c))
		return vim_fault_not_found(c);
	for (int i = 0; i < VIM_COLLECTORS_MAX; i++)
		if (s->vs_collectors[i] == 0) {
			s->vs_collectors[i] = ++s->vs_next_id;
			snprintf(id, sizeof(id), "ha-property-collector-%u",
				 s->vs_collectors[i]);
			xmlout_moref(&c->vc_out, "returnval",
				     "PropertyCollector", id);
			return 0;
		}
	return vim_fault(c, "InvalidState", NULL,
			 "this session already has %d property collectors",
			 VIM_COLLECTORS_MAX);
}

static int destroy_property_collector(struct vim_call *c)
{
	struct vim_session *s = c->vc_session;
	struct pc_filter **pp = &s->vs_filters;
	unsigned n;

	if (!this_collector(c))
		return vim_fault_not_found(c);
	if (sscanf(c->vc_req->sr_this, "ha-property-collector-%u", &n) != 1)
		return vim_fault(c, "NotSupported", NULL,
				 "the host's own collector cannot be "
				 "destroyed");
	for (int i = 0; i < VIM_COLLECTORS_MAX; i++)
		if (s->vs_collectors[i] == n)
			s->vs_collectors[i] = 0;
	/* Its filters go with it. */
	while (*pp != NULL) {
		struct pc_filter *f = *pp;
		if (strcmp(f->pf_collector, c->vc_req->sr_this) == 0) {
			*pp = f->pf_next;
			filter_free(f);
		} else {
			pp = &f->pf_next;
		}
	}
	return 0;
}

static int create_filter(struct vim_call *c)
{
	struct vim_session *s = c->vc_session;
	struct soap_node *spec = soap_arg(c->vc_req, "spec");
	struct pc_content *v;
	struct pc_filter *f;
	size_t n, count = 0;

	if (!this_collector(c))
		return vim_fault_not_found(c);
	if (spec == NULL)
		return vim_fault_invalid_argument(c, "spec");
	for (f = s->vs_filters; f != NULL; f = f->pf_next)
		count++;
	if (count >= PC_FILTERS_MAX)
		return vim_fault(c, "InvalidState", NULL,
				 "this session already has %d filters",
				 PC_FILTERS_MAX);
	/* Checked now, so a bad spec is the caller's fault, not a wait's. */
	if (pc_collect_spec(c, spec, &v, &n) < 0)
		return 0;
	pc_contents_free(v, n);
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return vim_fault(c, "SystemError", "<reason>memory</reason>",
				 "out of memory");
	f->pf_spec = soap_node_copy(spec);
	if (f->pf_spec == NULL) {
		filter_free(f);
		return vim_fault(c, "SystemError", "<reason>memory</reason>",
				 "out of memory");
	}
	snprintf(f->pf_id, sizeof(f->pf_id), "session-filter-%u",
		 ++s->vs_next_id);
	snprintf(f->pf_collector, sizeof(f->pf_collector), "%s",
		 c->vc_req->sr_this);
	f->pf_next = s->vs_filters;
	s->vs_filters = f;
	xmlout_moref(&c->vc_out, "returnval", "PropertyFilter", f->pf_id);
	return 0;
}

static int destroy_property_filter(struct vim_call *c)
{
	struct pc_filter **pp = &c->vc_session->vs_filters;

	for (; *pp != NULL; pp = &(*pp)->pf_next)
		if (strcmp((*pp)->pf_id, c->vc_req->sr_this) == 0) {
			struct pc_filter *f = *pp;
			*pp = f->pf_next;
			filter_free(f);
			return 0;
		}
	return vim_fault_not_found(c);
}

static const struct pc_content *find_content(const struct pc_content *v,
					     size_t n,
					     const struct pc_content *want)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].pc_id, want->pc_id) == 0 &&
		    strcmp(v[i].pc_type, want->pc_type) == 0)
			return &v[i];
	return NULL;
}

static const struct pc_prop *find_prop(const struct pc_content *pc,
				       const char *path)
{
	for (size_t i = 0; i < pc->pc_n; i++)
		if (strcmp(pc->pc_props[i].pp_path, path) == 0)
			return &pc->pc_props[i];
	return NULL;
}

static void change(struct xmlout *xo, const char *path, const char *val)
{
	xmlout_raw(xo, "<changeSet>");
	xmlout_elem(xo, "name", path);
	/* An unset value is an assign without val. */
	xmlout_raw(xo, "<op>assign</op>");
	if (val != NULL)
		xmlout_raw(xo, val);
	xmlout_raw(xo, "</changeSet>");
}

static void object_update(struct xmlout *xo, const char *kind,
			  const struct pc_content *pc)
{
	xmlout_printf(xo, "<objectSet><kind>%s</kind><obj type=\"%s\">", kind,
		      pc->pc_type);
	xmlout_text(xo, pc->pc_id);
	xmlout_raw(xo, "</obj>");
}

/*
 * The FilterUpdate between what f reported last and now[n], into xo.
 * Returns the number of object updates written.
 */
static int filter_update(struct xmlout *xo, const struct pc_filter *f,
			 const struct pc_content *now, size_t n)
{
	struct xmlout body;
	int updates = 0;

	xmlout_init(&body);
	for (size_t i = 0; i < n; i++) {
		const struct pc_content *old =
			find_content(f->pf_last, f->pf_last_n, &now[i]);
		struct xmlout changes;
		int changed = 0;
		xmlout_init(&changes);
		for (size_t k = 0; k < now[i].pc_n; k++) {
			const struct pc_prop *p = &now[i].pc_props[k];
			const struct pc_prop *q =
				old != NULL ? find_prop(old, p->pp_path) : NULL;
			if (q != NULL && strcmp(q->pp_val, p->pp_val) == 0)
				continue;
			change(&changes, p->pp_path, p->pp_val);
			changed = 1;
		}
		for (size_t k = 0; old != NULL && k < old->pc_n; k++)
			if (find_prop(&now[i], old->pc_props[k].pp_path) ==
			    NULL) {
				change(&changes, old->pc_props[k].pp_path,
				       NULL);
				changed = 1;
			}
		if (old == NULL || changed) {
			object_update(&body, old == NULL ? "enter" : "modify",
				      &now[i]);
			if (changes.xo_data != NULL)
				xmlout_raw(&body, changes.xo_data);
			xmlout_raw(&body, "</objectSet>");
			updates++;
		}
		xmlout_free(&changes);
	}
	for (size_t i = 0; i < f->pf_last_n; i++)
		if (find_content(now, n, &f->pf_last[i]) == NULL) {
			object_update(&body, "leave", &f->pf_last[i]);
			xmlout_raw(&body, "</objectSet>");
			updates++;
		}
	if (updates > 0) {
		xmlout_raw(xo, "<filterSet>");
		xmlout_moref(xo, "filter", "PropertyFilter", f->pf_id);
		xmlout_raw(xo, body.xo_data);
		xmlout_raw(xo, "</filterSet>");
	}
	if (body.xo_oom)
		xo->xo_oom = 1;
	xmlout_free(&body);
	return updates;
}

/*
 * Evaluate the collector's filters; with updates, write the UpdateSet as
 * returnval, remember what was reported and return 1; 0 when nothing
 * changed; -1 after a fault.
 */
static int updates_now(struct vim_call *c, const char *collector)
{
	struct vim_session *s = c->vc_session;
	struct xmlout sets;
	int total = 0, rc = 0;
	struct {
		struct pc_filter *f;
		struct pc_content *v;
		size_t n;
	} snap[PC_FILTERS_MAX];
	size_t ns = 0;

	xmlout_init(&sets);
	for (struct pc_filter *f = s->vs_filters; f != NULL; f = f->pf_next) {
		struct pc_content *v;
		size_t n;
		if (strcmp(f->pf_collector, collector) != 0)
			continue;
		if (pc_collect_spec(c, f->pf_spec, &v, &n) < 0) {
			rc = -1;
			break;
		}
		total += filter_update(&sets, f, v, n);
		snap[ns].f = f;
		snap[ns].v = v;
		snap[ns].n = n;
		ns++;
	}
	if (rc == 0 && sets.xo_oom) {
		vim_fault(c, "SystemError", "<reason>memory</reason>",
			  "out of memory");
		rc = -1;
	}
	if (rc == 0 && total > 0) {
		for (size_t i = 0; i < ns; i++) {
			pc_contents_free(snap[i].f->pf_last,
					 snap[i].f->pf_last_n);
			snap[i].f->pf_last = snap[i].v;
			snap[i].f->pf_last_n = snap[i].n;
			snap[i].v = NULL;
		}
		s->vs_version++;
		xmlout_printf(&c->vc_out,
			      "<returnval><version>%llu</version>%s"
			      "</returnval>",
			      s->vs_version, sets.xo_data);
		rc = 1;
	}
	for (size_t i = 0; i < ns; i++)
		if (snap[i].v != NULL)
			pc_contents_free(snap[i].v, snap[i].n);
	xmlout_free(&sets);
	return rc;
}

/* ex: WaitForUpdatesEx (options, a timeout); else WaitForUpdates (none)
 * or, with poll, CheckForUpdates. */
static int wait_updates(struct vim_call *c, int ex, int poll)
{
	struct hostd *h = c->vc_hostd;
	char version[32] = "", wait_text[16] = "", key[VIM_SESSION_KEY_BYTES];
	char collector[SOAP_ID_MAX];
	long wait_s = -1;
	unsigned cancels;
	struct timespec deadline;

	if (!this_collector(c))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "version"), version,
		      sizeof(version)) == -E2BIG)
		return vim_fault_invalid_argument(c, "version");
	if (ex && soap_text(soap_child(soap_arg(c->vc_req, "options"),
				       "maxWaitSeconds"),
			    wait_text, sizeof(wait_text)) == 0) {
		char *end;
		wait_s = strtol(wait_text, &end, 10);
		if (*end != '\0' || wait_s < 0)
			return vim_fault_invalid_argument(
				c, "options.maxWaitSeconds");
	}
	if (poll)
		wait_s = 0;
	if (wait_s < 0 || wait_s > h->hd_wait_max_s)
		wait_s = h->hd_wait_max_s;
	snprintf(collector, sizeof(collector), "%s", c->vc_req->sr_this);
	if (version[0] == '\0') {
		/* From the start: everything enters again. */
		for (struct pc_filter *f = c->vc_session->vs_filters; f != NULL;
		     f = f->pf_next)
			if (strcmp(f->pf_collector, collector) == 0) {
				pc_contents_free(f->pf_last, f->pf_last_n);
				f->pf_last = NULL;
				f->pf_last_n = 0;
			}
	}
	memcpy(key, c->vc_session->vs_key, sizeof(key));
	cancels = c->vc_session->vs_cancel_waits;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += wait_s;
	for (;;) {
		struct timespec now;
		int r = updates_now(c, collector);
		if (r != 0 || wait_s == 0)
			return 0; /* an update, a fault, or a poll */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > deadline.tv_sec ||
		    (now.tv_sec == deadline.tv_sec &&
		     now.tv_nsec >= deadline.tv_nsec))
			return 0; /* timed out: no returnval */
		/* A waiting session is busy, not idle: no timeout ends it. */
		c->vc_session->vs_waiting++;
		pthread_cond_timedwait(&h->hd_changed, &h->hd_lock, &deadline);
		/* Others ran meanwhile: is the session still there? */
		c->vc_session = vim_session_find_key(h, key);
		if (c->vc_session == NULL)
			return vim_fault(c, "NotAuthenticated", NULL,
					 "the session ended during the wait");
		c->vc_session->vs_waiting--;
		c->vc_session->vs_active = time(NULL);
		if (c->vc_session->vs_cancel_waits != cancels)
			return vim_fault(c, "RequestCanceled", NULL,
					 "the wait was canceled");
	}
}

static int wait_for_updates_ex(struct vim_call *c)
{
	return wait_updates(c, 1, 0);
}

static int wait_for_updates(struct vim_call *c)
{
	return wait_updates(c, 0, 0);
}

static int check_for_updates(struct vim_call *c)
{
	return wait_updates(c, 0, 1);
}

static int cancel_wait_for_updates(struct vim_call *c)
{
	if (!this_collector(c))
		return vim_fault_not_found(c);
	c->vc_session->vs_cancel_waits++;
	vim_changed(c->vc_hostd);
	return 0;
}

const struct vim_method vim_property_filter_methods[] = {
	{"CreateFilter", "PropertyCollector", 0, create_filter},
	{"DestroyPropertyFilter", "PropertyFilter", 0, destroy_property_filter},
	{"WaitForUpdatesEx", "PropertyCollector", 0, wait_for_updates_ex},
	{"WaitForUpdates", "PropertyCollector", 0, wait_for_updates},
	{"CheckForUpdates", "PropertyCollector", 0, check_for_updates},
	{"CancelWaitForUpdates", "PropertyCollector", 0,
	 cancel_wait_for_updates},
	{"CreatePropertyCollector", "PropertyCollector", 0,
	 create_property_collector},
	{"DestroyPropertyCollector", "PropertyCollector", 0,
	 destroy_property_collector},
	{NULL, NULL, 0, NULL},
};
