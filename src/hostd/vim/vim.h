/*
 * vim.h: the VI API methods hostd serves. One call: a parsed request in,
 * an answer (the <Method>Response body, or a fault) out. A file per
 * managed object type registers its methods in vim_methods (dispatch.c).
 */
#ifndef BASALT_HOSTD_VIM_H
#define BASALT_HOSTD_VIM_H

#include <stddef.h>
#include <time.h>

#include "hostd/soap/soap.h"
#include "hostd/soap/xmlout.h"

#define VIM_API_VERSION	      "6.7.1"
#define VIM_SESSION_KEY_BYTES 36 /* 32 hex digits, NUL, room */
#define VIM_SESSIONS_MAX      256
#define VIM_USER_MAX	      64
/* A session's origin: an address, or "console:" and a user. */
#define VIM_PEER_MAX 80
/* The older WaitForUpdates has no timeout; a wait still ends after this
 * and the client, finding no update, simply asks again. */
#define VIM_WAIT_MAX_S 1800

struct hostd;
struct pc_filter;
struct vim_access;
struct vim_view;

#define VIM_COLLECTORS_MAX 32 /* private property collectors a session has */

struct vim_session {
	char vs_key[VIM_SESSION_KEY_BYTES];
	char vs_user[VIM_USER_MAX];
	char vs_peer[VIM_PEER_MAX]; /* the address it logged in from */
	char vs_agent[128];	    /* its User-Agent */
	time_t vs_login;
	time_t vs_active;
	long long vs_calls;
	/* RetrievePropertiesEx's rest, for ContinueRetrievePropertiesEx:
	 * ObjectContent elements already written out. */
	char vs_token[24];
	char **vs_rest;
	size_t vs_rest_n, vs_rest_next, vs_rest_max;
	/* Property filters and private collectors (property_filter.c). */
	struct pc_filter *vs_filters;
	unsigned vs_next_id;
	unsigned long long vs_version;
	unsigned vs_cancel_waits; /* CancelWaitForUpdates calls */
	unsigned vs_collectors[VIM_COLLECTORS_MAX]; /* ids; 0 = free */
	struct vim_view *vs_views;		    /* view_manager.c */
	/* Logged in on the host's console socket: the console's own
	 * rights (session_manager.c). */
	int vs_console;
	unsigned vs_waiting; /* property waits now (never idle then) */
};

struct vim_call {
	struct hostd *vc_hostd;
	const struct soap_req *vc_req;
	struct vim_session *vc_session; /* NULL before login */
	const char *vc_peer;		/* "127.0.0.1" or "unix" */
	int vc_tls; /* the client came over TLS (the proxy, or HTTPS) */
	const char *vc_user_agent;
	struct xmlout vc_out;	      /* inside <Method>Response */
	int vc_fault;		      /* vc_out holds a fault instead */
	char vc_fault_type[48];	      /* its type: "NoPermission" */
	char vc_set_cookie[128];      /* for the Set-Cookie header, or "" */
	int vc_console;		      /* came over the console socket */
	struct vim_access *vc_access; /* privilege_check.c, per call */
};

/* What an HTTP POST /sdk answers. */
struct vim_answer {
	int va_status; /* 200 or 500: the only two clients understand */
	char *va_body;
	size_t va_len;
	char va_set_cookie[128];
};

/* Set up h's lock and condition before the first call. */
void vim_init(struct hostd *h);

/* How a client came. */
#define VIM_VIA_TLS	1 /* over TLS (the proxy's socket, hosted HTTPS) */
#define VIM_VIA_CONSOLE 2 /* the console socket: only the host's console */

/* Handle one request body; fills a (free a->va_body). via: VIM_VIA_*. */
void vim_handle(struct hostd *h, const char *body, size_t len,
		const char *cookie, const char *peer, unsigned via,
		const char *user_agent, struct vim_answer *a);

/*
 * Answer the call with fault type (a vim fault: "InvalidLogin") and
 * message; fields, if not NULL, is the fault's own XML fields. Returns 0
 * so handlers can "return vim_fault(...)".
 */
int vim_fault(struct vim_call *c, const char *type, const char *fields,
	      const char *fmt, ...) BASALT_PRINTF(4, 5);
/* A fault with one text field: <field>value</field>. */
int vim_fault_field(struct vim_call *c, const char *type, const char *field,
		    const char *value, const char *fmt, ...)
	BASALT_PRINTF(5, 6);
