/*
 * privilege_check.c: the privilege each method that changes something
 * needs, and on which entity, checked before the method runs (issue 5).
 * The entity's ancestry comes from its parent property, so permissions
 * on folders above it apply as they propagate (hostd/authz.c). Reads
 * (the property collector, views, searches) need only a session for
 * now; filtering what a user sees is a later step.
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "hostd/accounts.h"
#include "hostd/hostd.h"
#include "hostd/vim/authorization.h"
#include "hostd/vim/mo.h"

/* Where the check applies: the call's _this, or the root folder (for
 * host-wide managers whose own objects are not in the inventory). */
enum target { ON_THIS, ON_ROOT };

static const struct {
	const char *method, *privilege;
	enum target target;
} needs[] = {
	{"PowerOnVM_Task", "VirtualMachine.Interact.PowerOn", ON_THIS},
	{"PowerOffVM_Task", "VirtualMachine.Interact.PowerOff", ON_THIS},
	{"ShutdownGuest", "VirtualMachine.Interact.PowerOff", ON_THIS},
	{"ResetVM_Task", "VirtualMachine.Interact.Reset", ON_THIS},
	{"SuspendVM_Task", "VirtualMachine.Interact.Suspend", ON_THIS},
	{"ReconfigVM_Task", "VirtualMachine.Config.Settings", ON_THIS},
	{"Destroy_Task", "VirtualMachine.Inventory.Delete", ON_THIS},
	{"UnregisterVM", "VirtualMachine.Inventory.Unregister", ON_THIS},
	{"CreateVM_Task", "VirtualMachine.Inventory.Create", ON_THIS},
	{"RegisterVM_Task", "VirtualMachine.Inventory.Register", ON_THIS},
	{"MakeDirectory", "Datastore.FileManagement", ON_ROOT},
	{"DeleteDatastoreFile_Task", "Datastore.FileManagement", ON_ROOT},
	{"CreateVirtualDisk_Task", "Datastore.FileManagement", ON_ROOT},
	{"SearchDatastore_Task", "Datastore.Browse", ON_ROOT},
	{"SearchDatastoreSubFolders_Task", "Datastore.Browse", ON_ROOT},
	{"UpdateOptions", "Host.Config.AdvancedConfig", ON_ROOT},
	{"CreateUser", "Host.Local.ManageUserGroups", ON_ROOT},
	{"RemoveUser", "Host.Local.ManageUserGroups", ON_ROOT},
	{"CreateGroup", "Host.Local.ManageUserGroups", ON_ROOT},
	{"RemoveGroup", "Host.Local.ManageUserGroups", ON_ROOT},
	{"AssignUserToGroup", "Host.Local.ManageUserGroups", ON_ROOT},
	{"UnassignUserFromGroup", "Host.Local.ManageUserGroups", ON_ROOT},
	{"AddAuthorizationRole", "Authorization.ModifyRoles", ON_ROOT},
	{"UpdateAuthorizationRole", "Authorization.ModifyRoles", ON_ROOT},
	{"RemoveAuthorizationRole", "Authorization.ModifyRoles", ON_ROOT},
	{"SetEntityPermissions", "Authorization.ModifyPermissions", ON_ROOT},
	{"RemoveEntityPermission", "Authorization.ModifyPermissions", ON_ROOT},
	{"CancelTask", "Global.CancelTask", ON_ROOT},
};

#define CHAIN_MAX 16

/* The group files, read only when a group permission is weighed (most
 * checks decide on a user's own permission). */
struct groups {
	const char *gr_confdir;
	struct acct_db gr_db;
	int gr_state; /* 0 not read, 1 read, -1 failed (gr_err says) */
	struct err gr_err;
};

static int in_group(void *cls, const char *user, const char *group)
{
	struct groups *g = cls;

	if (g->gr_state == 0)
		g->gr_state =
			acct_load(g->gr_confdir, &g->gr_db, &g->gr_err) < 0 ? -1
									    : 1;
	return g->gr_state > 0 && acct_in_group(&g->gr_db, user, group);
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

int vim_check_privilege(struct vim_call *c)
{
	const struct soap_req *r = c->vc_req;
	struct authz_role roles[AUTHZ_ROLES_MAX + 8];
	char chain[CHAIN_MAX][AUTHZ_ENTITY_MAX];
	const char *ptrs[CHAIN_MAX];
	const char *priv = NULL, *type = r->sr_this_type, *id = r->sr_this;
	struct authz_ctx ctx;
	struct groups groups = {.gr_confdir = c->vc_hostd->hd_confdir};
	struct xmlout f;
	size_t n;
	int ok;

	for (size_t k = 0; k < sizeof(needs) / sizeof(*needs); k++)
		if (strcmp(needs[k].method, r->sr_name) == 0) {
			priv = needs[k].privilege;
			if (needs[k].target == ON_ROOT) {
				type = "Folder";
				id = "ha-folder-root";
			}
			break;
		}
	if (priv == NULL || c->vc_session == NULL)
		return 0;
	if (!mo_exists(c, type, id))
		return 0; /* the method says it is gone */
	n = ancestry(c, type, id, chain);
	for (size_t k = 0; k < n; k++)
		ptrs[k] = chain[k];
	authz_ctx_of(c->vc_hostd, &ctx, roles, sizeof(roles) / sizeof(*roles));
	ctx.ac_in_group = in_group;
	ctx.ac_cls = &groups;
	ok = authz_has(&ctx, c->vc_session->vs_user, ptrs, n, priv);
	if (groups.gr_state > 0)
		acct_free(&groups.gr_db);
	if (groups.gr_state < 0) {
		vim_fault(c, "SystemError", NULL, "%s",
			  err_msg(&groups.gr_err));
		return -1;
	}
	if (ok)
		return 0;
	log_info("api: %s may not %s on %s:%s (%s)", c->vc_session->vs_user,
		 r->sr_name, type, id, priv);
	xmlout_init(&f);
	xmlout_moref(&f, "object", type, id);
	xmlout_elem(&f, "privilegeId", priv);
	vim_fault(c, "NoPermission", f.xo_oom ? NULL : f.xo_data,
		  "Permission to perform this operation was denied: %s on "
		  "%s:%s",
		  priv, type, id);
	xmlout_free(&f);
	return -1;
}
