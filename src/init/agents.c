/*
 * agents.c: start, supervise and stop the host's agents (agents.h).
 * Each agent's output goes to /var/log/<name>.stderr.log (its log
 * lines go to syslogd, src/common/log.c); init's own lines
 * (started, ended, restarting in N s) go to the console.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "init/agents.h"

#define LOG_DIR "/var/log"

extern char **environ;

uint64_t agent_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int agent_run(const char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawn(&pid, argv[0], NULL, NULL,
			(char *const *)(uintptr_t)argv, environ) != 0)
		return -1;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* In the child: its own session, its output, the default signals. */
static void child_setup(const struct agent *a)
{
	sigset_t none;
	char path[128];
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	setsid();
	if (a->ag_tty != NULL) {
		/* Its controlling terminal (job control, ^C). */
		fd = open(a->ag_tty, O_RDWR);
		if (fd >= 0)
			(void)ioctl(fd, TIOCSCTTY, 0);
	} else {
		/* What does not go through syslogd (src/common/log.c):
		 * lines before it was up, crash reports. */
		snprintf(path, sizeof(path), LOG_DIR "/%s.stderr.log",
			 a->ag_name);
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOCTTY, 0640);
	}
	if (fd >= 0) {
		if (a->ag_tty != NULL)
			dup2(fd, 0);
		else
			dup2(open("/dev/null", O_RDONLY), 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	if (a->ag_env != NULL)
		putenv((char *)(uintptr_t)a->ag_env);
}

int agent_start(struct agent *a)
{
	pid_t pid;

	a->ag_due_ms = 0;
	/* A ready mark left by its last run says nothing of this one (the
	 * run folder's marks and sockets; never a file of the state). */
	if (a->ag_ready != NULL && strncmp(a->ag_ready, "/var/run/", 9) == 0)
		unlink(a->ag_ready);
	pid = fork();
	if (pid < 0) {
		log_warn("%s: fork", a->ag_name);
		a->ag_due_ms = agent_now_ms() + AGENT_BACKOFF_MIN_MS;
		return -1;
	}
	if (pid == 0) {
		child_setup(a);
		execve(a->ag_argv[0], (char *const *)(uintptr_t)a->ag_argv,
		       environ);
		fprintf(stderr, "init: %s: %s\n", a->ag_argv[0],
			strerror(errno));
		_exit(127);
	}
	a->ag_pid = pid;
	a->ag_started_ms = agent_now_ms();
	log_info("started %s (pid %d)", a->ag_name, (int)pid);
	return 0;
}

void agent_exited(struct agent *a, int st, int stopping)
{
	uint64_t ran = agent_now_ms() - a->ag_started_ms;
	char how[64];

	if (WIFSIGNALED(st))
		snprintf(how, sizeof(how), "killed by signal %d (%s)",
			 WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(how, sizeof(how), "exited with status %d",
			 WEXITSTATUS(st));
	a->ag_pid = 0;
	if (stopping) {
		log_info("%s %s", a->ag_name, how);
		return;
	}
	if (ran >= AGENT_HEALTHY_MS || a->ag_backoff_ms == 0)
		a->ag_backoff_ms = AGENT_BACKOFF_MIN_MS;
	else if (a->ag_backoff_ms < AGENT_BACKOFF_MAX_MS)
		a->ag_backoff_ms *= 2;
	if (a->ag_backoff_ms > AGENT_BACKOFF_MAX_MS)
		a->ag_backoff_ms = AGENT_BACKOFF_MAX_MS;
	a->ag_restarts++;
	a->ag_due_ms = agent_now_ms() + (uint64_t)a->ag_backoff_ms;
	log_warnx("%s %s after %llu ms; restarting it in %d s (restart %u)",
		  a->ag_name, how, (unsigned long long)ran,
		  a->ag_backoff_ms / 1000, a->ag_restarts);
}

int agent_run_due(struct agent *agents, int n)
{
	uint64_t now = agent_now_ms();
	int64_t next = -1;

	for (int i = 0; i < n; i++) {
		struct agent *a = &agents[i];
		if (a->ag_pid != 0 || a->ag_due_ms == 0)
			continue;
		if (a->ag_due_ms <= now) {
			(void)agent_start(a);
			if (a->ag_due_ms == 0)
				continue;
		}
		int64_t left = (int64_t)(a->ag_due_ms - now);
		if (left < 0)
			left = 0;
		if (next < 0 || left < next)
			next = left;
	}
	return (int)next;
}

int agent_wait_ready(struct agent *a, int timeout_ms)
{
	uint64_t end = agent_now_ms() + (uint64_t)timeout_ms;
	struct stat st;
	int status;

	if (a->ag_ready == NULL)
		return 1;
	while (agent_now_ms() < end) {
		if (stat(a->ag_ready, &st) == 0)
			return 1;
		if (a->ag_pid > 0 &&
		    waitpid(a->ag_pid, &status, WNOHANG) == a->ag_pid) {
			agent_exited(a, status, 0);
			return 0;
		}
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	return 0;
}

/*
 * An agent on a terminal is its session's leader: when it ends, the
 * kernel hangs the terminal up and drops what is still queued for it,
 * init's last console lines among them. Let them out first (bounded:
 * output stopped by flow control must not hold PID 1).
 */
static void console_drain(void)
{
	uint64_t end = agent_now_ms() + 2000;
	int queued;

	while (ioctl(STDERR_FILENO, TIOCOUTQ, &queued) == 0 && queued > 0 &&
	       agent_now_ms() < end)
		nanosleep(&(struct timespec){0, 10000000}, NULL);
}

void agents_stop(struct agent *agents, int n, int timeout_ms, int keep)
{
	uint64_t end;
	int left;

	for (int i = 0; i < n; i++)
		if (agents[i].ag_pid > 0 && agents[i].ag_tty != NULL) {
			console_drain();
			break;
		}
	for (int i = n - 1; i >= 0; i--) {
		agents[i].ag_due_ms = 0;
		struct agent *a = &agents[i];
		if (a->ag_pid > 0)
			kill(a->ag_pid, keep && a->ag_keep_sig ? a->ag_keep_sig
					: a->ag_stop_sig       ? a->ag_stop_sig
							       : SIGTERM);
	}
	end = agent_now_ms() + (uint64_t)timeout_ms;
	do {
		left = 0;
		for (int i = 0; i < n; i++) {
			struct agent *a = &agents[i];
			int st;
			if (a->ag_pid <= 0)
				continue;
			if (waitpid(a->ag_pid, &st, WNOHANG) == a->ag_pid)
				agent_exited(a, st, 1);
			else
				left++;
		}
		if (left > 0)
			nanosleep(&(struct timespec){0, 50000000}, NULL);
	} while (left > 0 && agent_now_ms() < end);
	for (int i = 0; i < n; i++) {
		struct agent *a = &agents[i];
		int st;
		if (a->ag_pid <= 0)
			continue;
		log_warnx("%s did not stop in %d s; killing it", a->ag_name,
			  timeout_ms / 1000);
		kill(a->ag_pid, SIGKILL);
		if (waitpid(a->ag_pid, &st, 0) == a->ag_pid)
			agent_exited(a, st, 1);
	}
}
