/*
 * sandbox.h: the identity a process drops to and the capabilities it
 * gives up (vmx, rhttpproxy), shared; each keeps its own syscall list.
 */
#ifndef BASALT_COMMON_SANDBOX_H
#define BASALT_COMMON_SANDBOX_H

#include <sys/types.h>

#include "common/compiler.h"
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

#endif
