/*
 * privilege_check.c: the privilege each method needs, and on which
 * entity, checked before the method runs; and whether the call's user
 * may read an entity (System.Read), which the property collector, views
 * and searches ask before they show it (issue 5). The entity's ancestry
 * comes from its parent property, so permissions on folders above it
 * apply as they propagate (hostd/authz.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "hostd/accounts.h"
#include "hostd/datastore.h"
#include "hostd/hostd.h"
#include "hostd/vim/authorization.h"
#include "hostd/vim/mo.h"

/* Where the check applies: the call's _this; the root folder (roles,
 * permissions, sessions, tasks: the inventory's as a whole); the host
 * (its settings and accounts); or the datastore named by the "[ds] path"
 * in argument arg. */
enum target { ON_THIS, ON_ROOT, ON_HOST, ON_DSPATH };

static const struct {
	const char *method, *privilege;
	enum target target;
	const char *arg; /* ON_DSPATH */
	int change;	 /* changes something: audited */
} needs[] = {
	{"PowerOnVM_Task", "VirtualMachine.Interact.PowerOn", ON_THIS, NULL, 1},
	{"PowerOffVM_Task", "VirtualMachine.Interact.PowerOff", ON_THIS, NULL,
	 1},
	{"ShutdownGuest", "VirtualMachine.Interact.PowerOff", ON_THIS, NULL, 1},
	{"ResetVM_Task", "VirtualMachine.Interact.Reset", ON_THIS, NULL, 1},
	{"SuspendVM_Task", "VirtualMachine.Interact.Suspend", ON_THIS, NULL, 1},
	{"ReconfigVM_Task", "VirtualMachine.Config.Settings", ON_THIS, NULL, 1},
	{"Destroy_Task", "VirtualMachine.Inventory.Delete", ON_THIS, NULL, 1},
	{"UnregisterVM", "VirtualMachine.Inventory.Unregister", ON_THIS, NULL,
	 1},
	{"CreateVM_Task", "VirtualMachine.Inventory.Create", ON_THIS, NULL, 1},
	{"RegisterVM_Task", "VirtualMachine.Inventory.Register", ON_THIS, NULL,
	 1},
	{"MakeDirectory", "Datastore.FileManagement", ON_DSPATH, "name", 1},
	{"DeleteDatastoreFile_Task", "Datastore.FileManagement", ON_DSPATH,
	 "name", 1},
	{"CreateVirtualDisk_Task", "Datastore.FileManagement", ON_DSPATH,
	 "name", 1},
	{"SearchDatastore_Task", "Datastore.Browse", ON_DSPATH, "datastorePath",
	 0},
	{"SearchDatastoreSubFolders_Task", "Datastore.Browse", ON_DSPATH,
	 "datastorePath", 0},
	{"UpdateOptions", "Host.Config.AdvancedConfig", ON_HOST, NULL, 1},
	{"ShutdownHost_Task", "Host.Config.Maintenance", ON_HOST, NULL, 1},
	{"RebootHost_Task", "Host.Config.Maintenance", ON_HOST, NULL, 1},
	{"EnterMaintenanceMode_Task", "Host.Config.Maintenance", ON_HOST, NULL,
	 1},
	{"ExitMaintenanceMode_Task", "Host.Config.Maintenance", ON_HOST, NULL,
	 1},
	{"BackupFirmwareConfiguration", "Host.Config.Firmware", ON_HOST, NULL,
	 1},
	{"QueryFirmwareConfigUploadURL", "Host.Config.Firmware", ON_HOST, NULL,
	 0},
	{"RestoreFirmwareConfiguration", "Host.Config.Firmware", ON_HOST, NULL,
	 1},
	{"ResetFirmwareToFactoryDefaults", "Host.Config.Firmware", ON_HOST,
	 NULL, 1},
	{"InstallHostPatchV2_Task", "Host.Config.Patch", ON_HOST, NULL, 1},
	{"CreateUser", "Host.Local.ManageUserGroups", ON_HOST, NULL, 1},
	{"UpdateUser", "Host.Local.ManageUserGroups", ON_HOST, NULL, 1},
	{"RemoveUser", "Host.Local.ManageUserGroups", ON_HOST, NULL, 1},
	{"CreateGroup", "Host.Local.ManageUserGroups", ON_HOST, NULL, 1},
	{"RemoveGroup", "Host.Local.ManageUserGroups", ON_HOST, NULL, 1},
	{"AssignUserToGroup", "Host.Local.ManageUserGroups", ON_HOST, NULL, 1},
	{"UnassignUserFromGroup", "Host.Local.ManageUserGroups", ON_HOST, NULL,
	 1},
	{"AddAuthorizationRole", "Authorization.ModifyRoles", ON_ROOT, NULL, 1},
	{"UpdateAuthorizationRole", "Authorization.ModifyRoles", ON_ROOT, NULL,
	 1},
	{"RemoveAuthorizationRole", "Authorization.ModifyRoles", ON_ROOT, NULL,
	 1},
	{"SetEntityPermissions", "Authorization.ModifyPermissions", ON_ROOT,
	 NULL, 1},
	{"RemoveEntityPermission", "Authorization.ModifyPermissions", ON_ROOT,
	 NULL, 1},
	{"CancelTask", "Global.CancelTask", ON_ROOT, NULL, 1},
	{"TerminateSession", "Sessions.TerminateSession", ON_ROOT, NULL, 1},
	{"SessionIsActive", "Sessions.ValidateSession", ON_ROOT, NULL, 0},
	{"GenerateCertificateSigningRequest", "Certificate.Manage", ON_HOST,
	 NULL, 1},
	{"GenerateCertificateSigningRequestByDn", "Certificate.Manage", ON_HOST,
	 NULL, 1},
	{"InstallServerCertificate", "Certificate.Manage", ON_HOST, NULL, 1},
	{"ReplaceCACertificatesAndCRLs", "Certificate.Manage", ON_HOST, NULL,
	 1},
	{"ChangeLockdownMode", "Host.Config.Settings", ON_HOST, NULL, 1},
	{"UpdateLockdownExceptions", "Host.Config.Settings", ON_HOST, NULL, 1},
	{"EnterLockdownMode", "Host.Config.Settings", ON_HOST, NULL, 1},
	{"ExitLockdownMode", "Host.Config.Settings", ON_HOST, NULL, 1},
	{"QueryLockdownExceptions", "System.Read", ON_HOST, NULL, 0},
	{"QuerySystemUsers", "System.Read", ON_HOST, NULL, 0},
	{"StartService", "Host.Config.NetService", ON_HOST, NULL, 1},
	{"StopService", "Host.Config.NetService", ON_HOST, NULL, 1},
	{"RestartService", "Host.Config.NetService", ON_HOST, NULL, 1},
	{"UpdateServicePolicy", "Host.Config.NetService", ON_HOST, NULL, 1},
	{"RefreshServices", "Host.Config.NetService", ON_HOST, NULL, 0},
	{"UpdateVirtualNic", "Host.Config.Network", ON_HOST, NULL, 1},
	{"UpdateIpRouteConfig", "Host.Config.Network", ON_HOST, NULL, 1},
	{"UpdateDnsConfig", "Host.Config.Network", ON_HOST, NULL, 1},
	{"UpdatePortGroup", "Host.Config.Network", ON_HOST, NULL, 1},
	{"UpdateVirtualSwitch", "Host.Config.Network", ON_HOST, NULL, 1},
	{"RefreshNetworkSystem", "Host.Config.Network", ON_HOST, NULL, 1},
	{"QueryDescriptions", "Global.Diagnostics", ON_HOST, NULL, 0},
	{"BrowseDiagnosticLog", "Global.Diagnostics", ON_HOST, NULL, 0},
	/* Reads of the host's settings and accounts. */
	{"QueryOptions", "System.Read", ON_HOST, NULL, 0},
	{"RetrieveUserGroups", "System.View", ON_HOST, NULL, 0},
};

