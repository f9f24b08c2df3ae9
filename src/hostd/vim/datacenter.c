/*
 * datacenter.c: ha-datacenter, the one datacenter of a standalone host.
 */
#include <string.h>

#include "hostd/vim/entity.h"
#include "hostd/vim/mo.h"

static int datacenter_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ha-datacenter") == 0;
}

static enum mo_prop_result datacenter_prop(struct vim_call *c, const char *id,
					   const char *name, struct vval **out)
{
	static const struct {
		const char *prop, *folder;
	} folders[] = {
		{"vmFolder", "ha-folder-vm"},
		{"hostFolder", "ha-folder-host"},
		{"datastoreFolder", "ha-folder-datastore"},
		{"networkFolder", "ha-folder-network"},
	};

	*out = NULL;
	if (!datacenter_exists(c, id))
		return MO_PROP_UNKNOWN;
	for (size_t i = 0; i < sizeof(folders) / sizeof(*folders); i++)
		if (strcmp(name, folders[i].prop) == 0) {
			*out = vval_moref(NULL, NULL, "Folder",
					  folders[i].folder);
			return MO_PROP_SET;
		}
	if (strcmp(name, "datastore") == 0)
		return vim_datastore_refs(c, out);
	if (strcmp(name, "network") == 0)
		return vim_network_refs(c, out);
	return entity_prop(name, "ha-datacenter", "Folder", "ha-folder-root",
			   out);
}

static const char *const datacenter_props[] = {
	ENTITY_PROPS,	 "vmFolder",  "hostFolder", "datastoreFolder",
	"networkFolder", "datastore", "network",    NULL};

const struct mo_type mo_datacenter = {
	.mt_name = "Datacenter",
	.mt_base = "ManagedEntity",
	.mt_exists = datacenter_exists,
	.mt_prop = datacenter_prop,
	.mt_props = datacenter_props,
};
