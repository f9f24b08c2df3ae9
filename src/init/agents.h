/*
 * agents.h: the host's agents as init's children, started in order and
 * restarted with backoff when they end (logged each time).
 */
#ifndef BASALT_INIT_AGENTS_H
#define BASALT_INIT_AGENTS_H

#include <stdint.h>
#include <sys/types.h>

#define AGENT_ARGS_MAX	     16
#define AGENT_BACKOFF_MIN_MS 1000
#define AGENT_BACKOFF_MAX_MS 60000
/* One that ran this long was healthy: its next failure starts the
 * backoff again from the minimum. */
#define AGENT_HEALTHY_MS 60000

struct agent {
	const char *ag_name;
	const char *ag_argv[AGENT_ARGS_MAX];
	const char *ag_env;   /* one extra "NAME=value", or NULL */
	const char *ag_ready; /* a path there once it serves, or NULL */
	const char *ag_tty;   /* its stdin/out/err, or NULL: its log */
	int ag_stop_sig;      /* what stops it (0: SIGTERM) */
	int ag_keep_sig;      /* ends it leaving its work (VMs) running */
	pid_t ag_pid;	      /* 0: not running */
	unsigned ag_restarts;
	int ag_backoff_ms;
	uint64_t ag_started_ms; /* monotonic */
	uint64_t ag_due_ms;	/* when to start it next; 0: not due */
};

uint64_t agent_now_ms(void);

/* Run a helper program (argv[0] a path) to its end: its exit status,
 * or -1 if it could not start or was killed. */
int agent_run(const char *const argv[]);

/* Start a; 0 or -1 (logged; it is retried after the backoff). */
int agent_start(struct agent *a);

/* a's process ended with wait status st: log it, schedule a restart
 * unless stopping is set. */
void agent_exited(struct agent *a, int st, int stopping);

/* Start those due; returns ms until the next is due (-1: none). */
int agent_run_due(struct agent *agents, int n);

/* Wait until a's ready path exists or timeout_ms pass: 1 ready, 0 not
 * (it also ends if a's process does). */
int agent_wait_ready(struct agent *a, int timeout_ms);

/* Stop every running agent (its ag_stop_sig, or with keep its ag_keep_sig
 * if it has one; SIGKILL after timeout_ms), in reverse order of the
 * table, and reap them. */
void agents_stop(struct agent *agents, int n, int timeout_ms, int keep);

#endif
