/*
 * service_instance.c: ServiceInstance, the one object a client can reach
 * without a session: RetrieveServiceContent names every other manager,
 * and about tells clients what they talk to (apiType HostAgent: a
 * standalone host, not vCenter; ../shared/docs/vi-api.md §10).
 */
#include <string.h>

#include "hostd/hostd.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/vim.h"
#include "hostd/vim/vval.h"

struct vval *vim_about(struct vim_call *c, struct vval *parent,
		       const char *name)
{
	struct vval *a = vval_obj(parent, name, "AboutInfo");

	/* AboutInfo fields in WSDL order. */
	vval_str(a, "name", "Basalt");
	vval_str(a, "fullName",
		 "Basalt " BASALT_VERSION " (VI API " VIM_API_VERSION ")");
	vval_str(a, "vendor", "Basalt");
	vval_str(a, "version", VIM_API_VERSION);
	vval_str(a, "build", BASALT_VERSION);
	vval_str(a, "localeVersion", "INTL");
	vval_str(a, "localeBuild", "000");
	vval_str(a, "osType", "vmnix-x86");
	vval_str(a, "productLineId", "embeddedEsx");
	vval_str(a, "apiType", "HostAgent");
	vval_str(a, "apiVersion", VIM_API_VERSION);
	vval_str(a, "instanceUuid", c->vc_hostd->hd_instance_uuid);
	vval_str(a, "licenseProductName", "Basalt");
	vval_str(a, "licenseProductVersion", BASALT_VERSION);
	return a;
}

/* ServiceContent, fields in WSDL order; only managers hostd serves, since
 * a reference to a missing one fails the clients that follow it. */
static struct vval *service_content(struct vim_call *c)
{
	struct vval *sc = vval_obj(NULL, NULL, "ServiceContent");

	vval_moref(sc, "rootFolder", "Folder", "ha-folder-root");
	vval_moref(sc, "propertyCollector", "PropertyCollector",
		   "ha-property-collector");
	vval_moref(sc, "viewManager", "ViewManager", "ViewManager");
	vim_about(c, sc, "about");
	vval_moref(sc, "sessionManager", "SessionManager", "ha-sessionmgr");
	vval_moref(sc, "eventManager", "EventManager", "ha-eventmgr");
	vval_moref(sc, "taskManager", "TaskManager", "ha-taskmgr");
	vval_moref(sc, "searchIndex", "SearchIndex", "ha-searchindex");
	vval_moref(sc, "fileManager", "FileManager", "ha-nfc-file-manager");
	vval_moref(sc, "virtualDiskManager", "VirtualDiskManager",
		   "ha-vdiskmanager");
	vval_moref(sc, "userDirectory", "UserDirectory", "ha-user-directory");
	vval_moref(sc, "accountManager", "HostLocalAccountManager",
		   "ha-localacctmgr");
	vval_moref(sc, "authorizationManager", "AuthorizationManager",
		   "ha-authmgr");
	vval_moref(sc, "diagnosticManager", "DiagnosticManager",
		   "ha-diagnosticmgr");
	return sc;
}

static int retrieve_service_content(struct vim_call *c)
{
	struct vval *sc;

	if (strcmp(c->vc_req->sr_this, "ServiceInstance") != 0)
		return vim_fault_not_found(c);
	sc = service_content(c);
	if (sc == NULL)
		return vim_fault(c, "SystemError", "<reason>memory</reason>",
				 "out of memory");
	vval_write(&c->vc_out, "returnval", sc);
	vval_free(sc);
	return 0;
}

static int si_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ServiceInstance") == 0;
}

static enum mo_prop_result si_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	char now[40];

	*out = NULL;
	if (!si_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "content") == 0) {
		*out = service_content(c);
	} else if (strcmp(name, "serverClock") == 0) {
		vim_datetime(now, sizeof(now), time(NULL));
		*out = vval_prim(NULL, NULL, "xsd:dateTime", now);
	} else if (strcmp(name, "capability") == 0) {
		*out = vval_obj(NULL, NULL, "Capability");
		vval_bool(*out, "provisioningSupported", 0);
		vval_bool(*out, "multiHostSupported", 0);
		vval_bool(*out, "userShellAccessSupported", 0);
	} else {
		return MO_PROP_UNKNOWN;
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const si_props[] = {"content", "serverClock", "capability",
				       NULL};

const struct mo_type mo_service_instance = {
	.mt_name = "ServiceInstance",
	.mt_exists = si_exists,
	.mt_prop = si_prop,
	.mt_props = si_props,
};

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
