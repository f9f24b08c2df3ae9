/*
 * host.c: the console's actions as VI API calls (host.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dcui/host.h"

#define TASK_WAIT_MS 30000

char *host_property(struct api *a, const char *type, const char *id,
		    const char *path, struct err *e)
{
	char args[1024];
	char *answer = NULL;

	snprintf(args, sizeof(args),
		 "<_this type=\"PropertyCollector\">ha-property-collector"
		 "</_this><specSet><propSet><type>%s</type>"
		 "<pathSet>%s</pathSet></propSet><objectSet>"
		 "<obj type=\"%s\">%s</obj></objectSet></specSet>",
		 type, path, type, id);
	if (api_invoke(a, "RetrieveProperties", args, &answer, e) < 0)
		return NULL;
	return answer;
}

int host_lockdown_mode(struct api *a, char *mode, size_t size, struct err *e)
{
	char *x = host_property(a, "HostAccessManager",
				"ha-host-access-manager", "lockdownMode", e);

	if (x == NULL)
		return -1;
	api_text(x, "val", mode, size);
	free(x);
	return mode[0] != '\0' ? 0 : err_set(e, -EPROTO, "no lockdown mode");
}

int host_set_lockdown(struct api *a, const char *mode, struct err *e)
{
	char args[256];

	snprintf(args, sizeof(args),
		 "<_this type=\"HostAccessManager\">ha-host-access-manager"
		 "</_this><mode>%s</mode>",
		 mode);
	return api_invoke(a, "ChangeLockdownMode", args, NULL, e);
}

struct list {
	char *l_buf;
	size_t l_size, l_len;
};

static void add_to_list(void *ctx, const char *text)
{
	struct list *l = ctx;
	int n = snprintf(l->l_buf + l->l_len, l->l_size - l->l_len, "%s%s",
			 l->l_len ? ", " : "", text);

	if (n > 0 && (size_t)n < l->l_size - l->l_len)
		l->l_len += (size_t)n;
}

int host_lockdown_exceptions(struct api *a, char *list, size_t size,
			     struct err *e)
{
	struct list l = {list, size, 0};
	char *x = NULL;

	list[0] = '\0';
	if (api_invoke(a, "QueryLockdownExceptions",
		       "<_this type=\"HostAccessManager\">"
		       "ha-host-access-manager</_this>",
		       &x, e) < 0)
		return -1;
	api_each(x, "returnval", add_to_list, &l);
	free(x);
	return 0;
}

int host_restart_agents(struct api *a, struct err *e)
{
	return api_invoke(a, "RestartService",
			  "<_this type=\"HostServiceSystem\">"
			  "ha-service-system</_this><id>hostd</id>",
			  NULL, e);
}

int host_log_page(struct api *a, const char *key, long start, long lines,
		  void (*fn)(void *ctx, const char *line), void *ctx,
		  long *first, long *last, struct err *e)
{
	char args[512], num[32];
	char *x = NULL;

	snprintf(args, sizeof(args),
		 "<_this type=\"DiagnosticManager\">ha-diagnosticmgr</_this>"
		 "<key>%s</key><start>%ld</start><lines>%ld</lines>",
		 key, start, lines);
	if (api_invoke(a, "BrowseDiagnosticLog", args, &x, e) < 0)
		return -1;
	api_text(x, "lineStart", num, sizeof(num));
	*first = strtol(num, NULL, 10);
	api_text(x, "lineEnd", num, sizeof(num));
	*last = strtol(num, NULL, 10);
	if (fn != NULL)
		api_each(x, "lineText", fn, ctx);
	free(x);
	return 0;
}

/* Wait for task id to end: 0 when it succeeded, else -1 with its
 * error's message. */
static int wait_task(struct api *a, const char *id, struct err *e)
{
	char state[32], msg[512];

	for (int waited = 0; waited < TASK_WAIT_MS; waited += 200) {
		char *x = host_property(a, "Task", id, "info", e);
		if (x == NULL)
			return -1;
		api_text(x, "state", state, sizeof(state));
		api_text(x, "localizedMessage", msg, sizeof(msg));
		free(x);
		if (strcmp(state, "success") == 0)
			return 0;
		if (strcmp(state, "error") == 0)
			return err_set(e, -EIO, "%s",
				       msg[0] ? msg : "the task failed");
		usleep(200 * 1000);
	}
	return err_set(e, -ETIMEDOUT, "the task did not end in %d s",
		       TASK_WAIT_MS / 1000);
}

/* Call a method that returns a task, and wait for it. */
static int run_task(struct api *a, const char *method, const char *args,
		    struct err *e)
{
	char id[64];
	char *x = NULL;
	int rc;

