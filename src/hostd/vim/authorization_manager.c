/*
 * authorization_manager.c: AuthorizationManager ha-authmgr: the roles
 * (system ones and custom ones built from privilege ids) and the
 * permissions on inventory entities (authz.c has the rules), kept in
 * etc/basalt/authorization.conf (kvcfg format, written atomically). A
 * fresh host gives root, dcui and vpxuser Admin on the root folder,
 * propagating, as the reference host does.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/kvcfg.h"
#include "common/log.h"
#include "hostd/accounts.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/authorization.h"
#include "hostd/vim/mo.h"

#define AUTHMGR_ID	  "ha-authmgr"
#define CUSTOM_ROLE_FIRST 10

static void conf_path(const struct hostd *h, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s/authorization.conf", (int)(size - 32),
		 h->hd_confdir);
}

static void defaults(struct authz_store *st)
{
	static const char *const admins[] = {"root", "dcui", "vpxuser"};

	memset(st, 0, sizeof(*st));
	st->as_next_role = CUSTOM_ROLE_FIRST;
	for (size_t i = 0; i < 3; i++) {
		struct authz_perm *p = &st->as_perms[st->as_nperms++];
		snprintf(p->pm_entity, sizeof(p->pm_entity),
			 "Folder:ha-folder-root");
		snprintf(p->pm_principal, sizeof(p->pm_principal), "%s",
			 admins[i]);
		p->pm_role = AUTHZ_ROLE_ADMIN;
		p->pm_propagate = 1;
	}
}

static int role_line(struct authz_store *st, const char *key, const char *value,
		     struct err *e)
{
	long id;
	char *end, field[16];
	struct authz_role *r = NULL;

	id = strtol(key + 5, &end, 10);
	if (*end != '.' || id < CUSTOM_ROLE_FIRST || id > 1000000 ||
	    strlen(end + 1) >= sizeof(field))
		return err_set(e, -EINVAL, "%s: not a role key", key);
	strcpy(field, end + 1);
	for (size_t i = 0; i < st->as_nroles; i++)
		if (st->as_roles[i].ar_id == id)
			r = &st->as_roles[i];
	if (r == NULL) {
		if (st->as_nroles == AUTHZ_ROLES_MAX)
			return err_set(e, -E2BIG, "too many roles");
		r = &st->as_roles[st->as_nroles++];
		memset(r, 0, sizeof(*r));
		r->ar_id = (int)id;
		if (id >= st->as_next_role)
			st->as_next_role = (int)id + 1;
	}
	if (strcmp(field, "name") == 0) {
		if (value[0] == '\0' || strlen(value) >= sizeof(r->ar_name))
			return err_set(e, -EINVAL, "%s: bad name", key);
		strcpy(r->ar_name, value);
		return 0;
	}
	if (strcmp(field, "privileges") == 0) {
		char buf[8192], *save = NULL;
		if (strlen(value) >= sizeof(buf))
			return err_set(e, -EINVAL, "%s: too long", key);
		strcpy(buf, value);
		for (char *t = strtok_r(buf, ",", &save); t != NULL;
		     t = strtok_r(NULL, ",", &save)) {
			int k = authz_priv_index(t);
			if (k < 0)
				return err_set(e, -EINVAL,
					       "%s: no privilege %.64s", key,
					       t);
			authz_privs_add(&r->ar_privs, k);
		}
		return 0;
	}
	return err_set(e, -EINVAL, "%s: not a role key", key);
}

static int bool_ok(const char *v)
{
	return strcmp(v, "true") == 0 || strcmp(v, "false") == 0;
}

static int role_ok(const char *v, int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0 || n < -1000000 ||
	    n > 1000000)
		return 0;
	*out = (int)n;
	return 1;
}

static int perm_line(struct authz_store *st, const char *key, const char *value,
		     int *last, struct err *e)
{
	long n;
	char *end;
	struct authz_perm *p;

	n = strtol(key + 5, &end, 10);
	if (*end != '.' || n < 0)
		return err_set(e, -EINVAL, "%s: not a permission key", key);
	if (n != *last) {
		if (st->as_nperms == AUTHZ_PERMS_MAX)
			return err_set(e, -E2BIG, "too many permissions");
		memset(&st->as_perms[st->as_nperms++], 0, sizeof(*p));
		*last = (int)n;
	}
	p = &st->as_perms[st->as_nperms - 1];
	end++;
	if (strcmp(end, "entity") == 0 &&
	    strlen(value) < sizeof(p->pm_entity) && strchr(value, ':'))
		strcpy(p->pm_entity, value);
	else if (strcmp(end, "principal") == 0 && acct_name_ok(value))
		strcpy(p->pm_principal, value);
	else if (strcmp(end, "group") == 0 && bool_ok(value))
		p->pm_group = strcmp(value, "true") == 0;
	else if (strcmp(end, "propagate") == 0 && bool_ok(value))
		p->pm_propagate = strcmp(value, "true") == 0;
	else if (strcmp(end, "role") == 0 && role_ok(value, &p->pm_role))
		;
	else
		return err_set(e, -EINVAL, "%s: bad permission entry", key);
	return 0;
}

/* Is there a role id? */
static int role_exists(const struct authz_store *st, int id)
{
	if (id >= AUTHZ_ROLE_NOACCESS && id <= AUTHZ_ROLE_ADMIN)
		return 1;
	for (size_t i = 0; i < st->as_nroles; i++)
		if (st->as_roles[i].ar_id == id)
			return 1;
	return 0;
}

