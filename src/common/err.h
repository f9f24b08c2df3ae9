/*
 * err.h: an error a person must be able to read.
 *
 * Functions that can fail return 0 or a negative errno; when the caller
 * needs to know why, it passes a struct err (NULL is allowed) that receives
 * the code and a bounded message saying what, where, and what was expected,
 * e.g. "guest.elf: segment 2 ends at 0x9000000, beyond guest memory (64 MiB)".
 */
#ifndef BASALT_COMMON_ERR_H
#define BASALT_COMMON_ERR_H

#include "common/compiler.h"

#define ERR_MSG_MAX_BYTES 512

struct err {
	int e_code;		       /* negative errno, 0 when unset */
	char e_msg[ERR_MSG_MAX_BYTES]; /* NUL-terminated, may be cut short */
};

/*
 * Record an error and return code (a negative errno) so callers can write
 * "return err_set(e, -EINVAL, ...)". e may be NULL. A message too long for
 * the buffer is cut and ends in "...".
 */
int err_set(struct err *e, int code, const char *fmt, ...) BASALT_PRINTF(3, 4);

/* Clear e (no-op for NULL). */
void err_clear(struct err *e);

/* The message of e, or strerror of its code when no message was set. */
const char *err_msg(const struct err *e);

#endif
