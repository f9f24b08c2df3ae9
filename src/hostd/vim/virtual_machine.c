/*
 * virtual_machine.c: VirtualMachine objects ("1", "2", ...): their
 * configuration as the .vmx file says, their run-time state as hostd
 * knows it; RegisterVM_Task (on ha-folder-vm) and UnregisterVM.
 */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/thread.h"
#include "hostd/datastore.h"
#include "hostd/hostd.h"
#include "hostd/vim/entity.h"
#include "hostd/vim/network.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/task.h"
#include "hostd/vm_config.h"
#include "hostd/vm_power.h"
#include "hostd/vmx_client.h"

#define KEY_PCI	   VMC_KEY_PCI
#define KEY_SCSI   VMC_KEY_SCSI
#define KEY_DISK   VMC_KEY_DISK
#define KEY_NIC	   VMC_KEY_NIC
#define KEY_SERIAL VMC_KEY_SERIAL

/* The name clients show for a guest id (VirtualMachineGuestOsIdentifier);
 * the id itself when it is not one of these. */
static const char *guest_full_name(const char *id)
{
	static const char *const names[][2] = {
		{"otherLinux64Guest", "Other Linux (64-bit)"},
		{"otherLinuxGuest", "Other Linux (32-bit)"},
		{"other3xLinux64Guest", "Other 3.x Linux (64-bit)"},
		{"other4xLinux64Guest", "Other 4.x or later Linux (64-bit)"},
		{"otherGuest64", "Other (64-bit)"},
		{"otherGuest", "Other (32-bit)"},
		{"debian10_64Guest", "Debian GNU/Linux 10 (64-bit)"},
		{"debian11_64Guest", "Debian GNU/Linux 11 (64-bit)"},
		{"debian12_64Guest", "Debian GNU/Linux 12 (64-bit)"},
		{"ubuntu64Guest", "Ubuntu Linux (64-bit)"},
		{"centos8_64Guest", "CentOS 8 (64-bit)"},
		{"rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)"},
		{"rhel9_64Guest", "Red Hat Enterprise Linux 9 (64-bit)"},
		{"sles15_64Guest", "SUSE Linux Enterprise 15 (64-bit)"},
		{"freebsd12_64Guest", "FreeBSD 12 (64-bit)"},
		{"windows9_64Guest", "Microsoft Windows 10 (64-bit)"},
		{"windows2019srv_64Guest",
		 "Microsoft Windows Server 2019 (64-bit)"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strcmp(id, names[i][0]) == 0)
			return names[i][1];
	return id;
}

static const char *power_name(enum vm_power p)
{
	return p == VM_POWERED_ON  ? "poweredOn"
	       : p == VM_SUSPENDED ? "suspended"
				   : "poweredOff";
}

const char *vm_name_of(const struct vm_entry *v)
{
	static char name[256];
	struct vm_config vc;

	/* For events: the display name, or the file when it cannot be
	 * read. Under the hostd lock (one caller at a time). */
	if (vm_config_load(&vc, v->ve_vmx, NULL) == 0)
		snprintf(name, sizeof(name), "%s", vc.vc_name);
	else
		snprintf(name, sizeof(name), "%s", strrchr(v->ve_vmx, '/') + 1);
	vm_config_free(&vc);
	return name;
}

static void ds_name(struct vim_call *c, const char *file, char *out,
		    size_t size)
{
	if (datastore_name_of(c->vc_hostd, file, out, size) < 0)
		snprintf(out, size, "%s", file); /* outside every datastore */
}

static void description(struct vval *dev, const char *label,
			const char *summary)
{
	struct vval *d = vval_obj(dev, "deviceInfo", "Description");

	vval_str(d, "label", label);
	vval_str(d, "summary", summary);
}

static void devices(struct vim_call *c, const struct vm_config *vc,
		    struct vval *hw)
{
	struct vval *list = vval_array(hw, "device", "VirtualDevice");
	struct vval *d, *b, *keys;
	char label[64], summ[PATH_MAX + 64], path[PATH_MAX + 64];

	d = vval_obj(list, NULL, "VirtualPCIController");
	vval_int(d, "key", "xsd:int", KEY_PCI);
	description(d, "PCI controller 0", "PCI controller 0");
	vval_int(d, "busNumber", "xsd:int", 0);
	if (vc->vc_ndisks > 0) {
		/* Every disk is virtio-blk in the VM; the API shows them
		 * on one paravirtual SCSI controller. */
		d = vval_obj(list, NULL, "ParaVirtualSCSIController");
		vval_int(d, "key", "xsd:int", KEY_SCSI);
		description(d, "SCSI controller 0", "VMware paravirtual SCSI");
		vval_int(d, "controllerKey", "xsd:int", KEY_PCI);
		vval_int(d, "unitNumber", "xsd:int", 3);
		vval_int(d, "busNumber", "xsd:int", 0);
		keys = vval_array(d, "device", "int");
		for (int i = 0; i < vc->vc_ndisks; i++)
			vval_int(keys, NULL, "xsd:int", KEY_DISK + i);
		vval_bool(d, "hotAddRemove", 0);
		vval_prim(d, "sharedBus", "VirtualSCSISharing", "noSharing");
		vval_int(d, "scsiCtlrUnitNumber", "xsd:int", 7);
	}
	for (int i = 0; i < vc->vc_ndisks; i++) {
		const struct vmc_disk *k = &vc->vc_disks[i];
		d = vval_obj(list, NULL, "VirtualDisk");
		vval_int(d, "key", "xsd:int", KEY_DISK + i);
		snprintf(label, sizeof(label), "Hard disk %d", i + 1);
		snprintf(summ, sizeof(summ), "%lld KB", k->vd_bytes / 1024);
		description(d, label, summ);
		b = vval_obj(d, "backing", "VirtualDiskFlatVer2BackingInfo");
		ds_name(c, k->vd_file, path, sizeof(path));
		vval_str(b, "fileName", path);
		vval_str(b, "diskMode",
			 k->vd_readonly ? "independent_nonpersistent"
					: "persistent");
		vval_bool(b, "thinProvisioned", 1);
		vval_int(d, "controllerKey", "xsd:int", KEY_SCSI);
		vval_int(d, "unitNumber", "xsd:int", k->vd_unit);
		vval_int(d, "capacityInKB", "xsd:long", k->vd_bytes / 1024);
		vval_int(d, "capacityInBytes", "xsd:long", k->vd_bytes);
	}
	for (int i = 0; i < vc->vc_nnics; i++) {
		const struct vmc_nic *n = &vc->vc_nics[i];
		d = vval_obj(list, NULL, "VirtualVmxnet3");
		vval_int(d, "key", "xsd:int", KEY_NIC + n->vn_index);
		snprintf(label, sizeof(label), "Network adapter %d", i + 1);
		description(d, label, n->vn_network);
		b = vval_obj(d, "backing",
			     "VirtualEthernetCardNetworkBackingInfo");
		vval_str(b, "deviceName", n->vn_network);
		vval_int(d, "controllerKey", "xsd:int", KEY_PCI);
		vval_int(d, "unitNumber", "xsd:int", 7 + n->vn_index);
		vval_str(d, "addressType",
			 n->vn_manual ? "manual" : "generated");
		if (n->vn_mac[0] != '\0')
			vval_str(d, "macAddress", n->vn_mac);
	}
	if (vc->vc_serial) {
		d = vval_obj(list, NULL, "VirtualSerialPort");
		vval_int(d, "key", "xsd:int", KEY_SERIAL);
		description(d, "Serial port 1", vc->vc_serial_file);
		b = vval_obj(d, "backing", "VirtualSerialPortFileBackingInfo");
		vval_str(b, "fileName", vc->vc_serial_file);
		vval_bool(d, "yieldOnPoll", 1);
	}
}

static struct vval *config_info(struct vim_call *c, const struct vm_config *vc)
{
	struct vval *ci = vval_obj(NULL, NULL, "VirtualMachineConfigInfo");
	struct vval *f, *hw, *ec, *po;
	char t[40], path[PATH_MAX + 64], dir[PATH_MAX + 64];

	/* Fields in WSDL order. */
	snprintf(t, sizeof(t), "%lld", (long long)vc->vc_modified);
	vval_str(ci, "changeVersion", t);
	vim_datetime(t, sizeof(t), vc->vc_modified);
	vval_prim(ci, "modified", "xsd:dateTime", t);
	vval_str(ci, "name", vc->vc_name);
	vval_str(ci, "guestFullName", guest_full_name(vc->vc_guest_id));
	vval_str(ci, "version", "vmx-14");
	vval_str(ci, "uuid", vc->vc_uuid);
	vval_str(ci, "instanceUuid", vc->vc_uuid);
	vval_bool(ci, "template", 0);
	vval_str(ci, "guestId", vc->vc_guest_id);
	vval_str(ci, "alternateGuestName", "");
	vval_str(ci, "annotation", vc->vc_annotation);
	f = vval_obj(ci, "files", "VirtualMachineFileInfo");
	ds_name(c, vc->vc_file, path, sizeof(path));
	ds_name(c, vc->vc_dir, dir, sizeof(dir));
	vval_str(f, "vmPathName", path);
	vval_str(f, "snapshotDirectory", dir);
	vval_str(f, "suspendDirectory", dir);
	vval_str(f, "logDirectory", dir);
	vval_obj(ci, "flags", "VirtualMachineFlagInfo");
	po = vval_obj(ci, "defaultPowerOps",
		      "VirtualMachineDefaultPowerOpInfo");
	vval_str(po, "powerOffType", "soft");
	vval_str(po, "suspendType", "hard");
	vval_str(po, "resetType", "soft");
	vval_str(po, "defaultPowerOffType", "soft");
	vval_str(po, "defaultSuspendType", "hard");
	vval_str(po, "defaultResetType", "soft");
	hw = vval_obj(ci, "hardware", "VirtualHardware");
	vval_int(hw, "numCPU", "xsd:int", vc->vc_cpus);
	vval_int(hw, "numCoresPerSocket", "xsd:int", 1);
	vval_int(hw, "memoryMB", "xsd:int", vc->vc_memory_mb);
	devices(c, vc, hw);
	/* Basalt's own keys (kernel, initrd, command line) go as
	 * extraConfig, as VMware shows keys it has no field for. */
	ec = vval_array(ci, "extraConfig", "OptionValue");
	for (int i = 0; i < vc->vc_kv.kc_count; i++) {
		const struct kvcfg_entry *en = &vc->vc_kv.kc_entries[i];
		struct vval *o;
		if (strncasecmp(en->ke_key, "basalt.", 7) != 0)
			continue;
		o = vval_obj(ec, NULL, "OptionValue");
		vval_str(o, "key", en->ke_key);
		vval_any(vval_str(o, "value", en->ke_value));
	}
	vval_str(ci, "firmware", "bios");
	return ci;
}

static struct vval *runtime_info(const struct vm_entry *v, struct vval *p,
				 const char *name)
{
	struct vval *r = vval_obj(p, name, "VirtualMachineRuntimeInfo");
	char t[40];

	vval_moref(r, "host", "HostSystem", "ha-host");
	vval_prim(r, "connectionState", "VirtualMachineConnectionState",
		  "connected");
	vval_prim(r, "powerState", "VirtualMachinePowerState",
		  power_name(v->ve_power));
	vval_prim(r, "faultToleranceState", "VirtualMachineFaultToleranceState",
		  "notConfigured");
	vval_bool(r, "toolsInstallerMounted", 0);
	if (v->ve_power == VM_POWERED_ON) {
		vim_datetime(t, sizeof(t), v->ve_boot);
		vval_prim(r, "bootTime", "xsd:dateTime", t);
	}
	vval_int(r, "numMksConnections", "xsd:int", 0);
	vval_prim(r, "recordReplayState", "VirtualMachineRecordReplayState",
		  "inactive");
	vval_bool(r, "onlineStandby", 0);
	vval_bool(r, "consolidationNeeded", 0);
	return r;
}

/* What the guest says of itself: Basalt has no guest agent (tools)
 * yet, so only what the host knows. As GuestInfo (summary NULL) or as
 * VirtualMachineGuestSummary, field name of parent. */
static struct vval *guest_info(const struct vm_entry *v,
			       const struct vm_config *vc, struct vval *parent,
			       const char *name)
{
	struct vval *g = vval_obj(parent, name,
				  parent != NULL ? "VirtualMachineGuestSummary"
						 : "GuestInfo");

	vval_str(g, "guestId", vc->vc_guest_id);
	vval_str(g, "guestFullName", guest_full_name(vc->vc_guest_id));
	vval_prim(g, "toolsStatus", "VirtualMachineToolsStatus",
		  "toolsNotInstalled");
	vval_str(g, "toolsVersionStatus2", "guestToolsNotInstalled");
	vval_str(g, "toolsRunningStatus", "guestToolsNotRunning");
	if (parent == NULL) {
		vval_str(g, "toolsVersion", "0");
		vval_str(g, "guestState",
			 v->ve_power == VM_POWERED_ON ? "running"
						      : "notRunning");
		vval_array(g, "net", "GuestNicInfo");
		vval_array(g, "disk", "GuestDiskInfo");
		vval_str(g, "appHeartbeatStatus", "appStatusGray");
		vval_bool(g, "guestOperationsReady", 0);
		vval_bool(g, "interactiveGuestOperationsReady", 0);
	}
	return g;
}

/* VirtualMachineFileLayout: the VM's files as datastore paths. */
static struct vval *layout(struct vim_call *c, const struct vm_config *vc)
{
	struct vval *l = vval_obj(NULL, NULL, "VirtualMachineFileLayout");
	struct vval *logs, *disks;
	char path[PATH_MAX + 64];
	struct stat st;

	vval_array(l, "configFile", "string");
	logs = vval_array(l, "logFile", "string");
	snprintf(path, sizeof(path), "%s/vmware.log", vc->vc_dir);
	if (stat(path, &st) == 0)
		vval_str(logs, NULL, "vmware.log");
	disks = vval_array(l, "disk", "VirtualMachineFileLayoutDiskLayout");
	for (int i = 0; i < vc->vc_ndisks; i++) {
		struct vval *d = vval_obj(disks, NULL,
					  "VirtualMachineFileLayoutDiskLayout");
		vval_int(d, "key", "xsd:int", KEY_DISK + i);
		ds_name(c, vc->vc_disks[i].vd_file, path, sizeof(path));
		vval_str(vval_array(d, "diskFile", "string"), NULL, path);
	}
	vval_array(l, "snapshot", "VirtualMachineFileLayoutSnapshotLayout");
	return l;
}

static struct vval *summary(struct vim_call *c, const struct vm_entry *v,
			    const struct vm_config *vc)
{
	struct vval *s = vval_obj(NULL, NULL, "VirtualMachineSummary");
	struct vval *cfg, *q, *st;
	char path[PATH_MAX + 64], id[16], t[40];
	long long committed = 0;

	snprintf(id, sizeof(id), "%d", v->ve_id);
	vval_moref(s, "vm", "VirtualMachine", id);
	runtime_info(v, s, "runtime");
	cfg = vval_obj(s, "config", "VirtualMachineConfigSummary");
	vval_str(cfg, "name", vc->vc_name);
	vval_bool(cfg, "template", 0);
	ds_name(c, vc->vc_file, path, sizeof(path));
	vval_str(cfg, "vmPathName", path);
	vval_int(cfg, "memorySizeMB", "xsd:int", vc->vc_memory_mb);
	vval_int(cfg, "numCpu", "xsd:int", vc->vc_cpus);
	vval_int(cfg, "numEthernetCards", "xsd:int", vc->vc_nnics);
	vval_int(cfg, "numVirtualDisks", "xsd:int", vc->vc_ndisks);
	vval_str(cfg, "uuid", vc->vc_uuid);
	vval_str(cfg, "instanceUuid", vc->vc_uuid);
	vval_str(cfg, "guestId", vc->vc_guest_id);
	vval_str(cfg, "guestFullName", guest_full_name(vc->vc_guest_id));
	vval_str(cfg, "annotation", vc->vc_annotation);
	for (int i = 0; i < vc->vc_ndisks; i++)
		committed += vc->vc_disks[i].vd_bytes;
	st = vval_obj(s, "storage", "VirtualMachineStorageSummary");
	guest_info(v, vc, s, "guest");
	vval_int(st, "committed", "xsd:long", committed);
	vval_int(st, "uncommitted", "xsd:long", 0);
	vval_int(st, "unshared", "xsd:long", committed);
	vim_datetime(t, sizeof(t), time(NULL));
	vval_prim(st, "timestamp", "xsd:dateTime", t);
	q = vval_obj(s, "quickStats", "VirtualMachineQuickStats");
	vval_prim(q, "guestHeartbeatStatus", "ManagedEntityStatus", "gray");
	if (v->ve_power == VM_POWERED_ON)
		vval_int(q, "uptimeSeconds", "xsd:int",
			 (long long)(time(NULL) - v->ve_boot));
	vval_prim(s, "overallStatus", "ManagedEntityStatus", "green");
	return s;
}

static int vm_exists(struct vim_call *c, const char *id)
{
	return inventory_find_text(c->vc_hostd, id) != NULL;
}

static enum mo_prop_result vm_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	struct vm_entry *v = inventory_find_text(c->vc_hostd, id);
	struct vm_config vc;
	struct err e = {0};
	enum mo_prop_result r = MO_PROP_SET;

	*out = NULL;
	if (v == NULL)
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "runtime") == 0) {
		*out = runtime_info(v, NULL, NULL);
		return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
	}
	if (strcmp(name, "resourcePool") == 0) {
		*out = vval_moref(NULL, NULL, "ResourcePool", "ha-root-pool");
		return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
	}
	if (vm_config_load(&vc, v->ve_vmx, &e) < 0) {
		/* The file went away or broke: the VM is still listed, by
		 * its file name, and says what is wrong in its config. */
		log_info("VM %d: %s", v->ve_id, err_msg(&e));
		vm_config_free(&vc);
		if (strcmp(name, "name") == 0) {
			const char *base = strrchr(v->ve_vmx, '/');
			*out = vval_str(NULL, NULL,
					base ? base + 1 : v->ve_vmx);
			return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
		}
		if (strcmp(name, "config") == 0 ||
		    strcmp(name, "summary") == 0 ||
		    strcmp(name, "datastore") == 0 ||
		    strcmp(name, "network") == 0 ||
		    strcmp(name, "guest") == 0 || strcmp(name, "layout") == 0)
			return MO_PROP_UNSET;
		return entity_prop(name, v->ve_vmx, "Folder", "ha-folder-vm",
				   out);
	}
	if (strcmp(name, "config") == 0) {
		*out = config_info(c, &vc);
	} else if (strcmp(name, "network") == 0) {
		*out = vim_vm_network_refs(&vc);
	} else if (strcmp(name, "guest") == 0) {
		*out = guest_info(v, &vc, NULL, NULL);
	} else if (strcmp(name, "layout") == 0) {
		*out = layout(c, &vc);
	} else if (strcmp(name, "summary") == 0) {
		*out = summary(c, v, &vc);
	} else if (strcmp(name, "datastore") == 0) {
		const struct datastore *all = c->vc_hostd->hd_datastores;
		size_t n = datastore_list(c->vc_hostd);
		*out = vval_array(NULL, NULL, "ManagedObjectReference");
		for (size_t i = 0; i < n; i++) {
			size_t k = strlen(all[i].ds_path);
			if (strncmp(v->ve_vmx, all[i].ds_path, k) == 0 &&
			    v->ve_vmx[k] == '/')
				vval_moref(*out, NULL, "Datastore",
					   all[i].ds_id);
		}
		if (*out != NULL && (*out)->vv_first == NULL) {
			vval_free(*out);
			*out = NULL;
		}
	} else {
		r = entity_prop(name, vc.vc_name, "Folder", "ha-folder-vm",
				out);
		vm_config_free(&vc);
		return r;
	}
	vm_config_free(&vc);
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const vm_props[] = {
	ENTITY_PROPS, "config",	   "summary",	   "runtime", "guest",
	"layout",     "datastore", "resourcePool", "network", NULL};

