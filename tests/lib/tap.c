/*
 * tap.c: see tap.h.
 */
#include "lib/tap.h"

#include <stdarg.h>
#include <stdio.h>

static int tap_count, tap_failures, tap_current_failed;
static const char *tap_skip_why;

void tap_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	tap_current_failed = 1;
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int tap_failed(void)
{
	return tap_current_failed;
}

void tap_run(const char *name, void (*fn)(void))
{
	tap_count++;
	if (tap_skip_why != NULL) {
		printf("ok %d - %s # SKIP %s\n", tap_count, name, tap_skip_why);
		fflush(stdout);
		return;
	}
	tap_current_failed = 0;
	fflush(stdout);
	fn();
	if (tap_current_failed)
		tap_failures++;
	printf("%s %d - %s\n", tap_current_failed ? "not ok" : "ok", tap_count,
	       name);
	fflush(stdout);
}

void tap_skip_rest(const char *why)
{
	tap_skip_why = why;
}

int tap_done(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failures ? 1 : 0;
}
