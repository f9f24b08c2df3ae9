/*
 * stated.h: stated's commands and daemon (issue 8). The daemon saves
 * the files under /etc/basalt into the boot bank's state slot when they
 * change (coalesced: once quiet for so_quiet_ms, at the latest
 * so_max_delay_ms after the first change) and compares them with the
 * newest generation every interval (the advanced option
 * UserVars.StateSaveInterval, seconds, else so_interval_s).
 */
#ifndef BASALT_STATED_STATED_H
#define BASALT_STATED_STATED_H

#include <stdint.h>

#include "common/err.h"
#include "stated/state_archive.h"

#define STATED_INTERVAL_MIN_S 60
#define STATED_INTERVAL_MAX_S 86400
#define STATED_LOCK_WAIT_MS   2000

struct stated_opts {
	const char *so_etc;  /* the state: <root>/etc/basalt */
	const char *so_slot; /* <root>/bootbank/state */
	/* The other boot bank's slot (NULL: none). Generations count across
	 * both; a restore takes the newer of the two, so the state follows
	 * the host into a bank an update wrote, and back on a fallback. */
	const char *so_other_slot;
	int so_quiet_ms;
	int so_max_delay_ms;
	long so_interval_s;
};

/*
 * Save a new generation of so_etc unless its content equals unless (a
 * SHA-256 of entries, or NULL). 1 saved (saved[] gets its content), 0
 * unchanged, negative errno with e on failure.
 */
int stated_save(const struct stated_opts *o, const uint8_t *unless,
		uint8_t saved[32], struct err *e);

/* The generation the next save gets: one past the newest of both
 * slots. */
uint64_t stated_next_generation(const struct stated_opts *o);

/* The slot holding the newest sound generation (1, *info, *slot), or 0.
 * *skipped counts damaged newer ones in it. */
int stated_newest(const struct stated_opts *o, struct state_info *info,
		  const char **slot, unsigned *skipped);

/* Run until SIGTERM or SIGINT (a last save first); SIGHUP saves at
 * once. Its exit status. */
int stated_daemon(const struct stated_opts *o);

#endif
