/*
 * file.h: bounded file reads, for configs and boot images.
 */
#ifndef BASALT_COMMON_FILE_H
#define BASALT_COMMON_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/err.h"

/*
 * Read all of path into a fresh malloc'd buffer (*datap, *lenp; the caller
 * frees it). A file larger than max_bytes is refused with -EFBIG. The
 * out-parameters are written only on success.
 */
BASALT_MUST_CHECK int file_read_all(const char *path, size_t max_bytes,
				    void **datap, size_t *lenp, struct err *e);

/*
 * Open path for reading: a regular file of at most max_bytes (else
 * -EFBIG), its size in *lenp. The caller closes *fdp.
 */
BASALT_MUST_CHECK int file_open_bounded(const char *path, size_t max_bytes,
					int *fdp, size_t *lenp, struct err *e);

/*
 * Read exactly len bytes at offset off of fd into dst: 0, -errno, or
 * -ENODATA when the file ends first (it shrank).
 */
BASALT_MUST_CHECK int file_pread_all(int fd, uint64_t off, void *dst,
				     size_t len);

/* The -errno of file_pread_all in words (-ENODATA: the file shrank). */
const char *file_strerror(int rc);

/*
 * Read the first len bytes of fd (path names it in messages) into a fresh
 * malloc'd buffer, *datap, written only on success; the caller frees it.
 */
BASALT_MUST_CHECK int file_read_fd(int fd, const char *path, size_t len,
				   void **datap, struct err *e);

/*
 * Replace path with data[len] atomically: a temporary file beside it,
 * written and fsync'd, renamed over path, then the directory fsync'd.
 * A crash leaves the old file or the new one, never a mix. mode is the
 * new file's permissions.
 */
BASALT_MUST_CHECK int file_write_atomic(const char *path, const void *data,
					size_t len, unsigned mode,
					struct err *e);

/* The first line of a small file (/proc, /sys) into buf, without its
 * newline; "" if it cannot be read. */
void file_read_line(const char *path, char *buf, size_t size);

/* Make folder path and the missing ones above it (mode 0755): 0 or
 * -errno. */
BASALT_MUST_CHECK int file_mkdirs(const char *path);

#endif
