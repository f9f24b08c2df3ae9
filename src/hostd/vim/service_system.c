/*
 * service_system.c: HostServiceSystem ha-service-system (issue 9): the
 * host's services as the reference lists them. "hostd" is the
 * management agents (hostd and rhttpproxy): always on; RestartService
 * restarts both while the VMs keep running (the console's "Restart
 * Management Agents"). On the appliance init does it; hosted, hostd ends
 * with HOSTD_EXIT_RESTART and scripts/hosted.sh starts both again.
 *
 * "TSM" is the support shell, the appliance's only (hosted:
 * NotSupported): started, hostd writes the run folder's mark
 * SHELL_MARK ("until=<epoch>", 0: no end, from UserVars.ESXiShellTimeOut)
 * and asks init (SIGUSR1), which runs its login on the console and ends
 * it when the time is up (init/shell.c); stopped, the mark goes. Its
 * policy ("on": started with hostd) is kept in <confdir>/services.conf.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/kvcfg.h"
#include "common/log.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/mo.h"

#define SERVICE_ID "ha-service-system"

#define SERVICES_FILE "services.conf"

static const struct {
	const char *key, *label;
	int always; /* runs whenever hostd does */
} services[] = {
	{"hostd", "Management agents (hostd, rhttpproxy)", 1},
	{"TSM", "Support shell (console)", 0},
};
#define N_SERVICES (sizeof(services) / sizeof(*services))
#define S_TSM	   1

static void shell_mark(const struct hostd *h, char *path, size_t size)
{
	snprintf(path, size, "%.*s/" SHELL_MARK, PATH_MAX, h->hd_rundir);
}

/* The support shell runs: its mark is there and its time not up. */
static int shell_running(const struct hostd *h)
{
	char path[PATH_MAX + 32], line[64];
	long long until = 0;

	shell_mark(h, path, sizeof(path));
	file_read_line(path, line, sizeof(line));
	if (sscanf(line, "until=%lld", &until) != 1)
		return 0;
	return until == 0 || until > (long long)time(NULL);
}

/* "on" or "off" from services.conf. */
static const char *shell_policy(const struct hostd *h)
{
	char path[PATH_MAX + 32];
	struct kvcfg cfg;
	struct kvcfg_entry *en;
	struct err e = {0};
	const char *p = "off";

	snprintf(path, sizeof(path), "%.*s/" SERVICES_FILE, PATH_MAX,
		 h->hd_confdir);
	if (kvcfg_load(&cfg, path, &e) < 0)
		return p;
	en = kvcfg_find(&cfg, "TSM.policy");
	if (en != NULL && strcmp(en->ke_value, "on") == 0)
		p = "on";
	kvcfg_free(&cfg);
	return p;
}

static int shell_set_policy(const struct hostd *h, int on, struct err *e)
{
	char path[PATH_MAX + 32], text[128];
	int n = snprintf(text, sizeof(text),
			 "# Basalt services (written by hostd)\n"
			 "TSM.policy = \"%s\"\n",
			 on ? "on" : "off");

	snprintf(path, sizeof(path), "%.*s/" SERVICES_FILE, PATH_MAX,
		 h->hd_confdir);
	return file_write_atomic(path, text, (size_t)n, 0644, e);
}

int service_shell_set(struct hostd *h, int on, struct err *e)
{
	char path[PATH_MAX + 32], text[64];
	const struct adv_def *d;
	size_t i;
	long long secs = 0;
	int rc = 0;

	if (!h->hd_appliance)
		return err_set(e, -EOPNOTSUPP,
			       "the support shell is the appliance's: a hosted "
			       "host has no console of its own");
	shell_mark(h, path, sizeof(path));
	if (on) {
		d = adv_find("UserVars.ESXiShellTimeOut", &i);
		if (d != NULL)
			secs = strtoll(adv_get(h, i), NULL, 10);
		int n = snprintf(text, sizeof(text), "until=%lld\n",
				 secs > 0 ? (long long)time(NULL) + secs : 0);
		rc = file_write_atomic(path, text, (size_t)n, 0644, e);
	} else if (unlink(path) < 0 && errno != ENOENT) {
		rc = err_set(e, -errno, "%s: %s", path, strerror(errno));
	}
	if (rc == 0 && kill(1, SIGUSR1) < 0)
		rc = err_set(e, -errno, "asking init: %s", strerror(errno));
	if (rc == 0)
		log_info("the support shell is %s%s", on ? "on" : "off",
			 on && secs > 0 ? " (UserVars.ESXiShellTimeOut)" : "");
	return rc;
}

