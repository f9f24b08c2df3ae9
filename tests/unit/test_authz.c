/*
 * test_authz.c: the permission rules (authz.c): propagation, the nearest
 * permission winning, a user's own permission beating its groups',
 * groups adding up, NoAccess denying.
 */
#include <string.h>

#include "hostd/authz.h"
#include "lib/tap.h"

/* An inventory path from VM 1 up: VM, its folder, the datacenter, the
 * root folder; and VM 2 beside it. */
static const char *const vm1[] = {"VirtualMachine:1", "Folder:ha-folder-vm",
				  "Datacenter:ha-datacenter",
				  "Folder:ha-folder-root"};
static const char *const vm2[] = {"VirtualMachine:2", "Folder:ha-folder-vm",
				  "Datacenter:ha-datacenter",
				  "Folder:ha-folder-root"};
static const char *const root[] = {"Folder:ha-folder-root"};

/* bob is in "ops" and "audit"; eve only in "audit". */
static int in_group(void *cls, const char *user, const char *group)
{
	(void)cls;
	if (strcmp(group, "ops") == 0)
		return strcmp(user, "bob") == 0;
	if (strcmp(group, "audit") == 0)
		return strcmp(user, "bob") == 0 || strcmp(user, "eve") == 0;
	return 0;
}

static struct authz_role roles[8];
static size_t nroles;

/* The system roles and one custom role, "power" (id 10). */
static void make_roles(void)
{
	size_t n;
	const struct authz_role *sys = authz_system_roles(&n);

	memcpy(roles, sys, n * sizeof(*sys));
	nroles = n;
	roles[nroles] = (struct authz_role){.ar_id = 10, .ar_name = "power"};
	authz_privs_add(&roles[nroles].ar_privs,
			authz_priv_index("VirtualMachine.Interact.PowerOn"));
	authz_privs_add(&roles[nroles].ar_privs,
			authz_priv_index("VirtualMachine.Interact.PowerOff"));
	nroles++;
}

static struct authz_ctx ctx_of(const struct authz_perm *p, size_t n)
{
	make_roles();
	return (struct authz_ctx){.ac_roles = roles,
				  .ac_nroles = nroles,
				  .ac_perms = p,
				  .ac_nperms = n,
				  .ac_in_group = in_group};
}

#define ON "VirtualMachine.Interact.PowerOn"

static void system_roles_hold_what_they_say(void)
{
	size_t n;
	const struct authz_role *r = authz_system_roles(&n);
	int read = authz_priv_index("System.Read");

	CHECK_EQ(n, 5);
	CHECK(read >= 0);
	CHECK_EQ(authz_priv_index("No.Such.Privilege"), -1);
	for (size_t i = 0; i < n; i++) {
		if (r[i].ar_id == AUTHZ_ROLE_NOACCESS)
			CHECK(!authz_privs_has(&r[i].ar_privs, read));
		if (r[i].ar_id == AUTHZ_ROLE_READONLY) {
			CHECK(authz_privs_has(&r[i].ar_privs, read));
			CHECK(!authz_privs_has(&r[i].ar_privs,
					       authz_priv_index(ON)));
		}
		if (r[i].ar_id == AUTHZ_ROLE_ADMIN)
			for (int k = 0; authz_privileges[k] != NULL; k++)
				CHECK(authz_privs_has(&r[i].ar_privs, k));
	}
}

static void nothing_without_a_permission(void)
{
	struct authz_ctx c = ctx_of(NULL, 0);

	CHECK(!authz_has(&c, "bob", vm1, 4, "System.Read"));
}

static void propagation_decides_what_is_below(void)
{
	struct authz_perm p[] = {
		{"Folder:ha-folder-root", "bob", 0, AUTHZ_ROLE_ADMIN, 1},
		{"Folder:ha-folder-root", "eve", 0, AUTHZ_ROLE_ADMIN, 0}};
	struct authz_ctx c = ctx_of(p, 2);

	CHECK(authz_has(&c, "bob", vm1, 4, ON));
	/* Not propagated: on the root folder only. */
	CHECK(!authz_has(&c, "eve", vm1, 4, ON));
	CHECK(authz_has(&c, "eve", root, 1, ON));
}

