/*
 * dispatch.c: from a POST /sdk body to an answer. Parse, find the method
 * for _this's type, check the session, run it, wrap the result or the
 * fault in an envelope (../shared/docs/vi-api.md §4, §6).
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "hostd/audit.h"
#include "hostd/hostd.h"
#include "hostd/vim/event.h"
#include "hostd/vim/vim.h"

static const struct vim_method *const method_tables[] = {
	vim_service_instance_methods,
	vim_session_manager_methods,
	vim_property_collector_methods,
	vim_property_filter_methods,
	vim_view_manager_methods,
	vim_virtual_machine_methods,
	vim_vm_spec_methods,
	vim_event_manager_methods,
	vim_search_index_methods,
	vim_option_manager_methods,
	vim_certificate_manager_methods,
	vim_firmware_system_methods,
	vim_access_manager_methods,
	vim_service_system_methods,
	vim_diagnostic_manager_methods,
	vim_network_system_methods,
	vim_patch_manager_methods,
	vim_task_methods,
	vim_account_manager_methods,
	vim_authorization_manager_methods,
	vim_file_manager_methods,
	vim_datastore_browser_methods,
	vim_host_system_methods,
};

#define ENVELOPE_START                                                         \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<soapenv:Envelope "                                                   \
	"xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "         \
	"xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" "                      \
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"           \
	"<soapenv:Body>\n"
#define ENVELOPE_END	  "</soapenv:Body>\n</soapenv:Envelope>\n"
#define TRIM_ANSWER_BYTES (64u << 10)

void vim_init(struct hostd *h)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&h->hd_lock, NULL);
	/* Waits have deadlines on the monotonic clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->hd_changed, &ca);
	pthread_cond_init(&h->hd_login_done, &ca);
	pthread_condattr_destroy(&ca);
	h->hd_wait_max_s = VIM_WAIT_MAX_S;
	h->hd_syslog.ss_fd = -1; /* until main opens it */
}

void vim_changed(struct hostd *h)
{
	h->hd_generation++;
	pthread_cond_broadcast(&h->hd_changed);
}

