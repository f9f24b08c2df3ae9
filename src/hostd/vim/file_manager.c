/*
 * file_manager.c: FileManager ha-nfc-file-manager (MakeDirectory,
 * DeleteDatastoreFile_Task) and VirtualDiskManager ha-vdiskmanager
 * (CreateVirtualDisk_Task: raw disk files, thin or preallocated). Paths
 * are datastore paths, "[datastore1] dir/file"; nothing is made or
 * removed outside a datastore, nor in a running VM's folder.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "hostd/datastore.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/event.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/task.h"

#define FM_ID  "ha-nfc-file-manager"
#define VDM_ID "ha-vdiskmanager"
/* The largest disk: 62 TiB, as the reference host's. */
#define DISK_MAX_KB (62LL << 30)
/* How deep a delete goes into a directory tree. */
#define DELETE_DEPTH_MAX 32

static int fm_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, FM_ID) == 0 || strcmp(id, VDM_ID) == 0;
}

const struct mo_type mo_file_manager = {
	.mt_name = "FileManager",
	.mt_exists = fm_exists,
};

const struct mo_type mo_virtual_disk_manager = {
	.mt_name = "VirtualDiskManager",
	.mt_exists = fm_exists,
};

/* Faults about a datastore path (what clients raise on). */
int vim_fault_ds_path(struct vim_call *c, const char *dspath, int rc)
{
	struct xmlout f;

	if (rc == -ENOENT || rc == -EACCES || rc == -EINVAL ||
	    rc == -ENAMETOOLONG) {
		xmlout_init(&f);
		xmlout_elem(&f, "datastorePath", dspath);
		vim_fault(
			c, "InvalidDatastorePath", f.xo_oom ? NULL : f.xo_data,
			rc == -EACCES ? "Invalid datastore path '%s': it leads "
					"out of its datastore"
				      : "Invalid datastore path '%s'",
			dspath);
		xmlout_free(&f);
		return 0;
	}
	return vim_fault(c, "SystemError", NULL, "%s: %s", dspath,
			 strerror(-rc));
}

/* The text of argument name into buf, or a fault (returns -1). */
static int arg_text(struct vim_call *c, const char *name, char *buf,
		    size_t size)
{
	struct soap_node *n = soap_arg(c->vc_req, name);

	if (n == NULL || soap_text(n, buf, size) < 0 || buf[0] == '\0') {
		vim_fault_invalid_argument(c, name);
		return -1;
	}
	return 0;
}

/* Is path the folder of a running VM, inside one, or above one? */
static int running_vm_at(struct hostd *h, const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < h->hd_inventory.iv_n; i++) {
		const struct vm_entry *v = &h->hd_inventory.iv_vms[i];
		const char *vmx = v->ve_vmx, *slash = strrchr(vmx, '/');
		size_t dir = slash != NULL ? (size_t)(slash - vmx) : 0;
		if (v->ve_power == VM_POWERED_OFF && !v->ve_busy)
			continue;
		/* path above (or at) the VM's folder */
		if (strncmp(vmx, path, n) == 0 && vmx[n] == '/')
			return 1;
		/* path inside the VM's folder */
		if (strncmp(path, vmx, dir) == 0 &&
		    (path[dir] == '/' || path[dir] == '\0'))
			return 1;
	}
	return 0;
}

static int exists_fault(struct vim_call *c, const char *dspath)
{
	return vim_fault_field(c, "FileAlreadyExists", "file", dspath,
			       "Cannot complete the operation because the "
			       "file or folder %s already exists",
			       dspath);
}

static int make_directory(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	char dspath[PATH_MAX], path[PATH_MAX];
	struct datastore ds;
	int parents, rc;

	if (strcmp(c->vc_req->sr_this, FM_ID) != 0)
		return vim_fault_not_found(c);
	if (arg_text(c, "name", dspath, sizeof(dspath)) < 0)
		return 0;
	parents = soap_bool(soap_arg(c->vc_req, "createParentDirectories"), 0);
	rc = datastore_resolve_inside(h, dspath, path, sizeof(path), &ds);
	if (rc < 0)
		return vim_fault_ds_path(c, dspath, rc);
	if (strcmp(path, ds.ds_path) == 0)
		return exists_fault(c, dspath);
	if (parents) {
		/* Every missing folder on the way, inside the datastore. */
		for (char *p = path + strlen(ds.ds_path) + 1; *p != '\0'; p++) {
			if (*p != '/')
				continue;
			*p = '\0';
			rc = mkdir(path, 0755) < 0 && errno != EEXIST ? -errno
								      : 0;
			*p = '/';
			if (rc < 0)
				break;
		}
	}
	if (rc == 0 && mkdir(path, 0755) < 0)
		rc = -errno;
	if (rc == -EEXIST)
		return exists_fault(c, dspath);
	if (rc == -ENOENT || rc == -ENOTDIR)
		return vim_fault_field(c, "FileNotFound", "file", dspath,
				       "The parent folder of %s does not exist",
				       dspath);
	if (rc < 0)
		return vim_fault_field(c, "CannotCreateFile", "file", dspath,
				       "Cannot create %s: %s", dspath,
				       strerror(-rc));
	log_info("api: %s made folder %s",
		 c->vc_session ? c->vc_session->vs_user : "?", path);
	return 0;
}

/* Remove path and, for a folder, all below it (not following links). */
static int remove_tree(const char *path, int depth)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	if (depth >= DELETE_DEPTH_MAX)
		return -ELOOP;
	d = opendir(path);
	if (d == NULL)
		return -errno;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		char sub[PATH_MAX];
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
		    (int)sizeof(sub))
			rc = -ENAMETOOLONG;
		else
			rc = remove_tree(sub, depth + 1);
	}
	closedir(d);
	if (rc == 0 && rmdir(path) < 0)
		rc = -errno;
	return rc;
}