	if (api_invoke(a, method, args, &x, e) < 0)
		return -1;
	api_text(x, "returnval", id, sizeof(id));
	free(x);
	if (id[0] == '\0')
		return err_set(e, -EPROTO, "%s returned no task", method);
	rc = wait_task(a, id, e);
	return rc;
}

int host_reset_config(struct api *a, struct err *e)
{
	char *x = host_property(a, "HostSystem", "ha-host",
				"runtime.inMaintenanceMode", e);
	char in[16];

	if (x == NULL)
		return -1;
	api_text(x, "val", in, sizeof(in));
	free(x);
	if (strcmp(in, "true") != 0 &&
	    run_task(a, "EnterMaintenanceMode_Task",
		     "<_this type=\"HostSystem\">ha-host</_this>"
		     "<timeout>0</timeout>",
		     e) < 0)
		return -1;
	return api_invoke(a, "ResetFirmwareToFactoryDefaults",
			  "<_this type=\"HostFirmwareSystem\">"
			  "ha-firmwareSystem</_this>",
			  NULL, e);
}

int host_power(struct api *a, int reboot, struct err *e)
{
	return run_task(a, reboot ? "RebootHost_Task" : "ShutdownHost_Task",
			"<_this type=\"HostSystem\">ha-host</_this>"
			"<force>true</force>",
			e);
}

int host_support_info(struct api *a, struct support_info *si, struct err *e)
{
	char *x;

	memset(si, 0, sizeof(*si));
	x = host_property(a, "HostSystem", "ha-host", "config.product", e);
	if (x == NULL)
		return -1;
	api_text(x, "fullName", si->si_product, sizeof(si->si_product));
	api_text(x, "version", si->si_version, sizeof(si->si_version));
	api_text(x, "build", si->si_build, sizeof(si->si_build));
	api_text(x, "apiVersion", si->si_api, sizeof(si->si_api));
	free(x);
	x = host_property(a, "HostSystem", "ha-host", "hardware", e);
	if (x == NULL)
		return -1;
	api_text(x, "vendor", si->si_vendor, sizeof(si->si_vendor));
	api_text(x, "model", si->si_model, sizeof(si->si_model));
	api_text(x, "serialNumber", si->si_serial, sizeof(si->si_serial));
	api_text(x, "uuid", si->si_uuid, sizeof(si->si_uuid));
	api_text(x, "biosVersion", si->si_bios, sizeof(si->si_bios));
	free(x);
	return 0;
}

int host_shell_running(struct api *a, int *on, struct err *e)
{
	char *x = host_property(a, "HostServiceSystem", "ha-service-system",
				"serviceInfo", e);
	const char *t;
	char val[16];

	if (x == NULL)
		return -1;
	t = strstr(x, "<key>TSM</key>");
	if (t == NULL) {
		free(x);
		return err_set(e, -ENOENT, "hostd has no support shell");
	}
	api_text(t, "running", val, sizeof(val));
	*on = strcmp(val, "true") == 0;
	free(x);
	return 0;
}

int host_shell_set(struct api *a, int on, struct err *e)
{
	return api_invoke(a, on ? "StartService" : "StopService",
			  "<_this type=\"HostServiceSystem\">"
			  "ha-service-system</_this><id>TSM</id>",
			  NULL, e);
}

int host_option(struct api *a, const char *key, char *value, size_t size,
		struct err *e)
{
	char args[512];
	char *x = NULL;

	snprintf(args, sizeof(args),
		 "<_this type=\"OptionManager\">ha-adv-options</_this>"
		 "<name>%s</name>",
		 key);
	if (api_invoke(a, "QueryOptions", args, &x, e) < 0)
		return -1;
	api_text(x, "value", value, size);
	free(x);
	return 0;
}

int host_set_long_option(struct api *a, const char *key, long value,
			 struct err *e)
{
	char args[512];

	snprintf(args, sizeof(args),
		 "<_this type=\"OptionManager\">ha-adv-options</_this>"
		 "<changedValue><key>%s</key><value xsi:type=\"xsd:long\">"
		 "%ld</value></changedValue>",
		 key, value);
	return api_invoke(a, "UpdateOptions", args, NULL, e);
}

#define NETSYS "<_this type=\"HostNetworkSystem\">ha-network-system</_this>"

/* text XML-escaped into out, or an error. */
static int esc(const char *text, char *out, size_t size, struct err *e)
{
	if (api_xml_escape(text, out, size) < 0)
		return err_set(e, -E2BIG, "'%.32s...' is too long", text);
	return 0;
}