int vim_fault_invalid_argument(struct vim_call *c, const char *property);
/* ManagedObjectNotFound for type:id, or for the call's _this. */
int vim_fault_gone(struct vim_call *c, const char *type, const char *id);
int vim_fault_not_found(struct vim_call *c);
/* UserNotFound for a user or group name (account_manager.c). */
int vim_fault_user_not_found(struct vim_call *c, const char *name);

/* dateTime as the API writes it: 2026-11-24T05:06:22.828Z */
void vim_datetime(char *buf, size_t size, time_t t);

/* Methods of each managed object type. */
struct vim_method {
	const char *vm_name;	  /* "Login" */
	const char *vm_this_type; /* "SessionManager" */
	int vm_no_session;	  /* callable before login */
	int (*vm_fn)(struct vim_call *c);
};

extern const struct vim_method vim_service_instance_methods[];
extern const struct vim_method vim_session_manager_methods[];
extern const struct vim_method vim_property_collector_methods[];
extern const struct vim_method vim_property_filter_methods[];
extern const struct vim_method vim_view_manager_methods[];
extern const struct vim_method vim_virtual_machine_methods[];
extern const struct vim_method vim_vm_spec_methods[];
extern const struct vim_method vim_search_index_methods[];
extern const struct vim_method vim_option_manager_methods[];
extern const struct vim_method vim_certificate_manager_methods[];
extern const struct vim_method vim_firmware_system_methods[];
extern const struct vim_method vim_access_manager_methods[];
extern const struct vim_method vim_service_system_methods[];
extern const struct vim_method vim_diagnostic_manager_methods[];
extern const struct vim_method vim_network_system_methods[];
extern const struct vim_method vim_patch_manager_methods[];
extern const struct vim_method vim_task_methods[];
extern const struct vim_method vim_account_manager_methods[];
extern const struct vim_method vim_authorization_manager_methods[];
extern const struct vim_method vim_file_manager_methods[];
extern const struct vim_method vim_datastore_browser_methods[];
extern const struct vim_method vim_host_system_methods[];
/* InvalidDatastorePath (or SystemError) for dspath that resolving gave
 * rc for (file_manager.c). */
int vim_fault_ds_path(struct vim_call *c, const char *dspath, int rc);

/* session_manager.c: the session of a request's cookie, or NULL (also
 * when it was idle too long: it ends then). */
struct vim_session *vim_session_find(struct hostd *h, const char *cookie);
/* The session whose key is key, or NULL. */
struct vim_session *vim_session_find_key(struct hostd *h, const char *key);
/* A password login's check (Login, HTTP Basic): the lockout, the
 * password (checked without the hostd lock, which the caller holds),
 * audited as op when refused. 1: good; 0: refused, *why the reason
 * ("InvalidLogin", "AccountLocked", "RootPasswordNotSet", "Busy"). */
int vim_password_check(struct hostd *h, const char *user, const char *pw,
		       const char *peer, const char *op, const char **why);
/* Forget a session and what it holds. */
void vim_session_end(struct vim_session *s);
/* property_collector.c */
void vim_session_drop_rest(struct vim_session *s);
/* property_filter.c */
void vim_session_drop_filters(struct vim_session *s);
/* view_manager.c */
void vim_session_drop_views(struct vim_session *s);
/* privilege_check.c: 0 when the session's user may run the call's
 * method on its target, else -1 with NoPermission answered. */
int vim_check_privilege(struct vim_call *c);
/* 1 when the session's user has priv on entity type:id, 0 when not, -1
 * when that cannot be known (the account files cannot be read). */
int vim_may(struct vim_call *c, const char *type, const char *id,
	    const char *priv);
/* The same for user, by the permissions alone. */
int vim_may_user(struct vim_call *c, const char *user, const char *type,
		 const char *id, const char *priv);
/* Every privilege user has on type:id into *out (a struct authz_privs);
 * -1 when that cannot be known. */
struct authz_privs;
int vim_user_privs(struct vim_call *c, const char *user, const char *type,
		   const char *id, struct authz_privs *out);
/* May the session's user see type:id (System.Read; any non-entity)? */
int vim_may_read(struct vim_call *c, const char *type, const char *id);
/* Answer NoPermission: priv lacking on type:id. Returns 0. */
int vim_fault_no_permission(struct vim_call *c, const char *type,
			    const char *id, const char *priv);
/* Does method change something (so it is audited)? */
int vim_method_changes(const char *method);
/* Drop what the call's checks kept. */
void vim_access_free(struct vim_call *c);
/* Something clients may watch changed: wake the property waits. Under
 * the hostd lock. */
void vim_changed(struct hostd *h);

#endif
