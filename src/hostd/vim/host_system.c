/*
 * host_system.c: HostSystem ha-host: the machine (hardware, summary,
 * runtime) from host_info.c, its datastores, in ha-compute-res.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "hostd/datastore.h"
#include "hostd/host_info.h"
#include "hostd/hostd.h"
#include "hostd/vim/entity.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/network.h"
#include "hostd/vim/task.h"
#include "common/log.h"
#include "common/thread.h"

static int host_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ha-host") == 0;
}

static void hardware_summary(const struct host_info *hi, struct vval *p)
{
	struct vval *s = vval_obj(p, "hardware", "HostHardwareSummary");

	vval_str(s, "vendor", hi->hi_vendor);
	vval_str(s, "model", hi->hi_model);
	vval_str(s, "uuid", hi->hi_uuid);
	vval_int(s, "memorySize", "xsd:long", hi->hi_mem_bytes);
	vval_str(s, "cpuModel", hi->hi_cpu_model);
	vval_int(s, "cpuMhz", "xsd:int", hi->hi_cpu_hz / 1000000);
	vval_int(s, "numCpuPkgs", "xsd:short", hi->hi_pkgs);
	vval_int(s, "numCpuCores", "xsd:short", hi->hi_cores);
	vval_int(s, "numCpuThreads", "xsd:short", hi->hi_threads);
	vval_int(s, "numNics", "xsd:int", hi->hi_nics);
	vval_int(s, "numHBAs", "xsd:int", 0);
}

/* HostRuntimeInfo as field name of p, or as a root (p, name NULL). */
static struct vval *runtime(const struct hostd *h, const struct host_info *hi,
			    struct vval *p, const char *name)
{
	struct vval *r = vval_obj(p, name, "HostRuntimeInfo");
	char t[40];

	vval_prim(r, "connectionState", "HostSystemConnectionState",
		  "connected");
	vval_prim(r, "powerState", "HostSystemPowerState", "poweredOn");
	vval_bool(r, "inMaintenanceMode", h->hd_maintenance);
	vim_datetime(t, sizeof(t), hi->hi_boot);
	vval_prim(r, "bootTime", "xsd:dateTime", t);
	return r;
}

static struct vval *summary(struct vim_call *c, const struct host_info *hi)
{
	struct vval *s = vval_obj(NULL, NULL, "HostListSummary");
	struct vval *cfg, *q;

	vval_moref(s, "host", "HostSystem", "ha-host");
	hardware_summary(hi, s);
	runtime(c->vc_hostd, hi, s, "runtime");
	cfg = vval_obj(s, "config", "HostConfigSummary");
	vval_str(cfg, "name", c->vc_hostd->hd_hostname);
	vval_int(cfg, "port", "xsd:int", 443);
	vim_about(c, cfg, "product");
	vval_bool(cfg, "vmotionEnabled", 0);
	vval_bool(cfg, "faultToleranceEnabled", 0);
	q = vval_obj(s, "quickStats", "HostListSummaryQuickStats");
	vval_int(q, "overallCpuUsage", "xsd:int", hi->hi_cpu_usage_mhz);
	vval_int(q, "overallMemoryUsage", "xsd:int",
		 (hi->hi_mem_bytes - hi->hi_mem_free_bytes) >> 20);
	vval_int(q, "uptime", "xsd:int", hi->hi_uptime_s);
	vval_prim(s, "overallStatus", "ManagedEntityStatus", "green");
	vval_bool(s, "rebootRequired", 0);
	return s;
}

static struct vval *hardware(const struct host_info *hi)
{
	struct vval *h = vval_obj(NULL, NULL, "HostHardwareInfo");
	struct vval *si, *ci, *pkgs, *b;

