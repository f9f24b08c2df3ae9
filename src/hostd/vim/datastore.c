/*
 * datastore.c: Datastore, one per directory datastore (datastore.h), in
 * ha-folder-datastore; sizes from statvfs.
 */
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include "hostd/datastore.h"
#include "hostd/hostd.h"
#include "hostd/vim/entity.h"
#include "hostd/vim/mo.h"

static int ds_exists(struct vim_call *c, const char *id)
{
	struct datastore ds;

	return datastore_by_id(c->vc_hostd, id, &ds) == 0;
}

static void url(const struct datastore *ds, char *buf, size_t size)
{
	snprintf(buf, size, "ds:///vmfs/volumes/%s/", ds->ds_id);
}

static enum mo_prop_result ds_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	struct datastore ds;
	struct statvfs sv;
	long long cap = 0, free_b = 0;
	char u[96];

	*out = NULL;
	if (datastore_by_id(c->vc_hostd, id, &ds) < 0)
		return MO_PROP_UNKNOWN;
	if (statvfs(ds.ds_path, &sv) == 0) {
		cap = (long long)sv.f_blocks * (long long)sv.f_frsize;
		free_b = (long long)sv.f_bavail * (long long)sv.f_frsize;
	}
	url(&ds, u, sizeof(u));
	if (strcmp(name, "summary") == 0) {
		struct vval *s = vval_obj(NULL, NULL, "DatastoreSummary");
		vval_moref(s, "datastore", "Datastore", ds.ds_id);
		vval_str(s, "name", ds.ds_name);
		vval_str(s, "url", u);
		vval_int(s, "capacity", "xsd:long", cap);
		vval_int(s, "freeSpace", "xsd:long", free_b);
		vval_int(s, "uncommitted", "xsd:long", 0);
		vval_bool(s, "accessible", 1);
		vval_bool(s, "multipleHostAccess", 0);
		/* A local directory, not a VMFS volume. */
		vval_str(s, "type", "OTHER");
		vval_str(s, "maintenanceMode", "normal");
		*out = s;
	} else if (strcmp(name, "info") == 0) {
		char t[40];
		struct vval *i = vval_obj(NULL, NULL, "LocalDatastoreInfo");
		vval_str(i, "name", ds.ds_name);
		vval_str(i, "url", u);
		vval_int(i, "freeSpace", "xsd:long", free_b);
		vval_int(i, "maxFileSize", "xsd:long", cap);
		vval_int(i, "maxVirtualDiskCapacity", "xsd:long", cap);
		vval_int(i, "maxMemoryFileSize", "xsd:long", cap);
		vim_datetime(t, sizeof(t), time(NULL));
		vval_prim(i, "timestamp", "xsd:dateTime", t);
		vval_str(i, "path", ds.ds_path);
		*out = i;
	} else if (strcmp(name, "capability") == 0) {
		struct vval *k = vval_obj(NULL, NULL, "DatastoreCapability");
		vval_bool(k, "directoryHierarchySupported", 1);
		vval_bool(k, "rawDiskMappingsSupported", 0);
		vval_bool(k, "perFileThinProvisioningSupported", 1);
		vval_bool(k, "storageIORMSupported", 0);
		vval_bool(k, "nativeSnapshotSupported", 0);
		vval_bool(k, "topLevelDirectoryCreateSupported", 1);
		vval_bool(k, "seSparseSupported", 0);
		*out = k;
	} else if (strcmp(name, "host") == 0) {
		struct vval *a = vval_array(NULL, NULL, "DatastoreHostMount");
		struct vval *m = vval_obj(a, NULL, "DatastoreHostMount");
		struct vval *mi;
		vval_moref(m, "key", "HostSystem", "ha-host");
		mi = vval_obj(m, "mountInfo", "HostMountInfo");
		vval_str(mi, "path", ds.ds_path);
		vval_str(mi, "accessMode", "readWrite");
		vval_bool(mi, "mounted", 1);
		vval_bool(mi, "accessible", 1);
		*out = a;
	} else if (strcmp(name, "vm") == 0) {
		/* The VMs whose .vmx is on it. */
		const struct inventory *iv = &c->vc_hostd->hd_inventory;
		size_t k = strlen(ds.ds_path);
		char vid[16];
		*out = vval_array(NULL, NULL, "ManagedObjectReference");
		for (size_t i = 0; i < iv->iv_n; i++)
			if (strncmp(iv->iv_vms[i].ve_vmx, ds.ds_path, k) == 0 &&
			    iv->iv_vms[i].ve_vmx[k] == '/') {
				snprintf(vid, sizeof(vid), "%d",
					 iv->iv_vms[i].ve_id);
				vval_moref(*out, NULL, "VirtualMachine", vid);
			}
	} else if (strcmp(name, "browser") == 0) {
		*out = vval_moref(NULL, NULL, "HostDatastoreBrowser",
				  "ha-host-datastorebrowser");
	} else {
		return entity_prop(name, ds.ds_name, "Folder",
				   "ha-folder-datastore", out);
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const ds_props[] = {ENTITY_PROPS, "summary", "info",
				       "capability", "host",	"vm",
				       "browser",    NULL};

const struct mo_type mo_datastore = {
	.mt_name = "Datastore",
	.mt_base = "ManagedEntity",
	.mt_exists = ds_exists,
	.mt_prop = ds_prop,
	.mt_props = ds_props,
};

/* The datastores as an array of references, for folders and the host. */
enum mo_prop_result vim_datastore_refs(struct vim_call *c, struct vval **out)
{
	const struct datastore *all = c->vc_hostd->hd_datastores;
	size_t n = datastore_list(c->vc_hostd);

	*out = vval_array(NULL, NULL, "ManagedObjectReference");
	for (size_t i = 0; i < n; i++)
		vval_moref(*out, NULL, "Datastore", all[i].ds_id);
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}
