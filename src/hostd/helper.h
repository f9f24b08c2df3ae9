/*
 * helper.h: a helper program run to its end from an API task (the
 * update tool). hostd's reaper (vm_power.c) reaps every child; a
 * helper's end is handed back here by pid.
 */
#ifndef BASALT_HOSTD_HELPER_H
#define BASALT_HOSTD_HELPER_H

#include <stddef.h>
#include <sys/types.h>

#define HELPERS_MAX 4

struct hostd;

struct helper_slot {
	pid_t hs_pid; /* 0: free */
	int hs_done;
	int hs_status; /* wait status */
};

/*
 * Run argv (argv[0] a path) without the hostd lock held; its output
 * (stdout and stderr) in out (NUL-ended, the last size-1 bytes kept).
 * Its exit status, or -1 if it could not start or was killed.
 */
int helper_run(struct hostd *h, const char *const argv[], char *out,
	       size_t size);

/* The reaper's: 1 if pid was a helper (its status kept), else 0. Under
 * the hostd lock. */
int helper_reaped(struct hostd *h, pid_t pid, int status);

#endif