/* What one entry at a time cannot check: every role named, once; every
 * permission whole, on a role that exists, once per entity and
 * principal. */
static int store_check(const struct authz_store *st, struct err *e)
{
	for (size_t i = 0; i < st->as_nroles; i++) {
		const struct authz_role *r = &st->as_roles[i];
		if (r->ar_name[0] == '\0')
			return err_set(e, -EINVAL, "role.%d: no name",
				       r->ar_id);
		for (size_t k = 0; k < i; k++)
			if (strcmp(st->as_roles[k].ar_name, r->ar_name) == 0)
				return err_set(e, -EINVAL,
					       "role.%d: the name of role.%d",
					       r->ar_id, st->as_roles[k].ar_id);
	}
	for (size_t i = 0; i < st->as_nperms; i++) {
		const struct authz_perm *p = &st->as_perms[i];
		if (p->pm_entity[0] == '\0' || p->pm_principal[0] == '\0')
			return err_set(e, -EINVAL,
				       "permission %zu: entity and principal "
				       "are needed",
				       i + 1);
		if (!role_exists(st, p->pm_role))
			return err_set(e, -EINVAL, "permission %zu: no role %d",
				       i + 1, p->pm_role);
		for (size_t k = 0; k < i; k++)
			if (strcmp(st->as_perms[k].pm_entity, p->pm_entity) ==
				    0 &&
			    strcmp(st->as_perms[k].pm_principal,
				   p->pm_principal) == 0 &&
			    st->as_perms[k].pm_group == p->pm_group)
				return err_set(e, -EINVAL,
					       "permission %zu: %s has one on "
					       "%s already",
					       i + 1, p->pm_principal,
					       p->pm_entity);
	}
	return 0;
}

int authz_store_parse(struct authz_store *st, const struct kvcfg *cfg,
		      struct err *e)
{
	int rc = 0, last = -1;

	memset(st, 0, sizeof(*st));
	st->as_next_role = CUSTOM_ROLE_FIRST;
	for (int i = 0; i < cfg->kc_count && rc == 0; i++) {
		const struct kvcfg_entry *en = &cfg->kc_entries[i];
		if (strncmp(en->ke_key, "role.", 5) == 0)
			rc = role_line(st, en->ke_key, en->ke_value, e);
		else if (strncmp(en->ke_key, "perm.", 5) == 0)
			rc = perm_line(st, en->ke_key, en->ke_value, &last, e);
		else
			rc = err_set(e, -EINVAL, "%s: unknown key", en->ke_key);
	}
	if (rc == 0)
		rc = store_check(st, e);
	if (rc < 0)
		memset(st, 0, sizeof(*st));
	return rc;
}

int authz_store_load(struct hostd *h, struct err *e)
{
	struct authz_store *st;
	char path[PATH_MAX];
	struct kvcfg cfg;
	int rc;

	conf_path(h, path, sizeof(path));
	rc = kvcfg_load(&cfg, path, e);
	if (rc == -ENOENT) {
		err_clear(e);
		defaults(&h->hd_authz);
		return 0;
	}
	if (rc < 0)
		return rc;
	st = malloc(sizeof(*st));
	rc = st == NULL ? err_set(e, -ENOMEM, "out of memory")
			: authz_store_parse(st, &cfg, e);
	kvcfg_free(&cfg);
	if (rc == 0)
		h->hd_authz = *st;
	free(st);
	if (rc < 0)
		return err_set(e, rc, "%s: %s", path, err_msg(e));
	return 0;
}

/* One value, escaped for the kvcfg format, appended at buf + *len. */
static void put_value(char *buf, size_t cap, size_t *len, const char *v)
{
	if (*len < cap && kvcfg_escape(v, buf + *len, cap - *len) >= 0)
		*len += strlen(buf + *len);
}

