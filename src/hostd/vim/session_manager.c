/*
 * session_manager.c: SessionManager (ha-sessionmgr): Login, Logout,
 * SessionIsActive, and the session cookie in every form clients send
 * (../shared/docs/vi-api.md §5).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/log.h"
#include "hostd/auth.h"
#include "hostd/adv_options.h"
#include "hostd/hostd.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/vim.h"

#define COOKIE_NAME  "vmware_soap_session"
#define PASSWORD_MAX 256

/*
 * The session id in a Cookie header: pairs split on ';', blanks trimmed,
 * one pair of quotes stripped; other cookies and attributes ignored.
 */
static int cookie_session_id(const char *cookie, char *buf, size_t size)
{
	const char *p = cookie;

	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, ';'), *v, *ve;
		size_t n;
		while (*p == ' ' || *p == '\t')
			p++;
		ve = end != NULL ? end : p + strlen(p);
		n = strlen(COOKIE_NAME);
		if (strncmp(p, COOKIE_NAME, n) == 0) {
			v = p + n;
			while (*v == ' ')
				v++;
			if (*v == '=') {
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				while (ve > v &&
				       (ve[-1] == ' ' || ve[-1] == '\t'))
					ve--;
				if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
					v++;
					ve--;
				}
				if ((size_t)(ve - v) >= size)
					return -E2BIG;
				memcpy(buf, v, (size_t)(ve - v));
				buf[ve - v] = '\0';
				return 0;
			}
		}
		p = end != NULL ? end + 1 : NULL;
	}
	return -ENOENT;
}

struct vim_session *vim_session_find_key(struct hostd *h, const char *key)
{
	if (key[0] == '\0')
		return NULL;
	for (int i = 0; i < VIM_SESSIONS_MAX; i++)
		if (strcmp(h->hd_sessions[i].vs_key, key) == 0)
			return &h->hd_sessions[i];
	return NULL;
}

struct vim_session *vim_session_find(struct hostd *h, const char *cookie)
{
	char id[VIM_SESSION_KEY_BYTES];

	if (cookie == NULL || cookie_session_id(cookie, id, sizeof(id)) < 0)
		return NULL;
	return vim_session_find_key(h, id);
}

void vim_session_end(struct vim_session *s)
{
	vim_session_drop_rest(s);
	vim_session_drop_filters(s);
	vim_session_drop_views(s);
	memset(s, 0, sizeof(*s));
}

/* A free slot, or the one idle longest. */
static struct vim_session *session_slot(struct hostd *h)
{
	struct vim_session *old = &h->hd_sessions[0];

	for (int i = 0; i < VIM_SESSIONS_MAX; i++) {
		struct vim_session *s = &h->hd_sessions[i];
		if (s->vs_key[0] == '\0')
			return s;
		if (s->vs_active < old->vs_active)
			old = s;
	}
	log_info("api: session of %s ended to make room (%d sessions)",
		 old->vs_user, VIM_SESSIONS_MAX);
	vim_session_end(old);
	return old;
}

static struct vval *user_session(struct vim_call *c,
				 const struct vim_session *s)
{
	struct vval *u = vval_obj(NULL, NULL, "UserSession");
	char t[40];

	/* UserSession fields in WSDL order, all of them required. */
	vval_str(u, "key", s->vs_key);
	vval_str(u, "userName", s->vs_user);
	vval_str(u, "fullName",
		 strcmp(s->vs_user, "root") == 0 ? "Administrator"
						 : s->vs_user);
	vim_datetime(t, sizeof(t), s->vs_login);
	vval_prim(u, "loginTime", "xsd:dateTime", t);
	vim_datetime(t, sizeof(t), s->vs_active);
	vval_prim(u, "lastActiveTime", "xsd:dateTime", t);
	vval_str(u, "locale", "en");
	vval_str(u, "messageLocale", "en");
	vval_bool(u, "extensionSession", 0);
	vval_str(u, "ipAddress", c->vc_peer);
	vval_str(u, "userAgent", c->vc_user_agent);
	vval_int(u, "callCount", "xsd:long", s->vs_calls);
	return u;
}