static void the_nearest_permission_wins(void)
{
	struct authz_perm p[] = {
		{"Folder:ha-folder-root", "bob", 0, AUTHZ_ROLE_ADMIN, 1},
		{"VirtualMachine:1", "bob", 0, AUTHZ_ROLE_NOACCESS, 0},
		{"Folder:ha-folder-vm", "eve", 0, AUTHZ_ROLE_READONLY, 1},
		{"VirtualMachine:2", "eve", 0, AUTHZ_ROLE_ADMIN, 0},
	};
	struct authz_ctx c = ctx_of(p, 4);

	/* NoAccess on the VM beats Admin from above: nothing, not even
	 * System.Read. */
	CHECK(!authz_has(&c, "bob", vm1, 4, "System.Read"));
	CHECK(authz_has(&c, "bob", vm2, 4, ON));
	/* A narrower grant beats a wider read-only one. */
	CHECK(authz_has(&c, "eve", vm2, 4, ON));
	CHECK(!authz_has(&c, "eve", vm1, 4, ON));
	CHECK(authz_has(&c, "eve", vm1, 4, "System.Read"));
}

static void a_user_permission_beats_its_groups(void)
{
	struct authz_perm p[] = {
		{"VirtualMachine:1", "ops", 1, AUTHZ_ROLE_ADMIN, 0},
		{"VirtualMachine:1", "bob", 0, AUTHZ_ROLE_READONLY, 0},
	};
	struct authz_ctx c = ctx_of(p, 2);

	CHECK(!authz_has(&c, "bob", vm1, 4, ON));
	CHECK(authz_has(&c, "bob", vm1, 4, "System.Read"));
}

static void groups_add_up_and_noaccess_denies(void)
{
	struct authz_perm p[] = {
		{"VirtualMachine:1", "ops", 1, 10, 0},
		{"VirtualMachine:1", "audit", 1, AUTHZ_ROLE_READONLY, 0},
		{"VirtualMachine:2", "ops", 1, 10, 0},
		{"VirtualMachine:2", "audit", 1, AUTHZ_ROLE_NOACCESS, 0},
	};
	struct authz_ctx c = ctx_of(p, 4);

	/* bob: power (ops) and read (audit) on VM 1. */
	CHECK(authz_has(&c, "bob", vm1, 4, ON));
	CHECK(authz_has(&c, "bob", vm1, 4, "System.Read"));
	CHECK(!authz_has(&c, "bob", vm1, 4, "VirtualMachine.Config.Memory"));
	/* eve, in audit only: read, no power. */
	CHECK(!authz_has(&c, "eve", vm1, 4, ON));
	CHECK(authz_has(&c, "eve", vm1, 4, "System.Read"));
	/* A NoAccess group on VM 2 denies bob although ops grants. */
	CHECK(!authz_has(&c, "bob", vm2, 4, ON));
	/* A user in no group with a permission: nothing. */
	CHECK(!authz_has(&c, "carol", vm1, 4, "System.Read"));
}

static void an_unknown_role_grants_nothing(void)
{
	struct authz_perm p[] = {
		{"VirtualMachine:1", "bob", 0, 999, 0},
		{"VirtualMachine:2", "ops", 1, 999, 0},
		{"Folder:ha-folder-root", "bob", 0, AUTHZ_ROLE_ADMIN, 1},
	};
	struct authz_ctx c = ctx_of(p, 3);

	CHECK(!authz_has(&c, "bob", vm1, 4, "System.Read"));
	CHECK(!authz_has(&c, "bob", vm2, 4, "System.Read"));
}

int main(void)
{
	RUN(system_roles_hold_what_they_say);
	RUN(nothing_without_a_permission);
	RUN(propagation_decides_what_is_below);
	RUN(the_nearest_permission_wins);
	RUN(a_user_permission_beats_its_groups);
	RUN(groups_add_up_and_noaccess_denies);
	RUN(an_unknown_role_grants_nothing);
	return tap_done();
}
