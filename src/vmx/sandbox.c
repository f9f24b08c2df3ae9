/*
 * sandbox.c: identity, capabilities and the seccomp allow-list (see
 * sandbox.h). Each allowed syscall has its reason beside it, as
 * Firecracker's resources/seccomp lists do.
 */
#include "vmx/sandbox.h"

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

int sandbox_parse_user(const char *s, struct sandbox_id *id, struct err *e)
{
	unsigned long u, g;
	struct passwd *pw;
	char *end;

	if (s[0] >= '0' && s[0] <= '9') {
		errno = 0;
		u = strtoul(s, &end, 10);
		g = u;
		if (errno == 0 && *end == ':')
			g = strtoul(end + 1, &end, 10);
		if (errno != 0 || *end != '\0' || u > 0xfffffffeUL ||
		    g > 0xfffffffeUL)
			return err_set(e, -EINVAL,
				       "--user '%s': expected NAME or "
				       "UID[:GID]",
				       s);
		id->sb_uid = (uid_t)u;
		id->sb_gid = (gid_t)g;
		return 0;
	}
	pw = getpwnam(s);
	if (pw == NULL)
		return err_set(e, -ENOENT, "--user '%s': no such user", s);
	id->sb_uid = pw->pw_uid;
	id->sb_gid = pw->pw_gid;
	return 0;
}

int sandbox_no_new_privs(struct err *e)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_set(e, -errno, "no_new_privs: %s", strerror(errno));
	return 0;
}

static int drop_capabilities(struct err *e)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	/* The bounding set first (needs CAP_SETPCAP, which we still have
	 * as root); without it, later execs could regain nothing anyway
	 * thanks to no_new_privs. */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
		    errno != EINVAL && errno != EPERM)
			return err_set(e, -errno, "PR_CAPBSET_DROP: %s",
				       strerror(errno));
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return err_set(e, -errno, "capset: %s", strerror(errno));
	return 0;
}

int sandbox_drop_identity(const struct sandbox_id *id, struct err *e)
{
	if (geteuid() == 0 && id->sb_uid != 0) {
		/* glibc applies these to every thread (SIGSETXID). */
		if (setgroups(0, NULL) < 0 ||
		    setresgid(id->sb_gid, id->sb_gid, id->sb_gid) < 0 ||
		    setresuid(id->sb_uid, id->sb_uid, id->sb_uid) < 0)
			return err_set(e, -errno,
				       "cannot become uid %u gid %u: %s",
				       (unsigned)id->sb_uid,
				       (unsigned)id->sb_gid, strerror(errno));
		/* Changing away from uid 0 cleared the capabilities. */
		return 0;
	}
	return drop_capabilities(e);
}

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
	/* Memory, but never executable: no new code after start. */
	if (rc == 0)
		rc = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
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
