/*
 * authorization.h: the host's roles and permissions as hostd keeps them
 * (authorization_manager.c; the rules are in hostd/authz.c).
 */
#ifndef BASALT_HOSTD_AUTHORIZATION_H
#define BASALT_HOSTD_AUTHORIZATION_H

#include "common/compiler.h"
#include "common/err.h"
#include "hostd/authz.h"

#define AUTHZ_ROLES_MAX 64  /* custom roles */
#define AUTHZ_PERMS_MAX 256 /* permissions */

struct authz_store {
	struct authz_role as_roles[AUTHZ_ROLES_MAX]; /* custom ones */
	size_t as_nroles;
	int as_next_role;
	struct authz_perm as_perms[AUTHZ_PERMS_MAX];
	size_t as_nperms;
};

struct hostd;
struct kvcfg;

/* Read etc/basalt/authorization.conf (missing: root, dcui and vpxuser
 * Admin on the root folder). A bad entry fails with its key. */
BASALT_MUST_CHECK int authz_store_load(struct hostd *h, struct err *e);

/* authorization.conf's entries (kvcfg format, docs/formats/accounts.md)
 * into st, checked whole (roles named once, permissions complete, on
 * roles that exist); on an error st is empty and e names the entry. */
BASALT_MUST_CHECK int authz_store_parse(struct authz_store *st,
					const struct kvcfg *cfg, struct err *e);

/* Drop every permission of user (or group) name: when it is removed,
 * and before one of that name is made, so a new account never inherits
 * an old one's rights. */
BASALT_MUST_CHECK int authz_forget(struct hostd *h, const char *name, int group,
				   struct err *e);

/* st as authorization.conf's text (malloc'd; NULL: out of memory). */
char *authz_store_format(const struct authz_store *st);

/* The rules' view of h's roles (system ones, then custom ones, into
 * roles[max]) and permissions; ac_in_group is left to the caller. */
void authz_ctx_of(const struct hostd *h, struct authz_ctx *ctx,
		  struct authz_role *roles, size_t max);

#endif