static int check_this(struct vim_call *c)
{
	return strcmp(c->vc_req->sr_this, "ha-sessionmgr") == 0;
}

/* Failed logins per user name, for the lockout of the advanced
 * settings Security.AccountLockFailures and AccountUnlockTime. Kept in
 * memory: a restart forgives, as the reference host's does. */
static struct lockout *lockout_of(struct hostd *h, const char *user)
{
	struct lockout *oldest = &h->hd_lockouts[0];

	for (size_t i = 0; i < LOCKOUTS_MAX; i++) {
		struct lockout *l = &h->hd_lockouts[i];
		if (strcmp(l->lo_user, user) == 0)
			return l;
		if (l->lo_last < oldest->lo_last)
			oldest = l;
	}
	/* A new name takes the slot used longest ago. */
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->lo_user, sizeof(oldest->lo_user), "%s", user);
	return oldest;
}

static long setting(struct hostd *h, const char *key)
{
	size_t i;

	return adv_find(key, &i) != NULL ? strtol(adv_get(h, i), NULL, 10) : 0;
}

static int login(struct vim_call *c)
{
	char user[VIM_USER_MAX], pw[PASSWORD_MAX];
	unsigned char rnd[16];
	struct vim_session *s;
	struct lockout *lo;
	struct vval *u;
	time_t now;
	int ok;

	if (!check_this(c))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "userName"), user, sizeof(user)) < 0)
		return vim_fault_invalid_argument(c, "userName");
	if (soap_text(soap_arg(c->vc_req, "password"), pw, sizeof(pw)) < 0)
		return vim_fault_invalid_argument(c, "password");
	lo = lockout_of(c->vc_hostd, user);
	now = time(NULL);
	lo->lo_last = now;
	if (lo->lo_until > now) {
		/* Locked: the password is not even looked at. */
		explicit_bzero(pw, sizeof(pw));
		log_info("api: login of '%s' from %s refused: the account is "
			 "locked for %ld s more",
			 user, c->vc_peer, (long)(lo->lo_until - now));
		return vim_fault(c, "InvalidLogin", NULL,
				 "Cannot complete login due to an incorrect "
				 "user name or password.");
	}
	ok = auth_check_password(c->vc_hostd, user, pw);
	explicit_bzero(pw, sizeof(pw));
	if (!ok) {
		long limit =
			setting(c->vc_hostd, "Security.AccountLockFailures");
		lo->lo_failures++;
		log_info("api: login of '%s' from %s refused", user,
			 c->vc_peer);
		if (limit > 0 && lo->lo_failures >= limit) {
			lo->lo_until =
				now + setting(c->vc_hostd,
					      "Security.AccountUnlockTime");
			lo->lo_failures = 0;
			log_warnx("api: account '%s' locked after %ld failed "
				  "logins (the last from %s)",
				  user, limit, c->vc_peer);
		}
		return vim_fault(c, "InvalidLogin", NULL,
				 "Cannot complete login due to an incorrect "
				 "user name or password.");
	}
	lo->lo_failures = 0;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return vim_fault(c, "SystemError", "<reason>random</reason>",
				 "no random numbers for a session id");
	s = session_slot(c->vc_hostd);
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->vs_key + 2 * i, 3, "%02x", rnd[i]);
	snprintf(s->vs_user, sizeof(s->vs_user), "%s", user);
	s->vs_login = s->vs_active = time(NULL);
	c->vc_session = s;
	/* One Set-Cookie, quoted as ESXi does; pyVmomi replays it.
	 * Secure only where the client came over TLS (through the proxy
	 * on the Unix socket, or hosted mode's HTTPS): govmomi's cookie jar
	 * never sends a Secure cookie back over hosted mode's plain HTTP. */
	snprintf(c->vc_set_cookie, sizeof(c->vc_set_cookie),
		 COOKIE_NAME "=\"%s\"; Path=/; HttpOnly%s", s->vs_key,
		 c->vc_tls ? "; Secure" : "");
	log_info("api: %s logged in from %s", user, c->vc_peer);
	{
		struct vim_event *ev = vim_event_post(
			c->vc_hostd, "UserLoginSessionEvent", user, 0, NULL, 0,
			"User %s@%s logged in as %s", user, c->vc_peer,
			c->vc_user_agent);
		snprintf(ev->ev_ip, sizeof(ev->ev_ip), "%s", c->vc_peer);
		memcpy(ev->ev_session, s->vs_key, sizeof(ev->ev_session));
	}
	u = user_session(c, s);
	if (u == NULL)
		return vim_fault(c, "SystemError", "<reason>memory</reason>",
				 "out of memory");
	vval_write(&c->vc_out, "returnval", u);
	vval_free(u);
	return 0;
}