char *authz_store_format(const struct authz_store *st)
{
	/* Escaping at most triples a value ("|22" for '"'). */
	size_t cap = 256 + st->as_nroles * (3 * 8192 + 256) +
		     st->as_nperms * (3 * 400 + 200);
	char *buf = malloc(cap);
	size_t len = 0;

	if (buf == NULL)
		return NULL;
	len += (size_t)snprintf(buf, cap,
				"# Basalt roles and permissions (written by "
				"hostd)\n");
	for (size_t i = 0; i < st->as_nroles; i++) {
		const struct authz_role *r = &st->as_roles[i];
		int first = 1;
		len += (size_t)snprintf(buf + len, cap - len,
					"role.%d.name = \"", r->ar_id);
		put_value(buf, cap, &len, r->ar_name);
		len += (size_t)snprintf(buf + len, cap - len,
					"\"\nrole.%d.privileges = \"",
					r->ar_id);
		for (int k = 0; authz_privileges[k] != NULL; k++)
			if (authz_privs_has(&r->ar_privs, k)) {
				len += (size_t)snprintf(
					buf + len, cap - len, "%s%s",
					first ? "" : ",", authz_privileges[k]);
				first = 0;
			}
		len += (size_t)snprintf(buf + len, cap - len, "\"\n");
	}
	for (size_t i = 0; i < st->as_nperms; i++) {
		const struct authz_perm *p = &st->as_perms[i];
		len += (size_t)snprintf(buf + len, cap - len,
					"perm.%zu.entity = \"", i);
		put_value(buf, cap, &len, p->pm_entity);
		len += (size_t)snprintf(
			buf + len, cap - len,
			"\"\nperm.%zu.principal = \"%s\"\n"
			"perm.%zu.group = \"%s\"\n"
			"perm.%zu.role = \"%d\"\n"
			"perm.%zu.propagate = \"%s\"\n",
			i, p->pm_principal, i, p->pm_group ? "true" : "false",
			i, p->pm_role, i, p->pm_propagate ? "true" : "false");
	}
	return buf;
}

static int store_save(struct hostd *h, const struct authz_store *st,
		      struct err *e)
{
	char *buf = authz_store_format(st), path[PATH_MAX];
	int rc;

	if (buf == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	conf_path(h, path, sizeof(path));
	rc = file_write_atomic(path, buf, strlen(buf), 0644, e);
	free(buf);
	return rc;
}

int authz_forget(struct hostd *h, const char *name, int group, struct err *e)
{
	struct authz_store *next;
	size_t w = 0;
	int rc = 0;

	for (size_t i = 0; i < h->hd_authz.as_nperms; i++) {
		const struct authz_perm *p = &h->hd_authz.as_perms[i];
		if (strcmp(p->pm_principal, name) == 0 &&
		    !p->pm_group == !group)
			w++;
	}
	if (w == 0)
		return 0;
	next = malloc(sizeof(*next));
	if (next == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	*next = h->hd_authz;
	w = 0;
	for (size_t i = 0; i < next->as_nperms; i++) {
		const struct authz_perm *p = &next->as_perms[i];
		if (strcmp(p->pm_principal, name) != 0 ||
		    !p->pm_group != !group)
			next->as_perms[w++] = *p;
	}
	log_info("api: %zu permission(s) of %s %s dropped", next->as_nperms - w,
		 group ? "group" : "user", name);
	next->as_nperms = w;
	rc = store_save(h, next, e);
	if (rc == 0) {
		h->hd_authz = *next;
		vim_changed(h);
	}
	free(next);
	return rc;
}

/* Apply a changed copy: saved first, then made live. */
static int commit(struct vim_call *c, struct authz_store *next)
{
	struct err e = {0};

	if (store_save(c->vc_hostd, next, &e) < 0) {
		free(next);
		return vim_fault(c, "SystemError", NULL, "%s", err_msg(&e));
	}
	c->vc_hostd->hd_authz = *next;
	free(next);
	vim_changed(c->vc_hostd);
	return 0;
}

static struct authz_store *copy_store(struct vim_call *c)
{
	struct authz_store *s = malloc(sizeof(*s));

	if (s != NULL)
		*s = c->vc_hostd->hd_authz;
	return s;
}

void authz_ctx_of(const struct hostd *h, struct authz_ctx *ctx,
		  struct authz_role *roles, size_t max)
{
	size_t n, k = 0;
	const struct authz_role *sys = authz_system_roles(&n);

	for (size_t i = 0; i < n && k < max; i++)
		roles[k++] = sys[i];
	for (size_t i = 0; i < h->hd_authz.as_nroles && k < max; i++)
		roles[k++] = h->hd_authz.as_roles[i];
	*ctx = (struct authz_ctx){.ac_roles = roles,
				  .ac_nroles = k,
				  .ac_perms = h->hd_authz.as_perms,
				  .ac_nperms = h->hd_authz.as_nperms};
}

static int authmgr_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, AUTHMGR_ID) == 0;
}

