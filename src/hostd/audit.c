/*
 * audit.c: audit records (see audit.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/syslog_send.h"
#include "hostd/audit.h"
#include "hostd/hostd.h"

/* RFC 5424 wants an SD-ID with an enterprise number unless IANA named
 * it; 32473 is the number RFC 5612 sets aside for such use. */
#define AUDIT_SD_ID "audit@32473"

void audit(struct hostd *h, const char *user, const char *peer, const char *op,
	   const char *type, const char *id, const char *result)
{
	char u[2 * VIM_USER_MAX], p[96], o[96], obj[2 * 320], r[96];
	char sd[1280], msg[1152], object[320];
	int ok = strcmp(result, "ok") == 0;

	snprintf(object, sizeof(object), "%s:%s", type, id);
	syslog_sd_escape(u, sizeof(u), user != NULL && *user ? user : "-");
	syslog_sd_escape(p, sizeof(p), peer != NULL ? peer : "-");
	syslog_sd_escape(o, sizeof(o), op);
	syslog_sd_escape(obj, sizeof(obj), object);
	syslog_sd_escape(r, sizeof(r), result);
	snprintf(sd, sizeof(sd),
		 "[" AUDIT_SD_ID " user=\"%s\" ip=\"%s\" op=\"%s\" "
		 "object=\"%s\" result=\"%s\"]",
		 u, p, o, obj, r);
	/* The message part repeats it for readers that drop structured
	 * data; the names were escaped above, so no control characters. */
	snprintf(msg, sizeof(msg), "%s from %s: %s on %s: %s", u, p, o, obj, r);
	log_info("audit: %s", msg);
	if (h->hd_syslog.ss_fd >= 0)
		(void)syslog_send(&h->hd_syslog, SYSLOG_FAC_AUTHPRIV,
				  ok ? SYSLOG_SEV_NOTICE : SYSLOG_SEV_WARNING,
				  "audit", sd, msg);
}