#define CHAIN_MAX 16

/* What a call's checks share: the roles, and the group files, read only
 * when a group permission is weighed (most checks decide on a user's own
 * permission), once per call however many objects a listing checks. */
struct vim_access {
	struct authz_role va_roles[AUTHZ_ROLES_MAX + 8];
	struct authz_ctx va_ctx;
	const char *va_confdir;
	struct acct_db va_db;
	int va_state; /* 0 not read, 1 read, -1 failed (va_err says) */
	struct err va_err;
};

static int in_group(void *cls, const char *user, const char *group)
{
	struct vim_access *a = cls;

	if (a->va_state == 0)
		a->va_state =
			acct_load(a->va_confdir, &a->va_db, &a->va_err) < 0 ? -1
									    : 1;
	return a->va_state > 0 && acct_in_group(&a->va_db, user, group);
}

static struct vim_access *access_of(struct vim_call *c)
{
	struct vim_access *a = c->vc_access;

	if (a != NULL)
		return a;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	authz_ctx_of(c->vc_hostd, &a->va_ctx, a->va_roles,
		     sizeof(a->va_roles) / sizeof(*a->va_roles));
	a->va_ctx.ac_in_group = in_group;
	a->va_ctx.ac_cls = a;
	a->va_confdir = c->vc_hostd->hd_confdir;
	c->vc_access = a;
	return a;
}

