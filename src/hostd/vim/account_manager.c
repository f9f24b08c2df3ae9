/*
 * account_manager.c: HostLocalAccountManager ha-localacctmgr (users and
 * groups: create, update, remove, membership) and UserDirectory
 * ha-user-directory (RetrieveUserGroups), on the host's passwd, shadow
 * and group files (accounts.c). Each change takes the accounts lock,
 * reads the files, changes them in memory and writes them back, so a
 * change from another process in between is never lost. root and the
 * system's own users are not changed through here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "hostd/accounts.h"
#include "hostd/auth.h"
#include "hostd/hostd.h"
#include "hostd/password_policy.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/authorization.h"
#include "hostd/vim/mo.h"

#define ACCT_MGR_ID  "ha-localacctmgr"
#define USER_DIR_ID  "ha-user-directory"
#define PASSWORD_MAX 256

static int ids_exist(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, ACCT_MGR_ID) == 0 || strcmp(id, USER_DIR_ID) == 0;
}

static enum mo_prop_result ud_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	*out = NULL;
	if (strcmp(id, USER_DIR_ID) != 0)
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "domainList") != 0)
		return MO_PROP_UNKNOWN;
	(void)c;
	/* Local accounts only: no directory domains. */
	*out = vval_array(NULL, NULL, "string");
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const ud_props[] = {"domainList", NULL};

const struct mo_type mo_user_directory = {
	.mt_name = "UserDirectory",
	.mt_exists = ids_exist,
	.mt_prop = ud_prop,
	.mt_props = ud_props,
};

const struct mo_type mo_account_manager = {
	.mt_name = "HostLocalAccountManager",
	.mt_exists = ids_exist,
};

int vim_fault_user_not_found(struct vim_call *c, const char *name)
{
	struct xmlout f;

	xmlout_init(&f);
	xmlout_elem(&f, "principal", name);
	xmlout_elem(&f, "unresolved", "false");
	vim_fault(c, "UserNotFound", f.xo_oom ? NULL : f.xo_data,
		  "The user or group %.64s was not found", name);
	xmlout_free(&f);
	return 0;
}

/* Why e stopped a change, as the fault clients expect. */
static int change_fault(struct vim_call *c, int rc, const char *name,
			const struct err *e)
{
	if (rc == -EEXIST)
		return vim_fault_field(c, "AlreadyExists", "name", name, "%s",
				       err_msg(e));
	if (rc == -ENOENT)
		return vim_fault_user_not_found(c, name);
	if (rc == -EINVAL || rc == -EBUSY || rc == -ENOSPC)
		return vim_fault_field(c, "InvalidArgument", "invalidProperty",
				       name, "%s", err_msg(e));
	return vim_fault(c, "SystemError", NULL, "%s", err_msg(e));
}

/* A spec's field into buf; "" when absent, -1 after a fault. */
static int spec_text(struct vim_call *c, struct soap_node *spec,
		     const char *field, char *buf, size_t size)
{
	int rc = soap_text(soap_child(spec, field), buf, size);

	if (rc == -ENOENT) {
		buf[0] = '\0';
		return 0;
	}
	if (rc < 0) {
		vim_fault_invalid_argument(c, field);
		return -1;
	}
	return 0;
}

enum change {
	CH_USER_ADD,
	CH_USER_SET,
	CH_USER_DEL,
	CH_GROUP_ADD,
	CH_GROUP_DEL,
	CH_MEMBER_ADD,
	CH_MEMBER_DEL
};

/* Lock, load, change, save, unlock. a and b: the names the change is
 * about (user, group); gecos and hash for users. */
static int apply(struct vim_call *c, enum change ch, const char *a,
		 const char *b, const char *gecos, const char *hash)
{
	struct hostd *h = c->vc_hostd;
	struct acct_db db;
	struct err e = {0};
	int fd, rc;

	if (acct_lock(h->hd_confdir, &fd, &e) < 0)
		return vim_fault(c, "SystemError", NULL, "%s", err_msg(&e));
	rc = acct_load(h->hd_confdir, &db, &e);
	if (rc < 0) {
		acct_unlock(fd);
		return vim_fault(c, "SystemError", NULL, "%s", err_msg(&e));
	}
	switch (ch) {
	case CH_USER_ADD:
		rc = acct_user_add(&db, a, gecos, hash, &e);
		break;
	case CH_USER_SET:
		rc = acct_user_set(&db, a, gecos, hash, &e);
		break;
	case CH_USER_DEL:
		rc = acct_user_remove(&db, a, &e);
		break;
	case CH_GROUP_ADD:
		rc = acct_group_add(&db, a, &e);
		break;
	case CH_GROUP_DEL:
		rc = acct_group_remove(&db, a, &e);
		break;
	case CH_MEMBER_ADD: /* it checks both names */
		rc = acct_member_add(&db, b, a, &e);
		break;
	case CH_MEMBER_DEL:
		rc = acct_user_find(&db, a) == NULL
			     ? err_set(&e, -ENOENT, "no user %s", a)
			     : acct_member_remove(&db, b, a, &e);
		break;
	}
	if (rc == 0)
		rc = acct_save(h->hd_confdir, &db, &e);
	if (rc == 0)
		auth_publish_root_state(h, &db);
	acct_unlock(fd);
	acct_free(&db);
	if (rc < 0) {
		/* The name a missing-thing fault is about. */
		const char *who = a;
		if ((ch == CH_MEMBER_ADD || ch == CH_MEMBER_DEL) &&
		    strstr(err_msg(&e), "no group") != NULL)
			who = b;
		return change_fault(c, rc, who, &e);
	}
	return 0;
}

