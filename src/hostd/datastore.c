/*
 * datastore.c: datastores as directories, and their ids. An id is a hash
 * of the name (FNV-1a), so it survives restarts without a file of its
 * own and a datastore mounted again under its name keeps it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/fnv.h"
#include "hostd/datastore.h"
#include "hostd/hostd.h"

static void volumes_dir(struct hostd *h, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s/vmfs/volumes", (int)(size - 16), h->hd_root);
}

static void make_id(const char *name, char *buf, size_t size)
{
	uint64_t x = fnv1a64(name);

	snprintf(buf, size, "%08x-%08x", (unsigned)(x >> 32), (unsigned)x);
}

/* A name a datastore may have: what a [name] path can carry. */
static int name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len >= DATASTORE_NAME_MAX || n[0] == '.')
		return 0;
	for (; *n != '\0'; n++)
		if (*n == '/' || *n == '[' || *n == ']' ||
		    (unsigned char)*n < 0x20)
			return 0;
	return 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct datastore *)a)->ds_name,
		      ((const struct datastore *)b)->ds_name);
}

size_t datastore_list(struct hostd *h)
{
	struct datastore *out = h->hd_datastores;
	const size_t max = DATASTORES_MAX;
	char dir[PATH_MAX];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	volumes_dir(h, dir, sizeof(dir));
	d = opendir(dir);
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		struct stat st;
		struct datastore *ds = &out[n];
		if (!name_ok(de->d_name))
			continue;
		if (snprintf(ds->ds_path, sizeof(ds->ds_path), "%s/%s", dir,
			     de->d_name) >= (int)sizeof(ds->ds_path) ||
		    stat(ds->ds_path, &st) < 0 || !S_ISDIR(st.st_mode))
			continue;
		snprintf(ds->ds_name, sizeof(ds->ds_name), "%s", de->d_name);
		make_id(ds->ds_name, ds->ds_id, sizeof(ds->ds_id));
		n++;
	}
	closedir(d);
	qsort(out, n, sizeof(*out), by_name);
	h->hd_ndatastores = n;
	return n;
}

int datastore_by_id(struct hostd *h, const char *id, struct datastore *out)
{
	const struct datastore *all = h->hd_datastores;
	size_t n = datastore_list(h);

	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].ds_id, id) == 0) {
			*out = all[i];
			return 0;
		}
	return -ENOENT;
}

int datastore_by_name(struct hostd *h, const char *name, struct datastore *out)
{
	const struct datastore *all = h->hd_datastores;
	size_t n = datastore_list(h);

	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].ds_name, name) == 0) {
			*out = all[i];
			return 0;
		}
	return -ENOENT;
}

int datastore_init(struct hostd *h, struct err *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];

	if (datastore_list(h) > 0)
		return 0;
	volumes_dir(h, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/datastore1", dir);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	return 0;
}

int datastore_resolve(struct hostd *h, const char *dspath, char *out,
		      size_t size)
{
	char name[DATASTORE_NAME_MAX];
	const char *close = strchr(dspath, ']'), *rel, *p;
	struct datastore ds;
	size_t n;

	if (dspath[0] != '[' || close == NULL)
		return -EINVAL;
	n = (size_t)(close - dspath - 1);
	if (n == 0 || n >= sizeof(name))
		return -EINVAL;
	memcpy(name, dspath + 1, n);
	name[n] = '\0';
	rel = close + 1;
	while (*rel == ' ')
		rel++;
	/* No way out of the datastore: no "..", no absolute part. */
	for (p = rel; *p != '\0';) {
		size_t seg = strcspn(p, "/");
		if (seg == 2 && p[0] == '.' && p[1] == '.')
			return -EINVAL;
		p += seg;
		while (*p == '/')
			p++;
	}
	if (datastore_by_name(h, name, &ds) < 0)
		return -ENOENT;
	while (*rel == '/')
		rel++;
	if (snprintf(out, size, "%s%s%s", ds.ds_path, *rel ? "/" : "", rel) >=
	    (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int datastore_resolve_inside(struct hostd *h, const char *dspath, char *out,
			     size_t size, struct datastore *ds)
{
	char real_ds[PATH_MAX], probe[PATH_MAX], real[PATH_MAX];
	const struct datastore *all = h->hd_datastores;
	size_t n, k;
	int rc = datastore_resolve(h, dspath, out, size);

	if (rc < 0)
		return rc;
	n = h->hd_ndatastores; /* datastore_resolve listed them */
	for (k = 0; k < n; k++) {
		size_t len = strlen(all[k].ds_path);
		if (strncmp(out, all[k].ds_path, len) == 0 &&
		    (out[len] == '/' || out[len] == '\0'))
			break;
	}
	if (k == n || realpath(all[k].ds_path, real_ds) == NULL)
		return -ENOENT;
	*ds = all[k];
	/* The deepest part that exists, as the kernel resolves it. */
	snprintf(probe, sizeof(probe), "%s", out);
	while (realpath(probe, real) == NULL) {
		char *slash = strrchr(probe, '/');
		if (errno != ENOENT || slash == NULL || slash == probe)
			return -EACCES;
		*slash = '\0';
	}
	k = strlen(real_ds);
	if (strncmp(real, real_ds, k) != 0 ||
	    (real[k] != '/' && real[k] != '\0'))
		return -EACCES;
	return 0;
}

int datastore_name_of(struct hostd *h, const char *file, char *out, size_t size)
{
	const struct datastore *all = h->hd_datastores;
	size_t n = datastore_list(h);

	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(all[i].ds_path);
		if (strncmp(file, all[i].ds_path, k) == 0 &&
		    (file[k] == '/' || file[k] == '\0')) {
			const char *rel = file + k;
			while (*rel == '/')
				rel++;
			if (snprintf(out, size, "[%s] %s", all[i].ds_name,
				     rel) >= (int)size)
				return -ENAMETOOLONG;
			return 0;
		}
	}
	return -ENOENT;
}

int disk_file_create(const char *path, long long kb, int allocate)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)kb * 1024) < 0)
		rc = -errno;
	else if (allocate)
		rc = -posix_fallocate(fd, 0, (off_t)kb * 1024);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc < 0)
		unlink(path); /* nothing half made stays */
	return rc;
}
