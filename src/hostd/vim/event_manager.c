/*
 * event_manager.c: events and QueryEvents (by entity, type, chain, time,
 * user, at most maxCount of the newest).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "hostd/hostd.h"
#include "hostd/vim/event.h"

#define QUERY_MAX 1000

struct vim_event *vim_event_post(struct hostd *h, const char *type,
				 const char *user, int vm_id,
				 const char *vm_name, int chain,
				 const char *fmt, ...)
{
	struct vim_event *ev = &h->hd_events[h->hd_event_next % EVENTS_KEPT];
	va_list ap;

	memset(ev, 0, sizeof(*ev));
	ev->ev_key = (int)++h->hd_event_next;
	ev->ev_chain = chain > 0 ? chain : ev->ev_key;
	ev->ev_time = time(NULL);
	snprintf(ev->ev_type, sizeof(ev->ev_type), "%s", type);
	snprintf(ev->ev_user, sizeof(ev->ev_user), "%s",
		 user != NULL ? user : "");
	ev->ev_vm = vm_id;
	snprintf(ev->ev_vm_name, sizeof(ev->ev_vm_name), "%s",
		 vm_name != NULL ? vm_name : "");
	va_start(ap, fmt);
	vsnprintf(ev->ev_msg, sizeof(ev->ev_msg), fmt, ap);
	va_end(ap);
	log_info("event %d %s: %s", ev->ev_key, type, ev->ev_msg);
	vim_changed(h);
	return ev;
}

static struct vval *event_vval(struct hostd *h, const struct vim_event *ev)
{
	struct vval *e = vval_obj(NULL, NULL, ev->ev_type);
	struct vval *a;
	char t[40], id[16];

	vval_int(e, "key", "xsd:int", ev->ev_key);
	vval_int(e, "chainId", "xsd:int", ev->ev_chain);
	vim_datetime(t, sizeof(t), ev->ev_time);
	vval_prim(e, "createdTime", "xsd:dateTime", t);
	vval_str(e, "userName", ev->ev_user);
	a = vval_obj(e, "datacenter", "DatacenterEventArgument");
	vval_str(a, "name", "ha-datacenter");
	vval_moref(a, "datacenter", "Datacenter", "ha-datacenter");
	a = vval_obj(e, "computeResource", "ComputeResourceEventArgument");
	vval_str(a, "name", h->hd_hostname);
	vval_moref(a, "computeResource", "ComputeResource", "ha-compute-res");
	a = vval_obj(e, "host", "HostEventArgument");
	vval_str(a, "name", h->hd_hostname);
	vval_moref(a, "host", "HostSystem", "ha-host");
	if (ev->ev_vm > 0) {
		snprintf(id, sizeof(id), "%d", ev->ev_vm);
		a = vval_obj(e, "vm", "VmEventArgument");
		vval_str(a, "name", ev->ev_vm_name);
		vval_moref(a, "vm", "VirtualMachine", id);
	}
	vval_str(e, "fullFormattedMessage", ev->ev_msg);
	if (strncmp(ev->ev_type, "Vm", 2) == 0) {
		vval_bool(e, "template", 0);
		if (strcmp(ev->ev_type, "VmReconfiguredEvent") == 0)
			vval_obj(e, "configSpec", "VirtualMachineConfigSpec");
	} else if (strcmp(ev->ev_type, "UserLoginSessionEvent") == 0) {
		vval_str(e, "ipAddress", ev->ev_ip);
		vval_str(e, "locale", "en");
		vval_str(e, "sessionId", ev->ev_session);
	} else if (strcmp(ev->ev_type, "UserLogoutSessionEvent") == 0) {
		vval_str(e, "ipAddress", ev->ev_ip);
		vval_str(e, "sessionId", ev->ev_session);
	} else if (strncmp(ev->ev_type, "GeneralHost", 11) == 0) {
		vval_str(e, "message", ev->ev_msg);
	}
	return e;
}

/* "2026-12-02T01:00:00..." as UTC (offsets other than Z are not
 * applied; clients send UTC). -1 when not a dateTime. */
static time_t parse_time(const char *s)
{
	struct tm tm = {0};

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return timegm(&tm);
}

/* Does the event match the filter spec f? -1 after a fault. */
static int matches(struct vim_call *c, const struct vim_event *ev,
		   struct soap_node *f)
{
	struct soap_node *n;
	char buf[128];

