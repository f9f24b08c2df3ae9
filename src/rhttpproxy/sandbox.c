/*
 * sandbox.c: what rhttpproxy may still do once it listens (proxy.h):
 * files, through Landlock, only its key and certificate's folder, to
 * read; syscalls, through a seccomp allow-list, only those of an event
 * loop that relays over Unix sockets (no new processes, no executable
 * memory, no file written, no socket but a Unix one). Each syscall has
 * its reason beside it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "common/log.h"
#include "common/seccomp_base.h"
#include "rhttpproxy/proxy.h"

/* Every file right Landlock's first version knows: all denied but what
 * a rule gives back. */
#define LANDLOCK_FS_ALL                                                        \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |          \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |          \
	 LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |      \
	 LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |          \
	 LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |          \
	 LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |        \
	 LANDLOCK_ACCESS_FS_MAKE_SYM)

int proxy_landlock(const char *ssl_dir, struct err *e)
{
	struct landlock_ruleset_attr attr = {.handled_access_fs =
						     LANDLOCK_FS_ALL};
	struct landlock_path_beneath_attr rule = {
		.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE |
				  LANDLOCK_ACCESS_FS_READ_DIR};
	int rs, rc = 0;

	rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (rs < 0) {
		if (errno == ENOSYS || errno == EOPNOTSUPP)
			return 1; /* this kernel has none */
		return err_set(e, -errno, "landlock: %s", strerror(errno));
	}
	rule.parent_fd = open(ssl_dir, O_PATH | O_CLOEXEC);
	if (rule.parent_fd < 0 ||
	    syscall(SYS_landlock_add_rule, rs, LANDLOCK_RULE_PATH_BENEATH,
		    &rule, 0) < 0 ||
	    syscall(SYS_landlock_restrict_self, rs, 0) < 0)
		rc = err_set(e, -errno, "landlock (%s): %s", ssl_dir,
			     strerror(errno));
	if (rule.parent_fd >= 0)
		close(rule.parent_fd);
	close(rs);
	return rc;
}

/* Syscalls allowed with any arguments. */
static const int allowed[] = {
	SCMP_SYS(read),		   /* signalfd, inotify, key files */
	SCMP_SYS(pread64),	   /* glibc and GnuTLS read small files so */
	SCMP_SYS(write),	   /* the log */
	SCMP_SYS(recvfrom),	   /* clients, hostd (recv) */
	SCMP_SYS(sendto),	   /* clients, hostd (send) */
	SCMP_SYS(recvmsg),	   /* GnuTLS */
	SCMP_SYS(sendmsg),	   /* GnuTLS's vectored sends */
	SCMP_SYS(writev),	   /* GnuTLS's vectored sends */
	SCMP_SYS(readv),	   /* GnuTLS */
	SCMP_SYS(accept4),	   /* new clients */
	SCMP_SYS(connect),	   /* to hostd's socket */
	SCMP_SYS(setsockopt),	   /* TCP_NODELAY */
	SCMP_SYS(getsockopt),	   /* connect's result */
	SCMP_SYS(close),	   /* connections */
	SCMP_SYS(epoll_create1),   /* a worker starts */
	SCMP_SYS(epoll_ctl),	   /* interest */
	SCMP_SYS(epoll_wait),	   /* the loops */
	SCMP_SYS(epoll_pwait),	   /* the loops, newer glibc */
	SCMP_SYS(epoll_pwait2),	   /* the same, newer still */
	SCMP_SYS(poll),		   /* the signal loop */
	SCMP_SYS(ppoll),	   /* the same, newer glibc */
	SCMP_SYS(fstat),	   /* key files */
	SCMP_SYS(newfstatat),	   /* key files */
	SCMP_SYS(lseek),	   /* key files */
	SCMP_SYS(getrandom),	   /* TLS */
	SCMP_SYS(futex),	   /* locks */
	SCMP_SYS(munmap),	   /* free */
	SCMP_SYS(brk),		   /* malloc */
	SCMP_SYS(madvise),	   /* malloc */
	SCMP_SYS(mremap),	   /* realloc */
	SCMP_SYS(clock_gettime),   /* deadlines (vDSO fallback) */
	SCMP_SYS(gettimeofday),	   /* log, TLS (vDSO fallback) */
	SCMP_SYS(clock_nanosleep), /* short waits */
	SCMP_SYS(nanosleep),	   /* short waits */
	SCMP_SYS(rt_sigprocmask),  /* thread start */
	SCMP_SYS(rt_sigaction),	   /* glibc's thread set-up (SIGCANCEL) */
	SCMP_SYS(rt_sigreturn),	   /* signals */
	SCMP_SYS(restart_syscall), /* interrupted waits */
	SCMP_SYS(getpid),	   /* logs, abort */
	SCMP_SYS(gettid),	   /* abort */
	SCMP_SYS(tgkill),	   /* abort */
	SCMP_SYS(set_robust_list), /* worker threads */
	SCMP_SYS(rseq),		   /* worker threads */
	SCMP_SYS(sched_yield),	   /* locks */
	SCMP_SYS(exit),		   /* workers end */
	SCMP_SYS(exit_group),	   /* the proxy ends */
};

int proxy_seccomp(struct err *e)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int rc = 0;

	if (ctx == NULL)
		return err_set(e, -ENOMEM, "seccomp_init failed");
	for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed) && rc == 0;
	     i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	/* Sockets: Unix ones only, to reach hostd. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				      SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0));
	/* Files: to read (the key and certificate on a reload), never to
	 * write or make; Landlock says which. */
	if (rc == 0)
		rc = seccomp_rule_add(
			ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
			SCMP_A2(SCMP_CMP_MASKED_EQ,
				O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND,
				O_RDONLY));
	/* stdio asks whether stdout is a terminal. */
	if (rc == 0)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				      SCMP_A1(SCMP_CMP_EQ, TCGETS, 0));
	if (rc == 0)
		rc = sandbox_seccomp_base(ctx);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	return rc < 0 ? err_set(e, rc, "seccomp: %s", strerror(-rc)) : 0;
}