static int protected_name(struct vim_call *c, const char *name)
{
	if (strcmp(name, "root") == 0 || auth_is_system_user(name)) {
		vim_fault_field(c, "InvalidArgument", "invalidProperty", name,
				"%s is an account of the system's own and is "
				"not changed through the API",
				name);
		return 1;
	}
	return 0;
}

/* Drop name's permissions; -1 after a fault. */
static int forget(struct vim_call *c, const char *name, int group)
{
	struct err e = {0};

	if (authz_forget(c->vc_hostd, name, group, &e) < 0) {
		vim_fault(c, "SystemError", NULL, "%s", err_msg(&e));
		return -1;
	}
	return 0;
}

/* End every session of user (removed: what it could do goes with it). */
static void end_sessions_of(struct vim_call *c, const char *user)
{
	for (int i = 0; i < VIM_SESSIONS_MAX; i++) {
		struct vim_session *s = &c->vc_hostd->hd_sessions[i];
		if (s->vs_key[0] == '\0' || strcmp(s->vs_user, user) != 0 ||
		    s == c->vc_session)
			continue;
		log_info("api: session of %s ended: the user was removed",
			 user);
		vim_session_end(s);
	}
}

/* Does pw satisfy the host's password rules for user? -1 after a fault
 * that says which rule it breaks. */
static int quality_ok(struct vim_call *c, const char *user, const char *pw)
{
	struct pwq_policy p;
	struct err e = {0};
	size_t i;

	if (adv_find("Security.PasswordQualityControl", &i) == NULL ||
	    pwq_parse(adv_get(c->vc_hostd, i), &p, &e) < 0 ||
	    pwq_check(&p, user, pw, &e) < 0) {
		vim_fault_field(
			c, "InvalidArgument", "invalidProperty", "password",
			"The password does not meet the host's "
			"password rules (Security.PasswordQualityControl"
			"): %s",
			err_msg(&e));
		return -1;
	}
	return 0;
}

static int user_change(struct vim_call *c, int create)
{
	struct soap_node *spec = soap_arg(c->vc_req, "user");
	char id[ACCT_NAME_MAX + 2], desc[ACCT_FIELD_MAX + 2];
	char pw[PASSWORD_MAX], hash[256] = "!";
	struct err e = {0};
	int rc, has_pw;

	if (strcmp(c->vc_req->sr_this, ACCT_MGR_ID) != 0)
		return vim_fault_not_found(c);
	if (spec == NULL || spec_text(c, spec, "id", id, sizeof(id)) < 0 ||
	    spec_text(c, spec, "description", desc, sizeof(desc)) < 0 ||
	    spec_text(c, spec, "password", pw, sizeof(pw)) < 0)
		return c->vc_fault ? 0 : vim_fault_invalid_argument(c, "user");
	has_pw = pw[0] != '\0';
	/* root's password is changed here (and only that of root); the
	 * system's other users are not changed at all. */
	if (id[0] == '\0' ||
	    ((create || strcmp(id, "root") != 0 || !has_pw ||
	      soap_child(spec, "description") != NULL) &&
	     protected_name(c, id)) ||
	    (!create && soap_child(spec, "password") != NULL && !has_pw) ||
	    (has_pw && quality_ok(c, id, pw) < 0)) {
		explicit_bzero(pw, sizeof(pw));
		return c->vc_fault ? 0
				   : vim_fault_invalid_argument(c, "user.id");
	}
	if (has_pw) {
		rc = auth_hash(pw, hash, sizeof(hash), &e);
		explicit_bzero(pw, sizeof(pw));
		if (rc < 0)
			return vim_fault(c, "SystemError", NULL, "%s",
					 err_msg(&e));
	}
	/* No password: the account exists but cannot log in ("!"). */
	if (create)
		rc = forget(c, id, 0) < 0
			     ? -1
			     : apply(c, CH_USER_ADD, id, NULL, desc, hash);
	else
		rc = apply(c, CH_USER_SET, id, NULL,
			   soap_child(spec, "description") != NULL ? desc
								   : NULL,
			   has_pw ? hash : NULL);
	explicit_bzero(hash, sizeof(hash));
	if (rc == 0 && !c->vc_fault)
		log_info("api: %s %s user %s",
			 c->vc_session != NULL ? c->vc_session->vs_user : "?",
			 create ? "created" : "updated", id);
	return 0;
}

