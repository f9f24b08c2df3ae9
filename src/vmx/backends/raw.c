/*
 * raw.c: raw image backend (see raw.h).
 */
#include "vmx/backends/raw.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAW_IOV_MAX 1024

int raw_open(struct raw_disk **dp, const char *path, int ro, struct err *e)
{
	struct raw_disk *d;
	struct stat st;
	int rc;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	if (snprintf(d->rd_path, sizeof(d->rd_path), "%s", path) >=
	    (int)sizeof(d->rd_path)) {
		free(d);
		return err_set(e, -ENAMETOOLONG, "disk path too long: %s",
			       path);
	}
	d->rd_ro = ro;
	d->rd_fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->rd_fd < 0) {
		rc = err_set(e, -errno, "disk %s: %s", path, strerror(errno));
		goto fail;
	}
	if (flock(d->rd_fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		rc = err_set(e, -EBUSY,
			     "disk %s is in use by another process (locked)",
			     path);
		goto fail;
	}
	if (fstat(d->rd_fd, &st) < 0) {
		rc = err_set(e, -errno, "disk %s: %s", path, strerror(errno));
		goto fail;
	}
	if (S_ISBLK(st.st_mode)) {
		uint64_t bytes;
		if (ioctl(d->rd_fd, BLKGETSIZE64, &bytes) < 0) {
			rc = err_set(e, -errno, "disk %s: size: %s", path,
				     strerror(errno));
			goto fail;
		}
		d->rd_bytes = bytes;
	} else if (S_ISREG(st.st_mode)) {
		d->rd_bytes = (uint64_t)st.st_size;
	} else {
		rc = err_set(e, -EINVAL,
			     "disk %s: not a regular file or block device",
			     path);
		goto fail;
	}
	*dp = d;
	return 0;
fail:
	raw_close(d);
	return rc;
}

void raw_close(struct raw_disk *d)
{
	if (d == NULL)
		return;
	if (d->rd_fd >= 0)
		close(d->rd_fd);
	free(d);
}

/* Advance iov past n bytes already transferred. */
static int iov_skip(struct iovec *iov, int cnt, size_t n)
{
	int i = 0;

	while (i < cnt && n >= iov[i].iov_len) {
		n -= iov[i].iov_len;
		i++;
	}
	if (i < cnt) {
		iov[i].iov_base = (char *)iov[i].iov_base + n;
		iov[i].iov_len -= n;
	}
	return i;
}

static int raw_rw(struct raw_disk *d, const struct iovec *iov_in, int cnt,
		  uint64_t off, int write)
{
	struct iovec iov[RAW_IOV_MAX];
	int first = 0;

	if (cnt < 0 || cnt > RAW_IOV_MAX)
		return -EINVAL;
	memcpy(iov, iov_in, sizeof(*iov) * (size_t)cnt);
	while (first < cnt) {
		ssize_t n = write ? pwritev(d->rd_fd, iov + first, cnt - first,
					    (off_t)off)
				  : preadv(d->rd_fd, iov + first, cnt - first,
					   (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0) {
			if (write)
				return -EIO;
			/* Past the end of a file that shrank: zeros. */
			for (int i = first; i < cnt; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += (uint64_t)n;
		first += iov_skip(iov + first, cnt - first, (size_t)n);
	}
	return 0;
}

int raw_readv(struct raw_disk *d, const struct iovec *iov, int iovcnt,
	      uint64_t off)
{
	return raw_rw(d, iov, iovcnt, off, 0);
}

int raw_writev(struct raw_disk *d, const struct iovec *iov, int iovcnt,
	       uint64_t off)
{
	if (d->rd_ro)
		return -EROFS;
	return raw_rw(d, iov, iovcnt, off, 1);
}

int raw_flush(struct raw_disk *d)
{
	if (d->rd_ro)
		return 0;
	return fdatasync(d->rd_fd) < 0 ? -errno : 0;
}

int raw_discard(struct raw_disk *d, uint64_t off, uint64_t len)
{
	if (d->rd_ro)
		return -EROFS;
	if (fallocate(d->rd_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) < 0 &&
	    errno != EOPNOTSUPP)
		return -errno;
	return 0;
}

int raw_write_zeroes(struct raw_disk *d, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[65536];

	if (d->rd_ro)
		return -EROFS;
	/* Punching a hole reads back as zeros; if the file system cannot,
	 * write them. */
	if (fallocate(d->rd_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		return 0;
	while (len > 0) {
		struct iovec v = {(void *)(uintptr_t)zeros,
				  len < sizeof(zeros) ? len : sizeof(zeros)};
		int rc = raw_rw(d, &v, 1, off, 1);
		if (rc < 0)
			return rc;
		off += v.iov_len;
		len -= v.iov_len;
	}
	return 0;
}