static int logout(struct vim_call *c)
{
	if (!check_this(c))
		return vim_fault_not_found(c);
	log_info("api: %s logged out", c->vc_session->vs_user);
	{
		struct vim_event *ev =
			vim_event_post(c->vc_hostd, "UserLogoutSessionEvent",
				       c->vc_session->vs_user, 0, NULL, 0,
				       "User %s@%s logged out",
				       c->vc_session->vs_user, c->vc_peer);
		snprintf(ev->ev_ip, sizeof(ev->ev_ip), "%s", c->vc_peer);
		memcpy(ev->ev_session, c->vc_session->vs_key,
		       sizeof(ev->ev_session));
	}
	vim_session_end(c->vc_session);
	c->vc_session = NULL;
	return 0;
}

static int session_is_active(struct vim_call *c)
{
	char id[VIM_SESSION_KEY_BYTES], user[VIM_USER_MAX];
	int active = 0;

	if (!check_this(c))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "sessionID"), id, sizeof(id)) < 0)
		return vim_fault_invalid_argument(c, "sessionID");
	if (soap_text(soap_arg(c->vc_req, "userName"), user, sizeof(user)) < 0)
		return vim_fault_invalid_argument(c, "userName");
	for (int i = 0; i < VIM_SESSIONS_MAX && id[0] != '\0'; i++)
		if (strcmp(c->vc_hostd->hd_sessions[i].vs_key, id) == 0 &&
		    strcmp(c->vc_hostd->hd_sessions[i].vs_user, user) == 0)
			active = 1;
	xmlout_elem(&c->vc_out, "returnval", active ? "true" : "false");
	return 0;
}

static int sm_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ha-sessionmgr") == 0;
}

static enum mo_prop_result sm_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	*out = NULL;
	if (!sm_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "currentSession") == 0) {
		if (c->vc_session == NULL)
			return MO_PROP_UNSET;
		*out = user_session(c, c->vc_session);
	} else if (strcmp(name, "defaultLocale") == 0 ||
		   strcmp(name, "messageLocale") == 0) {
		*out = vval_str(NULL, NULL, "en");
	} else if (strcmp(name, "supportedLocaleList") == 0) {
		*out = vval_array(NULL, NULL, "string");
		vval_str(*out, NULL, "en");
	} else if (strcmp(name, "message") == 0 ||
		   strcmp(name, "sessionList") == 0 ||
		   strcmp(name, "messageLocaleList") == 0) {
		return MO_PROP_UNSET;
	} else {
		return MO_PROP_UNKNOWN;
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const sm_props[] = {"currentSession", "defaultLocale",
				       "messageLocale", "supportedLocaleList",
				       NULL};

const struct mo_type mo_session_manager = {
	.mt_name = "SessionManager",
	.mt_exists = sm_exists,
	.mt_prop = sm_prop,
	.mt_props = sm_props,
};

const struct vim_method vim_session_manager_methods[] = {
	{"Login", "SessionManager", 1, login},
	{"Logout", "SessionManager", 0, logout},
	{"SessionIsActive", "SessionManager", 0, session_is_active},
	{NULL, NULL, 0, NULL},
};