static int create_user(struct vim_call *c)
{
	return user_change(c, 1);
}

static int update_user(struct vim_call *c)
{
	return user_change(c, 0);
}

/* An argument that names one user or group; -1 after a fault. */
static int name_arg(struct vim_call *c, const char *arg, char *buf, size_t size)
{
	if (soap_text(soap_arg(c->vc_req, arg), buf, size) < 0 ||
	    buf[0] == '\0') {
		vim_fault_invalid_argument(c, arg);
		return -1;
	}
	return 0;
}

static int remove_user(struct vim_call *c)
{
	char name[ACCT_NAME_MAX + 2];

	if (strcmp(c->vc_req->sr_this, ACCT_MGR_ID) != 0)
		return vim_fault_not_found(c);
	if (name_arg(c, "userName", name, sizeof(name)) < 0 ||
	    protected_name(c, name))
		return 0;
	if (apply(c, CH_USER_DEL, name, NULL, NULL, NULL) == 0 &&
	    !c->vc_fault) {
		struct err e = {0};
		log_info("api: %s removed user %s",
			 c->vc_session ? c->vc_session->vs_user : "?", name);
		end_sessions_of(c, name);
		/* Should this fail, CreateUser drops them before a new user
		 * of that name is made. */
		if (authz_forget(c->vc_hostd, name, 0, &e) < 0)
			log_warnx("api: permissions of removed user %s: %s",
				  name, err_msg(&e));
	}
	return 0;
}

static int create_group(struct vim_call *c)
{
	struct soap_node *spec = soap_arg(c->vc_req, "group");
	char id[ACCT_NAME_MAX + 2];

	if (strcmp(c->vc_req->sr_this, ACCT_MGR_ID) != 0)
		return vim_fault_not_found(c);
	if (spec == NULL || spec_text(c, spec, "id", id, sizeof(id)) < 0 ||
	    id[0] == '\0')
		return c->vc_fault ? 0
				   : vim_fault_invalid_argument(c, "group.id");
	if (forget(c, id, 1) == 0 &&
	    apply(c, CH_GROUP_ADD, id, NULL, NULL, NULL) == 0 && !c->vc_fault)
		log_info("api: %s created group %s",
			 c->vc_session ? c->vc_session->vs_user : "?", id);
	return 0;
}

static int remove_group(struct vim_call *c)
{
	char name[ACCT_NAME_MAX + 2];

	if (strcmp(c->vc_req->sr_this, ACCT_MGR_ID) != 0)
		return vim_fault_not_found(c);
	if (name_arg(c, "groupName", name, sizeof(name)) < 0)
		return 0;
	if (strcmp(name, "root") == 0 || strcmp(name, "users") == 0 ||
	    strcmp(name, "localadmin") == 0)
		return vim_fault_field(
			c, "InvalidArgument", "invalidProperty", name,
			"%s is a group of the system's own", name);
	if (apply(c, CH_GROUP_DEL, name, NULL, NULL, NULL) == 0 &&
	    !c->vc_fault) {
		struct err e = {0};
		log_info("api: %s removed group %s",
			 c->vc_session ? c->vc_session->vs_user : "?", name);
		if (authz_forget(c->vc_hostd, name, 1, &e) < 0)
			log_warnx("api: permissions of removed group %s: %s",
				  name, err_msg(&e));
	}
	return 0;
}

static int membership(struct vim_call *c, int add)
{
	char user[ACCT_NAME_MAX + 2], group[ACCT_NAME_MAX + 2];

	if (strcmp(c->vc_req->sr_this, ACCT_MGR_ID) != 0)
		return vim_fault_not_found(c);
	if (name_arg(c, "user", user, sizeof(user)) < 0 ||
	    name_arg(c, "group", group, sizeof(group)) < 0)
		return 0;
	if (apply(c, add ? CH_MEMBER_ADD : CH_MEMBER_DEL, user, group, NULL,
		  NULL) == 0 &&
	    !c->vc_fault)
		log_info("api: %s %s %s %s group %s",
			 c->vc_session ? c->vc_session->vs_user : "?",
			 add ? "put" : "took", user, add ? "in" : "out of",
			 group);
	return 0;
}

