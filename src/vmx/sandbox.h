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

#include "common/err.h"
#include "common/sandbox.h"

/* Install the allow-list on every thread of the process. */
BASALT_MUST_CHECK int sandbox_seccomp(struct err *e);

#endif
