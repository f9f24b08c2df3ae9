/*
 * mo.h: managed object types as the property collector sees them: which
 * ids exist, what each property holds, and which types a type extends
 * (a PropertySpec or TraversalSpec for ManagedEntity matches a Folder).
 */
#ifndef BASALT_HOSTD_MO_H
#define BASALT_HOSTD_MO_H

#include "hostd/vim/vim.h"
#include "hostd/vim/vval.h"

enum mo_prop_result {
	MO_PROP_SET,	 /* *out holds the value */
	MO_PROP_UNSET,	 /* a property of the type, with no value now */
	MO_PROP_UNKNOWN, /* not a property of the type */
};

struct mo_type {
	const char *mt_name; /* "Folder" */
	const char *mt_base; /* "ManagedEntity", or NULL */
	int (*mt_exists)(struct vim_call *c, const char *id);
	/* Top-level property name of object id, freshly built in *out;
	 * NULL for a type with methods only. */
	enum mo_prop_result (*mt_prop)(struct vim_call *c, const char *id,
				       const char *name, struct vval **out);
	const char *const *mt_props; /* every property, for all=true; NULL:
				      * none */
};

/* The type called name, or NULL. */
const struct mo_type *mo_type_find(const char *name);
/* Does type (or a type it extends) go by base? */
int mo_is_a(const char *type, const char *base);
/* Does the object type:id exist? */
int mo_exists(struct vim_call *c, const char *type, const char *id);

/*
 * The value at path ("summary.config.name") of type:id: *val points into
 * *root, the whole top-level property, freshly built (vval_free it).
 * Returns as mt_prop does; a path below a property that leads nowhere is
 * MO_PROP_UNSET when its top is unset, else MO_PROP_UNKNOWN.
 */
enum mo_prop_result mo_get(struct vim_call *c, const char *type, const char *id,
			   const char *path, struct vval **root,
			   const struct vval **val);

extern const struct mo_type mo_service_instance, mo_folder, mo_datacenter,
	mo_session_manager, mo_view_manager, mo_container_view, mo_datastore,
	mo_host_system, mo_compute_resource, mo_resource_pool,
	mo_virtual_machine, mo_search_index, mo_network, mo_option_manager,
	mo_file_manager, mo_virtual_disk_manager, mo_datastore_browser,
	mo_account_manager, mo_user_directory, mo_authorization_manager,
	mo_certificate_manager, mo_firmware_system, mo_patch_manager,
	mo_access_manager, mo_service_system, mo_diagnostic_manager,
	mo_network_system;

/* AboutInfo as field name of parent (service_instance.c). */
struct vval *vim_about(struct vim_call *c, struct vval *parent,
		       const char *name);

/* What inventory object type:id holds (a folder's children, a
 * datacenter's folders, ...), at most max, into types/ids
 * (view_manager.c). */
size_t vim_children(struct vim_call *c, const char *type, const char *id,
		    char (*types)[SOAP_NAME_MAX], char (*ids)[SOAP_ID_MAX],
		    size_t max);

/* Every registered VM, as references (virtual_machine.c). */
enum mo_prop_result vim_vm_refs(struct vim_call *c, struct vval **out);

/* The advanced settings whose keys match prefix ("": all; "a.b." a
 * subtree; else one key) as an OptionValue array, field name of parent
 * (option_manager.c). */
struct vval *vim_adv_settings(const struct hostd *h, struct vval *parent,
			      const char *name, const char *prefix);

/* Every datastore, as references (datastore.c). */
enum mo_prop_result vim_datastore_refs(struct vim_call *c, struct vval **out);

#endif