static int assign(struct vim_call *c)
{
	return membership(c, 1);
}

static int unassign(struct vim_call *c)
{
	return membership(c, 0);
}

static int wanted(const char *name, const char *search, int exact)
{
	if (search[0] == '\0')
		return 1;
	return exact ? strcmp(name, search) == 0 : strstr(name, search) != NULL;
}

/* A PosixUserSearchResult, as the reference host answers (clients read
 * its id and shellAccess). */
static void result(struct vval *a, const char *name, const char *full,
		   int group, unsigned id, int shell)
{
	struct vval *r = vval_obj(a, NULL, "PosixUserSearchResult");

	vval_str(r, "principal", name);
	vval_str(r, "fullName", full);
	vval_bool(r, "group", group);
	vval_int(r, "id", "xsd:int", id);
	if (!group)
		vval_bool(r, "shellAccess", shell);
}

static int retrieve_user_groups(struct vim_call *c)
{
	char search[ACCT_NAME_MAX + 2] = "", in_group[ACCT_NAME_MAX + 2] = "";
	char of_user[ACCT_NAME_MAX + 2] = "";
	int exact = soap_bool(soap_arg(c->vc_req, "exactMatch"), 0);
	int users = soap_bool(soap_arg(c->vc_req, "findUsers"), 1);
	int groups = soap_bool(soap_arg(c->vc_req, "findGroups"), 1);
	struct acct_db db;
	struct err e = {0};
	struct vval *a;

	if (strcmp(c->vc_req->sr_this, USER_DIR_ID) != 0)
		return vim_fault_not_found(c);
	if ((soap_arg(c->vc_req, "searchStr") != NULL &&
	     soap_text(soap_arg(c->vc_req, "searchStr"), search,
		       sizeof(search)) < 0) ||
	    (soap_arg(c->vc_req, "belongsToGroup") != NULL &&
	     soap_text(soap_arg(c->vc_req, "belongsToGroup"), in_group,
		       sizeof(in_group)) < 0) ||
	    (soap_arg(c->vc_req, "belongsToUser") != NULL &&
	     soap_text(soap_arg(c->vc_req, "belongsToUser"), of_user,
		       sizeof(of_user)) < 0))
		return vim_fault_invalid_argument(c, "searchStr");
	if (acct_load(c->vc_hostd->hd_confdir, &db, &e) < 0)
		return vim_fault(c, "SystemError", NULL, "%s", err_msg(&e));
	a = vval_array(NULL, NULL, "UserSearchResult");
	for (size_t i = 0; users && i < db.ad_nusers; i++) {
		const struct acct_user *u = &db.ad_users[i];
		if (wanted(u->au_name, search, exact) &&
		    (in_group[0] == '\0' ||
		     acct_in_group(&db, u->au_name, in_group)))
			result(a, u->au_name, u->au_gecos, 0, u->au_uid,
			       u->au_shell != NULL &&
				       strstr(u->au_shell, "nologin") == NULL &&
				       strcmp(u->au_shell, "/bin/false") != 0);
	}
	for (size_t i = 0; groups && i < db.ad_ngroups; i++) {
		const struct acct_group *g = &db.ad_groups[i];
		if (wanted(g->ag_name, search, exact) &&
		    (of_user[0] == '\0' ||
		     acct_in_group(&db, of_user, g->ag_name)))
			result(a, g->ag_name, g->ag_name, 1, g->ag_gid, 0);
	}
	acct_free(&db);
	if (a == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	vval_write(&c->vc_out, "returnval", a);
	vval_free(a);
	return 0;
}

const struct vim_method vim_account_manager_methods[] = {
	{"CreateUser", "HostLocalAccountManager", 0, create_user},
	{"UpdateUser", "HostLocalAccountManager", 0, update_user},
	{"RemoveUser", "HostLocalAccountManager", 0, remove_user},
	{"CreateGroup", "HostLocalAccountManager", 0, create_group},
	{"RemoveGroup", "HostLocalAccountManager", 0, remove_group},
	{"AssignUserToGroup", "HostLocalAccountManager", 0, assign},
	{"UnassignUserFromGroup", "HostLocalAccountManager", 0, unassign},
	{"RetrieveUserGroups", "UserDirectory", 0, retrieve_user_groups},
	{NULL, NULL, 0, NULL},
};
