/*
 * authz.c: privilege ids, the system roles, and the rules that turn
 * permissions into what a user may do on an entity (authz.h).
 */
#include <pthread.h>
#include <string.h>

#include "hostd/authz.h"

/* The VI API's privilege ids for what hostd does; the names are the
 * reference host's, so roles made by clients carry over. */
const char *const authz_privileges[] = {
	"System.Anonymous",
	"System.View",
	"System.Read",
	"Global.CancelTask",
	"Global.Settings",
	"Global.LogEvent",
	"Sessions.TerminateSession",
	"Sessions.ValidateSession",
	"Authorization.ModifyRoles",
	"Authorization.ModifyPermissions",
	"Authorization.ReassignRolePermissions",
	"Host.Local.ManageUserGroups",
	"Host.Config.AdvancedConfig",
	"Host.Config.Network",
	"Host.Config.Storage",
	"Host.Config.Settings",
	"Host.Config.Maintenance",
	"Datastore.Browse",
	"Datastore.FileManagement",
	"Datastore.AllocateSpace",
	"Network.Assign",
	"Resource.AssignVMToPool",
	"VirtualMachine.Inventory.Create",
	"VirtualMachine.Inventory.Register",
	"VirtualMachine.Inventory.Delete",
	"VirtualMachine.Inventory.Unregister",
	"VirtualMachine.Interact.PowerOn",
	"VirtualMachine.Interact.PowerOff",
	"VirtualMachine.Interact.Reset",
	"VirtualMachine.Interact.Suspend",
	"VirtualMachine.Interact.ConsoleInteract",
	"VirtualMachine.Config.CPUCount",
	"VirtualMachine.Config.Memory",
	"VirtualMachine.Config.AddNewDisk",
	"VirtualMachine.Config.AddExistingDisk",
	"VirtualMachine.Config.RemoveDisk",
	"VirtualMachine.Config.DiskExtend",
	"VirtualMachine.Config.AddRemoveDevice",
	"VirtualMachine.Config.EditDevice",
	"VirtualMachine.Config.Rename",
	"VirtualMachine.Config.Annotation",
	"VirtualMachine.Config.AdvancedConfig",
	"VirtualMachine.Config.Settings",
	"VirtualMachine.GuestOperations.Query",
	"Certificate.Manage",
	"Host.Config.Firmware",
	"Host.Config.Patch",
	"Host.Config.NetService",
	"Global.Diagnostics",
	NULL,
};

int authz_priv_index(const char *id)
{
	for (int i = 0; authz_privileges[i] != NULL; i++)
		if (strcmp(authz_privileges[i], id) == 0)
			return i;
	return -1;
}

void authz_privs_add(struct authz_privs *s, int index)
{
	if (index >= 0 && index < AUTHZ_PRIVS_MAX)
		s->ap_bits[index / 64] |= 1ull << (index % 64);
}

int authz_privs_has(const struct authz_privs *s, int index)
{
	return index >= 0 && index < AUTHZ_PRIVS_MAX &&
	       (s->ap_bits[index / 64] >> (index % 64)) & 1;
}

static void privs_union(struct authz_privs *to, const struct authz_privs *from)
{
	for (size_t i = 0; i < AUTHZ_PRIVS_MAX / 64; i++)
		to->ap_bits[i] |= from->ap_bits[i];
}

static struct authz_role system_roles[5];
static pthread_once_t system_roles_once = PTHREAD_ONCE_INIT;

static void make_system_roles(void)
{
	struct authz_role *roles = system_roles;
	static const char *const readonly[] = {"System.Anonymous",
					       "System.View", "System.Read"};

	roles[0] = (struct authz_role){.ar_id = AUTHZ_ROLE_NOACCESS,
				       .ar_name = "NoAccess"};
	roles[1] = (struct authz_role){.ar_id = AUTHZ_ROLE_ANONYMOUS,
				       .ar_name = "Anonymous"};
	authz_privs_add(&roles[1].ar_privs,
			authz_priv_index("System.Anonymous"));
	roles[2] = (struct authz_role){.ar_id = AUTHZ_ROLE_VIEW,
				       .ar_name = "View"};
	roles[3] = (struct authz_role){.ar_id = AUTHZ_ROLE_READONLY,
				       .ar_name = "ReadOnly"};
	for (size_t i = 0; i < 3; i++) {
		authz_privs_add(&roles[3].ar_privs,
				authz_priv_index(readonly[i]));
		if (i < 2)
			authz_privs_add(&roles[2].ar_privs,
					authz_priv_index(readonly[i]));
	}
	roles[4] = (struct authz_role){.ar_id = AUTHZ_ROLE_ADMIN,
				       .ar_name = "Admin"};
	for (int i = 0; authz_privileges[i] != NULL; i++)
		authz_privs_add(&roles[4].ar_privs, i);
}

const struct authz_role *authz_system_roles(size_t *n)
{
	pthread_once(&system_roles_once, make_system_roles);
	*n = sizeof(system_roles) / sizeof(*system_roles);
	return system_roles;
}

static const struct authz_role *role_of(const struct authz_ctx *ctx, int id)
{
	for (size_t i = 0; i < ctx->ac_nroles; i++)
		if (ctx->ac_roles[i].ar_id == id)
			return &ctx->ac_roles[i];
	return NULL;
}

/* Does permission p apply to user at chain level k (0: the entity)? */
static int applies(const struct authz_ctx *ctx, const struct authz_perm *p,
		   const char *user, size_t k)
{
	if (k > 0 && !p->pm_propagate)
		return 0;
	if (p->pm_group)
		return ctx->ac_in_group != NULL &&
		       ctx->ac_in_group(ctx->ac_cls, user, p->pm_principal);
	return strcmp(p->pm_principal, user) == 0;
}

void authz_effective(const struct authz_ctx *ctx, const char *user,
		     const char *const *chain, size_t n,
		     struct authz_privs *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t k = 0; k < n; k++) {
		const struct authz_perm *mine = NULL;
		struct authz_privs groups = {0};
		int any_group = 0, denied = 0;
		for (size_t i = 0; i < ctx->ac_nperms; i++) {
			const struct authz_perm *p = &ctx->ac_perms[i];
			if (strcmp(p->pm_entity, chain[k]) != 0 ||
			    !applies(ctx, p, user, k))
				continue;
			if (!p->pm_group) {
				mine = p;
			} else {
				const struct authz_role *r =
					role_of(ctx, p->pm_role);
				any_group = 1;
				if (r == NULL ||
				    p->pm_role == AUTHZ_ROLE_NOACCESS)
					denied = 1;
				else
					privs_union(&groups, &r->ar_privs);
			}
		}
		if (mine != NULL) {
			/* The user's own permission beats its groups'. */
			const struct authz_role *r =
				role_of(ctx, mine->pm_role);
			if (r != NULL)
				*out = r->ar_privs;
			return;
		}
		if (any_group) {
			if (!denied)
				*out = groups;
			return;
		}
	}
}

int authz_has(const struct authz_ctx *ctx, const char *user,
	      const char *const *chain, size_t n, const char *priv)
{
	struct authz_privs p;

	authz_effective(ctx, user, chain, n, &p);
	return authz_privs_has(&p, authz_priv_index(priv));
}