static struct vval *role_value(struct vval *a, const struct authz_role *r,
			       int system)
{
	struct vval *o = vval_obj(a, NULL, "AuthorizationRole");
	struct vval *d, *p;

	vval_int(o, "roleId", "xsd:int", r->ar_id);
	vval_bool(o, "system", system);
	vval_str(o, "name", r->ar_name);
	d = vval_obj(o, "info", "Description");
	vval_str(d, "label", r->ar_name);
	vval_str(d, "summary", r->ar_name);
	p = vval_array(o, "privilege", "string");
	for (int k = 0; authz_privileges[k] != NULL; k++)
		if (authz_privs_has(&r->ar_privs, k))
			vval_str(p, NULL, authz_privileges[k]);
	return o;
}

static enum mo_prop_result authmgr_prop(struct vim_call *c, const char *id,
					const char *name, struct vval **out)
{
	*out = NULL;
	if (!authmgr_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "privilegeList") == 0) {
		*out = vval_array(NULL, NULL, "AuthorizationPrivilege");
		for (int k = 0; authz_privileges[k] != NULL; k++) {
			struct vval *o =
				vval_obj(*out, NULL, "AuthorizationPrivilege");
			const char *dot = strrchr(authz_privileges[k], '.');
			char group[96];
			snprintf(group, sizeof(group), "%.*s",
				 (int)(dot - authz_privileges[k]),
				 authz_privileges[k]);
			vval_str(o, "privId", authz_privileges[k]);
			vval_bool(o, "onParent", 0);
			vval_str(o, "name", authz_privileges[k]);
			vval_str(o, "privGroupName", group);
		}
	} else if (strcmp(name, "roleList") == 0) {
		size_t n;
		const struct authz_role *sys = authz_system_roles(&n);
		*out = vval_array(NULL, NULL, "AuthorizationRole");
		for (size_t i = 0; i < n; i++)
			role_value(*out, &sys[i], 1);
		for (size_t i = 0; i < c->vc_hostd->hd_authz.as_nroles; i++)
			role_value(*out, &c->vc_hostd->hd_authz.as_roles[i], 0);
	} else {
		return MO_PROP_UNKNOWN;
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const authmgr_props[] = {"privilegeList", "roleList", NULL};

const struct mo_type mo_authorization_manager = {
	.mt_name = "AuthorizationManager",
	.mt_exists = authmgr_exists,
	.mt_prop = authmgr_prop,
	.mt_props = authmgr_props,
};

/* privIds arguments into a set; -1 after a fault. */
static int priv_args(struct vim_call *c, struct authz_privs *set)
{
	memset(set, 0, sizeof(*set));
	for (struct soap_node *n = soap_arg(c->vc_req, "privIds"); n != NULL;
	     n = soap_next(n, "privIds")) {
		char id[96];
		int k;
		if (soap_text(n, id, sizeof(id)) < 0 ||
		    (k = authz_priv_index(id)) < 0) {
			vim_fault_invalid_argument(c, "privIds");
			return -1;
		}
		authz_privs_add(set, k);
	}
	/* Every role can see and read, as on the reference host. */
	authz_privs_add(set, authz_priv_index("System.Anonymous"));
	authz_privs_add(set, authz_priv_index("System.View"));
	authz_privs_add(set, authz_priv_index("System.Read"));
	return 0;
}

static int name_taken(const struct hostd *h, const char *name, int except)
{
	size_t n;
	const struct authz_role *sys = authz_system_roles(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(sys[i].ar_name, name) == 0)
			return 1;
	for (size_t i = 0; i < h->hd_authz.as_nroles; i++)
		if (h->hd_authz.as_roles[i].ar_id != except &&
		    strcmp(h->hd_authz.as_roles[i].ar_name, name) == 0)
			return 1;
	return 0;
}

static int add_role(struct vim_call *c)
{
	char name[64];
	struct authz_privs set;
	struct authz_store *next;
	struct authz_role *r;
	int id;

	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "name"), name, sizeof(name)) < 0 ||
	    name[0] == '\0' || strchr(name, '"') != NULL)
		return vim_fault_invalid_argument(c, "name");
	if (priv_args(c, &set) < 0)
		return 0;
	if (name_taken(c->vc_hostd, name, 0))
		return vim_fault_field(c, "AlreadyExists", "name", name,
				       "A role named %s exists", name);
	if (c->vc_hostd->hd_authz.as_nroles == AUTHZ_ROLES_MAX)
		return vim_fault(c, "InvalidState", NULL, "too many roles");
	next = copy_store(c);
	if (next == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	r = &next->as_roles[next->as_nroles++];
	id = next->as_next_role++;
	*r = (struct authz_role){.ar_id = id, .ar_privs = set};
	snprintf(r->ar_name, sizeof(r->ar_name), "%s", name);
	if (commit(c, next) < 0 || c->vc_fault)
		return 0;
	log_info("api: %s added role %d (%s)",
		 c->vc_session ? c->vc_session->vs_user : "?", id, name);
	xmlout_printf(&c->vc_out, "<returnval>%d</returnval>", id);
	return 0;
}