	n = soap_child(soap_child(f, "entity"), "entity");
	if (n != NULL) {
		char type[SOAP_NAME_MAX];
		const char *t = soap_attr(n, "type");
		snprintf(type, sizeof(type), "%s", t != NULL ? t : "");
		if (soap_text(n, buf, sizeof(buf)) < 0)
			return vim_fault_invalid_argument(c, "filter.entity"),
			       -1;
		/* A VM: its own events; anything above: all of them. */
		if (strcmp(type, "VirtualMachine") == 0 &&
		    atoi(buf) != ev->ev_vm)
			return 0;
	}
	if (soap_child(f, "type") != NULL ||
	    soap_child(f, "eventTypeId") != NULL) {
		int hit = 0;
		for (n = soap_child(f, "type"); n != NULL;
		     n = soap_next(n, "type"))
			hit |= soap_text(n, buf, sizeof(buf)) == 0 &&
			       strcmp(buf, ev->ev_type) == 0;
		for (n = soap_child(f, "eventTypeId"); n != NULL;
		     n = soap_next(n, "eventTypeId"))
			hit |= soap_text(n, buf, sizeof(buf)) == 0 &&
			       (strcmp(buf, ev->ev_type) == 0 ||
				(strncmp(buf, "vim.event.", 10) == 0 &&
				 strcmp(buf + 10, ev->ev_type) == 0));
		if (!hit)
			return 0;
	}
	if (soap_text(soap_child(f, "eventChainId"), buf, sizeof(buf)) == 0 &&
	    atoi(buf) != ev->ev_chain)
		return 0;
	n = soap_child(f, "time");
	if (n != NULL) {
		if (soap_text(soap_child(n, "beginTime"), buf, sizeof(buf)) ==
			    0 &&
		    ev->ev_time < parse_time(buf))
			return 0;
		if (soap_text(soap_child(n, "endTime"), buf, sizeof(buf)) ==
			    0 &&
		    ev->ev_time > parse_time(buf))
			return 0;
	}
	n = soap_child(f, "userName");
	if (n != NULL && soap_child(n, "userList") != NULL) {
		int hit = 0;
		for (struct soap_node *u = soap_child(n, "userList"); u != NULL;
		     u = soap_next(u, "userList"))
			hit |= soap_text(u, buf, sizeof(buf)) == 0 &&
			       strcmp(buf, ev->ev_user) == 0;
		if (!hit)
			return 0;
	}
	return 1;
}

/* A VM's events show to those who may read the VM, the host's (logins
 * among them) to those who may read the host. */
static int visible(struct vim_call *c, const struct vim_event *ev)
{
	char id[16];

	if (ev->ev_vm == 0)
		return vim_may_read(c, "HostSystem", "ha-host");
	snprintf(id, sizeof(id), "%d", ev->ev_vm);
	return vim_may_read(c, "VirtualMachine", id);
}

static int query_events(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct soap_node *f = soap_arg(c->vc_req, "filter");
	char buf[16];
	int max = QUERY_MAX, n = 0;
	unsigned first;

	if (strcmp(c->vc_req->sr_this, "ha-eventmgr") != 0)
		return vim_fault_not_found(c);
	if (f == NULL)
		return vim_fault_invalid_argument(c, "filter");
	if (soap_text(soap_child(f, "maxCount"), buf, sizeof(buf)) == 0)
		max = atoi(buf) > 0 && atoi(buf) < QUERY_MAX ? atoi(buf)
							     : QUERY_MAX;
	/* The newest max matches, oldest first, as ESXi answers. */
	first = h->hd_event_next > EVENTS_KEPT ? h->hd_event_next - EVENTS_KEPT
					       : 0;
	{
		unsigned picked[EVENTS_KEPT];
		int k = 0;
		for (unsigned i = h->hd_event_next; i > first && k < max; i--) {
			const struct vim_event *ev =
				&h->hd_events[(i - 1) % EVENTS_KEPT];
			int m = matches(c, ev, f);
			if (m < 0)
				return 0;
			if (m && visible(c, ev))
				picked[k++] = i - 1;
		}
		for (n = k - 1; n >= 0; n--) {
			struct vval *v = event_vval(
				h, &h->hd_events[picked[n] % EVENTS_KEPT]);
			if (v != NULL)
				vval_write(&c->vc_out, "returnval", v);
			vval_free(v);
		}
	}
	return 0;
}

static int em_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ha-eventmgr") == 0;
}

static enum mo_prop_result em_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	struct hostd *h = c->vc_hostd;

	*out = NULL;
	if (!em_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "latestEvent") == 0) {
		const struct vim_event *ev;
		if (h->hd_event_next == 0)
			return MO_PROP_UNSET;
		ev = &h->hd_events[(h->hd_event_next - 1) % EVENTS_KEPT];
		if (!visible(c, ev))
			return MO_PROP_UNSET;
		*out = event_vval(h, ev);
	} else if (strcmp(name, "maxCollector") == 0) {
		*out = vval_int(NULL, NULL, "xsd:int", 0);
	} else {
		return MO_PROP_UNKNOWN;
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const em_props[] = {"latestEvent", "maxCollector", NULL};

const struct mo_type mo_event_manager = {
	.mt_name = "EventManager",
	.mt_exists = em_exists,
	.mt_prop = em_prop,
	.mt_props = em_props,
};

const struct vim_method vim_event_manager_methods[] = {
	{"QueryEvents", "EventManager", 0, query_events},
	{NULL, NULL, 0, NULL},
};
