/*
 * lockdown.h: lockdown mode (issue 9), as the reference host has it:
 * while it is on, the API takes logins only from the console (the DCUI,
 * on hostd's console socket) and from the users on the exception list.
 * Kept in <confdir>/lockdown.conf (docs/formats/lockdown.md).
 */
#ifndef BASALT_HOSTD_LOCKDOWN_H
#define BASALT_HOSTD_LOCKDOWN_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

#define LOCKDOWN_EXCEPTIONS_MAX 32
#define LOCKDOWN_USER_MAX	64

/* The reference's HostLockdownMode values. In strict mode the console
 * too takes only the exception users. */
enum lockdown_mode { LOCKDOWN_DISABLED, LOCKDOWN_NORMAL, LOCKDOWN_STRICT };

struct lockdown {
	enum lockdown_mode ld_mode;
	char ld_exceptions[LOCKDOWN_EXCEPTIONS_MAX][LOCKDOWN_USER_MAX];
	size_t ld_nexceptions;
};

/* Room for the file lockdown_format writes (escapes tripling a name
 * at worst). */
#define LOCKDOWN_FILE_MAX_BYTES                                                \
	(LOCKDOWN_EXCEPTIONS_MAX * LOCKDOWN_USER_MAX * 3 + 256)

struct hostd;

/* Parse the file's text (name for messages) into *out: 0, or an error
 * ("name:line: why") with *out unchanged. */
BASALT_MUST_CHECK int lockdown_parse(const char *name, const char *text,
				     size_t len, struct lockdown *out,
				     struct err *e);

/* The file for l into buf: its length, or -1 when it does not fit. */
int lockdown_format(const struct lockdown *l, char *buf, size_t size);

/* Read lockdown.conf into h (missing: disabled, no exceptions). A file
 * that does not parse, or names an unknown mode, fails: hostd must not
 * start open when its owner locked it. */
BASALT_MUST_CHECK int lockdown_load(struct hostd *h, struct err *e);

/* Save l and make it h's; on a write failure nothing changes. */
BASALT_MUST_CHECK int lockdown_set(struct hostd *h, const struct lockdown *l,
				   struct err *e);

/* "lockdownDisabled", "lockdownNormal", "lockdownStrict". */
const char *lockdown_mode_name(enum lockdown_mode m);
/* The mode of a name, or -1. */
int lockdown_mode_parse(const char *name);

/* Is user on the exception list? */
int lockdown_is_exception(const struct lockdown *l, const char *user);

/* May user log in over the network (console 0) or on the console
 * (console 1) now? */
int lockdown_allows(const struct hostd *h, const char *user, int console);

#endif
