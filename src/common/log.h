/*
 * log.h: process logging in OpenBSD vmd's shape.
 *
 * Lines go to stderr, prefixed with the process name set by log_procinit()
 * ("vmx[demo]: ..."). Later issues route them to syslogd when the process
 * runs as a daemon. Never log secrets or request bodies.
 */
#ifndef BASALT_COMMON_LOG_H
#define BASALT_COMMON_LOG_H

#include "common/compiler.h"

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,
	LOG_LEVEL_DEBUG = 2,
};

/* Set the name that prefixes every line (copied, cut to 63 bytes). */
void log_procinit(const char *name);

/* Lines above level are dropped. Default: LOG_LEVEL_INFO. */
void log_setlevel(enum log_level level);
enum log_level log_getlevel(void);

/*
 * Also write every line up to level to fd (a VM's vmware.log), with a
 * UTC timestamp. fd -1 stops it. Not thread-safe against logging threads:
 * call before they start.
 */
void log_set_file(int fd, enum log_level level);

/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void log_warn(const char *fmt, ...) BASALT_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) BASALT_PRINTF(1, 2);
void log_info(const char *fmt, ...) BASALT_PRINTF(1, 2);
void log_debug(const char *fmt, ...) BASALT_PRINTF(1, 2);

/*
 * For our own broken invariants only, never for input from a guest, a
 * client, a file or a less privileged process: log and abort().
 */
BASALT_NORETURN void fatal(const char *fmt, ...) BASALT_PRINTF(1, 2);
BASALT_NORETURN void fatalx(const char *fmt, ...) BASALT_PRINTF(1, 2);

#endif
