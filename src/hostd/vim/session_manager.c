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
#include "hostd/audit.h"
#include "hostd/auth.h"
#include "hostd/adv_options.h"
#include "hostd/hostd.h"
#include "hostd/lockdown.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/vim.h"

#define COOKIE_NAME    "vmware_soap_session"
#define PASSWORD_MAX   256
#define CRYPT_HASH_MAX 256

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

static long setting(struct hostd *h, const char *key)
{
	size_t i;

	return adv_find(key, &i) != NULL ? strtol(adv_get(h, i), NULL, 10) : 0;
}

/* The idle limit, in seconds (0: none): the shorter of the reference
 * host's two settings, the agent's (minutes) and the Host Client's. */
static long idle_limit(struct hostd *h)
{
	long agent = 60 * setting(h, "Config.HostAgent.vmacore.soap."
				     "sessionTimeout");
	long client = setting(h, "UserVars.HostClientSessionTimeout");

	if (agent <= 0 || (client > 0 && client < agent))
		return client;
	return agent;
}

/* Has s been idle longer than allowed? Then it ends here (and says
 * so). */
static int expired(struct hostd *h, struct vim_session *s, time_t now)
{
	long limit = idle_limit(h);

	if (limit <= 0 || now - s->vs_active <= limit || s->vs_waiting > 0)
		return 0;
	log_info("api: session of %s ended after %ld s idle", s->vs_user,
		 (long)(now - s->vs_active));
	audit(h, s->vs_user, s->vs_peer, "SessionExpired", "SessionManager",
	      "ha-sessionmgr", "ok");
	vim_session_end(s);
	return 1;
}

/* End every session idle too long. */
static void sweep(struct hostd *h)
{
	time_t now = time(NULL);

	for (int i = 0; i < VIM_SESSIONS_MAX; i++)
		if (h->hd_sessions[i].vs_key[0] != '\0')
			(void)expired(h, &h->hd_sessions[i], now);
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
	struct vim_session *s;

	if (cookie == NULL || cookie_session_id(cookie, id, sizeof(id)) < 0)
		return NULL;
	s = vim_session_find_key(h, id);
	return s != NULL && expired(h, s, time(NULL)) ? NULL : s;
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

	sweep(h);
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

static struct vval *user_session(const struct vim_session *s)
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
	vval_str(u, "ipAddress", s->vs_peer);
	vval_str(u, "userAgent", s->vs_agent);
	vval_int(u, "callCount", "xsd:long", s->vs_calls);
	return u;
}

static int check_this(struct vim_call *c)
{
	return strcmp(c->vc_req->sr_this, "ha-sessionmgr") == 0;
}

/* The lockout record of account user (Security.AccountLockFailures,
 * AccountUnlockTime), made when missing; NULL when every slot holds a
 * locked account or a check in flight. Kept in memory: a restart
 * forgives, as the reference host's does. */
static struct lockout *lockout_of(struct hostd *h, const char *user)
{
	struct lockout *clean = NULL, *any = NULL;
	time_t now = time(NULL);

	for (size_t i = 0; i < LOCKOUTS_MAX; i++) {
		struct lockout *l = &h->hd_lockouts[i];
		if (strcmp(l->lo_user, user) == 0)
			return l;
		if (l->lo_inflight > 0 || l->lo_until > now)
			continue; /* never pushed out */
		if (any == NULL || l->lo_last < any->lo_last)
			any = l;
		if (l->lo_failures == 0 &&
		    (clean == NULL || l->lo_last < clean->lo_last))
			clean = l;
	}
	/* A new account takes the slot of one with no failures first. */
	if (clean == NULL)
		clean = any;
	if (clean != NULL) {
		memset(clean, 0, sizeof(*clean));
		snprintf(clean->lo_user, sizeof(clean->lo_user), "%s", user);
	}
	return clean;
}

/* Check password against hash without the hostd lock (yescrypt takes
 * tens of ms; the API goes on meanwhile). */
static int verify_unlocked(struct hostd *h, const char *pw, const char *hash)
{
	int ok;

	pthread_mutex_unlock(&h->hd_lock);
	ok = auth_verify(pw, hash);
	pthread_mutex_lock(&h->hd_lock);
	return ok;
}

/* Wait (the lock released) until a check ends, at most a second. */
static void wait_check(struct hostd *h)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_sec += 1;
	pthread_cond_timedwait(&h->hd_login_done, &h->hd_lock, &t);
}

