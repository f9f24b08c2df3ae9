/*
 * state_archive.h: the host's state (the files under /etc/basalt) as one
 * archive with a SHA-256 over it, kept in a boot bank's state slot as
 * generations state-<N>.bst: a new one is written whole beside the
 * others (temporary file, fsync, rename, fsync of the folder), the
 * previous generation stays. At boot the newest one that checks out is
 * restored, else the one before (docs/formats/state.md). Issue 8.
 */
#ifndef BASALT_STATED_STATE_ARCHIVE_H
#define BASALT_STATED_STATE_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define STATE_ARCHIVE_MAX_BYTES (16u << 20)
#define STATE_ENTRIES_MAX	4096
#define STATE_PATH_MAX		255
#define STATE_VERSION_MAX	63

/* What an archive says about itself (state_archive_parse). */
struct state_info {
	uint64_t si_gen;
	uint32_t si_count;			/* entries */
	char si_version[STATE_VERSION_MAX + 1]; /* Basalt's, which wrote it */
	/* SHA-256 of the entries alone: equal for the same files whatever
	 * the generation. */
	uint8_t si_content[32];
};

struct state_entry {
	const char *se_path; /* relative, '/'-separated, NUL-terminated */
	unsigned se_mode;    /* permission bits */
	const uint8_t *se_data;
	size_t se_size;
};

/* The regular files under dir (their folders implied) as an archive of
 * generation gen, written by this version of Basalt, in *out (malloc'd,
 * *len bytes). Symbolic links and other kinds of file are left out. dir
 * NULL: an archive of no files (the factory defaults). */
int state_archive_build(const char *dir, uint64_t gen, uint8_t **out,
			size_t *len, struct err *e);

/*
 * Check an archive whole (magic, bounds, every path, the SHA-256), then
 * pass each entry to fn (if not NULL) in order; *info gets what it says
 * of itself. 0, or a negative errno with e saying what is wrong; fn's
 * negative return stops the walk and is returned.
 */
int state_archive_parse(const uint8_t *buf, size_t len, struct state_info *info,
			int (*fn)(const struct state_entry *se, void *arg),
			void *arg, struct err *e);

/* Write the archive into the folder dir (which must hold nothing the
 * host needs: it is the in-memory /etc/basalt at boot). */
int state_archive_extract(const uint8_t *buf, size_t len, const char *dir,
			  struct err *e);

/* Save buf (generation gen) into the slot folder as state-<gen>.bst,
 * then remove generations older than the one before it. */
int state_slot_save(const char *slot, const uint8_t *buf, size_t len,
		    uint64_t gen, struct err *e);

/* The generation a new save gets: one past the newest file in slot
 * (sound or not), 1 for an empty slot. */
uint64_t state_slot_next(const char *slot);

/*
 * Restore the newest generation in slot that checks out into dir. 1 and
 * *info when one was restored (*skipped: how many newer ones were
 * broken), 0 when the slot has none, negative errno on an error.
 */
int state_slot_restore(const char *slot, const char *dir,
		       struct state_info *info, unsigned *skipped,
		       struct err *e);

/* What state_slot_restore would restore, without writing: 1 and *info,
 * or 0 when the slot has no sound generation. */
int state_slot_newest(const char *slot, struct state_info *info,
		      unsigned *skipped);

/*
 * A configuration to apply at the next boot (a backup restored, or the
 * factory defaults), checked whole, kept in the slot as pending.bst.
 * While one waits, nothing is saved (stated_save): the restore wins over
 * what the running host still changes.
 */
#define STATE_PENDING_NAME "pending.bst"
int state_slot_set_pending(const char *slot, const uint8_t *buf, size_t len,
			   struct err *e);
int state_slot_pending(const char *slot);

/* At boot, before the restore: a pending configuration becomes
 * generation gen (the newest) of slot (1, *info), 0 if none waits,
 * negative errno (a damaged one is removed and reported). */
int state_slot_apply_pending(const char *slot, uint64_t gen,
			     struct state_info *info, struct err *e);

#endif
