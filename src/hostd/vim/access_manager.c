/*
 * access_manager.c: HostAccessManager ha-host-access-manager (issue 9):
 * lockdown mode and its exception list as the reference host has them
 * (lockdown.h), and HostSystem's older EnterLockdownMode and
 * ExitLockdownMode, which the reference's clients still call. While
 * lockdown is on, logins over the network are refused (NoPermission)
 * unless the user is an exception; turning it on ends the sessions of
 * the others, the caller's own last.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "hostd/auth.h"
#include "hostd/hostd.h"
#include "hostd/lockdown.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/mo.h"

#define ACCESS_ID "ha-host-access-manager"

/* The system's own users, exceptions whatever the list says on the
 * reference; here only the console's (dcui) is, and it cannot log in
 * over the network at all. */
static const char *const system_users[] = {CONSOLE_USER, "vpxuser"};

static int am_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, ACCESS_ID) == 0;
}

static enum mo_prop_result am_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	*out = NULL;
	if (!am_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "lockdownMode") != 0)
		return MO_PROP_UNKNOWN;
	*out = vval_prim(NULL, NULL, "HostLockdownMode",
			 lockdown_mode_name(c->vc_hostd->hd_lockdown.ld_mode));
	return MO_PROP_SET;
}

static const char *const am_props[] = {"lockdownMode", NULL};

const struct mo_type mo_access_manager = {
	.mt_name = "HostAccessManager",
	.mt_exists = am_exists,
	.mt_prop = am_prop,
	.mt_props = am_props,
};

/* End the network sessions that lockdown now refuses, but the call's. */
static void end_refused_sessions(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;

	for (int i = 0; i < VIM_SESSIONS_MAX; i++) {
		struct vim_session *s = &h->hd_sessions[i];
		if (s->vs_key[0] == '\0' || s->vs_console ||
		    s == c->vc_session || lockdown_allows(h, s->vs_user, 0))
			continue;
		log_info("api: lockdown mode ends the session of %s from %s",
			 s->vs_user, s->vs_peer);
		vim_session_end(s);
	}
}

static int set_mode(struct vim_call *c, enum lockdown_mode mode)
{
	struct hostd *h = c->vc_hostd;
	struct lockdown l = h->hd_lockdown;
	struct err e = {0};

	if (mode == LOCKDOWN_STRICT && l.ld_nexceptions == 0)
		return vim_fault(c, "InvalidArgument",
				 "<invalidProperty>mode</invalidProperty>",
				 "strict lockdown mode with no exception "
				 "users would leave no way to manage the "
				 "host: add one first "
				 "(UpdateLockdownExceptions)");
	if (l.ld_mode == mode)
		return 0;
	l.ld_mode = mode;
	if (lockdown_set(h, &l, &e) < 0)
		return vim_fault(c, "HostConfigFault", NULL,
				 "cannot save the lockdown mode: %s",
				 err_msg(&e));
	log_info("api: %s (from %s) set %s", c->vc_session->vs_user,
		 c->vc_session->vs_peer, lockdown_mode_name(mode));
	if (mode != LOCKDOWN_DISABLED)
		end_refused_sessions(c);
	vim_changed(h);
	return 0;
}

static int change_mode(struct vim_call *c)
{
	char mode[32];
	int m;

	if (!am_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "mode"), mode, sizeof(mode)) < 0 ||
	    (m = lockdown_mode_parse(mode)) < 0)
		return vim_fault_invalid_argument(c, "mode");
	return set_mode(c, (enum lockdown_mode)m);
}

static int query_exceptions(struct vim_call *c)
{
	const struct lockdown *l = &c->vc_hostd->hd_lockdown;

	if (!am_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	for (size_t i = 0; i < l->ld_nexceptions; i++)
		xmlout_elem(&c->vc_out, "returnval", l->ld_exceptions[i]);
	return 0;
}

static int query_system_users(struct vim_call *c)
{
	if (!am_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	for (size_t i = 0; i < sizeof(system_users) / sizeof(*system_users);
	     i++)
		xmlout_elem(&c->vc_out, "returnval", system_users[i]);
	return 0;
}

static int update_exceptions(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct lockdown l = h->hd_lockdown;
	struct err e = {0};
	char user[LOCKDOWN_USER_MAX];

	if (!am_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	l.ld_nexceptions = 0;
	for (struct soap_node *n = soap_arg(c->vc_req, "users"); n != NULL;
	     n = soap_next(n, "users")) {
		if (soap_text(n, user, sizeof(user)) < 0 || user[0] == '\0' ||
		    strchr(user, ',') != NULL)
			return vim_fault_invalid_argument(c, "users");
		if (!auth_user_exists(h, user))
			return vim_fault_user_not_found(c, user);
		if (lockdown_is_exception(&l, user))
			continue;
		if (l.ld_nexceptions == LOCKDOWN_EXCEPTIONS_MAX)
			return vim_fault(c, "InvalidArgument",
					 "<invalidProperty>users"
					 "</invalidProperty>",
					 "at most %d exception users",
					 LOCKDOWN_EXCEPTIONS_MAX);
		snprintf(l.ld_exceptions[l.ld_nexceptions++], LOCKDOWN_USER_MAX,
			 "%s", user);
	}
	if (l.ld_mode == LOCKDOWN_STRICT && l.ld_nexceptions == 0)
		return vim_fault(c, "InvalidArgument",
				 "<invalidProperty>users</invalidProperty>",
				 "in strict lockdown mode the list cannot be "
				 "empty: no one could manage the host");
	if (lockdown_set(h, &l, &e) < 0)
		return vim_fault(c, "HostConfigFault", NULL,
				 "cannot save the exception list: %s",
				 err_msg(&e));
	if (l.ld_mode != LOCKDOWN_DISABLED)
		end_refused_sessions(c);
	vim_changed(h);
	return 0;
}

static int host_is(struct vim_call *c)
{
	return strcmp(c->vc_req->sr_this, "ha-host") == 0;
}

static int enter_lockdown(struct vim_call *c)
{
	if (!host_is(c))
		return vim_fault_not_found(c);
	if (c->vc_hostd->hd_lockdown.ld_mode != LOCKDOWN_DISABLED)
		return vim_fault(c, "HostConfigFault", NULL,
				 "the host is in lockdown mode already");
	return set_mode(c, LOCKDOWN_NORMAL);
}

static int exit_lockdown(struct vim_call *c)
{
	if (!host_is(c))
		return vim_fault_not_found(c);
	if (c->vc_hostd->hd_lockdown.ld_mode == LOCKDOWN_DISABLED)
		return vim_fault(c, "HostConfigFault", NULL,
				 "the host is not in lockdown mode");
	return set_mode(c, LOCKDOWN_DISABLED);
}

const struct vim_method vim_access_manager_methods[] = {
	{"ChangeLockdownMode", "HostAccessManager", 0, change_mode},
	{"QueryLockdownExceptions", "HostAccessManager", 0, query_exceptions},
	{"UpdateLockdownExceptions", "HostAccessManager", 0, update_exceptions},
	{"QuerySystemUsers", "HostAccessManager", 0, query_system_users},
	{"EnterLockdownMode", "HostSystem", 0, enter_lockdown},
	{"ExitLockdownMode", "HostSystem", 0, exit_lockdown},
	{NULL, NULL, 0, NULL},
};