/* A login refused: audited, logged, answered as InvalidLogin (the one
 * fault clients expect), the message saying why where that tells an
 * attacker nothing (a locked account and a wrong password read alike). */
static int refuse(struct vim_call *c, const char *user, const char *result,
		  const char *msg)
{
	audit(c->vc_hostd, user, c->vc_peer, "Login", "SessionManager",
	      "ha-sessionmgr", result);
	return vim_fault(c, "InvalidLogin", NULL, "%s", msg);
}

static const char bad_login[] =
	"Cannot complete login due to an incorrect user name or password.";

static const char lockdown_refusal[] =
	"The host is in lockdown mode: only its console (DCUI) and the users "
	"on its lockdown exception list may log in.";

static const char root_unset[] =
	"The host's root password is not set yet. Set it on the host's "
	"console (DCUI) first; until then no login over the network is "
	"allowed.";

/* Check user's password over the network, with the lockout. The
 * password check runs without the hostd lock; checks in flight count as
 * failures-to-be, so parallel guesses never get past the limit: the one
 * that could reach it waits for the others to end. 1: good; 0: refused,
 * audited, *why the audit's result. */
int vim_password_check(struct hostd *h, const char *user, const char *pw,
		       const char *peer, const char *op, const char **why)
{
	char hash[CRYPT_HASH_MAX];
	struct lockout *lo = NULL;
	long limit;
	int ok, known, blank;

	*why = "InvalidLogin";
	/* Before the password is looked at: a refusal must not tell a
	 * guesser that the password was right. */
	if (!lockdown_allows(h, user, 0)) {
		log_info("api: login of '%s' from %s refused: the host is in "
			 "lockdown mode",
			 user, peer);
		*why = "LockdownMode";
		goto refused_nohash;
	}
	known = auth_lookup_hash(h, user, hash, sizeof(hash), &blank) == 0;
	if (blank) {
		log_info("api: login of '%s' from %s refused: root's password "
			 "is not set",
			 user, peer);
		*why = "RootPasswordNotSet";
		goto refused;
	}
	for (;;) {
		time_t now = time(NULL);
		if (!known)
			break;
		lo = lockout_of(h, user);
		if (lo == NULL) {
			log_warnx("api: login of '%s' from %s refused: every "
				  "lockout slot is busy",
				  user, peer);
			*why = "Busy";
			goto refused;
		}
		lo->lo_last = now;
		if (lo->lo_until > now) {
			/* Locked: the password is not even looked at. */
			log_info("api: login of '%s' from %s refused: the "
				 "account is locked for %ld s more",
				 user, peer, (long)(lo->lo_until - now));
			*why = "AccountLocked";
			goto refused;
		}
		limit = setting(h, "Security.AccountLockFailures");
		if (limit <= 0 ||
		    lo->lo_failures + lo->lo_inflight < (unsigned long)limit)
			break;
		wait_check(h);
	}
	if (lo != NULL)
		lo->lo_inflight++;
	/* An unknown name costs what a known one does: no telling apart. */
	ok = verify_unlocked(h, pw, known ? hash : h->hd_dummy_hash) && known;
	explicit_bzero(hash, sizeof(hash));
	if (lo == NULL) {
		log_info("api: login of '%s' from %s refused (no such account)",
			 user, peer);
		goto refused;
	}
	/* lo stayed put: a slot with a check in flight is never reused. */
	lo->lo_inflight--;
	pthread_cond_broadcast(&h->hd_login_done);
	if (ok) {
		lo->lo_failures = 0;
		return 1;
	}
	limit = setting(h, "Security.AccountLockFailures");
	lo->lo_failures++;
	log_info("api: login of '%s' from %s refused", user, peer);
	audit(h, user, peer, op, "SessionManager", "ha-sessionmgr",
	      "InvalidLogin");
	if (limit > 0 && lo->lo_failures >= limit) {
		lo->lo_until =
			time(NULL) + setting(h, "Security.AccountUnlockTime");
		lo->lo_failures = 0;
		log_warnx("api: account '%s' locked after %ld failed logins "
			  "(the last from %s)",
			  user, limit, peer);
		audit(h, user, peer, "AccountLock", "User", user, "locked");
	}
	return 0;
refused:
	explicit_bzero(hash, sizeof(hash));
refused_nohash:
	audit(h, user, peer, op, "SessionManager", "ha-sessionmgr", *why);
	return 0;
}

