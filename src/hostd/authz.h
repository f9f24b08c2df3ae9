/*
 * authz.h: roles and permissions as the reference host has them (issue
 * 5): a role is a set of privilege ids; a permission binds a user or a
 * group and a role to an inventory entity, optionally propagating to the
 * entities below it. The rules that decide what a user may do on an
 * entity live here, apart from the API, so they are tested on their own.
 */
#ifndef BASALT_HOSTD_AUTHZ_H
#define BASALT_HOSTD_AUTHZ_H

#include <stddef.h>

#include "common/compiler.h"

/* The system roles' ids, as the reference host numbers them. */
#define AUTHZ_ROLE_NOACCESS  (-5)
#define AUTHZ_ROLE_ANONYMOUS (-4)
#define AUTHZ_ROLE_VIEW	     (-3)
#define AUTHZ_ROLE_READONLY  (-2)
#define AUTHZ_ROLE_ADMIN     (-1)

#define AUTHZ_PRIVS_MAX	 128 /* bits of a privilege set */
#define AUTHZ_ENTITY_MAX 320 /* "Type:id" */

/* A set of privileges: bit i is authz_privileges[i]. */
struct authz_privs {
	unsigned long long ap_bits[AUTHZ_PRIVS_MAX / 64];
};

struct authz_role {
	int ar_id;
	char ar_name[64];
	struct authz_privs ar_privs;
};

struct authz_perm {
	char pm_entity[AUTHZ_ENTITY_MAX]; /* "VirtualMachine:3" */
	char pm_principal[33];
	int pm_group;
	int pm_role;
	int pm_propagate;
};

/* Every privilege id the host knows, NULL-terminated. */
extern const char *const authz_privileges[];

/* The index of privilege id, or -1. */
int authz_priv_index(const char *id);
void authz_privs_add(struct authz_privs *s, int index);
int authz_privs_has(const struct authz_privs *s, int index);

/* The system roles (Admin has every privilege; ReadOnly System.Anonymous,
 * System.View, System.Read; NoAccess none), count in *n. */
const struct authz_role *authz_system_roles(size_t *n);

/* What the rules need to know of the world. */
struct authz_ctx {
	const struct authz_role *ac_roles; /* system and custom */
	size_t ac_nroles;
	const struct authz_perm *ac_perms;
	size_t ac_nperms;
	/* Is user in group? */
	int (*ac_in_group)(void *cls, const char *user, const char *group);
	void *ac_cls;
};

/*
 * The privileges user has on the entity whose ancestry is chain[0..n):
 * chain[0] the entity itself, chain[n-1] the root folder. The nearest
 * entity with a permission that applies (on the entity itself, or above
 * it with propagate) decides; there, a permission for the user beats
 * those of its groups; the groups' roles add up, but a NoAccess among
 * them denies. No permission anywhere: no privilege.
 */
void authz_effective(const struct authz_ctx *ctx, const char *user,
		     const char *const *chain, size_t n,
		     struct authz_privs *out);

/* Does user have privilege id on the entity of chain[0..n)? */
int authz_has(const struct authz_ctx *ctx, const char *user,
	      const char *const *chain, size_t n, const char *priv);

#endif
