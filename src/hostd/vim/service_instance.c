/*
 * service_instance.c: ServiceInstance, the one object a client can reach
 * without a session: RetrieveServiceContent names every other manager,
 * and about tells clients what they talk to (apiType HostAgent: a
 * standalone host, not vCenter; ../shared/docs/vi-api.md §10).
 */
#include <string.h>

#include "hostd/hostd.h"
#include "hostd/vim/vim.h"

static void about(struct vim_call *c)
{
	struct xmlout *o = &c->vc_out;

	/* AboutInfo fields in WSDL order. */
	xmlout_raw(o, "<about>");
	xmlout_elem(o, "name", "Basalt");
	xmlout_elem(o, "fullName",
		    "Basalt " BASALT_VERSION " (VI API " VIM_API_VERSION ")");
	xmlout_elem(o, "vendor", "Basalt");
	xmlout_elem(o, "version", VIM_API_VERSION);
	xmlout_elem(o, "build", BASALT_VERSION);
	xmlout_elem(o, "localeVersion", "INTL");
	xmlout_elem(o, "localeBuild", "000");
	xmlout_elem(o, "osType", "vmnix-x86");
	xmlout_elem(o, "productLineId", "embeddedEsx");
	xmlout_elem(o, "apiType", "HostAgent");
	xmlout_elem(o, "apiVersion", VIM_API_VERSION);
	xmlout_elem(o, "instanceUuid", c->vc_hostd->hd_instance_uuid);
	xmlout_elem(o, "licenseProductName", "Basalt");
	xmlout_elem(o, "licenseProductVersion", BASALT_VERSION);
	xmlout_raw(o, "</about>");
}

static int retrieve_service_content(struct vim_call *c)
{
	struct xmlout *o = &c->vc_out;

	if (strcmp(c->vc_req->sr_this, "ServiceInstance") != 0)
		return vim_fault_not_found(c);
	/* ServiceContent fields in WSDL order; only managers hostd serves,
	 * since a reference to a missing one fails the clients that
	 * follow it. */
	xmlout_raw(o, "<returnval>");
	xmlout_moref(o, "rootFolder", "Folder", "ha-folder-root");
	xmlout_moref(o, "propertyCollector", "PropertyCollector",
		     "ha-property-collector");
	xmlout_moref(o, "viewManager", "ViewManager", "ViewManager");
	about(c);
	xmlout_moref(o, "setting", "OptionManager", "HostAgentSettings");
	xmlout_moref(o, "userDirectory", "UserDirectory", "ha-user-directory");
	xmlout_moref(o, "sessionManager", "SessionManager", "ha-sessionmgr");
	xmlout_moref(o, "authorizationManager", "AuthorizationManager",
		     "ha-authmgr");
	xmlout_moref(o, "eventManager", "EventManager", "ha-eventmgr");
	xmlout_moref(o, "taskManager", "TaskManager", "ha-taskmgr");
	xmlout_moref(o, "accountManager", "HostLocalAccountManager",
		     "ha-localacctmgr");
	xmlout_moref(o, "fileManager", "FileManager", "ha-nfc-file-manager");
	xmlout_moref(o, "virtualDiskManager", "VirtualDiskManager",
		     "ha-vdiskmanager");
	xmlout_raw(o, "</returnval>");
	return 0;
}

static int current_time(struct vim_call *c)
{
	char now[40];

	if (strcmp(c->vc_req->sr_this, "ServiceInstance") != 0)
		return vim_fault_not_found(c);
	vim_datetime(now, sizeof(now), time(NULL));
	xmlout_elem(&c->vc_out, "returnval", now);
	return 0;
}

const struct vim_method vim_service_instance_methods[] = {
	{"RetrieveServiceContent", "ServiceInstance", 1,
	 retrieve_service_content},
	{"CurrentTime", "ServiceInstance", 0, current_time},
	{NULL, NULL, 0, NULL},
};