static int delete_file(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	char dspath[PATH_MAX], path[PATH_MAX];
	struct datastore ds;
	struct vim_task *t;
	struct stat st;
	int rc;

	if (strcmp(c->vc_req->sr_this, FM_ID) != 0)
		return vim_fault_not_found(c);
	if (arg_text(c, "name", dspath, sizeof(dspath)) < 0)
		return 0;
	rc = datastore_resolve_inside(h, dspath, path, sizeof(path), &ds);
	if (rc < 0)
		return vim_fault_ds_path(c, dspath, rc);
	t = vim_task_start(c, "DeleteDatastoreFile_Task",
			   "FileManager.deleteFile", NULL, NULL, NULL);
	if (t == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	if (strcmp(path, ds.ds_path) == 0) {
		vim_task_fail(h, t, "InvalidDatastorePath", NULL,
			      "%s is a datastore's top folder: it stays",
			      dspath);
	} else if (lstat(path, &st) < 0) {
		vim_task_fail_file(h, t, "FileNotFound", dspath,
				   "File %s was not found", dspath);
	} else if (running_vm_at(h, path)) {
		vim_task_fail_file(h, t, "FileLocked", dspath,
				   "%s is in use by a running virtual machine",
				   dspath);
	} else if ((rc = remove_tree(path, 0)) < 0) {
		vim_task_fail_file(h, t, "CannotDeleteFile", dspath,
				   "Cannot delete %s: %s", dspath,
				   strerror(-rc));
	} else {
		log_info("api: %s deleted %s", t->vt_user, path);
		vim_task_succeed(h, t, NULL);
	}
	return vim_task_return(c, t);
}

static int create_virtual_disk(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct soap_node *spec = soap_arg(c->vc_req, "spec");
	char dspath[PATH_MAX], path[PATH_MAX], type[32], buf[32], *end;
	struct datastore ds;
	struct vim_task *t;
	long long kb;
	int rc, allocate;

	if (strcmp(c->vc_req->sr_this, VDM_ID) != 0)
		return vim_fault_not_found(c);
	if (arg_text(c, "name", dspath, sizeof(dspath)) < 0)
		return 0;
	if (spec == NULL ||
	    soap_text(soap_child(spec, "capacityKb"), buf, sizeof(buf)) < 0)
		return vim_fault_invalid_argument(c, "spec.capacityKb");
	kb = strtoll(buf, &end, 10);
	if (buf[0] == '\0' || *end != '\0' || kb <= 0 || kb > DISK_MAX_KB)
		return vim_fault_invalid_argument(c, "spec.capacityKb");
	if (soap_text(soap_child(spec, "diskType"), type, sizeof(type)) < 0)
		strcpy(type, "thin");
	if (strcmp(type, "thin") == 0)
		allocate = 0;
	else if (strcmp(type, "preallocated") == 0 ||
		 strcmp(type, "thick") == 0 ||
		 strcmp(type, "eagerZeroedThick") == 0)
		allocate = 1;
	else
		return vim_fault(c, "NotSupported", NULL,
				 "Disk type '%s' is not supported: disks "
				 "are raw files, thin or preallocated",
				 type);
	if (strlen(dspath) > 5 &&
	    strcmp(dspath + strlen(dspath) - 5, ".vmdk") == 0)
		return vim_fault_field(c, "InvalidArgument", "invalidProperty",
				       "name",
				       "A specified parameter was not "
				       "correct: name (disks are raw files; "
				       "name them .img, not .vmdk)");
	rc = datastore_resolve_inside(h, dspath, path, sizeof(path), &ds);
	if (rc < 0)
		return vim_fault_ds_path(c, dspath, rc);
	t = vim_task_start(c, "CreateVirtualDisk_Task",
			   "VirtualDiskManager.createVirtualDisk", NULL, NULL,
			   NULL);
	if (t == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	rc = disk_file_create(path, kb, allocate);
	if (rc == -EEXIST) {
		vim_task_fail_file(h, t, "FileAlreadyExists", dspath,
				   "Cannot complete the operation because the "
				   "file %s already exists",
				   dspath);
	} else if (rc == -ENOENT || rc == -ENOTDIR) {
		vim_task_fail_file(h, t, "FileNotFound", dspath,
				   "The folder of %s does not exist", dspath);
	} else if (rc == -ENOSPC) {
		vim_task_fail(h, t, "NoDiskSpace", NULL,
			      "Not enough space on datastore %s for %s",
			      ds.ds_name, dspath);
	} else if (rc < 0) {
		vim_task_fail_file(h, t, "CannotCreateFile", dspath,
				   "Cannot create %s: %s", dspath,
				   strerror(-rc));
	} else {
		log_info("api: %s made disk %s (%lld KiB, %s)", t->vt_user,
			 path, kb, allocate ? "preallocated" : "thin");
		vim_task_succeed(h, t, vval_any(vval_str(NULL, NULL, dspath)));
	}
	return vim_task_return(c, t);
}

const struct vim_method vim_file_manager_methods[] = {
	{"MakeDirectory", "FileManager", 0, make_directory},
	{"DeleteDatastoreFile_Task", "FileManager", 0, delete_file},
	{"CreateVirtualDisk_Task", "VirtualDiskManager", 0,
	 create_virtual_disk},
	{NULL, NULL, 0, NULL},
};
