/*
 * audit.h: the host's audit trail: every login, failed login, lockout,
 * session end, and every API call that changes something, with who,
 * from where, what, on which object and the result. Each record goes to
 * the host's syslog (facility authpriv, RFC 5424 structured data
 * [audit@32473 ...]) and to hostd's own log, so a syslog daemon that is
 * down loses nothing that hostd's log does not keep.
 */
#ifndef BASALT_HOSTD_AUDIT_H
#define BASALT_HOSTD_AUDIT_H

struct hostd;

/* result: "ok", or the fault's type ("NoPermission", "InvalidLogin"). */
void audit(struct hostd *h, const char *user, const char *peer, const char *op,
	   const char *type, const char *id, const char *result);

#endif