static int network_login(struct vim_call *c, const char *user, const char *pw)
{
	const char *why;

	if (vim_password_check(c->vc_hostd, user, pw, c->vc_peer, "Login",
			       &why))
		return 1;
	if (strcmp(why, "LockdownMode") == 0) {
		struct xmlout f;
		xmlout_init(&f);
		xmlout_moref(&f, "object", "SessionManager", "ha-sessionmgr");
		xmlout_elem(&f, "privilegeId", "System.Anonymous");
		vim_fault(c, "NoPermission", f.xo_oom ? NULL : f.xo_data, "%s",
			  lockdown_refusal);
		xmlout_free(&f);
		return 0;
	}
	vim_fault(c, "InvalidLogin", NULL, "%s",
		  strcmp(why, "RootPasswordNotSet") == 0 ? root_unset
							 : bad_login);
	return 0;
}

/* On the console socket: root (with a blank password while it is
 * blank) or a member of localadmin; no lockout, as the reference host's
 * console has none (it is the way back in). 1: good; 0: refused. */
static int console_login(struct vim_call *c, const char *user, const char *pw)
{
	struct hostd *h = c->vc_hostd;
	char hash[CRYPT_HASH_MAX];
	int ok, known, blank;

	if (!auth_may_use_console(h, user)) {
		refuse(c, user, "NotConsoleUser",
		       "Only root and members of the group localadmin log in "
		       "on the host's console.");
		return 0;
	}
	if (!lockdown_allows(h, user, 1)) {
		refuse(c, user, "LockdownMode",
		       "The host is in strict lockdown mode: only the users on "
		       "its exception list log in on the console.");
		return 0;
	}
	known = auth_lookup_hash(h, user, hash, sizeof(hash), &blank) == 0;
	if (strcmp(user, "root") == 0 && blank)
		ok = pw[0] == '\0';
	else
		ok = verify_unlocked(h, pw, known ? hash : h->hd_dummy_hash) &&
		     known;
	explicit_bzero(hash, sizeof(hash));
	if (!ok)
		refuse(c, user, "InvalidLogin", bad_login);
	return ok;
}

static int login(struct vim_call *c)
{
	char user[VIM_USER_MAX], pw[PASSWORD_MAX];
	unsigned char rnd[16];
	struct vim_session *s;
	struct vval *u;
	int ok;

	if (!check_this(c))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "userName"), user, sizeof(user)) < 0)
		return vim_fault_invalid_argument(c, "userName");
	if (soap_text(soap_arg(c->vc_req, "password"), pw, sizeof(pw)) < 0)
		return vim_fault_invalid_argument(c, "password");
	ok = c->vc_console ? console_login(c, user, pw)
			   : network_login(c, user, pw);
	explicit_bzero(pw, sizeof(pw));
	if (!ok)
		return 0;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return vim_fault(c, "SystemError", "<reason>random</reason>",
				 "no random numbers for a session id");
	s = session_slot(c->vc_hostd);
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(s->vs_key + 2 * i, 3, "%02x", rnd[i]);
	/* The console acts as the system user dcui (Admin on a fresh
	 * host, as on the reference), for the person who logged in there:
	 * the audit names both ("dcui" from "console:root"). */
	if (c->vc_console) {
		snprintf(s->vs_user, sizeof(s->vs_user), "%s", CONSOLE_USER);
		snprintf(s->vs_peer, sizeof(s->vs_peer), "console:%s", user);
	} else {
		snprintf(s->vs_user, sizeof(s->vs_user), "%s", user);
		snprintf(s->vs_peer, sizeof(s->vs_peer), "%s", c->vc_peer);
	}
	snprintf(s->vs_agent, sizeof(s->vs_agent), "%s", c->vc_user_agent);
	s->vs_console = c->vc_console;
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
	audit(c->vc_hostd, user, c->vc_peer, "Login", "SessionManager",
	      "ha-sessionmgr", "ok");
	{
		struct vim_event *ev = vim_event_post(
			c->vc_hostd, "UserLoginSessionEvent", user, 0, NULL, 0,
			"User %s@%s logged in as %s", user, c->vc_peer,
			c->vc_user_agent);
		snprintf(ev->ev_ip, sizeof(ev->ev_ip), "%s", c->vc_peer);
		memcpy(ev->ev_session, s->vs_key, sizeof(ev->ev_session));
	}
	u = user_session(s);
	if (u == NULL)
		return vim_fault(c, "SystemError", "<reason>memory</reason>",
				 "out of memory");
	vval_write(&c->vc_out, "returnval", u);
	vval_free(u);
	return 0;
}

