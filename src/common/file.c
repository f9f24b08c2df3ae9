/*
 * file.c: bounded whole-file reads (see file.h).
 */
#include "common/file.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_open_bounded(const char *path, size_t max_bytes, int *fdp,
		      size_t *lenp, struct err *e)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, -errno, "%s: cannot open: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0) {
		rc = err_set(e, -errno, "%s: cannot stat: %s", path,
			     strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, -EINVAL, "%s: not a regular file", path);
		goto fail;
	}
	if ((unsigned long long)st.st_size > max_bytes) {
		rc = err_set(e, -EFBIG,
			     "%s: %lld bytes, more than the %zu allowed", path,
			     (long long)st.st_size, max_bytes);
		goto fail;
	}
	*fdp = fd;
	*lenp = (size_t)st.st_size;
	return 0;
fail:
	close(fd);
	return rc;
}

int file_pread_all(int fd, uint64_t off, void *dst, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)dst + done, len - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA; /* the file shrank */
		done += (size_t)n;
	}
	return 0;
}

const char *file_strerror(int rc)
{
	return rc == -ENODATA ? "the file shrank while reading" : strerror(-rc);
}

int file_read_fd(int fd, const char *path, size_t len, void **datap,
		 struct err *e)
{
	char *buf;
	int rc;

	buf = malloc(len ? len : 1);
	if (buf == NULL)
		return err_set(e, -ENOMEM, "%s: out of memory for %zu bytes",
			       path, len);
	rc = file_pread_all(fd, 0, buf, len);
	if (rc < 0) {
		free(buf);
		return err_set(e, rc, "%s: read failed: %s", path,
			       file_strerror(rc));
	}
	*datap = buf;
	return 0;
}

int file_read_all(const char *path, size_t max_bytes, void **datap,
		  size_t *lenp, struct err *e)
{
	size_t len;
	int fd, rc;

	rc = file_open_bounded(path, max_bytes, &fd, &len, e);
	if (rc < 0)
		return rc;
	rc = file_read_fd(fd, path, len, datap, e);
	close(fd);
	if (rc == 0)
		*lenp = len;
	return rc;
}

int file_write_atomic(const char *path, const void *data, size_t len,
		      unsigned mode, struct err *e)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash;
	size_t off = 0;
	int fd, rc = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return err_set(e, -ENAMETOOLONG, "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", tmp, strerror(errno));
	while (off < len && rc == 0) {
		ssize_t w = write(fd, (const char *)data + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			rc = err_set(e, -errno, "%s: %s", tmp,
				     strerror(w < 0 ? errno : EIO));
		else
			off += (size_t)w;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = err_set(e, -errno, "%s: %s", tmp, strerror(errno));
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (rc < 0) {
		unlink(tmp);
		return rc;
	}
	/* The rename itself must reach the disk too. */
	slash = strrchr(path, '/');
	snprintf(dir, sizeof(dir), "%.*s",
		 slash != NULL ? (int)(slash - path) + (slash == path) : 1,
		 slash != NULL ? path : ".");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

void file_read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(buf, (int)size, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

int file_mkdirs(const char *path)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}
