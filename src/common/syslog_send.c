/*
 * syslog_send.c: RFC 5424 records on a Unix datagram socket (see
 * syslog_send.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/syslog_send.h"

#define RECORD_MAX 2048

int syslog_sink_open(struct syslog_sink *s, const char *path, const char *app,
		     struct err *e)
{
	memset(s, 0, sizeof(*s));
	s->ss_fd = -1;
	if (strlen(path) >= sizeof(s->ss_addr.sun_path))
		return err_set(e, -ENAMETOOLONG,
			       "%s: too long for a Unix socket path", path);
	s->ss_addr.sun_family = AF_UNIX;
	strcpy(s->ss_addr.sun_path, path);
	snprintf(s->ss_app, sizeof(s->ss_app), "%s", app);
	s->ss_fd =
		socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->ss_fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	return 0;
}

void syslog_sink_close(struct syslog_sink *s)
{
	if (s->ss_fd >= 0)
		close(s->ss_fd);
	s->ss_fd = -1;
}

void syslog_sd_escape(char *out, size_t size, const char *value)
{
	size_t n = 0;

	if (size == 0)
		return;
	for (const char *p = value; *p != '\0' && n + 2 < size; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '"' || ch == '\\' || ch == ']')
			out[n++] = '\\';
		out[n++] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	out[n] = '\0';
}

int syslog_send(struct syslog_sink *s, int facility, int severity,
		const char *msgid, const char *sd, const char *msg)
{
	char rec[RECORD_MAX], ts[40];
	struct timeval tv;
	struct tm tm;
	int n;

	if (s->ss_fd < 0)
		return -EBADF;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	/* <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG */
	/* No HOSTNAME: the daemon writes the host's name as it is now
	 * (it may change while a process runs). */
	n = snprintf(rec, sizeof(rec), "<%d>1 %s.%06ldZ - %s %ld %s %s %s",
		     facility * 8 + severity, ts, (long)tv.tv_usec, s->ss_app,
		     (long)getpid(), msgid != NULL ? msgid : "-",
		     sd != NULL ? sd : "-", msg);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(rec))
		n = sizeof(rec) - 1; /* cut, as receivers do anyway */
	if (sendto(s->ss_fd, rec, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&s->ss_addr,
		   sizeof(s->ss_addr)) < 0) {
		int err = errno;
		__atomic_add_fetch(&s->ss_dropped, 1, __ATOMIC_RELAXED);
		return -err;
	}
	__atomic_add_fetch(&s->ss_sent, 1, __ATOMIC_RELAXED);
	return 0;
}
