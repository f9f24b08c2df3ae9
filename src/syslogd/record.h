/*
 * record.h: one syslog message as syslogd keeps it. Parsed from RFC 5424
 * ("<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG") or RFC 3164
 * ("<PRI>Mmm dd hh:mm:ss [HOST] TAG[PID]: MSG", what glibc's syslog(3)
 * sends); anything else is kept whole as raw text (user.notice), never
 * dropped. Written to files as one line with an RFC 5424 timestamp, and
 * to remote targets as RFC 5424.
 */
#ifndef BASALT_SYSLOGD_RECORD_H
#define BASALT_SYSLOGD_RECORD_H

#include <stddef.h>
#include <time.h>

#include "common/compiler.h"

/* RFC 5424 §6: field limits. */
#define RECORD_HOST_MAX	  255
#define RECORD_APP_MAX	  48
#define RECORD_PROCID_MAX 128
#define RECORD_MSGID_MAX  32
#define RECORD_SD_MAX	  2048
/* A longer message is cut here and says so ("..."): a UDP datagram may
 * carry 64 KiB, a log line should not. */
#define RECORD_MSG_MAX 8192
/* The longest line record_format_* writes (with its framing). */
#define RECORD_LINE_MAX (RECORD_MSG_MAX + RECORD_SD_MAX + RECORD_HOST_MAX + 512)

#define RECORD_FAC_KERN	    0
#define RECORD_FAC_USER	    1
#define RECORD_FAC_AUTH	    4
#define RECORD_FAC_AUTHPRIV 10
#define RECORD_SEV_NOTICE   5

struct record {
	int rc_facility, rc_severity;
	int rc_raw;		 /* not syslog: the text as it came */
	struct timespec rc_time; /* UTC; the arrival time when none came */
	int rc_tz_min;		 /* the sender's offset from UTC, minutes */
	char rc_host[RECORD_HOST_MAX + 1];     /* "" unless the sender's */
	char rc_app[RECORD_APP_MAX + 1];       /* "" when none */
	char rc_procid[RECORD_PROCID_MAX + 1]; /* "" when none */
	char rc_msgid[RECORD_MSGID_MAX + 1];   /* "" when none */
	char rc_sd[RECORD_SD_MAX + 1];	       /* "" when none */
	char rc_msg[RECORD_MSG_MAX + 1];       /* control bytes as #ooo */
	size_t rc_msg_len;
};

/*
 * Parse one message of len bytes (a datagram, or a frame of a stream);
 * now is its arrival time. Always fills r: a message that is not syslog
 * is kept raw. Trailing newlines and NULs are not part of it.
 */
void record_parse(struct record *r, const char *data, size_t len,
		  const struct timespec *now);

/* "2026-12-02T19:30:00.123456Z" (UTC, microseconds) into out. */
void record_time(const struct record *r, char *out, size_t size);

/* The line for a log file: "TIME HOST APP[PROCID]: [SD ]MSG\n" (host
 * the sender's, else local_host). Its length (cut to size - 1). */
size_t record_format_file(const struct record *r, const char *local_host,
			  char *out, size_t size);

/* RFC 5424 for a remote target, without framing or newline. */
size_t record_format_5424(const struct record *r, const char *local_host,
			  char *out, size_t size);

#endif
