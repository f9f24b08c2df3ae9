/*
 * sandbox.h: what a running vmx may still do (docs/style.md, "What each
 * process may touch"). Everything vmx needs is opened first; then it
 * drops to an unprivileged identity, gives up every capability, sets
 * no_new_privs, and installs a seccomp allow-list on all its threads.
 * A syscall outside the list kills the process (SIGSYS): a guest that
 * took over vmx's code could do no more than vmx already does.
 */
#ifndef BASALT_VMX_SANDBOX_H
#define BASALT_VMX_SANDBOX_H

#include <sys/types.h>

#include "common/err.h"

#define SANDBOX_DEFAULT_UID 65534 /* nobody */
#define SANDBOX_DEFAULT_GID 65534 /* nogroup */

struct sandbox_id {
	uid_t sb_uid;
	gid_t sb_gid;
};

/*
 * Parse --user: a user name, or UID[:GID]. Names are looked up in the
 * system's user database; 0 keeps uid 0 but still drops capabilities.
 */
BASALT_MUST_CHECK int sandbox_parse_user(const char *s, struct sandbox_id *id,
					 struct err *e);

/* Set no_new_privs; call before any thread is created so all inherit
 * it (seccomp's thread sync needs that). */
BASALT_MUST_CHECK int sandbox_no_new_privs(struct err *e);

/* Become id (when running as root) and drop all capabilities. */
BASALT_MUST_CHECK int sandbox_drop_identity(const struct sandbox_id *id,
					    struct err *e);

/* Install the allow-list on every thread of the process. */
BASALT_MUST_CHECK int sandbox_seccomp(struct err *e);

#endif
