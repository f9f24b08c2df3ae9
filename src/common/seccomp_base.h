/*
 * seccomp_base.h: rules shared by the processes' seccomp allow-lists.
 */
#ifndef BASALT_COMMON_SECCOMP_BASE_H
#define BASALT_COMMON_SECCOMP_BASE_H

#include <seccomp.h>

/* Add mmap/mprotect without PROT_EXEC, clone with CLONE_THREAD only,
 * clone3 as ENOSYS to ctx: 0 or a negative errno (libseccomp's). */
int sandbox_seccomp_base(scmp_filter_ctx ctx);

#endif