void vim_access_free(struct vim_call *c)
{
	if (c->vc_access == NULL)
		return;
	if (c->vc_access->va_state > 0)
		acct_free(&c->vc_access->va_db);
	free(c->vc_access);
	c->vc_access = NULL;
}

/* "Type:id" of type:id and of each entity above it, into chain. */
static size_t ancestry(struct vim_call *c, const char *type, const char *id,
		       char (*chain)[AUTHZ_ENTITY_MAX])
{
	char t[SOAP_NAME_MAX], i[SOAP_ID_MAX];
	size_t n = 0;

	snprintf(t, sizeof(t), "%s", type);
	snprintf(i, sizeof(i), "%s", id);
	while (n < CHAIN_MAX) {
		struct vval *root;
		const struct vval *v;
		snprintf(chain[n++], AUTHZ_ENTITY_MAX, "%s:%s", t, i);
		/* A standalone host keeps its VMs in ha-folder-vm: known
		 * without reading each VM's .vmx, which a listing of many
		 * VMs would otherwise do once more per VM. */
		if (strcmp(t, "VirtualMachine") == 0) {
			snprintf(t, sizeof(t), "Folder");
			snprintf(i, sizeof(i), "ha-folder-vm");
			continue;
		}
		if (!mo_is_a(t, "ManagedEntity") ||
		    mo_get(c, t, i, "parent", &root, &v) != MO_PROP_SET)
			break;
		if (v->vv_kind != VVAL_MOREF) {
			vval_free(root);
			break;
		}
		snprintf(t, sizeof(t), "%s", v->vv_type);
		snprintf(i, sizeof(i), "%s", v->vv_text);
		vval_free(root);
	}
	return n;
}

int vim_user_privs(struct vim_call *c, const char *user, const char *type,
		   const char *id, struct authz_privs *out)
{
	char chain[CHAIN_MAX][AUTHZ_ENTITY_MAX];
	const char *ptrs[CHAIN_MAX];
	struct vim_access *a = access_of(c);
	size_t n;

	if (a == NULL)
		return -1;
	n = ancestry(c, type, id, chain);
	for (size_t k = 0; k < n; k++)
		ptrs[k] = chain[k];
	authz_effective(&a->va_ctx, user, ptrs, n, out);
	return a->va_state < 0 ? -1 : 0;
}

int vim_may_user(struct vim_call *c, const char *user, const char *type,
		 const char *id, const char *priv)
{
	struct authz_privs privs;
	int k = authz_priv_index(priv);

	if (vim_user_privs(c, user, type, id, &privs) < 0)
		return -1;
	return k >= 0 && authz_privs_has(&privs, k);
}