const struct mo_type mo_virtual_machine = {
	.mt_name = "VirtualMachine",
	.mt_base = "ManagedEntity",
	.mt_exists = vm_exists,
	.mt_prop = vm_prop,
	.mt_props = vm_props,
};

enum mo_prop_result vim_vm_refs(struct vim_call *c, struct vval **out)
{
	const struct inventory *iv = &c->vc_hostd->hd_inventory;
	char id[16];

	*out = vval_array(NULL, NULL, "ManagedObjectReference");
	for (size_t i = 0; i < iv->iv_n; i++) {
		snprintf(id, sizeof(id), "%d", iv->iv_vms[i].ve_id);
		vval_moref(*out, NULL, "VirtualMachine", id);
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static int register_vm(struct vim_call *c)
{
	char dspath[PATH_MAX], file[PATH_MAX], real[PATH_MAX], id[16];
	char as_template[8] = "false", name[256];
	struct vm_config vc;
	struct vim_task *t;
	struct vm_entry *v;
	struct err e = {0};
	struct stat st;
	int rc;

	if (strcmp(c->vc_req->sr_this, "ha-folder-vm") != 0)
		return vim_fault(c, "NotSupported", NULL,
				 "VMs are registered in ha-folder-vm");
	if (soap_text(soap_arg(c->vc_req, "path"), dspath, sizeof(dspath)) < 0)
		return vim_fault_invalid_argument(c, "path");
	if (soap_text(soap_arg(c->vc_req, "asTemplate"), as_template,
		      sizeof(as_template)) == 0 &&
	    strcmp(as_template, "true") == 0)
		return vim_fault(c, "NotSupported", NULL,
				 "templates are not supported");
	rc = datastore_resolve(c->vc_hostd, dspath, file, sizeof(file));
	if (rc < 0)
		return vim_fault_field(c, "InvalidDatastorePath",
				       "datastorePath", dspath,
				       "Invalid datastore path '%s'", dspath);
	if (stat(file, &st) < 0 || !S_ISREG(st.st_mode) ||
	    realpath(file, real) == NULL)
		return vim_fault_field(c, "FileNotFound", "file", dspath,
				       "File %s was not found", dspath);
	if (inventory_find_vmx(c->vc_hostd, real) != NULL)
		return vim_fault_field(c, "AlreadyExists", "name", dspath,
				       "The specified key, name, or "
				       "identifier '%s' already exists",
				       dspath);
	rc = vm_config_load(&vc, real, &e);
	snprintf(name, sizeof(name), "%s", vc.vc_name);
	vm_config_free(&vc);
	if (rc < 0)
		return vim_fault(c, "InvalidArgument",
				 "<invalidProperty>path</invalidProperty>",
				 "%s", err_msg(&e));
	t = vim_task_start(c, "RegisterVM_Task", "Folder.registerVm", "Folder",
			   "ha-folder-vm", "vm");
	v = inventory_add(c->vc_hostd, real, &e);
	if (v == NULL) {
		vim_task_fail(c->vc_hostd, t, "SystemError", NULL, "%s",
			      err_msg(&e));
		return vim_task_return(c, t);
	}
	log_info("VM %d registered: %s", v->ve_id, real);
	vim_event_post(c->vc_hostd, "VmRegisteredEvent", t->vt_user, v->ve_id,
		       name, t->vt_chain, "Registered %s on %s", name,
		       c->vc_hostd->hd_hostname);
	snprintf(id, sizeof(id), "%d", v->ve_id);
	vim_task_succeed(c->vc_hostd, t,
			 vval_moref(NULL, NULL, "VirtualMachine", id));
	return vim_task_return(c, t);
}

static int invalid_power_state(struct vim_call *c, const struct vm_entry *v,
			       const char *requested)
{
	struct xmlout f;

	xmlout_init(&f);
	xmlout_elem(&f, "requestedState", requested);
	xmlout_elem(&f, "existingState", power_name(v->ve_power));
	vim_fault(c, "InvalidPowerState", f.xo_oom ? NULL : f.xo_data,
		  "The attempted operation cannot be performed in the "
		  "current state (%s).",
		  power_name(v->ve_power));
	xmlout_free(&f);
	return 0;
}

static int unregister_vm(struct vim_call *c)
{
	struct vm_entry *v =
		inventory_find_text(c->vc_hostd, c->vc_req->sr_this);
	struct err e = {0};
	char name[96];
	int id;

	if (v == NULL)
		return vim_fault_not_found(c);
	if (v->ve_power != VM_POWERED_OFF)
		return invalid_power_state(c, v, "poweredOff");
	id = v->ve_id;
	snprintf(name, sizeof(name), "%s", vm_name_of(v));
	if (inventory_remove(c->vc_hostd, id, &e) < 0)
		return vim_fault(c, "SystemError", NULL, "%s", err_msg(&e));
	vim_event_post(c->vc_hostd, "VmRemovedEvent", c->vc_session->vs_user,
		       id, name, 0, "Removed %s on %s from the inventory", name,
		       c->vc_hostd->hd_hostname);
	log_info("VM %d unregistered", id);
	vim_changed(c->vc_hostd);
	return 0;
}

/* ---- power ---- */

#define POWER_START_WAIT_S 60
#define POWER_OFF_WAIT_S   30

enum power_op { OP_ON, OP_OFF, OP_RESET };

struct power_job {
	struct hostd *pj_h;
	int pj_id;
	char pj_task[128];
	enum power_op pj_op;
	pid_t pj_pid; /* the vmx when the job began */
};

/* Wait (lock held) until VM id's vmx is no longer pid, or the deadline. */
static int wait_pid_gone(struct hostd *h, int id, pid_t pid,
			 const struct timespec *deadline)
{
	for (;;) {
		struct vm_entry *v = inventory_find(h, id);
		if (v == NULL || v->ve_pid != pid)
			return 1;
		if (pthread_cond_timedwait(&h->hd_changed, &h->hd_lock,
					   deadline) != 0)
			return 0;
	}
}

/* Wait (lock not held) until VM id's vmx answers that it runs: 1; 0
 * when it ended or never answered; -1 when the task was cancelled. */
static int wait_running(struct hostd *h, int id, const char *sock,
			const char *task)
{
	for (int i = 0; i < POWER_START_WAIT_S * 10; i++) {
		struct ipc_vmx_status st;
		struct vm_entry *v;
		struct vim_task *t;
		int cancelled;
		pid_t pid;
		pthread_mutex_lock(&h->hd_lock);
		v = inventory_find(h, id);
		pid = v != NULL ? v->ve_pid : 0;
		t = vim_task_find(h, task);
		cancelled = t != NULL && t->vt_cancelled;
		pthread_mutex_unlock(&h->hd_lock);
		if (cancelled)
			return -1;
		if (pid == 0)
			return 0; /* it ended */
		if (vmx_request(sock, IPC_VMX_STATUS, &st, NULL) == 0 &&
		    st.vs_state == IPC_VMX_RUNNING && (pid_t)st.vs_pid == pid)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

static void *power_job(void *arg)
{
	struct power_job *j = arg;
	struct hostd *h = j->pj_h;
	char sock[PATH_MAX], why[512] = "";
	struct timespec deadline;
	struct vim_task *t;
	struct vm_entry *v;
	struct err e = {0};
	int ok = 1;

	pthread_setname_np(pthread_self(), "power");
	vm_socket_path(h, j->pj_id, sock, sizeof(sock));
	if (j->pj_op == OP_OFF || j->pj_op == OP_RESET) {
		if (vmx_request(sock,
				j->pj_op == OP_OFF ? IPC_VMX_POWEROFF
						   : IPC_VMX_RESET,
				NULL, &e) < 0)
			log_info("VM %d: %s; ending it by signal", j->pj_id,
				 err_msg(&e));
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += POWER_OFF_WAIT_S;
		pthread_mutex_lock(&h->hd_lock);
		if (!wait_pid_gone(h, j->pj_id, j->pj_pid, &deadline)) {
			/* vmx did not go: end it. */
			kill(j->pj_pid, SIGKILL);
			deadline.tv_sec += 5;
			wait_pid_gone(h, j->pj_id, j->pj_pid, &deadline);
		}
		pthread_mutex_unlock(&h->hd_lock);
	}
	if (j->pj_op == OP_ON || j->pj_op == OP_RESET)
		ok = wait_running(h, j->pj_id, sock, j->pj_task);
	pthread_mutex_lock(&h->hd_lock);
	v = inventory_find(h, j->pj_id);
	if (ok < 0 && v != NULL && v->ve_pid != 0) {
		/* Cancelled while vmx started: it goes, and the VM stays
		 * off. */
		pid_t pid = v->ve_pid;
		v->ve_stopping = 1;
		kill(pid, SIGKILL);
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += POWER_OFF_WAIT_S;
		wait_pid_gone(h, j->pj_id, pid, &deadline);
		v = inventory_find(h, j->pj_id);
	}
	if (v != NULL) {
		v->ve_busy = 0;
		if (ok == 0)
			vm_log_tail(v, why, sizeof(why));
	}
	t = vim_task_find(h, j->pj_task);
	if (t != NULL && ok < 0) {
		log_info("VM %d: power-on cancelled", j->pj_id);
		vim_task_cancelled(h, t);
		vim_changed(h);
		pthread_mutex_unlock(&h->hd_lock);
		free(j);
		return NULL;
	}
	if (v != NULL && ok > 0 && j->pj_op == OP_ON) {
		const char *name = vm_name_of(v);
		vim_event_post(h, "VmPoweredOnEvent", t ? t->vt_user : NULL,
			       v->ve_id, name, t ? t->vt_chain : 0,
			       "%s on %s is powered on", name, h->hd_hostname);
	}
	if (t != NULL && ok > 0)
		vim_task_succeed(h, t, NULL);
	else if (t != NULL)
		vim_task_fail(h, t, "SystemError", "<reason>vmx</reason>",
			      "The virtual machine could not start: %s",
			      why[0] != '\0' ? why : "vmx ended");
	vim_changed(h);
	pthread_mutex_unlock(&h->hd_lock);
	free(j);
	return NULL;
}

static int power_op(struct vim_call *c, enum power_op op)
{
	static const char *const method[] = {"PowerOnVM_Task",
					     "PowerOffVM_Task", "ResetVM_Task"};
	static const char *const desc[] = {"VirtualMachine.powerOn",
					   "VirtualMachine.powerOff",
					   "VirtualMachine.reset"};
	struct vm_entry *v =
		inventory_find_text(c->vc_hostd, c->vc_req->sr_this);
	struct vm_config vc;
	struct power_job *j;
	struct vim_task *t;
	struct err e = {0};
	pthread_t th;

	if (v == NULL)
		return vim_fault_not_found(c);
	if (v->ve_busy)
		return vim_fault(c, "InvalidState", NULL,
				 "another power operation on this VM is in "
				 "progress");
	if (op == OP_ON && v->ve_power == VM_POWERED_ON)
		return invalid_power_state(c, v, "poweredOff");
	if (op == OP_ON && c->vc_hostd->hd_maintenance)
		return vim_fault(c, "InvalidState", NULL,
				 "the host is in maintenance mode: no virtual "
				 "machine powers on");
	if (op != OP_ON && v->ve_power != VM_POWERED_ON)
		return invalid_power_state(c, v, "poweredOn");
	if (vm_config_load(&vc, v->ve_vmx, &e) < 0) {
		vm_config_free(&vc);
		return vim_fault(c, "InvalidState", NULL, "%s", err_msg(&e));
	}
	t = vim_task_start(c, method[op], desc[op], "VirtualMachine",
			   c->vc_req->sr_this, vc.vc_name);
	vm_config_free(&vc);
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		vim_task_fail(c->vc_hostd, t, "SystemError",
			      "<reason>memory</reason>", "out of memory");
		return vim_task_return(c, t);
	}
	*j = (struct power_job){.pj_h = c->vc_hostd,
				.pj_id = v->ve_id,
				.pj_op = op,
				.pj_pid = v->ve_pid};
	snprintf(j->pj_task, sizeof(j->pj_task), "%s", t->vt_id);
	if (op == OP_ON && vm_spawn(c->vc_hostd, v, &e) < 0) {
		vim_task_fail(c->vc_hostd, t, "SystemError",
			      "<reason>spawn</reason>", "%s", err_msg(&e));
		free(j);
		return vim_task_return(c, t);
	}
	if (op == OP_OFF)
		v->ve_stopping = 1;
	if (op == OP_RESET)
		vim_event_post(c->vc_hostd, "VmResettingEvent", t->vt_user,
			       v->ve_id, t->vt_ename, t->vt_chain,
			       "%s on %s is reset", t->vt_ename,
			       c->vc_hostd->hd_hostname);
	v->ve_busy = 1;
	/* A power-on may be cancelled until vmx says it runs. */
	t->vt_cancelable = op == OP_ON;
	if (thread_start(&th, THREAD_STACK_BYTES, power_job, j) != 0) {
		v->ve_busy = 0;
		vim_task_fail(c->vc_hostd, t, "SystemError",
			      "<reason>thread</reason>",
			      "cannot start the task");
		free(j);
		return vim_task_return(c, t);
	}
	pthread_detach(th);
	return vim_task_return(c, t);
}

static int power_on(struct vim_call *c)
{
	return power_op(c, OP_ON);
}

static int power_off(struct vim_call *c)
{
	return power_op(c, OP_OFF);
}

static int reset(struct vim_call *c)
{
	return power_op(c, OP_RESET);
}

static int suspend(struct vim_call *c)
{
	if (inventory_find_text(c->vc_hostd, c->vc_req->sr_this) == NULL)
		return vim_fault_not_found(c);
	return vim_fault(c, "NotSupported", NULL,
			 "suspending a VM is not supported yet");
}

/* ShutdownGuest: the ACPI power button; the guest powers itself off. */
static int shutdown_guest(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct vm_entry *v = inventory_find_text(h, c->vc_req->sr_this);
	char sock[PATH_MAX];
	struct err e = {0};
	int rc;

	if (v == NULL)
		return vim_fault_not_found(c);
	if (v->ve_power != VM_POWERED_ON)
		return invalid_power_state(c, v, "poweredOn");
	vm_socket_path(h, v->ve_id, sock, sizeof(sock));
	/* Not under the lock: vmx may take a moment to answer. */
	pthread_mutex_unlock(&h->hd_lock);
	rc = vmx_request(sock, IPC_VMX_SHUTDOWN, NULL, &e);
	pthread_mutex_lock(&h->hd_lock);
	if (rc < 0)
		return vim_fault(c, "SystemError", "<reason>vmx</reason>", "%s",
				 err_msg(&e));
	return 0;
}

const struct vim_method vim_virtual_machine_methods[] = {
	{"RegisterVM_Task", "Folder", 0, register_vm},
	{"UnregisterVM", "VirtualMachine", 0, unregister_vm},
	{"PowerOnVM_Task", "VirtualMachine", 0, power_on},
	{"PowerOffVM_Task", "VirtualMachine", 0, power_off},
	{"ResetVM_Task", "VirtualMachine", 0, reset},
	{"SuspendVM_Task", "VirtualMachine", 0, suspend},
	{"ShutdownGuest", "VirtualMachine", 0, shutdown_guest},
	{NULL, NULL, 0, NULL},
};
