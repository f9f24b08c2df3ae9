/*
 * compute_resource.c: ComputeResource ha-compute-res, the standalone
 * host's cluster of one, in ha-folder-host, and ResourcePool ha-root-pool
 * ("Resources"), where every VM's resources come from.
 */
#include <string.h>

#include "hostd/host_info.h"
#include "hostd/hostd.h"
#include "hostd/vim/entity.h"
#include "hostd/vim/mo.h"

static int cr_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ha-compute-res") == 0;
}

static enum mo_prop_result cr_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	struct host_info hi;

	*out = NULL;
	if (!cr_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "host") == 0) {
		*out = vval_array(NULL, NULL, "ManagedObjectReference");
		vval_moref(*out, NULL, "HostSystem", "ha-host");
	} else if (strcmp(name, "resourcePool") == 0) {
		*out = vval_moref(NULL, NULL, "ResourcePool", "ha-root-pool");
	} else if (strcmp(name, "datastore") == 0) {
		return vim_datastore_refs(c, out);
	} else if (strcmp(name, "summary") == 0) {
		struct vval *s;
		host_info_read(c->vc_hostd, &hi);
		s = *out = vval_obj(NULL, NULL, "ComputeResourceSummary");
		vval_int(s, "totalCpu", "xsd:int",
			 hi.hi_cpu_hz / 1000000 * hi.hi_threads);
		vval_int(s, "totalMemory", "xsd:long", hi.hi_mem_bytes);
		vval_int(s, "numCpuCores", "xsd:short", hi.hi_cores);
		vval_int(s, "numCpuThreads", "xsd:short", hi.hi_threads);
		vval_int(s, "effectiveCpu", "xsd:int",
			 hi.hi_cpu_hz / 1000000 * hi.hi_threads);
		vval_int(s, "effectiveMemory", "xsd:long",
			 hi.hi_mem_bytes >> 20);
		vval_int(s, "numHosts", "xsd:int", 1);
		vval_int(s, "numEffectiveHosts", "xsd:int", 1);
		vval_prim(s, "overallStatus", "ManagedEntityStatus", "green");
	} else if (strcmp(name, "network") == 0) {
		return vim_network_refs(c, out);
	} else {
		return entity_prop(name, c->vc_hostd->hd_hostname, "Folder",
				   "ha-folder-host", out);
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const cr_props[] = {ENTITY_PROPS, "host",	"resourcePool",
				       "datastore",  "summary", "network",
				       NULL};

const struct mo_type mo_compute_resource = {
	.mt_name = "ComputeResource",
	.mt_base = "ManagedEntity",
	.mt_exists = cr_exists,
	.mt_prop = cr_prop,
	.mt_props = cr_props,
};

static int rp_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, "ha-root-pool") == 0;
}

/* ResourceAllocationInfo without limits: the whole host. */
static void allocation(struct vval *p, const char *name)
{
	struct vval *a = vval_obj(p, name, "ResourceAllocationInfo");
	struct vval *sh;

	vval_int(a, "reservation", "xsd:long", 0);
	vval_bool(a, "expandableReservation", 0);
	vval_int(a, "limit", "xsd:long", -1);
	sh = vval_obj(a, "shares", "SharesInfo");
	vval_int(sh, "shares", "xsd:int", 4000);
	vval_prim(sh, "level", "SharesLevel", "normal");
}

static struct vval *config_spec(void)
{
	struct vval *c = vval_obj(NULL, NULL, "ResourceConfigSpec");

	vval_moref(c, "entity", "ResourcePool", "ha-root-pool");
	allocation(c, "cpuAllocation");
	allocation(c, "memoryAllocation");
	return c;
}

static enum mo_prop_result rp_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	*out = NULL;
	if (!rp_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "owner") == 0) {
		*out = vval_moref(NULL, NULL, "ComputeResource",
				  "ha-compute-res");
	} else if (strcmp(name, "config") == 0) {
		*out = config_spec();
	} else if (strcmp(name, "vm") == 0) {
		return vim_vm_refs(c, out);
	} else if (strcmp(name, "resourcePool") == 0) {
		return MO_PROP_UNSET; /* no child pools */
	} else {
		return entity_prop(name, "Resources", "ComputeResource",
				   "ha-compute-res", out);
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const rp_props[] = {ENTITY_PROPS,   "owner", "config",
				       "resourcePool", "vm",	NULL};

const struct mo_type mo_resource_pool = {
	.mt_name = "ResourcePool",
	.mt_base = "ManagedEntity",
	.mt_exists = rp_exists,
	.mt_prop = rp_prop,
	.mt_props = rp_props,
};