void vim_datetime(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

int vim_fault(struct vim_call *c, const char *type, const char *fields,
	      const char *fmt, ...)
{
	char msg[ERR_MSG_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xmlout_free(&c->vc_out);
	c->vc_fault = 1;
	snprintf(c->vc_fault_type, sizeof(c->vc_fault_type), "%s", type);
	/* faultcode, faultstring and detail are unqualified (§6). */
	xmlout_raw(&c->vc_out, "<soapenv:Fault><faultcode>ServerFaultCode"
			       "</faultcode><faultstring>");
	xmlout_text(&c->vc_out, msg);
	xmlout_printf(&c->vc_out,
		      "</faultstring><detail><%sFault xmlns=\"urn:vim25\" "
		      "xsi:type=\"%s\">%s</%sFault></detail></soapenv:Fault>",
		      type, type, fields != NULL ? fields : "", type);
	return 0;
}

int vim_fault_field(struct vim_call *c, const char *type, const char *field,
		    const char *value, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX_BYTES];
	struct xmlout f;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xmlout_init(&f);
	xmlout_elem(&f, field, value);
	vim_fault(c, type, f.xo_oom ? NULL : f.xo_data, "%s", msg);
	xmlout_free(&f);
	return 0;
}

int vim_fault_invalid_argument(struct vim_call *c, const char *property)
{
	return vim_fault_field(
		c, "InvalidArgument", "invalidProperty", property,
		"A specified parameter was not correct: %s", property);
}

int vim_fault_gone(struct vim_call *c, const char *type, const char *id)
{
	struct xmlout f;
	int rc;

	xmlout_init(&f);
	xmlout_moref(&f, "obj", type, id);
	rc = vim_fault(c, "ManagedObjectNotFound", f.xo_oom ? NULL : f.xo_data,
		       "The object '%s:%s' has already been deleted or has "
		       "not been completely created",
		       type, id);
	xmlout_free(&f);
	return rc;
}

int vim_fault_not_found(struct vim_call *c)
{
	return vim_fault_gone(c, c->vc_req->sr_this_type, c->vc_req->sr_this);
}

static const struct vim_method *find_method(const struct soap_req *r,
					    int *name_known)
{
	*name_known = 0;
	for (size_t t = 0; t < sizeof(method_tables) / sizeof(*method_tables);
	     t++)
		for (const struct vim_method *m = method_tables[t];
		     m->vm_name != NULL; m++) {
			if (strcmp(m->vm_name, r->sr_name) != 0)
				continue;
			*name_known = 1;
			if (strcmp(m->vm_this_type, r->sr_this_type) == 0)
				return m;
		}
	return NULL;
}

static void call_method(struct vim_call *c)
{
	const struct soap_req *r = c->vc_req;
	const struct vim_method *m;
	struct xmlout f;
	int known;

	m = find_method(r, &known);
	if (m == NULL) {
		xmlout_init(&f);
		xmlout_moref(&f, "receiver", r->sr_this_type, r->sr_this);
		xmlout_elem(&f, "method", r->sr_name);
		vim_fault(c, "MethodNotFound", f.xo_oom ? NULL : f.xo_data,
			  known ? "Method %s is not a method of %s"
				: "Unknown method %s (on %s)",
			  r->sr_name, r->sr_this_type);
		xmlout_free(&f);
		return;
	}
	if (!m->vm_no_session && c->vc_session == NULL) {
		xmlout_init(&f);
		xmlout_moref(&f, "object", r->sr_this_type, r->sr_this);
		xmlout_elem(&f, "privilegeId", "System.View");
		vim_fault(c, "NotAuthenticated", f.xo_oom ? NULL : f.xo_data,
			  "The session is not authenticated.");
		xmlout_free(&f);
		return;
	}
	/* The privilege the method needs, on its target, before it runs. */
	if (vim_check_privilege(c) < 0)
		return;
	if (c->vc_session != NULL) {
		c->vc_session->vs_active = time(NULL);
		c->vc_session->vs_calls++;
	}
	m->vm_fn(c);
}

void vim_handle(struct hostd *h, const char *body, size_t len,
		const char *cookie, const char *peer, unsigned via,
		const char *user_agent, struct vim_answer *a)
{
	struct vim_call c = {
		.vc_hostd = h,
		.vc_peer = peer,
		.vc_tls = (via & VIM_VIA_TLS) != 0,
		.vc_console = (via & VIM_VIA_CONSOLE) != 0,
		.vc_user_agent = user_agent != NULL ? user_agent : "",
	};
	struct soap_req r;
	struct xmlout env;
	struct err e = {0};

	xmlout_init(&c.vc_out);
	c.vc_req = &r;
	pthread_mutex_lock(&h->hd_lock);
	if (soap_parse(body, len, &r, &e) < 0) {
		log_info("api: bad request from %s: %s", peer, err_msg(&e));
		vim_fault(&c, "InvalidRequest", NULL, "%s", err_msg(&e));
	} else {
		char user[VIM_USER_MAX] = "", from[VIM_PEER_MAX];
		c.vc_session = vim_session_find(h, cookie);
		/* A console session lives on the console socket only. */
		if (c.vc_session != NULL &&
		    c.vc_session->vs_console != c.vc_console)
			c.vc_session = NULL;
		snprintf(from, sizeof(from), "%s", peer);
		if (c.vc_session != NULL) {
			memcpy(user, c.vc_session->vs_user, sizeof(user));
			/* The console's: who logged in there. */
			if (c.vc_console)
				memcpy(from, c.vc_session->vs_peer,
				       sizeof(from));
		}
		call_method(&c);
		vim_access_free(&c);
		/* Logins and session ends audit themselves (with more to
		 * say); here every other call that changes something. */
		if (user[0] != '\0' && vim_method_changes(r.sr_name))
			audit(h, user, from, r.sr_name, r.sr_this_type,
			      r.sr_this, c.vc_fault ? c.vc_fault_type : "ok");
		log_debug("api: %s %s:%s from %s%s", r.sr_name, r.sr_this_type,
			  r.sr_this, peer, c.vc_fault ? ": fault" : "");
	}
	pthread_mutex_unlock(&h->hd_lock);

	xmlout_init(&env);
	xmlout_raw(&env, ENVELOPE_START);
	if (c.vc_fault || c.vc_out.xo_oom) {
		if (c.vc_out.xo_oom)
			vim_fault(&c, "SystemError",
				  "<reason>out of memory</reason>",
				  "out of memory");
		xmlout_raw(&env, c.vc_out.xo_data);
	} else {
		xmlout_printf(&env, "<%sResponse xmlns=\"urn:vim25\">",
			      r.sr_name);
		if (c.vc_out.xo_data != NULL)
			xmlout_raw(&env, c.vc_out.xo_data);
		xmlout_printf(&env, "</%sResponse>\n", r.sr_name);
	}
	xmlout_raw(&env, ENVELOPE_END);
	a->va_status = c.vc_fault ? 500 : 200;
	memcpy(a->va_set_cookie, c.vc_set_cookie, sizeof(a->va_set_cookie));
	if (env.xo_oom) {
		/* Not even a fault fits: an empty 500 says "failed". */
		a->va_status = 500;
		xmlout_free(&env);
	}
	a->va_body = xmlout_take(&env, &a->va_len);
	xmlout_free(&c.vc_out);
	soap_req_free(&r);
	/* A big answer (a listing of many VMs) leaves the heap big: give
	 * the free part back (a few ms, on calls that take tens). */
	if (a->va_len > TRIM_ANSWER_BYTES)
		malloc_trim(0);
}