	si = vval_obj(h, "systemInfo", "HostSystemInfo");
	vval_str(si, "vendor", hi->hi_vendor);
	vval_str(si, "model", hi->hi_model);
	vval_str(si, "uuid", hi->hi_uuid);
	if (hi->hi_serial[0] != '\0')
		vval_str(si, "serialNumber", hi->hi_serial);
	ci = vval_obj(h, "cpuInfo", "HostCpuInfo");
	vval_int(ci, "numCpuPackages", "xsd:short", hi->hi_pkgs);
	vval_int(ci, "numCpuCores", "xsd:short", hi->hi_cores);
	vval_int(ci, "numCpuThreads", "xsd:short", hi->hi_threads);
	vval_int(ci, "hz", "xsd:long", hi->hi_cpu_hz);
	pkgs = vval_array(h, "cpuPkg", "HostCpuPackage");
	for (int p = 0; p < hi->hi_pkgs; p++) {
		struct vval *k = vval_obj(pkgs, NULL, "HostCpuPackage");
		struct vval *th;
		int per = hi->hi_threads / hi->hi_pkgs;
		vval_int(k, "index", "xsd:short", p);
		vval_str(k, "vendor", hi->hi_cpu_vendor);
		vval_int(k, "hz", "xsd:long", hi->hi_cpu_hz);
		vval_int(k, "busHz", "xsd:long", 100000000);
		vval_str(k, "description", hi->hi_cpu_model);
		th = vval_array(k, "threadId", "short");
		for (int t = 0; t < per; t++)
			vval_int(th, NULL, "xsd:short", p * per + t);
	}
	vval_int(h, "memorySize", "xsd:long", hi->hi_mem_bytes);
	vval_bool(h, "smcPresent", 0);
	b = vval_obj(h, "biosInfo", "HostBIOSInfo");
	if (hi->hi_bios_version[0] != '\0')
		vval_str(b, "biosVersion", hi->hi_bios_version);
	if (hi->hi_bios_date[0] != '\0')
		vval_prim(b, "releaseDate", "xsd:dateTime", hi->hi_bios_date);
	if (hi->hi_bios_vendor[0] != '\0')
		vval_str(b, "vendor", hi->hi_bios_vendor);
	return h;
}

/* HostConfigInfo: the product, networks, datastores' mounts and the
 * advanced settings. */
static struct vval *config(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct vval *ci = vval_obj(NULL, NULL, "HostConfigInfo");
	struct vval *fs, *mounts;
	size_t n = datastore_list(h);

	vval_moref(ci, "host", "HostSystem", "ha-host");
	vim_about(c, ci, "product");
	vval_bool(ci, "hyperThread", 0);
	vval_bool(ci, "adminDisabled",
		  h->hd_lockdown.ld_mode != LOCKDOWN_DISABLED);
	vval_prim(ci, "lockdownMode", "HostLockdownMode",
		  lockdown_mode_name(h->hd_lockdown.ld_mode));
	vim_host_network_info(h, ci, "network");
	fs = vval_obj(ci, "fileSystemVolume", "HostFileSystemVolumeInfo");
	mounts = vval_array(fs, "mountInfo", "HostFileSystemMountInfo");
	for (size_t i = 0; i < n; i++) {
		const struct datastore *ds = &h->hd_datastores[i];
		struct vval *m =
			vval_obj(mounts, NULL, "HostFileSystemMountInfo");
		struct vval *mi = vval_obj(m, "mountInfo", "HostMountInfo");
		struct vval *vol;
		vval_str(mi, "path", ds->ds_path);
		vval_str(mi, "accessMode", "readWrite");
		vval_bool(mi, "mounted", 1);
		vval_bool(mi, "accessible", 1);
		vol = vval_obj(m, "volume", "HostFileSystemVolume");
		vval_str(vol, "type", "OTHER");
		vval_str(vol, "name", ds->ds_name);
		vval_int(vol, "capacity", "xsd:long", 0);
	}
	vim_adv_settings(h, ci, "option", "");
	return ci;
}

/* The host's managers that exist (the rest stay unset, as clients
 * expect of a host without them). */
static struct vval *config_manager(void)
{
	struct vval *m = vval_obj(NULL, NULL, "HostConfigManager");

	vval_moref(m, "advancedOption", "OptionManager", "ha-adv-options");
	vval_moref(m, "userDirectory", "UserDirectory", "ha-user-directory");
	vval_moref(m, "accountManager", "HostLocalAccountManager",
		   "ha-localacctmgr");
	vval_moref(m, "certificateManager", "HostCertificateManager",
		   "ha-certificate-manager");
	vval_moref(m, "firmwareSystem", "HostFirmwareSystem",
		   "ha-firmwareSystem");
	vval_moref(m, "patchManager", "HostPatchManager",
		   "ha-host-patch-manager");
	vval_moref(m, "serviceSystem", "HostServiceSystem",
		   "ha-service-system");
	vval_moref(m, "networkSystem", "HostNetworkSystem",
		   "ha-network-system");
	vval_moref(m, "hostAccessManager", "HostAccessManager",
		   "ha-host-access-manager");
	return m;
}

