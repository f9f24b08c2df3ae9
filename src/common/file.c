/*
 * file.c: bounded whole-file reads (see file.h).
 */
#include "common/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, size_t max_bytes, void **datap,
		  size_t *lenp, struct err *e)
{
	struct stat st;
	size_t len, done = 0;
	char *buf = NULL;
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
	len = (size_t)st.st_size;
	buf = malloc(len ? len : 1);
	if (buf == NULL) {
		rc = err_set(e, -ENOMEM, "%s: out of memory for %zu bytes",
			     path, len);
		goto fail;
	}
	while (done < len) {
		ssize_t n = read(fd, buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, -errno, "%s: read failed: %s", path,
				     strerror(errno));
			goto fail;
		}
		if (n == 0) {
			rc = err_set(e, -EIO, "%s: file shrank while reading",
				     path);
			goto fail;
		}
		done += (size_t)n;
	}
	close(fd);
	*datap = buf;
	*lenp = len;
	return 0;
fail:
	free(buf);
	close(fd);
	return rc;
}
