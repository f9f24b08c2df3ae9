/*
 * datastore.h: datastores. In hosted mode each directory under
 * <root>/vmfs/volumes is one (datastore1 is made at first start); the
 * appliance mounts its volumes there too.
 */
#ifndef BASALT_HOSTD_DATASTORE_H
#define BASALT_HOSTD_DATASTORE_H

#include <limits.h>
#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

#define DATASTORE_NAME_MAX 64
#define DATASTORES_MAX	   64

struct hostd;

struct datastore {
	char ds_name[DATASTORE_NAME_MAX];
	char ds_id[24];		/* the managed object id: stable, opaque */
	char ds_path[PATH_MAX]; /* the directory */
};

/* Create <root>/vmfs/volumes/datastore1 if there is no datastore yet. */
BASALT_MUST_CHECK int datastore_init(struct hostd *h, struct err *e);

/* The datastores now, sorted by name, in h->hd_datastores (kept there,
 * not on a thread's small stack); returns how many. The caller holds
 * hd_lock (or no other thread runs yet). */
size_t datastore_list(struct hostd *h);

/*
 * datastore_resolve, and then the datastore it is in (*ds) and a check
 * that no symbolic link on the part of the path that exists leads out of
 * it: -EACCES then. For paths that files are made or removed at.
 */
BASALT_MUST_CHECK int datastore_resolve_inside(struct hostd *h,
					       const char *dspath, char *out,
					       size_t size,
					       struct datastore *ds);

/*
 * Make a raw disk file of kb KiB at path, which must not exist: sparse
 * (thin) or allocated, and synced. 0 or -errno (-EEXIST, -ENOENT,
 * -ENOSPC, ...); a failure leaves no file behind.
 */
BASALT_MUST_CHECK int disk_file_create(const char *path, long long kb,
				       int allocate);

/* The datastore with managed object id id, or with name name. */
int datastore_by_id(struct hostd *h, const char *id, struct datastore *out);
int datastore_by_name(struct hostd *h, const char *name, struct datastore *out);

/*
 * "[datastore1] dir/file.vmx" to the file's path; -EINVAL for a path
 * that is not of that form or climbs out with "..", -ENOENT for an
 * unknown datastore. "[ds]" alone is the datastore's directory.
 */
BASALT_MUST_CHECK int datastore_resolve(struct hostd *h, const char *dspath,
					char *out, size_t size);
/* The other way: a file under a datastore as "[name] rel"; -ENOENT if it
 * is under none. */
BASALT_MUST_CHECK int datastore_name_of(struct hostd *h, const char *file,
					char *out, size_t size);

#endif
