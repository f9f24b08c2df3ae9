/*
 * search_index.c: SearchIndex (ha-searchindex): find an inventory object
 * by its inventory path ("ha-datacenter/vm/web"), by name under a parent,
 * or a VM by its UUID. govmomi's finder needs the object; Ansible looks
 * VMs up by UUID and path.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostd/hostd.h"
#include "hostd/vim/mo.h"
#include "hostd/vm_config.h"

#define CHILDREN_MAX 4096

/* The name of type:id, into buf; "" when it has none. */
static void name_of(struct vim_call *c, const char *type, const char *id,
		    char *buf, size_t size)
{
	struct vval *root;
	const struct vval *v;

	buf[0] = '\0';
	if (mo_get(c, type, id, "name", &root, &v) == MO_PROP_SET &&
	    v->vv_kind == VVAL_PRIM && v->vv_text != NULL)
		snprintf(buf, size, "%s", v->vv_text);
	vval_free(root);
}

/* The child of type:id named name (a datacenter's folders go by vm,
 * host, datastore, network), into ctype/cid. 0, or -1 if none. */
static int child(struct vim_call *c, const char *type, const char *id,
		 const char *name, char *ctype, char *cid)
{
	static char types[CHILDREN_MAX][SOAP_NAME_MAX];
	static char ids[CHILDREN_MAX][SOAP_ID_MAX];
	size_t n = vim_children(c, type, id, types, ids, CHILDREN_MAX);
	char cname[256];

	for (size_t i = 0; i < n; i++) {
		name_of(c, types[i], ids[i], cname, sizeof(cname));
		if (strcmp(cname, name) == 0) {
			snprintf(ctype, SOAP_NAME_MAX, "%s", types[i]);
			snprintf(cid, SOAP_ID_MAX, "%s", ids[i]);
			return 0;
		}
	}
	return -1;
}

static int find_child(struct vim_call *c)
{
	char type[SOAP_NAME_MAX], id[SOAP_ID_MAX], name[256];
	char ctype[SOAP_NAME_MAX], cid[SOAP_ID_MAX];
	struct soap_node *e = soap_arg(c->vc_req, "entity");
	const char *t = soap_attr(e, "type");

	if (strcmp(c->vc_req->sr_this, "ha-searchindex") != 0)
		return vim_fault_not_found(c);
	snprintf(type, sizeof(type), "%s", t != NULL ? t : "");
	if (soap_text(e, id, sizeof(id)) < 0 || !mo_exists(c, type, id))
		return vim_fault_invalid_argument(c, "entity");
	if (soap_text(soap_arg(c->vc_req, "name"), name, sizeof(name)) < 0)
		return vim_fault_invalid_argument(c, "name");
	if (child(c, type, id, name, ctype, cid) == 0 &&
	    vim_may_read(c, ctype, cid))
		xmlout_moref(&c->vc_out, "returnval", ctype, cid);
	return 0;
}

static int find_by_inventory_path(struct vim_call *c)
{
	char path[1024], type[SOAP_NAME_MAX] = "Folder";
	char id[SOAP_ID_MAX] = "ha-folder-root";
	char *save = NULL, *part;

	if (strcmp(c->vc_req->sr_this, "ha-searchindex") != 0)
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "inventoryPath"), path,
		      sizeof(path)) < 0)
		return vim_fault_invalid_argument(c, "inventoryPath");
	/* Each part a child's name, from the root folder down. */
	for (part = strtok_r(path, "/", &save); part != NULL;
	     part = strtok_r(NULL, "/", &save))
		if (child(c, type, id, part, type, id) < 0)
			return 0; /* not found: no returnval */
	if (strcmp(id, "ha-folder-root") != 0 && vim_may_read(c, type, id))
		xmlout_moref(&c->vc_out, "returnval", type, id);
	return 0;
}

static int find_by_uuid(struct vim_call *c)
{
	struct inventory *iv = &c->vc_hostd->hd_inventory;
	char uuid[64], vm_search[8] = "", inst[8] = "";

	if (strcmp(c->vc_req->sr_this, "ha-searchindex") != 0)
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "uuid"), uuid, sizeof(uuid)) < 0)
		return vim_fault_invalid_argument(c, "uuid");
	if (soap_text(soap_arg(c->vc_req, "vmSearch"), vm_search,
		      sizeof(vm_search)) < 0 ||
	    soap_text(soap_arg(c->vc_req, "instanceUuid"), inst,
		      sizeof(inst)) == -E2BIG)
		return vim_fault_invalid_argument(c, "vmSearch");
	if (strcmp(vm_search, "true") != 0)
		return 0; /* hosts by UUID: this host's is not asked for */
	for (size_t i = 0; i < iv->iv_n; i++) {
		struct vm_config vc;
		int hit =
			vm_config_load(&vc, iv->iv_vms[i].ve_vmx, NULL) == 0 &&
			strcasecmp(vc.vc_uuid, uuid) == 0;
		vm_config_free(&vc);
		if (hit) {
			char id[16];
			snprintf(id, sizeof(id), "%d", iv->iv_vms[i].ve_id);
			if (!vim_may_read(c, "VirtualMachine", id))
				return 0;
			xmlout_moref(&c->vc_out, "returnval", "VirtualMachine",
				     id);
			return 0;
		}
	}
	return 0;
}

static int si_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ha-searchindex") == 0;
}

static enum mo_prop_result si_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	(void)c;
	(void)id;
	(void)name;
	*out = NULL;
	return MO_PROP_UNKNOWN; /* it has no properties */
}

static const char *const si_props[] = {NULL};

const struct mo_type mo_search_index = {
	.mt_name = "SearchIndex",
	.mt_exists = si_exists,
	.mt_prop = si_prop,
	.mt_props = si_props,
};

const struct vim_method vim_search_index_methods[] = {
	{"FindChild", "SearchIndex", 0, find_child},
	{"FindByInventoryPath", "SearchIndex", 0, find_by_inventory_path},
	{"FindByUuid", "SearchIndex", 0, find_by_uuid},
	{NULL, NULL, 0, NULL},
};
