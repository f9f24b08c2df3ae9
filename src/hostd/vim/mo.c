/*
 * mo.c: the registry of managed object types and property lookup by path.
 */
#include <string.h>

#include "hostd/vim/mo.h"
#include "hostd/vim/event.h"
#include "hostd/vim/task.h"

static const struct mo_type *const types[] = {
	&mo_service_instance,
	&mo_folder,
	&mo_datacenter,
	&mo_session_manager,
	&mo_view_manager,
	&mo_container_view,
	&mo_datastore,
	&mo_host_system,
	&mo_compute_resource,
	&mo_resource_pool,
	&mo_task,
	&mo_task_manager,
	&mo_virtual_machine,
	&mo_event_manager,
	&mo_search_index,
	&mo_network,
	&mo_option_manager,
	&mo_file_manager,
	&mo_virtual_disk_manager,
	&mo_datastore_browser,
	&mo_account_manager,
	&mo_certificate_manager,
	&mo_firmware_system,
	&mo_patch_manager,
	&mo_access_manager,
	&mo_service_system,
	&mo_diagnostic_manager,
	&mo_network_system,
	&mo_user_directory,
	&mo_authorization_manager,
};

/* Abstract types that only appear as bases. */
static const struct {
	const char *name, *base;
} abstract_types[] = {
	{"ManagedEntity", NULL},
	{"ManagedObjectView", "View"},
	{"View", NULL},
	{"ExtensibleManagedObject", NULL},
};

const struct mo_type *mo_type_find(const char *name)
{
	for (size_t i = 0; i < sizeof(types) / sizeof(*types); i++)
		if (strcmp(types[i]->mt_name, name) == 0)
			return types[i];
	return NULL;
}

static const char *base_of(const char *type)
{
	const struct mo_type *t = mo_type_find(type);

	if (t != NULL)
		return t->mt_base;
	for (size_t i = 0; i < sizeof(abstract_types) / sizeof(*abstract_types);
	     i++)
		if (strcmp(abstract_types[i].name, type) == 0)
			return abstract_types[i].base;
	return NULL;
}

int mo_is_a(const char *type, const char *base)
{
	for (int depth = 0; type != NULL && depth < 8; depth++) {
		if (strcmp(type, base) == 0)
			return 1;
		type = base_of(type);
	}
	return 0;
}

int mo_exists(struct vim_call *c, const char *type, const char *id)
{
	const struct mo_type *t = mo_type_find(type);

	return t != NULL && t->mt_exists(c, id);
}

enum mo_prop_result mo_get(struct vim_call *c, const char *type, const char *id,
			   const char *path, struct vval **root,
			   const struct vval **val)
{
	const struct mo_type *t = mo_type_find(type);
	const char *dot = strchr(path, '.');
	char top[128];
	size_t n = dot != NULL ? (size_t)(dot - path) : strlen(path);
	enum mo_prop_result r;

	*root = NULL;
	*val = NULL;
	if (t == NULL || t->mt_prop == NULL || n == 0 || n >= sizeof(top))
		return MO_PROP_UNKNOWN;
	memcpy(top, path, n);
	top[n] = '\0';
	r = t->mt_prop(c, id, top, root);
	if (r != MO_PROP_SET)
		return r;
	*val = dot != NULL ? vval_path(*root, dot + 1) : *root;
	if (*val == NULL) {
		/* Below a set property: unset there, or no such path. We
		 * cannot tell an optional field from a wrong name without
		 * the type tables; clients treat both as "no value". */
		vval_free(*root);
		*root = NULL;
		return MO_PROP_UNSET;
	}
	return MO_PROP_SET;
}