void service_start_policy(struct hostd *h)
{
	struct err e = {0};

	if (h->hd_appliance && strcmp(shell_policy(h), "on") == 0 &&
	    !shell_running(h) && service_shell_set(h, 1, &e) < 0)
		log_warnx("support shell (policy on): %s", err_msg(&e));
}

static int ss_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, SERVICE_ID) == 0;
}

static struct vval *service_info(const struct hostd *h)
{
	struct vval *si = vval_obj(NULL, NULL, "HostServiceInfo");
	struct vval *a = vval_array(si, "service", "HostService");

	for (size_t i = 0; i < N_SERVICES; i++) {
		struct vval *s = vval_obj(a, NULL, "HostService");
		vval_str(s, "key", services[i].key);
		vval_str(s, "label", services[i].label);
		vval_bool(s, "required", services[i].always);
		vval_bool(s, "uninstallable", 0);
		vval_bool(s, "running", services[i].always || shell_running(h));
		vval_str(s, "policy",
			 services[i].always ? "on" : shell_policy(h));
	}
	return si;
}

static enum mo_prop_result ss_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	*out = NULL;
	if (!ss_exists(c, id) || strcmp(name, "serviceInfo") != 0)
		return MO_PROP_UNKNOWN;
	*out = service_info(c->vc_hostd);
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

/* Start (on 1) or stop the support shell; answered. */
static int shell_call(struct vim_call *c, int on)
{
	struct err e = {0};
	int rc = service_shell_set(c->vc_hostd, on, &e);

	if (rc == -EOPNOTSUPP)
		return vim_fault(c, "NotSupported", NULL, "%s", err_msg(&e));
	if (rc < 0)
		return vim_fault(c, "HostConfigFault", NULL, "%s", err_msg(&e));
	log_info("api: %s (from %s) turned the support shell %s",
		 c->vc_session->vs_user, c->vc_session->vs_peer,
		 on ? "on" : "off");
	vim_changed(c->vc_hostd);
	return 0;
}

static int restart_service(struct vim_call *c)
{
	int i = service_arg(c);

	if (i < 0)
		return 0;
	if (i == S_TSM)
		return shell_call(c, 1);
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
static int start_stop(struct vim_call *c, int start)
{
	int i = service_arg(c);

	if (i < 0)
		return 0;
	if (i == S_TSM)
		return shell_call(c, start);
	return vim_fault(c, "InvalidState", NULL,
			 "%s always runs: RestartService restarts it",
			 services[i].label);
}

static int start_service(struct vim_call *c)
{
	return start_stop(c, 1);
}

static int stop_service(struct vim_call *c)
{
	return start_stop(c, 0);
}

static int update_policy(struct vim_call *c)
{
	char policy[16];
	int i = service_arg(c);

	if (i < 0)
		return 0;
	if (i == S_TSM) {
		struct err e = {0};
		if (soap_text(soap_arg(c->vc_req, "policy"), policy,
			      sizeof(policy)) < 0 ||
		    (strcmp(policy, "on") != 0 && strcmp(policy, "off") != 0))
			return vim_fault(c, "InvalidArgument",
					 "<invalidProperty>policy"
					 "</invalidProperty>",
					 "the support shell's policy is \"on\" "
					 "(started with the host) or \"off\"");
		if (shell_set_policy(c->vc_hostd, policy[1] == 'n', &e) < 0)
			return vim_fault(c, "HostConfigFault", NULL, "%s",
					 err_msg(&e));
		vim_changed(c->vc_hostd);
		return 0;
	}
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
	{"StartService", "HostServiceSystem", 0, start_service},
	{"StopService", "HostServiceSystem", 0, stop_service},
	{"UpdateServicePolicy", "HostServiceSystem", 0, update_policy},
	{"RefreshServices", "HostServiceSystem", 0, refresh},
	{NULL, NULL, 0, NULL},
};
