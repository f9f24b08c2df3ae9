/*
 * sandbox.c: vmx's seccomp allow-list (see sandbox.h; identity and
 * capabilities are common/sandbox.c's). Each allowed syscall has its reason
 * beside it, as Firecracker's resources/seccomp lists do.
 */
#include "vmx/sandbox.h"

#include "common/seccomp_base.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <pwd.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Syscalls allowed with any arguments. */
static const int allowed[] = {
	SCMP_SYS(read),		   /* control clients, tap, eventfds */
	SCMP_SYS(write),	   /* console, log, tap, eventfds */
	SCMP_SYS(readv),	   /* tap */
	SCMP_SYS(writev),	   /* tap transmit */
	SCMP_SYS(pread64),	   /* disks */
	SCMP_SYS(pwrite64),	   /* disks */
	SCMP_SYS(preadv),	   /* disks */
	SCMP_SYS(pwritev),	   /* disks */
	SCMP_SYS(fdatasync),	   /* virtio-blk flush */
	SCMP_SYS(fsync),	   /* virtio-blk flush */
	SCMP_SYS(fallocate),	   /* virtio-blk discard, write zeroes */
	SCMP_SYS(lseek),	   /* stdio */
	SCMP_SYS(fstat),	   /* stdio */
	SCMP_SYS(newfstatat),	   /* stdio */
	SCMP_SYS(close),	   /* clients, shutdown */
	SCMP_SYS(poll),		   /* control and net threads */
	SCMP_SYS(ppoll),	   /* same, newer glibc */
	SCMP_SYS(accept4),	   /* control clients */
	SCMP_SYS(setsockopt),	   /* their send timeout */
	SCMP_SYS(sendto),	   /* control replies (send) */
	SCMP_SYS(recvfrom),	   /* control requests (recv) */
	SCMP_SYS(getrandom),	   /* virtio-rng, MAC addresses */
	SCMP_SYS(futex),	   /* locks, condition variables */
	SCMP_SYS(munmap),	   /* free, teardown */
	SCMP_SYS(brk),		   /* malloc */
	SCMP_SYS(madvise),	   /* malloc, thread stacks */
	SCMP_SYS(mremap),	   /* realloc */
	SCMP_SYS(rt_sigprocmask),  /* thread start, sigwait */
	SCMP_SYS(rt_sigreturn),	   /* the vCPU kick signal handler */
	SCMP_SYS(rt_sigtimedwait), /* sigwait in the signal thread */
	SCMP_SYS(tgkill),	   /* pthread_kill: vCPU kicks */
	SCMP_SYS(getpid),	   /* pthread_kill, logs */
	SCMP_SYS(gettid),	   /* pthread_kill */
	SCMP_SYS(set_robust_list), /* new vCPU threads */
	SCMP_SYS(rseq),		   /* new vCPU threads */
	SCMP_SYS(sched_yield),	   /* locks */
	SCMP_SYS(nanosleep),	   /* short waits */
	SCMP_SYS(clock_nanosleep), /* short waits */
	SCMP_SYS(clock_gettime),   /* uptime, timestamps (vDSO fallback) */
	SCMP_SYS(gettimeofday),	   /* log timestamps (vDSO fallback) */
	SCMP_SYS(restart_syscall), /* interrupted sleeps */
	SCMP_SYS(unlink),	   /* remove the control socket at exit */
	SCMP_SYS(exit),		   /* vCPU threads end */
	SCMP_SYS(exit_group),	   /* vmx ends */
};

/* ioctl requests allowed (on any descriptor). */
static const unsigned long ioctls[] = {
	KVM_RUN,	/* vCPU threads */
	KVM_IRQ_LINE,	/* UART, SCI */
	KVM_SIGNAL_MSI, /* MSI-X */
	KVM_IOEVENTFD,	/* virtio notify addresses follow BAR moves */
	TUNSETOFFLOAD,	/* virtio-net features, when the guest acks */
	KVM_GET_REGS,	/* crash reports: where the vCPU was */
	KVM_GET_SREGS,	/* crash reports */
};

int sandbox_seccomp(struct err *e)
{
	scmp_filter_ctx ctx;
	int rc = 0;

	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return err_set(e, -ENOMEM, "seccomp_init failed");
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]) && rc == 0;
	     i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]) && rc == 0;
	     i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_EQ, ioctls[i], 0));
	if (rc == 0)
		rc = sandbox_seccomp_base(ctx);
	/* Threads name themselves. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				      SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME, 0));
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return err_set(e, rc, "seccomp: %s", strerror(-rc));
	return 0;
}
