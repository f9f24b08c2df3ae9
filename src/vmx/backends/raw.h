/*
 * raw.h: a raw disk image file (or block device) as a backend for
 * virtio-blk: vectored reads and writes at byte offsets, flush with
 * fdatasync, discard by punching holes. The file is locked while open
 * (shared for read-only, exclusive for read-write), so two VMs cannot
 * write one disk.
 */
#ifndef BASALT_VMX_BACKENDS_RAW_H
#define BASALT_VMX_BACKENDS_RAW_H

#include <stdint.h>
#include <sys/uio.h>

#include "common/err.h"

struct raw_disk {
	int rd_fd;
	int rd_ro;	   /* opened read-only */
	uint64_t rd_bytes; /* size at open */
	char rd_path[256];
};

/* Open path; ro opens read-only. Fails if locked by another user. */
BASALT_MUST_CHECK int raw_open(struct raw_disk **dp, const char *path, int ro,
			       struct err *e);
void raw_close(struct raw_disk *d);

/* Whole transfers or a negative errno (short transfers are retried). */
BASALT_MUST_CHECK int raw_readv(struct raw_disk *d, const struct iovec *iov,
				int iovcnt, uint64_t off);
BASALT_MUST_CHECK int raw_writev(struct raw_disk *d, const struct iovec *iov,
				 int iovcnt, uint64_t off);
BASALT_MUST_CHECK int raw_flush(struct raw_disk *d);
/* Deallocate [off, off+len); reads then return zeros. Unsupported by the
 * file system is not an error: discard is advisory. */
BASALT_MUST_CHECK int raw_discard(struct raw_disk *d, uint64_t off,
				  uint64_t len);
/* Make [off, off+len) read as zeros. */
BASALT_MUST_CHECK int raw_write_zeroes(struct raw_disk *d, uint64_t off,
				       uint64_t len);

#endif
