/*
 * log.c: process logging (see log.h). One write(2) per line so lines from
 * several threads never interleave mid-line.
 */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/syslog_send.h"

#define LOG_LINE_MAX_BYTES 1024

static char log_name[64] = "basalt";
static enum log_level log_level = LOG_LEVEL_INFO;
static int log_file_fd = -1;
static enum log_level log_file_level = LOG_LEVEL_INFO;

void log_set_file(int fd, enum log_level level)
{
	log_file_fd = fd;
	log_file_level = level;
}

/* The file copy: an RFC 3339 UTC timestamp, then the line. */
static void log_file_line(const char *line, size_t len)
{
	char buf[LOG_LINE_MAX_BYTES + 40];
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, ".%03ldZ ",
			      (long)(tv.tv_usec / 1000));
	memcpy(buf + n, line, len);
	if (write(log_file_fd, buf, n + len) < 0)
		return; /* stderr still has it */
}

/* With BASALT_SYSLOG set (init sets it for the appliance's agents),
 * lines go to the syslog daemon there; stderr gets only those it did
 * not take (no daemon yet, its queue full). */
static struct syslog_sink log_sink = {.ss_fd = -1};

void log_procinit(const char *name)
{
	const char *sock = getenv("BASALT_SYSLOG");
	char app[64];

	snprintf(log_name, sizeof(log_name), "%s", name);
	syslog_sink_close(&log_sink);
	if (sock == NULL || sock[0] == '\0')
		return;
	/* "vmx[demo]": the program is the APP-NAME. */
	snprintf(app, sizeof(app), "%.*s", (int)strcspn(name, "["), name);
	if (syslog_sink_open(&log_sink, sock, app, NULL) < 0)
		syslog_sink_close(&log_sink);
}

void log_setlevel(enum log_level level)
{
	log_level = level;
}

enum log_level log_getlevel(void)
{
	return log_level;
}

BASALT_PRINTF(3, 0)
static void log_vline(enum log_level level, const char *suffix, const char *fmt,
		      va_list ap)
{
	char line[LOG_LINE_MAX_BYTES];
	size_t len;
	int n;

	n = snprintf(line, sizeof(line), "%s: ", log_name);
	if (n < 0)
		return;
	len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n;
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	if (suffix != NULL) {
		n = snprintf(line + len, sizeof(line) - len, ": %s", suffix);
		if (n > 0)
			len += (size_t)n;
		if (len > sizeof(line) - 2)
			len = sizeof(line) - 2;
	}
	line[len++] = '\n';
	if (log_file_fd >= 0 && level <= log_file_level)
		log_file_line(line, len);
	if (level > log_level)
		return;
	if (log_sink.ss_fd >= 0) {
		static const int sev[] = {SYSLOG_SEV_WARNING, SYSLOG_SEV_INFO,
					  SYSLOG_SEV_DEBUG};
		size_t skip = strlen(log_name) + 2;
		line[len - 1] = '\0';
		if (syslog_send(&log_sink, SYSLOG_FAC_DAEMON, sev[level], NULL,
				NULL, skip < len ? line + skip : line) == 0)
			return;
		line[len - 1] = '\n';
	}
	/* Nothing useful to do if stderr is gone. */
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

/* Is anyone listening at level? */
static int log_wanted(enum log_level level)
{
	return level <= log_level ||
	       (log_file_fd >= 0 && level <= log_file_level);
}

void log_warn(const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_WARN, why, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_WARN, NULL, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (!log_wanted(LOG_LEVEL_INFO))
		return;
	va_start(ap, fmt);
	log_vline(LOG_LEVEL_INFO, NULL, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_wanted(LOG_LEVEL_DEBUG))
		return;
	va_start(ap, fmt);
	log_vline(LOG_LEVEL_DEBUG, NULL, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_WARN, why, fmt, ap);
	va_end(ap);
	abort();
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(LOG_LEVEL_WARN, NULL, fmt, ap);
	va_end(ap);
	abort();
}