/* The end of session s, by its own Logout or another's TerminateSession:
 * an event, an audit record, and the session gone. */
static void end_session(struct vim_call *c, struct vim_session *s,
			const char *op)
{
	struct vim_event *ev;

	log_info("api: session of %s ended (%s by %s)", s->vs_user, op,
		 c->vc_session->vs_user);
	audit(c->vc_hostd, c->vc_session->vs_user, c->vc_peer, op, "Session",
	      s->vs_user, "ok");
	ev = vim_event_post(c->vc_hostd, "UserLogoutSessionEvent", s->vs_user,
			    0, NULL, 0, "User %s@%s logged out", s->vs_user,
			    s->vs_peer);
	snprintf(ev->ev_ip, sizeof(ev->ev_ip), "%s", s->vs_peer);
	memcpy(ev->ev_session, s->vs_key, sizeof(ev->ev_session));
	vim_session_end(s);
}

static int logout(struct vim_call *c)
{
	if (!check_this(c))
		return vim_fault_not_found(c);
	end_session(c, c->vc_session, "Logout");
	c->vc_session = NULL;
	return 0;
}

/* TerminateSession: every key checked before any session ends; one's
 * own session is ended by Logout, not here. */
static int terminate_session(struct vim_call *c)
{
	struct vim_session *found[VIM_SESSIONS_MAX];
	char key[VIM_SESSION_KEY_BYTES];
	size_t n = 0;

	if (!check_this(c))
		return vim_fault_not_found(c);
	for (struct soap_node *k = soap_arg(c->vc_req, "sessionId"); k != NULL;
	     k = soap_next(k, "sessionId")) {
		struct vim_session *s;
		if (soap_text(k, key, sizeof(key)) < 0)
			return vim_fault_invalid_argument(c, "sessionId");
		s = vim_session_find_key(c->vc_hostd, key);
		if (s == NULL)
			return vim_fault(c, "NotFound", NULL,
					 "No session with that id");
		if (s == c->vc_session)
			return vim_fault_field(c, "InvalidArgument",
					       "invalidProperty", "sessionId",
					       "A session does not terminate "
					       "itself: use Logout");
		if (n < VIM_SESSIONS_MAX)
			found[n++] = s;
	}
	if (n == 0)
		return vim_fault_invalid_argument(c, "sessionId");
	for (size_t i = 0; i < n; i++)
		if (found[i]->vs_key[0] != '\0') /* named twice */
			end_session(c, found[i], "TerminateSession");
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

/* Every session for those with Sessions.TerminateSession on the host;
 * for others their own alone, as the reference host answers. */
static struct vval *session_list(struct vim_call *c)
{
	struct vval *a = vval_array(NULL, NULL, "UserSession");
	int all;

	if (c->vc_session == NULL || a == NULL)
		return a;
	all = vim_may(c, "Folder", "ha-folder-root",
		      "Sessions.TerminateSession") > 0;
	sweep(c->vc_hostd);
	for (int i = 0; i < VIM_SESSIONS_MAX; i++) {
		const struct vim_session *s = &c->vc_hostd->hd_sessions[i];
		struct vval *u;
		if (s->vs_key[0] == '\0' || (!all && s != c->vc_session))
			continue;
		u = user_session(s);
		if (u == NULL) {
			vval_free(a);
			return NULL;
		}
		vval_copy(a, NULL, u);
		vval_free(u);
	}
	return a;
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
		*out = user_session(c->vc_session);
	} else if (strcmp(name, "sessionList") == 0) {
		*out = session_list(c);
	} else if (strcmp(name, "defaultLocale") == 0 ||
		   strcmp(name, "messageLocale") == 0) {
		*out = vval_str(NULL, NULL, "en");
	} else if (strcmp(name, "supportedLocaleList") == 0) {
		*out = vval_array(NULL, NULL, "string");
		vval_str(*out, NULL, "en");
	} else if (strcmp(name, "message") == 0 ||
		   strcmp(name, "messageLocaleList") == 0) {
		return MO_PROP_UNSET;
	} else {
		return MO_PROP_UNKNOWN;
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const sm_props[] = {"currentSession",      "defaultLocale",
				       "messageLocale",	      "sessionList",
				       "supportedLocaleList", NULL};

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
	{"TerminateSession", "SessionManager", 0, terminate_session},
	{NULL, NULL, 0, NULL},
};