int host_set_syslog(struct api *a, const char *hosts, const char *dir,
		    long rotate, long size_kib, struct err *e)
{
	char h[1200], d[1200], args[3072];

	if (esc(hosts, h, sizeof(h), e) < 0 || esc(dir, d, sizeof(d), e) < 0)
		return -1;
	snprintf(args, sizeof(args),
		 "<_this type=\"OptionManager\">ha-adv-options</_this>"
		 "<changedValue><key>Syslog.global.logHost</key>"
		 "<value xsi:type=\"xsd:string\">%s</value></changedValue>"
		 "<changedValue><key>Syslog.global.logDir</key>"
		 "<value xsi:type=\"xsd:string\">%s</value></changedValue>"
		 "<changedValue><key>Syslog.global.defaultRotate</key>"
		 "<value xsi:type=\"xsd:long\">%ld</value></changedValue>"
		 "<changedValue><key>Syslog.global.defaultSize</key>"
		 "<value xsi:type=\"xsd:long\">%ld</value></changedValue>",
		 h, d, rotate, size_kib);
	return api_invoke(a, "UpdateOptions", args, NULL, e);
}

int host_net_vlan(struct api *a, int vlan, struct err *e)
{
	char args[1024];

	snprintf(args, sizeof(args),
		 NETSYS "<pgName>Management Network</pgName><portgrp>"
			"<name>Management Network</name><vlanId>%d</vlanId>"
			"<vswitchName>vSwitch0</vswitchName><policy/>"
			"</portgrp>",
		 vlan);
	return api_invoke(a, "UpdatePortGroup", args, NULL, e);
}

int host_net_uplink(struct api *a, const char *nic, struct err *e)
{
	char args[1024], n[64];

	if (esc(nic, n, sizeof(n), e) < 0)
		return -1;
	snprintf(args, sizeof(args),
		 NETSYS "<vswitchName>vSwitch0</vswitchName><spec>"
			"<numPorts>1024</numPorts><bridge "
			"xsi:type=\"HostVirtualSwitchBondBridge\">"
			"<nicDevice>%s</nicDevice></bridge></spec>",
		 n);
	return api_invoke(a, "UpdateVirtualSwitch", args, NULL, e);
}

int host_net_ipv4(struct api *a, const char *address, const char *netmask,
		  struct err *e)
{
	char args[1024], ad[64], nm[64];

	if (address == NULL) {
		snprintf(args, sizeof(args),
			 NETSYS "<device>vmk0</device><nic><ip><dhcp>true"
				"</dhcp></ip></nic>");
	} else {
		if (esc(address, ad, sizeof(ad), e) < 0 ||
		    esc(netmask, nm, sizeof(nm), e) < 0)
			return -1;
		snprintf(args, sizeof(args),
			 NETSYS "<device>vmk0</device><nic><ip><dhcp>false"
				"</dhcp><ipAddress>%s</ipAddress><subnetMask>"
				"%s</subnetMask></ip></nic>",
			 ad, nm);
	}
	return api_invoke(a, "UpdateVirtualNic", args, NULL, e);
}

int host_net_gateway(struct api *a, const char *gateway, struct err *e)
{
	char args[1024], gw[64];

	if (esc(gateway, gw, sizeof(gw), e) < 0)
		return -1;
	snprintf(args, sizeof(args),
		 NETSYS "<config><defaultGateway>%s</defaultGateway>"
			"</config>",
		 gw);
	return api_invoke(a, "UpdateIpRouteConfig", args, NULL, e);
}

int host_net_dns(struct api *a, const char *const servers[3],
		 const char *hostname, const char *domain, struct err *e)
{
	char args[2048], one[64], hn[256], dn[1024];
	size_t n;

	if (esc(hostname, hn, sizeof(hn), e) < 0 ||
	    esc(domain, dn, sizeof(dn), e) < 0)
		return -1;
	n = (size_t)snprintf(args, sizeof(args),
			     NETSYS "<config><dhcp>false</dhcp><hostName>%s"
				    "</hostName><domainName>%s</domainName>",
			     hn, dn);
	for (int i = 0; i < 3 && servers[i] != NULL && servers[i][0]; i++) {
		if (esc(servers[i], one, sizeof(one), e) < 0)
			return -1;
		n += (size_t)snprintf(args + n, sizeof(args) - n,
				      "<address>%s</address>", one);
	}
	snprintf(args + n, sizeof(args) - n, "</config>");
	return api_invoke(a, "UpdateDnsConfig", args, NULL, e);
}

int host_net_refresh(struct api *a, struct err *e)
{
	return api_invoke(a, "RefreshNetworkSystem", NETSYS, NULL, e);
}