static int role_index(const struct authz_store *st, long id)
{
	for (size_t i = 0; i < st->as_nroles; i++)
		if (st->as_roles[i].ar_id == id)
			return (int)i;
	return -1;
}

static long role_arg(struct vim_call *c)
{
	char buf[24], *end;
	long id;

	if (soap_text(soap_arg(c->vc_req, "roleId"), buf, sizeof(buf)) < 0)
		return LONG_MIN;
	id = strtol(buf, &end, 10);
	return *end == '\0' && buf[0] != '\0' ? id : LONG_MIN;
}

static int update_role(struct vim_call *c)
{
	long id = role_arg(c);
	char name[64];
	struct authz_privs set;
	struct authz_store *next;
	int k;

	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (id < 0 && id != LONG_MIN)
		return vim_fault_field(c, "InvalidArgument", "invalidProperty",
				       "roleId", "system roles do not change");
	k = role_index(&c->vc_hostd->hd_authz, id);
	if (k < 0)
		return vim_fault(c, "NotFound", NULL, "No role %ld", id);
	if (soap_text(soap_arg(c->vc_req, "newName"), name, sizeof(name)) < 0 ||
	    name[0] == '\0' || strchr(name, '"') != NULL)
		return vim_fault_invalid_argument(c, "newName");
	if (priv_args(c, &set) < 0)
		return 0;
	if (name_taken(c->vc_hostd, name, (int)id))
		return vim_fault_field(c, "AlreadyExists", "name", name,
				       "A role named %s exists", name);
	next = copy_store(c);
	if (next == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	next->as_roles[k].ar_privs = set;
	snprintf(next->as_roles[k].ar_name, sizeof(next->as_roles[k].ar_name),
		 "%s", name);
	return commit(c, next);
}

static int remove_role(struct vim_call *c)
{
	long id = role_arg(c);
	struct authz_store *next;
	size_t used = 0, w = 0;
	int k;

	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	k = role_index(&c->vc_hostd->hd_authz, id);
	if (id < 0 && id != LONG_MIN)
		return vim_fault_field(c, "InvalidArgument", "invalidProperty",
				       "roleId",
				       "system roles cannot be removed");
	if (k < 0)
		return vim_fault(c, "NotFound", NULL, "No role %ld", id);
	for (size_t i = 0; i < c->vc_hostd->hd_authz.as_nperms; i++)
		used += c->vc_hostd->hd_authz.as_perms[i].pm_role == id;
	if (used > 0 && soap_bool(soap_arg(c->vc_req, "failIfUsed"), 1))
		return vim_fault(c, "RemoveFailed", NULL,
				 "Role %ld is in %zu permissions", id, used);
	next = copy_store(c);
	if (next == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	/* The role goes, and the permissions that named it. */
	memmove(&next->as_roles[k], &next->as_roles[k + 1],
		(next->as_nroles - (size_t)k - 1) * sizeof(next->as_roles[0]));
	next->as_nroles--;
	for (size_t i = 0; i < next->as_nperms; i++)
		if (next->as_perms[i].pm_role != id)
			next->as_perms[w++] = next->as_perms[i];
	next->as_nperms = w;
	return commit(c, next);
}

/* The entity argument as "Type:id"; -1 after a fault. */
static int entity_arg(struct vim_call *c, struct soap_node *n, char *out,
		      size_t size)
{
	const char *type = soap_attr(n, "type");
	char id[SOAP_ID_MAX];

	if (type == NULL || soap_text(n, id, sizeof(id)) < 0 ||
	    !mo_exists(c, type, id) || !mo_is_a(type, "ManagedEntity") ||
	    snprintf(out, size, "%s:%s", type, id) >= (int)size) {
		vim_fault_invalid_argument(c, "entity");
		return -1;
	}
	return 0;
}

static int principal_known(struct vim_call *c, const char *name, int group)
{
	struct acct_db db;
	struct err e = {0};
	int ok;

	if (acct_load(c->vc_hostd->hd_confdir, &db, &e) < 0)
		return 0;
	ok = group ? acct_group_find(&db, name) != NULL
		   : acct_user_find(&db, name) != NULL;
	acct_free(&db);
	return ok;
}

static int set_entity_permissions(struct vim_call *c)
{
	char entity[AUTHZ_ENTITY_MAX];
	struct authz_store *next;

	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (entity_arg(c, soap_arg(c->vc_req, "entity"), entity,
		       sizeof(entity)) < 0)
		return 0;
	next = copy_store(c);
	if (next == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	for (struct soap_node *n = soap_arg(c->vc_req, "permission"); n != NULL;
	     n = soap_next(n, "permission")) {
		struct authz_perm p = {0};
		char buf[24];
		size_t i;
		long role;
		if (soap_text(soap_child(n, "principal"), p.pm_principal,
			      sizeof(p.pm_principal)) < 0 ||
		    !acct_name_ok(p.pm_principal) ||
		    soap_text(soap_child(n, "roleId"), buf, sizeof(buf)) < 0) {
			free(next);
			return vim_fault_invalid_argument(c, "permission");
		}
		role = strtol(buf, NULL, 10);
		p.pm_group = soap_bool(soap_child(n, "group"), 0);
		p.pm_propagate = soap_bool(soap_child(n, "propagate"), 0);
		if (!principal_known(c, p.pm_principal, p.pm_group)) {
			free(next);
			return vim_fault_user_not_found(c, p.pm_principal);
		}
		if (!(role >= AUTHZ_ROLE_NOACCESS &&
		      role <= AUTHZ_ROLE_ADMIN) &&
		    role_index(next, role) < 0) {
			free(next);
			return vim_fault_invalid_argument(c, "roleId");
		}
		p.pm_role = (int)role;
		snprintf(p.pm_entity, sizeof(p.pm_entity), "%s", entity);
		/* One permission per principal and entity: replace it. */
		for (i = 0; i < next->as_nperms; i++)
			if (strcmp(next->as_perms[i].pm_entity, entity) == 0 &&
			    strcmp(next->as_perms[i].pm_principal,
				   p.pm_principal) == 0 &&
			    next->as_perms[i].pm_group == p.pm_group)
				break;
		if (i == next->as_nperms) {
			if (next->as_nperms == AUTHZ_PERMS_MAX) {
				free(next);
				return vim_fault(c, "InvalidState", NULL,
						 "too many permissions");
			}
			next->as_nperms++;
		}
		next->as_perms[i] = p;
	}
	return commit(c, next);
}

static int remove_entity_permission(struct vim_call *c)
{
	char entity[AUTHZ_ENTITY_MAX], user[40];
	int is_group;
	struct authz_store *next;
	size_t w = 0;

	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (entity_arg(c, soap_arg(c->vc_req, "entity"), entity,
		       sizeof(entity)) < 0)
		return 0;
	if (soap_text(soap_arg(c->vc_req, "user"), user, sizeof(user)) < 0)
		return vim_fault_invalid_argument(c, "user");
	is_group = soap_bool(soap_arg(c->vc_req, "isGroup"), 0);
	next = copy_store(c);
	if (next == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	for (size_t i = 0; i < next->as_nperms; i++) {
		const struct authz_perm *p = &next->as_perms[i];
		if (strcmp(p->pm_entity, entity) == 0 &&
		    strcmp(p->pm_principal, user) == 0 &&
		    p->pm_group == is_group)
			continue;
		next->as_perms[w++] = *p;
	}
	if (w == next->as_nperms) {
		free(next);
		return vim_fault(c, "NotFound", NULL,
				 "No permission for %s on %s", user, entity);
	}
	next->as_nperms = w;
	return commit(c, next);
}

static void perm_value(struct vval *a, const struct authz_perm *p)
{
	struct vval *o = vval_obj(a, NULL, "Permission");
	const char *colon = strchr(p->pm_entity, ':');
	char type[SOAP_NAME_MAX];

	snprintf(type, sizeof(type), "%.*s", (int)(colon - p->pm_entity),
		 p->pm_entity);
	vval_moref(o, "entity", type, colon + 1);
	vval_str(o, "principal", p->pm_principal);
	vval_bool(o, "group", p->pm_group);
	vval_int(o, "roleId", "xsd:int", p->pm_role);
	vval_bool(o, "propagate", p->pm_propagate);
}

/* Answer with the permissions that match: on entity (NULL: any), with
 * role (INT_MIN: any). */
/* May the caller read the entity "Type:id" a permission is on? */
static int perm_visible(struct vim_call *c, const char *entity)
{
	char type[AUTHZ_ENTITY_MAX];
	const char *colon = strchr(entity, ':');

	if (colon == NULL || (size_t)(colon - entity) >= sizeof(type))
		return 0;
	memcpy(type, entity, (size_t)(colon - entity));
	type[colon - entity] = '\0';
	return vim_may_read(c, type, colon + 1);
}

/* The permissions on entity (NULL: any) with role (LONG_MIN: any), of
 * the entities the caller may read. */
static int list_perms(struct vim_call *c, const char *entity, long role)
{
	const struct authz_store *st = &c->vc_hostd->hd_authz;
	struct vval *a = vval_array(NULL, NULL, "Permission");

	for (size_t i = 0; i < st->as_nperms; i++)
		if ((entity == NULL ||
		     strcmp(st->as_perms[i].pm_entity, entity) == 0) &&
		    (role == LONG_MIN || st->as_perms[i].pm_role == role) &&
		    perm_visible(c, st->as_perms[i].pm_entity))
			perm_value(a, &st->as_perms[i]);
	if (a == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	vval_write(&c->vc_out, "returnval", a);
	vval_free(a);
	return 0;
}

static int retrieve_entity_permissions(struct vim_call *c)
{
	char entity[AUTHZ_ENTITY_MAX];

	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (entity_arg(c, soap_arg(c->vc_req, "entity"), entity,
		       sizeof(entity)) < 0)
		return 0;
	return list_perms(c, entity, LONG_MIN);
}

static int retrieve_all_permissions(struct vim_call *c)
{
	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	return list_perms(c, NULL, LONG_MIN);
}

static int retrieve_role_permissions(struct vim_call *c)
{
	long id = role_arg(c);

	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (id == LONG_MIN)
		return vim_fault_invalid_argument(c, "roleId");
	return list_perms(c, NULL, id);
}

/* Whose privileges a HasPrivilege call asks about: the session key's
 * user (or, by name, a user's); the caller needs Sessions.ValidateSession
 * to ask about anyone but itself. *all: a console session, which has
 * every privilege. -1 after a fault. */
static int subject(struct vim_call *c, int by_user, char *user, size_t size,
		   int *all)
{
	char arg[VIM_SESSION_KEY_BYTES + VIM_USER_MAX];
	const char *name = by_user ? "userName" : "sessionId";
	struct vim_session *s = NULL;
	int ok;

	*all = 0;
	if (soap_text(soap_arg(c->vc_req, name), arg, sizeof(arg)) < 0 ||
	    arg[0] == '\0' || strlen(arg) >= size)
		return vim_fault_invalid_argument(c, name), -1;
	if (!by_user) {
		s = vim_session_find_key(c->vc_hostd, arg);
		if (s == NULL)
			return vim_fault_invalid_argument(c, name), -1;
		memcpy(user, s->vs_user, sizeof(s->vs_user));
		*all = s->vs_console;
	} else {
		memcpy(user, arg, strlen(arg) + 1);
	}
	if (s == c->vc_session ||
	    (by_user && strcmp(user, c->vc_session->vs_user) == 0 &&
	     !c->vc_session->vs_console))
		return 0;
	/* About another user's privileges. */
	ok = vim_may(c, "Folder", "ha-folder-root", "Sessions.ValidateSession");
	if (ok > 0)
		return 0;
	vim_fault_no_permission(c, "Folder", "ha-folder-root",
				"Sessions.ValidateSession");
	return -1;
}

/* Is every argument arg an existing inventory entity? -1 after the
 * fault saying which is not. */
static int entities_ok(struct vim_call *c, const char *arg)
{
	for (struct soap_node *n = soap_arg(c->vc_req, arg); n != NULL;
	     n = soap_next(n, arg)) {
		char id[SOAP_ID_MAX];
		const char *type = soap_attr(n, "type");
		if (type == NULL || soap_text(n, id, sizeof(id)) < 0 ||
		    !mo_is_a(type, "ManagedEntity"))
			return vim_fault_invalid_argument(c, arg), -1;
		if (!mo_exists(c, type, id))
			return vim_fault_gone(c, type, id), -1;
	}
	return 0;
}

/* HasPrivilegeOnEntities, HasUserPrivilegeOnEntities (EntityPrivilege
 * per entity) and the older HasPrivilegeOnEntity (booleans). */
static int has_privilege(struct vim_call *c, int by_user, int one)
{
	const char *entities = one ? "entity" : by_user ? "entities" : "entity";
	char user[VIM_USER_MAX], priv[128];
	struct soap_node *n, *p;
	int all;

	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (subject(c, by_user, user, sizeof(user), &all) < 0)
		return 0;
	/* Everything checked before anything is answered. */
	for (p = soap_arg(c->vc_req, "privId"); p != NULL;
	     p = soap_next(p, "privId"))
		if (soap_text(p, priv, sizeof(priv)) < 0 ||
		    authz_priv_index(priv) < 0)
			return vim_fault_invalid_argument(c, "privId");
	if (entities_ok(c, entities) < 0)
		return 0;
	for (n = soap_arg(c->vc_req, entities); n != NULL;
	     n = soap_next(n, entities)) {
		char id[SOAP_ID_MAX];
		const char *type = soap_attr(n, "type");
		struct vval *ep = NULL, *avail = NULL;
		if (soap_text(n, id, sizeof(id)) < 0)
			continue; /* checked above */
		if (!one) {
			ep = vval_obj(NULL, NULL, "EntityPrivilege");
			vval_moref(ep, "entity", type, id);
			avail = vval_array(ep, "privAvailability",
					   "PrivilegeAvailability");
		}
		for (p = soap_arg(c->vc_req, "privId"); p != NULL;
		     p = soap_next(p, "privId")) {
			int granted;
			if (soap_text(p, priv, sizeof(priv)) < 0)
				continue; /* checked above */
			granted =
				all ? 1 : vim_may_user(c, user, type, id, priv);
			if (granted < 0) {
				vval_free(ep);
				return vim_fault(c, "SystemError", NULL,
						 "the account files cannot be "
						 "read");
			}
			if (one) {
				xmlout_elem(&c->vc_out, "returnval",
					    granted ? "true" : "false");
			} else {
				struct vval *a = vval_obj(
					avail, NULL, "PrivilegeAvailability");
				vval_str(a, "privId", priv);
				vval_bool(a, "isGranted", granted);
			}
		}
		if (one)
			break; /* one entity */
		if (ep == NULL)
			return vim_fault(c, "SystemError", NULL,
					 "out of memory");
		vval_write(&c->vc_out, "returnval", ep);
		vval_free(ep);
	}
	return 0;
}

/* FetchUserPrivilegeOnEntities: each entity with the privilege ids the
 * named user has there. */
static int fetch_user_privilege(struct vim_call *c)
{
	char user[VIM_USER_MAX];
	struct soap_node *n;
	int all;

	if (!authmgr_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (subject(c, 1, user, sizeof(user), &all) < 0)
		return 0;
	if (entities_ok(c, "entities") < 0)
		return 0;
	for (n = soap_arg(c->vc_req, "entities"); n != NULL;
	     n = soap_next(n, "entities")) {
		char id[SOAP_ID_MAX];
		const char *type = soap_attr(n, "type");
		struct authz_privs privs;
		struct vval *r, *list;
		if (soap_text(n, id, sizeof(id)) < 0)
			continue; /* checked above */
		if (vim_user_privs(c, user, type, id, &privs) < 0)
			return vim_fault(c, "SystemError", NULL,
					 "the account files cannot be read");
		r = vval_obj(NULL, NULL, "UserPrivilegeResult");
		vval_moref(r, "entity", type, id);
		list = vval_array(r, "privileges", "string");
		for (int k = 0; authz_privileges[k] != NULL; k++)
			if (authz_privs_has(&privs, k))
				vval_str(list, NULL, authz_privileges[k]);
		if (r == NULL)
			return vim_fault(c, "SystemError", NULL,
					 "out of memory");
		vval_write(&c->vc_out, "returnval", r);
		vval_free(r);
	}
	return 0;
}

static int has_privilege_on_entities(struct vim_call *c)
{
	return has_privilege(c, 0, 0);
}

static int has_user_privilege_on_entities(struct vim_call *c)
{
	return has_privilege(c, 1, 0);
}

static int has_privilege_on_entity(struct vim_call *c)
{
	return has_privilege(c, 0, 1);
}

const struct vim_method vim_authorization_manager_methods[] = {
	{"HasPrivilegeOnEntities", "AuthorizationManager", 0,
	 has_privilege_on_entities},
	{"HasUserPrivilegeOnEntities", "AuthorizationManager", 0,
	 has_user_privilege_on_entities},
	{"HasPrivilegeOnEntity", "AuthorizationManager", 0,
	 has_privilege_on_entity},
	{"FetchUserPrivilegeOnEntities", "AuthorizationManager", 0,
	 fetch_user_privilege},
	{"AddAuthorizationRole", "AuthorizationManager", 0, add_role},
	{"UpdateAuthorizationRole", "AuthorizationManager", 0, update_role},
	{"RemoveAuthorizationRole", "AuthorizationManager", 0, remove_role},
	{"SetEntityPermissions", "AuthorizationManager", 0,
	 set_entity_permissions},
	{"RemoveEntityPermission", "AuthorizationManager", 0,
	 remove_entity_permission},
	{"RetrieveEntityPermissions", "AuthorizationManager", 0,
	 retrieve_entity_permissions},
	{"RetrieveAllPermissions", "AuthorizationManager", 0,
	 retrieve_all_permissions},
	{"RetrieveRolePermissions", "AuthorizationManager", 0,
	 retrieve_role_permissions},
	{NULL, NULL, 0, NULL},
};