int vim_may(struct vim_call *c, const char *type, const char *id,
	    const char *priv)
{
	if (c->vc_session == NULL)
		return 0;
	if (c->vc_session->vs_console)
		return 1; /* the host's own console (session_manager.c) */
	return vim_may_user(c, c->vc_session->vs_user, type, id, priv);
}

int vim_may_read(struct vim_call *c, const char *type, const char *id)
{
	/* Managers, tasks and views are no inventory entities: every
	 * session reads them (what they list is checked on its own), but
	 * for the host's settings, which are the host's to show. */
	if (strcmp(type, "OptionManager") == 0) /* the host's settings */
		return vim_may(c, "HostSystem", "ha-host", "System.Read") > 0;
	if (!mo_is_a(type, "ManagedEntity"))
		return 1;
	return vim_may(c, type, id, "System.Read") > 0;
}

/* The datastore a "[name] path" argument names, as its entity; -1 when
 * it names none (the method says why). */
static int dspath_target(struct vim_call *c, const char *arg, char *id,
			 size_t size)
{
	char text[PATH_MAX], name[DATASTORE_NAME_MAX];
	struct datastore ds;
	const char *end;

	if (soap_text(soap_arg(c->vc_req, arg), text, sizeof(text)) < 0 ||
	    text[0] != '[' || (end = strchr(text, ']')) == NULL ||
	    (size_t)(end - text - 1) >= sizeof(name))
		return -1;
	memcpy(name, text + 1, (size_t)(end - text - 1));
	name[end - text - 1] = '\0';
	if (datastore_by_name(c->vc_hostd, name, &ds) < 0)
		return -1;
	snprintf(id, size, "%s", ds.ds_id);
	return 0;
}

int vim_method_changes(const char *method)
{
	for (size_t k = 0; k < sizeof(needs) / sizeof(*needs); k++)
		if (strcmp(needs[k].method, method) == 0)
			return needs[k].change;
	return 0;
}

int vim_check_privilege(struct vim_call *c)
{
	const struct soap_req *r = c->vc_req;
	const char *priv = NULL, *type = r->sr_this_type, *id = r->sr_this;
	char dsid[32];
	int ok;

	for (size_t k = 0; k < sizeof(needs) / sizeof(*needs); k++)
		if (strcmp(needs[k].method, r->sr_name) == 0) {
			priv = needs[k].privilege;
			if (needs[k].target == ON_DSPATH &&
			    dspath_target(c, needs[k].arg, dsid,
					  sizeof(dsid)) == 0) {
				type = "Datastore";
				id = dsid;
			} else if (needs[k].target == ON_HOST) {
				type = "HostSystem";
				id = "ha-host";
			} else if (needs[k].target != ON_THIS) {
				/* An unknown datastore: as for the root, so
				 * no one learns what exists without it. */
				type = "Folder";
				id = "ha-folder-root";
			}
			break;
		}
	if (priv == NULL || c->vc_session == NULL)
		return 0;
	if (!mo_exists(c, type, id))
		return 0; /* the method says it is gone */
	ok = vim_may(c, type, id, priv);
	if (ok < 0) {
		vim_fault(c, "SystemError", NULL, "%s",
			  c->vc_access != NULL ? err_msg(&c->vc_access->va_err)
					       : "out of memory");
		return -1;
	}
	if (ok)
		return 0;
	log_info("api: %s may not %s on %s:%s (%s)", c->vc_session->vs_user,
		 r->sr_name, type, id, priv);
	vim_fault_no_permission(c, type, id, priv);
	return -1;
}

int vim_fault_no_permission(struct vim_call *c, const char *type,
			    const char *id, const char *priv)
{
	struct xmlout f;

	xmlout_init(&f);
	xmlout_moref(&f, "object", type, id);
	xmlout_elem(&f, "privilegeId", priv);
	vim_fault(c, "NoPermission", f.xo_oom ? NULL : f.xo_data,
		  "Permission to perform this operation was denied: %s on "
		  "%s:%s",
		  priv, type, id);
	xmlout_free(&f);
	return 0;
}
