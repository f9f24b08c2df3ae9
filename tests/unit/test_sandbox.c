/*
 * test_sandbox.c: the seccomp allow-list refuses what vmx must never do
 * (open files, make sockets, start programs, map executable memory) by
 * killing the process with SIGSYS, and lets through what it does. Each
 * case runs in a child, since the filter cannot be removed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/tap.h"
#include "vmx/sandbox.h"

enum action { DO_WRITE, DO_OPEN, DO_SOCKET, DO_EXEC, DO_MMAP_EXEC, DO_FORK };

/* In the child: sandbox, then one syscall, then exit through the raw
 * syscall (no atexit handlers: they might need more). */
static void child(enum action a)
{
	struct err e = {0};
	long rc = 0;

	if (sandbox_no_new_privs(&e) < 0 || sandbox_seccomp(&e) < 0)
		syscall(SYS_exit_group, 100);
	switch (a) {
	case DO_WRITE:
		rc = syscall(SYS_write, 2, "", 0);
		break;
	case DO_OPEN:
		rc = syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
		break;
	case DO_SOCKET:
		rc = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		break;
	case DO_EXEC:
		rc = syscall(SYS_execve, "/bin/true", NULL, NULL);
		break;
	case DO_MMAP_EXEC:
		rc = syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case DO_FORK:
		rc = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		break;
	}
	syscall(SYS_exit_group, rc < 0 ? 101 : 0);
}

/* Returns the signal that killed the child, or 1000 + its exit code. */
static int run(enum action a)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		child(a);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFSIGNALED(status) ? WTERMSIG(status)
				   : 1000 + WEXITSTATUS(status);
}

static void allowed_syscalls_work(void)
{
	CHECK_EQ(run(DO_WRITE), 1000);
}

static void forbidden_syscalls_kill(void)
{
	CHECK_EQ(run(DO_OPEN), SIGSYS);
	CHECK_EQ(run(DO_SOCKET), SIGSYS);
	CHECK_EQ(run(DO_EXEC), SIGSYS);
	CHECK_EQ(run(DO_MMAP_EXEC), SIGSYS);
	CHECK_EQ(run(DO_FORK), SIGSYS); /* clone without CLONE_THREAD */
}

static void user_parsing(void)
{
	struct sandbox_id id;
	struct err e = {0};

	CHECK_EQ(sandbox_parse_user("1234", &id, &e), 0);
	CHECK_EQ(id.sb_uid, 1234);
	CHECK_EQ(id.sb_gid, 1234);
	CHECK_EQ(sandbox_parse_user("1000:2000", &id, &e), 0);
	CHECK_EQ(id.sb_gid, 2000);
	CHECK_EQ(sandbox_parse_user("root", &id, &e), 0);
	CHECK_EQ(id.sb_uid, 0);
	CHECK(sandbox_parse_user("12x", &id, &e) < 0);
	CHECK(sandbox_parse_user("no-such-user-here", &id, &e) < 0);
	CHECK_CONTAINS(err_msg(&e), "no such user");
}

int main(void)
{
	RUN(allowed_syscalls_work);
	RUN(forbidden_syscalls_kill);
	RUN(user_parsing);
	return tap_done();
}
