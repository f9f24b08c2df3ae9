/*
 * service_system.c: HostServiceSystem ha-service-system (issue 9): the
 * host's services as the reference lists them. "hostd" is the
 * management agents (hostd and rhttpproxy): always on; RestartService
 * restarts both while the VMs keep running (the console's "Restart
 * Management Agents"). On the appliance init does it; hosted, hostd ends
 * with HOSTD_EXIT_RESTART and scripts/hosted.sh starts both again.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/mo.h"

#define SERVICE_ID "ha-service-system"

static const struct {
	const char *key, *label;
} services[] = {
	{"hostd", "Management agents (hostd, rhttpproxy)"},
};
#define N_SERVICES (sizeof(services) / sizeof(*services))

static int ss_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, SERVICE_ID) == 0;
}

static struct vval *service_info(void)
{
	struct vval *si = vval_obj(NULL, NULL, "HostServiceInfo");
	struct vval *a = vval_array(si, "service", "HostService");

	for (size_t i = 0; i < N_SERVICES; i++) {
		struct vval *s = vval_obj(a, NULL, "HostService");
		vval_str(s, "key", services[i].key);
		vval_str(s, "label", services[i].label);
		vval_bool(s, "required", 1);
		vval_bool(s, "uninstallable", 0);
		vval_bool(s, "running", 1);
		vval_str(s, "policy", "on");
	}
	return si;
}

static enum mo_prop_result ss_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	*out = NULL;
	if (!ss_exists(c, id) || strcmp(name, "serviceInfo") != 0)
		return MO_PROP_UNKNOWN;
	*out = service_info();
	return MO_PROP_SET;
}

static const char *const ss_props[] = {"serviceInfo", NULL};

const struct mo_type mo_service_system = {
	.mt_name = "HostServiceSystem",
	.mt_exists = ss_exists,
	.mt_prop = ss_prop,
	.mt_props = ss_props,
};

/* The service named by argument "id", or -1 (answered). */
static int service_arg(struct vim_call *c)
{
	char id[64];

	if (!ss_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c), -1;
	if (soap_text(soap_arg(c->vc_req, "id"), id, sizeof(id)) < 0)
		return vim_fault_invalid_argument(c, "id"), -1;
	for (size_t i = 0; i < N_SERVICES; i++)
		if (strcmp(services[i].key, id) == 0)
			return (int)i;
	vim_fault(c, "NotFound", NULL, "no service '%s' on this host", id);
	return -1;
}

static int restart_service(struct vim_call *c)
{
	int i = service_arg(c);

	if (i < 0)
		return 0;
	log_info("api: %s (from %s) restarts the management agents",
		 c->vc_session->vs_user, c->vc_session->vs_peer);
	switch (host_restart_agents(c->vc_hostd)) {
	case 0:
		break;
	case -EOPNOTSUPP:
		return vim_fault(c, "NotSupported", NULL,
				 "this hosted hostd has no runner to start it "
				 "again (scripts/hosted.sh, make hosted)");
	default:
		return vim_fault(c, "HostConfigFault", NULL,
				 "cannot restart the management agents");
	}
	return 0;
}

/* The management agents always run: stopping them would cut the host
 * off, and they run already. */
static int start_stop(struct vim_call *c)
{
	int i = service_arg(c);

	if (i < 0)
		return 0;
	return vim_fault(c, "InvalidState", NULL,
			 "%s always runs: RestartService restarts it",
			 services[i].label);
}

static int update_policy(struct vim_call *c)
{
	char policy[16];
	int i = service_arg(c);

	if (i < 0)
		return 0;
	if (soap_text(soap_arg(c->vc_req, "policy"), policy, sizeof(policy)) <
		    0 ||
	    strcmp(policy, "on") != 0)
		return vim_fault(c, "InvalidArgument",
				 "<invalidProperty>policy</invalidProperty>",
				 "%s always runs: its policy is \"on\"",
				 services[i].label);
	return 0;
}

static int refresh(struct vim_call *c)
{
	if (!ss_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	return 0;
}

const struct vim_method vim_service_system_methods[] = {
	{"RestartService", "HostServiceSystem", 0, restart_service},
	{"StartService", "HostServiceSystem", 0, start_stop},
	{"StopService", "HostServiceSystem", 0, start_stop},
	{"UpdateServicePolicy", "HostServiceSystem", 0, update_policy},
	{"RefreshServices", "HostServiceSystem", 0, refresh},
	{NULL, NULL, 0, NULL},
};
