/*
 * seccomp_base.c: the rules every allow-list of ours has (vmx's,
 * rhttpproxy's): memory never executable, threads but no processes.
 */
#include <errno.h>
#include <sched.h>
#include <sys/mman.h>

#include "common/seccomp_base.h"

int sandbox_seccomp_base(scmp_filter_ctx ctx)
{
	int rc;

	/* Memory, never executable: no new code after start. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (rc == 0)
		rc = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
			SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	/* Threads only, never processes: clone must carry CLONE_THREAD;
	 * clone3 (whose flags seccomp cannot see) says ENOSYS, and glibc
	 * falls back to clone. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
					      CLONE_THREAD));
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
				      SCMP_SYS(clone3), 0);
	return rc;
}
