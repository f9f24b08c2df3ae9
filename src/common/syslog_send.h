/*
 * syslog_send.h: records to the host's syslog daemon as RFC 5424
 * datagrams on a Unix socket (/dev/log in the appliance, <root>/dev/log
 * in hosted mode). glibc's syslog(3) only knows /dev/log and blocks
 * when the daemon is slow; this never blocks: a record the daemon
 * cannot take now is counted as dropped (callers keep their own copy in
 * their log).
 */
#ifndef BASALT_COMMON_SYSLOG_SEND_H
#define BASALT_COMMON_SYSLOG_SEND_H

#include <stddef.h>
#include <sys/un.h>

#include "common/compiler.h"
#include "common/err.h"

/* Facilities and severities of RFC 5424 §6.2.1. */
#define SYSLOG_FAC_DAEMON   3
#define SYSLOG_FAC_AUTHPRIV 10
#define SYSLOG_SEV_WARNING  4
#define SYSLOG_SEV_NOTICE   5
#define SYSLOG_SEV_INFO	    6
#define SYSLOG_SEV_DEBUG    7

struct syslog_sink {
	int ss_fd;
	struct sockaddr_un ss_addr;
	char ss_app[48]; /* APP-NAME: "hostd" */
	unsigned long ss_sent, ss_dropped;
};

/* Make s send to the socket at path; the daemon need not be there yet
 * (each record looks for it). */
BASALT_MUST_CHECK int syslog_sink_open(struct syslog_sink *s, const char *path,
				       const char *app, struct err *e);
void syslog_sink_close(struct syslog_sink *s);

/* Escape value for an SD-PARAM (RFC 5424 §6.3.3: '"', '\' and ']'
 * get a backslash; control characters become '?') into out[size]. */
void syslog_sd_escape(char *out, size_t size, const char *value);

/*
 * Send one record: msgid ("audit", or NULL), sd the structured data already
 * formatted ("[audit@... k=\"v\"]", or NULL for "-") and msg. 0 when the
 * daemon took it, -errno when it was dropped (no daemon, full queue).
 * Thread-safe: one sendto(2) per record.
 */
int syslog_send(struct syslog_sink *s, int facility, int severity,
		const char *msgid, const char *sd, const char *msg);

#endif
