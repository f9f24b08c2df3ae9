/*
 * folder.c: the host's fixed folders (vi-api.md §10): ha-folder-root
 * holds the datacenter, which has one folder each for VMs, hosts,
 * datastores and networks.
 */
#include <string.h>

#include "hostd/vim/entity.h"
#include "hostd/vim/mo.h"

static const struct folder {
	const char *f_id, *f_name, *f_parent_type, *f_parent, *f_child_type;
} folders[] = {
	{"ha-folder-root", "ha-folder-root", NULL, NULL, "Datacenter"},
	{"ha-folder-vm", "vm", "Datacenter", "ha-datacenter", "VirtualMachine"},
	{"ha-folder-host", "host", "Datacenter", "ha-datacenter",
	 "ComputeResource"},
	{"ha-folder-datastore", "datastore", "Datacenter", "ha-datacenter",
	 "Datastore"},
	{"ha-folder-network", "network", "Datacenter", "ha-datacenter",
	 "Network"},
};

static const struct folder *find(const char *id)
{
	for (size_t i = 0; i < sizeof(folders) / sizeof(*folders); i++)
		if (strcmp(folders[i].f_id, id) == 0)
			return &folders[i];
	return NULL;
}

static int folder_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return find(id) != NULL;
}

static enum mo_prop_result folder_prop(struct vim_call *c, const char *id,
				       const char *name, struct vval **out)
{
	const struct folder *f = find(id);

	*out = NULL;
	if (f == NULL)
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "childType") == 0) {
		*out = vval_array(NULL, NULL, "string");
		vval_str(*out, NULL, "Folder");
		vval_str(*out, NULL, f->f_child_type);
		return MO_PROP_SET;
	}
	if (strcmp(name, "childEntity") == 0) {
		if (strcmp(f->f_id, "ha-folder-datastore") == 0)
			return vim_datastore_refs(c, out);
		if (strcmp(f->f_id, "ha-folder-host") == 0) {
			*out = vval_array(NULL, NULL, "ManagedObjectReference");
			vval_moref(*out, NULL, "ComputeResource",
				   "ha-compute-res");
			return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
		}
		if (strcmp(f->f_id, "ha-folder-vm") == 0)
			return vim_vm_refs(c, out);
		if (strcmp(f->f_id, "ha-folder-network") == 0)
			return vim_network_refs(c, out);
		*out = vval_array(NULL, NULL, "ManagedObjectReference");
		if (strcmp(f->f_id, "ha-folder-root") == 0)
			vval_moref(*out, NULL, "Datacenter", "ha-datacenter");
		return MO_PROP_SET;
	}
	return entity_prop(name, f->f_name, f->f_parent_type, f->f_parent, out);
}

static const char *const folder_props[] = {ENTITY_PROPS, "childType",
					   "childEntity", NULL};

const struct mo_type mo_folder = {
	.mt_name = "Folder",
	.mt_base = "ManagedEntity",
	.mt_exists = folder_exists,
	.mt_prop = folder_prop,
	.mt_props = folder_props,
};
