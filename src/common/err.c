/*
 * err.c: struct err, the carrier of human-readable failures (see err.h).
 */
#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (e == NULL)
		return code;
	e->e_code = code;
	va_start(ap, fmt);
	n = vsnprintf(e->e_msg, sizeof(e->e_msg), fmt, ap);
	va_end(ap);
	if (n < 0) {
		e->e_msg[0] = '\0';
	} else if ((size_t)n >= sizeof(e->e_msg)) {
		/* Say that the message was cut rather than hiding it. */
		memcpy(e->e_msg + sizeof(e->e_msg) - 4, "...", 4);
	}
	return code;
}

void err_clear(struct err *e)
{
	if (e == NULL)
		return;
	e->e_code = 0;
	e->e_msg[0] = '\0';
}

const char *err_msg(const struct err *e)
{
	if (e == NULL)
		return "unknown error";
	if (e->e_msg[0] != '\0')
		return e->e_msg;
	if (e->e_code < 0)
		return strerror(-e->e_code);
	return "no error";
}
