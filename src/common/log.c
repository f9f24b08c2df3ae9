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
#include <unistd.h>

#define LOG_LINE_MAX_BYTES 1024

static char log_name[64] = "basalt";
static enum log_level log_level = LOG_LEVEL_INFO;

void log_procinit(const char *name)
{
	snprintf(log_name, sizeof(log_name), "%s", name);
}

void log_setlevel(enum log_level level)
{
	log_level = level;
}

enum log_level log_getlevel(void)
{
	return log_level;
}

BASALT_PRINTF(2, 0)
static void log_vline(const char *suffix, const char *fmt, va_list ap)
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
	/* Nothing useful to do if stderr is gone. */
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

void log_warn(const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_vline(why, fmt, ap);
	va_end(ap);
}

void log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(NULL, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vline(NULL, fmt, ap);
	va_end(ap);
}

void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vline(NULL, fmt, ap);
	va_end(ap);
}

void fatal(const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	log_vline(why, fmt, ap);
	va_end(ap);
	abort();
}

void fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline(NULL, fmt, ap);
	va_end(ap);
	abort();
}