static enum mo_prop_result host_prop(struct vim_call *c, const char *id,
				     const char *name, struct vval **out)
{
	struct host_info hi;

	*out = NULL;
	if (!host_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "summary") == 0 || strcmp(name, "hardware") == 0 ||
	    strcmp(name, "runtime") == 0) {
		host_info_read(c->vc_hostd, &hi);
		if (name[0] == 's')
			*out = summary(c, &hi);
		else if (name[0] == 'h')
			*out = hardware(&hi);
		else
			*out = runtime(c->vc_hostd, &hi, NULL, NULL);
	} else if (strcmp(name, "config") == 0) {
		*out = config(c);
	} else if (strcmp(name, "configManager") == 0) {
		*out = config_manager();
	} else if (strcmp(name, "datastoreBrowser") == 0) {
		*out = vval_moref(NULL, NULL, "HostDatastoreBrowser",
				  "ha-host-datastorebrowser");
	} else if (strcmp(name, "datastore") == 0) {
		return vim_datastore_refs(c, out);
	} else if (strcmp(name, "vm") == 0) {
		return vim_vm_refs(c, out);
	} else if (strcmp(name, "network") == 0) {
		return vim_network_refs(c, out);
	} else {
		return entity_prop(name, c->vc_hostd->hd_hostname,
				   "ComputeResource", "ha-compute-res", out);
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const host_props[] = {
	ENTITY_PROPS,	    "summary",	 "hardware",
	"runtime",	    "config",	 "configManager",
	"datastoreBrowser", "datastore", "vm",
	"network",	    NULL};

const struct mo_type mo_host_system = {
	.mt_name = "HostSystem",
	.mt_base = "ManagedEntity",
	.mt_exists = host_exists,
	.mt_prop = host_prop,
	.mt_props = host_props,
};

/* arg: the signal, negative for hostd itself. */
static void *signal_init(void *arg)
{
	int sig = (int)(intptr_t)arg;

	sleep(HOST_POWER_DELAY_S);
	if (sig < 0) {
		kill(getpid(), -sig);
		return NULL;
	}
	if (kill(1, sig) < 0)
		log_warn("asking init to %s",
			 sig == SIGUSR2	 ? "power off"
			 : sig == SIGHUP ? "restart the management agents"
					 : "reboot");
	return NULL;
}

int host_restart_agents(struct hostd *h)
{
	pthread_t th;
	int sig = SIGHUP;

	/* Hosted: hostd ends leaving VMs running (SIGUSR1) and says it
	 * wants to start again; its runner starts it and the proxy. */
	if (!h->hd_appliance) {
		if (!h->hd_supervised)
			return -EOPNOTSUPP;
		h->hd_restart = 1;
		sig = -SIGUSR1;
	}
	if (thread_start(&th, THREAD_STACK_BYTES, signal_init,
			 (void *)(intptr_t)sig) != 0)
		return -1;
	pthread_detach(th);
	log_info("the management agents restart in %d s (VMs keep running)",
		 HOST_POWER_DELAY_S);
	return 0;
}

int host_ask_init(int sig)
{
	pthread_t th;

	if (thread_start(&th, THREAD_STACK_BYTES, signal_init,
			 (void *)(intptr_t)sig) != 0)
		return -1;
	pthread_detach(th);
	return 0;
}

/*
 * ShutdownHost_Task and RebootHost_Task: outside maintenance mode, as on
 * the reference, only force=true goes ahead. hostd asks init (SIGUSR2: power
 * off, SIGTERM: reboot), which stops the VMs (through hostd's own stop) and the
 * agents, unmounts and powers off.
 */
static int host_power(struct vim_call *c, int reboot)
{
	const char *method = reboot ? "RebootHost_Task" : "ShutdownHost_Task";
	struct vim_task *t;

	if (!host_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (!c->vc_hostd->hd_maintenance &&
	    !soap_bool(soap_arg(c->vc_req, "force"), 0))
		return vim_fault(c, "InvalidState", NULL,
				 "the host is not in maintenance mode: "
				 "%s needs force=true",
				 method);
	if (!c->vc_hostd->hd_appliance)
		return vim_fault(c, "NotSupported", NULL,
				 "this hostd runs hosted, not as the "
				 "appliance's agent: it cannot %s the machine",
				 reboot ? "reboot" : "shut down");
	t = vim_task_start(c, method,
			   reboot ? "HostSystem.reboot" : "HostSystem.shutdown",
			   "HostSystem", "ha-host", c->vc_hostd->hd_hostname);
	if (t == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	if (host_ask_init(reboot ? SIGTERM : SIGUSR2) < 0) {
		vim_task_fail(c->vc_hostd, t, "SystemError",
			      "<reason>thread</reason>",
			      "cannot start the task");
		return vim_task_return(c, t);
	}
	log_info("%s: the host %s in %d s", method,
		 reboot ? "reboots" : "powers off", HOST_POWER_DELAY_S);
	vim_task_succeed(c->vc_hostd, t, NULL);
	return vim_task_return(c, t);
}

static int shutdown_host(struct vim_call *c)
{
	return host_power(c, 0);
}

static int reboot_host(struct vim_call *c)
{
	return host_power(c, 1);
}

#define MAINTENANCE_FILE "maintenance"

int host_maintenance_load(const struct hostd *h)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/" MAINTENANCE_FILE, h->hd_confdir);
	return access(path, F_OK) == 0;
}

/*
 * EnterMaintenanceMode_Task and ExitMaintenanceMode_Task. A standalone
 * host has nowhere to move its VMs: entering with any VM powered on
 * fails at once, saying which to power off (the reference would wait for
 * them until its timeout). The mode is kept across restarts as a file
 * in the configuration.
 */
static int maintenance(struct vim_call *c, int enter)
{
	struct hostd *h = c->vc_hostd;
	const char *method = enter ? "EnterMaintenanceMode_Task"
				   : "ExitMaintenanceMode_Task";
	char path[PATH_MAX + 16];
	struct vim_task *t;
	struct err e = {0};
	size_t on = 0;

	if (!host_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	t = vim_task_start(c, method,
			   enter ? "HostSystem.enterMaintenanceMode"
				 : "HostSystem.exitMaintenanceMode",
			   "HostSystem", "ha-host", h->hd_hostname);
	if (t == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	for (size_t i = 0; enter && i < h->hd_inventory.iv_n; i++)
		on += h->hd_inventory.iv_vms[i].ve_power != VM_POWERED_OFF;
	if (on > 0) {
		vim_task_fail(h, t, "InvalidState", NULL,
			      "%zu virtual machine(s) are powered on or "
			      "suspended: power them off first",
			      on);
		return vim_task_return(c, t);
	}
	snprintf(path, sizeof(path), "%s/" MAINTENANCE_FILE, h->hd_confdir);
	if (enter && h->hd_maintenance == 0 &&
	    file_write_atomic(path, "1\n", 2, 0644, &e) < 0) {
		vim_task_fail(h, t, "HostConfigFault", NULL, "%s", err_msg(&e));
		return vim_task_return(c, t);
	}
	if (!enter && unlink(path) < 0 && errno != ENOENT) {
		vim_task_fail(h, t, "HostConfigFault", NULL, "%s: %s", path,
			      strerror(errno));
		return vim_task_return(c, t);
	}
	if (h->hd_maintenance != enter)
		log_info("api: %s %s maintenance mode", c->vc_session->vs_user,
			 enter ? "entered" : "left");
	h->hd_maintenance = enter;
	vim_changed(h);
	vim_task_succeed(h, t, NULL);
	return vim_task_return(c, t);
}

static int enter_maintenance(struct vim_call *c)
{
	return maintenance(c, 1);
}

static int exit_maintenance(struct vim_call *c)
{
	return maintenance(c, 0);
}

const struct vim_method vim_host_system_methods[] = {
	{"EnterMaintenanceMode_Task", "HostSystem", 0, enter_maintenance},
	{"ExitMaintenanceMode_Task", "HostSystem", 0, exit_maintenance},
	{"ShutdownHost_Task", "HostSystem", 0, shutdown_host},
	{"RebootHost_Task", "HostSystem", 0, reboot_host},
	{NULL, NULL, 0, NULL},
};
