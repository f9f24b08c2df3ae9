/*
 * vm_spec.c: VM configuration changes from a VirtualMachineConfigSpec:
 * Folder.CreateVM_Task (a new VM folder, its disks as sparse raw files,
 * its .vmx), VirtualMachine.ReconfigVM_Task (CPUs, memory, name,
 * annotation, guest, extraConfig; with the VM off, devices added,
 * removed or edited) and Destroy_Task (its files gone). A spec is
 * checked whole before anything is written; a change that fails half way
 * undoes what it did.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "hostd/datastore.h"
#include "hostd/hostd.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/task.h"
#include "hostd/vm_config.h"
#include "hostd/vmx_edit.h"

#define VM_NAME_MAX	 80
#define VM_CPUS_MAX	 64
#define VM_MEMORY_MAX_MB 3072	      /* vmx's limit (docs/formats/vmx.md) */
#define DISK_MAX_KB	 (16LL << 30) /* 16 TiB */
#define SPEC_DISKS_MAX	 16
#define SPEC_NICS_MAX	 4

struct new_disk {
	char nd_file[PATH_MAX]; /* absolute */
	long long nd_kb;
	int nd_create;
};

/* What a spec asks for, checked. */
struct spec {
	struct vmx_edit sp_edit;
	struct new_disk sp_disks[SPEC_DISKS_MAX];
	int sp_ndisks;
	int sp_nnics;
	/* Slots taken: scsi0 units, ethernet indexes, the serial port
	 * (a reconfigure starts from the VM's own). */
	unsigned long long sp_units;
	unsigned sp_nic_slots;
	int sp_serial;
	/* Reconfigure: files to remove once the .vmx no longer names them,
	 * disks to grow (nd_kb the new size). */
	char sp_destroy[SPEC_DISKS_MAX][PATH_MAX];
	int sp_ndestroy;
	struct new_disk sp_grow[SPEC_DISKS_MAX];
	int sp_ngrow;
	char sp_name[VM_NAME_MAX + 1];
	char sp_dspath[PATH_MAX]; /* files.vmPathName */
};

static int fault_arg(struct vim_call *c, const char *prop, const char *why)
{
	vim_fault_field(c, "InvalidArgument", "invalidProperty", prop,
			"A specified parameter was not correct: %s (%s)", prop,
			why);
	return -1;
}

static int text_of(struct soap_node *n, char *buf, size_t size)
{
	buf[0] = '\0';
	return n == NULL ? -ENOENT : soap_text(n, buf, size);
}

/* An integer field: 1 when present and in [lo, hi], 0 when absent. */
static int int_field(struct vim_call *c, struct soap_node *spec,
		     const char *name, long long lo, long long hi,
		     long long *out)
{
	char buf[32], *end;
	int rc = text_of(soap_child(spec, name), buf, sizeof(buf));

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return fault_arg(c, name, "not a number");
	*out = strtoll(buf, &end, 10);
	if (*end != '\0' || buf[0] == '\0' || *out < lo || *out > hi)
		return fault_arg(c, name, "out of range");
	return 1;
}

/* The scalar fields both create and reconfigure take. */
static int scalars(struct vim_call *c, struct soap_node *cfg, struct spec *sp)
{
	char buf[1024];
	long long v;
	int rc;

	rc = text_of(soap_child(cfg, "name"), buf, sizeof(buf));
	if (rc == 0) {
		if (buf[0] == '\0' || strlen(buf) > VM_NAME_MAX ||
		    strpbrk(buf, "/\\[]") != NULL)
			return fault_arg(c, "name",
					 "1 to 80 characters, no / \\ [ ]");
		snprintf(sp->sp_name, sizeof(sp->sp_name), "%s", buf);
		vmx_edit_set(&sp->sp_edit, "displayName", buf);
	} else if (rc != -ENOENT) {
		return fault_arg(c, "name", "too long");
	}
	rc = int_field(c, cfg, "numCPUs", 1, VM_CPUS_MAX, &v);
	if (rc < 0)
		return rc;
	if (rc > 0)
		vmx_edit_setf(&sp->sp_edit, "numvcpus", "%lld", v);
	rc = int_field(c, cfg, "memoryMB", 2, VM_MEMORY_MAX_MB, &v);
	if (rc < 0)
		return rc;
	if (rc > 0) {
		if (v % 2 != 0)
			return fault_arg(c, "memoryMB", "must be even");
		vmx_edit_setf(&sp->sp_edit, "memsize", "%lld", v);
	}
	rc = text_of(soap_child(cfg, "guestId"), buf, sizeof(buf));
	if (rc == 0)
		vmx_edit_set(&sp->sp_edit, "guestOS", buf);
	rc = text_of(soap_child(cfg, "annotation"), buf, sizeof(buf));
	if (rc == 0)
		vmx_edit_set(&sp->sp_edit, "annotation", buf);
	else if (rc != -ENOENT)
		return fault_arg(c, "annotation", "too long");
	for (struct soap_node *o = soap_child(cfg, "extraConfig"); o != NULL;
	     o = soap_next(o, "extraConfig")) {
		char key[128], val[1024];
		if (text_of(soap_child(o, "key"), key, sizeof(key)) < 0 ||
		    key[0] == '\0' ||
		    strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
				"TUVWXYZ0123456789._:-") != strlen(key))
			return fault_arg(c, "extraConfig",
					 "keys are letters, digits and ._:-");
		rc = text_of(soap_child(o, "value"), val, sizeof(val));
		if (rc == -E2BIG || rc == -EINVAL)
			return fault_arg(c, "extraConfig", "value too long");
		/* An empty value removes the key, as in vSphere. */
		vmx_edit_set(&sp->sp_edit, key,
			     rc == 0 && val[0] != '\0' ? val : NULL);
	}
	return 0;
}

/* A NIC's address set by hand (addressType manual) into ethernetN. */
static int nic_address(struct vim_call *c, struct soap_node *dev, int n,
		       struct spec *sp)
{
	char mac[32], at[16], key[40], tail;
	unsigned x[6];

	if (text_of(soap_child(dev, "addressType"), at, sizeof(at)) < 0 ||
	    strcasecmp(at, "manual") != 0 ||
	    text_of(soap_child(dev, "macAddress"), mac, sizeof(mac)) < 0)
		return 0;
	if (sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%c", &x[0], &x[1], &x[2], &x[3],
		   &x[4], &x[5], &tail) != 6)
		return fault_arg(c, "deviceChange.device.macAddress",
				 "expected aa:bb:cc:dd:ee:ff");
	snprintf(key, sizeof(key), "ethernet%d.address", n);
	vmx_edit_set(&sp->sp_edit, key, mac);
	return 0;
}

/* A device of the spec: its xsi:type decides what it is. */
static int device(struct vim_call *c, struct soap_node *chg, const char *vmdir,
		  const char *vmname, struct spec *sp)
{
	struct soap_node *dev = soap_child(chg, "device");
	struct soap_node *b = soap_child(dev, "backing");
	char type[SOAP_NAME_MAX], op[16], fop[16], file[PATH_MAX], key[48];
	long long kb = 0, bytes = 0;

	soap_xsi_type(dev, type, sizeof(type));
	if (text_of(soap_child(chg, "operation"), op, sizeof(op)) < 0 ||
	    strcmp(op, "add") != 0)
		return fault_arg(c, "deviceChange.operation",
				 "a new VM's devices are added");
	if (text_of(soap_child(chg, "fileOperation"), fop, sizeof(fop)) < 0)
		fop[0] = '\0';
	if (strstr(type, "Controller") != NULL)
		return 0; /* every disk is virtio-blk: controllers are moot */
	if (strcmp(type, "VirtualDisk") == 0) {
		struct new_disk *d;
		char name[PATH_MAX];
		int unit = 0;
		while (unit < 64 && (unit == 7 || (sp->sp_units >> unit) & 1))
			unit++;
		if (sp->sp_ndisks == SPEC_DISKS_MAX || unit == 64)
			return fault_arg(c, "deviceChange", "too many disks");
		sp->sp_units |= 1ull << unit;
		d = &sp->sp_disks[sp->sp_ndisks];
		(void)int_field(c, dev, "capacityInKB", 1, DISK_MAX_KB, &kb);
		if (int_field(c, dev, "capacityInBytes", 1, DISK_MAX_KB * 1024,
			      &bytes) > 0)
			kb = (bytes + 1023) / 1024;
		if (c->vc_fault)
			return -1;
		if (text_of(soap_child(b, "fileName"), file, sizeof(file)) < 0)
			file[0] = '\0';
		d->nd_create = strcmp(fop, "create") == 0;
		if (file[0] == '\0') {
			/* In the VM's folder: name.img, name_1.img, ...,
			 * the first that is neither there nor planned. */
			for (int k = 0;; k++) {
				int taken = 0;
				if (k == 0)
					snprintf(name, sizeof(name), "%s.img",
						 vmname);
				else
					snprintf(name, sizeof(name),
						 "%s_%d.img", vmname, k);
				snprintf(d->nd_file, sizeof(d->nd_file),
					 "%.*s/%.*s", PATH_MAX / 2, vmdir,
					 PATH_MAX / 4, name);
				for (int i = 0; i < sp->sp_ndisks; i++)
					taken |= strcmp(sp->sp_disks[i].nd_file,
							d->nd_file) == 0;
				if (!taken && access(d->nd_file, F_OK) != 0)
					break;
			}
			d->nd_create = 1;
		} else if (datastore_resolve(c->vc_hostd, file, d->nd_file,
					     sizeof(d->nd_file)) < 0) {
			return fault_arg(c, "deviceChange.device.backing",
					 "not a datastore path");
		}
		if (d->nd_create && kb <= 0)
			return fault_arg(c, "deviceChange.device.capacityInKB",
					 "a new disk needs a size");
		if (strstr(d->nd_file, ".vmdk") != NULL)
			return fault_arg(c, "deviceChange.device.backing",
					 "disks are raw files; .vmdk is not "
					 "supported yet");
		d->nd_kb = kb;
		snprintf(key, sizeof(key), "scsi0:%d.fileName", unit);
		vmx_edit_set(&sp->sp_edit, "scsi0.present", "TRUE");
		vmx_edit_set(&sp->sp_edit, "scsi0.virtualDev", "pvscsi");
		/* Inside the VM's folder, the .vmx names it relatively. */
		if (strncmp(d->nd_file, vmdir, strlen(vmdir)) == 0 &&
		    d->nd_file[strlen(vmdir)] == '/')
			vmx_edit_set(&sp->sp_edit, key,
				     d->nd_file + strlen(vmdir) + 1);
		else
			vmx_edit_set(&sp->sp_edit, key, d->nd_file);
		sp->sp_ndisks++;
		return 0;
	}
	if (strncmp(type, "Virtual", 7) == 0 &&
	    (strstr(type, "E1000") != NULL || strstr(type, "Vmxnet") != NULL ||
	     strstr(type, "PCNet") != NULL || strstr(type, "Sriov") != NULL)) {
		char net[64];
		int i = 0;
		while (i < SPEC_NICS_MAX && (sp->sp_nic_slots >> i) & 1)
			i++;
		if (i == SPEC_NICS_MAX)
			return fault_arg(c, "deviceChange", "at most 4 NICs");
		sp->sp_nic_slots |= 1u << i;
		if (text_of(soap_child(b, "deviceName"), net, sizeof(net)) <
			    0 ||
		    net[0] == '\0')
			return fault_arg(c, "deviceChange.device.backing",
					 "a NIC needs a network (deviceName)");
		snprintf(key, sizeof(key), "ethernet%d.present", i);
		vmx_edit_set(&sp->sp_edit, key, "TRUE");
		snprintf(key, sizeof(key), "ethernet%d.virtualDev", i);
		vmx_edit_set(&sp->sp_edit, key, "vmxnet3");
		snprintf(key, sizeof(key), "ethernet%d.networkName", i);
		vmx_edit_set(&sp->sp_edit, key, net);
		if (nic_address(c, dev, i, sp) < 0)
			return -1;
		sp->sp_nnics++;
		return 0;
	}
	if (strcmp(type, "VirtualSerialPort") == 0) {
		char bt[SOAP_NAME_MAX], path[PATH_MAX];
		if (sp->sp_serial)
			return fault_arg(c, "deviceChange",
					 "a VM has one serial port");
		sp->sp_serial = 1;
		soap_xsi_type(b, bt, sizeof(bt));
		if (strcmp(bt, "VirtualSerialPortFileBackingInfo") != 0 ||
		    text_of(soap_child(b, "fileName"), file, sizeof(file)) <
			    0 ||
		    file[0] == '\0')
			return fault_arg(c, "deviceChange.device.backing",
					 "a serial port writes to a file "
					 "(VirtualSerialPortFileBackingInfo)");
		if (file[0] == '[' && datastore_resolve(c->vc_hostd, file, path,
							sizeof(path)) < 0)
			return fault_arg(c, "deviceChange.device.backing",
					 "not a datastore path");
		vmx_edit_set(&sp->sp_edit, "serial0.present", "TRUE");
		vmx_edit_set(&sp->sp_edit, "serial0.fileType", "file");
		vmx_edit_set(&sp->sp_edit, "serial0.fileName",
			     file[0] == '[' ? path : file);
		return 0;
	}
	return fault_arg(c, "deviceChange.device",
			 "this kind of device is not supported");
}

/* Is dir a datastore's own directory (never to be removed)? */
static int is_datastore_root(struct hostd *h, const char *dir)
{
	const struct datastore *all = h->hd_datastores;
	size_t n = datastore_list(h);

	for (size_t i = 0; i < n; i++)
		if (strcmp(all[i].ds_path, dir) == 0)
			return 1;
	return 0;
}

/* Remove the VM's files in dir and, if then empty, dir itself (not a
 * datastore's own directory, where a .vmx may sit at the top). */
static void remove_vm_files(struct hostd *h, const char *dir,
			    const struct vm_config *vc)
{
	char path[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	if (vc != NULL) {
		unlink(vc->vc_file);
		for (int i = 0; i < vc->vc_ndisks; i++)
			if (strncmp(vc->vc_disks[i].vd_file, dir,
				    strlen(dir)) == 0)
				unlink(vc->vc_disks[i].vd_file);
		/* The serial port's output file, when it is in the VM's
		 * folder (a name relative to the .vmx is). */
		if (vc->vc_serial && vc->vc_serial_file[0] != '\0' &&
		    strstr(vc->vc_serial_file, "..") == NULL) {
			if (vc->vc_serial_file[0] != '/')
				snprintf(path, sizeof(path), "%s/%s", dir,
					 vc->vc_serial_file);
			else
				snprintf(path, sizeof(path), "%s",
					 vc->vc_serial_file);
			if (strncmp(path, dir, strlen(dir)) == 0 &&
			    path[strlen(dir)] == '/')
				unlink(path);
		}
	}
	/* At a datastore's top, the logs there may be another VM's too. */
	if (is_datastore_root(h, dir))
		return;
	/* The logs vmx wrote beside the .vmx. */
	d = opendir(dir);
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, "vmware", 6) == 0 &&
		    strstr(de->d_name, ".log") != NULL) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	if (d != NULL)
		closedir(d);
	if (rmdir(dir) < 0 && errno != ENOENT)
		log_info("%s: left in place (%s)", dir, strerror(errno));
}

static int make_new_disks(const struct spec *sp, struct err *e);
static void remove_new_disks(const struct spec *sp);

static int create_vm(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct soap_node *cfg = soap_arg(c->vc_req, "config");
	char pool[SOAP_ID_MAX], vmdir[PATH_MAX], vmx[PATH_MAX + 96];
	char id[16], file[PATH_MAX], base[PATH_MAX];
	struct spec *sp;
	struct vim_task *t;
	struct vm_entry *v;
	struct err e = {0};
	int made_dir = 0, disks_made = 0, vmx_made = 0, rc = 0;

	if (strcmp(c->vc_req->sr_this, "ha-folder-vm") != 0)
		return vim_fault(c, "NotSupported", NULL,
				 "VMs are created in ha-folder-vm");
	if (cfg == NULL)
		return vim_fault_invalid_argument(c, "config");
	sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	if (text_of(soap_arg(c->vc_req, "pool"), pool, sizeof(pool)) == 0 &&
	    strcmp(pool, "ha-root-pool") != 0) {
		vim_fault_invalid_argument(c, "pool");
		goto out;
	}
	if (scalars(c, cfg, sp) < 0)
		goto out;
	if (sp->sp_name[0] == '\0') {
		fault_arg(c, "name", "a new VM needs a name");
		goto out;
	}
	if (text_of(soap_child(soap_child(cfg, "files"), "vmPathName"),
		    sp->sp_dspath, sizeof(sp->sp_dspath)) < 0 ||
	    datastore_resolve(h, sp->sp_dspath, file, sizeof(file)) < 0) {
		vim_fault_field(c, "InvalidDatastorePath", "datastorePath",
				sp->sp_dspath, "Invalid datastore path '%s'",
				sp->sp_dspath);
		goto out;
	}
	/* "[ds]" alone: the folder <name> in it, <name>.vmx inside. */
	if (strchr(sp->sp_dspath, ']')[1] == '\0' ||
	    strspn(strchr(sp->sp_dspath, ']') + 1, " ") ==
		    strlen(strchr(sp->sp_dspath, ']') + 1)) {
		snprintf(vmdir, sizeof(vmdir), "%.*s/%s", PATH_MAX / 2, file,
			 sp->sp_name);
		snprintf(vmx, sizeof(vmx), "%s/%s.vmx", vmdir, sp->sp_name);
	} else {
		snprintf(vmx, sizeof(vmx), "%s", file);
		snprintf(vmdir, sizeof(vmdir), "%s", file);
		*strrchr(vmdir, '/') = '\0';
	}
	snprintf(base, sizeof(base), "%s", strrchr(vmx, '/') + 1);
	if (strlen(base) > 4 && strcmp(base + strlen(base) - 4, ".vmx") == 0)
		base[strlen(base) - 4] = '\0';
	for (struct soap_node *d = soap_child(cfg, "deviceChange"); d != NULL;
	     d = soap_next(d, "deviceChange"))
		if (device(c, d, vmdir, base, sp) < 0)
			goto out;
	if (access(vmx, F_OK) == 0) {
		vim_fault_field(c, "FileAlreadyExists", "file", vmx,
				"Cannot complete the operation because the "
				"file or folder %s already exists",
				vmx);
		goto out;
	}
	vmx_edit_set(&sp->sp_edit, "config.version", "8");
	vmx_edit_set(&sp->sp_edit, "virtualHW.version", "14");
	vmx_edit_set(&sp->sp_edit, "firmware", "bios");

	t = vim_task_start(c, "CreateVM_Task", "Folder.createVm", "Folder",
			   "ha-folder-vm", "vm");
	/* From here, a failure undoes everything and fails the task. */
	if (mkdir(vmdir, 0755) == 0)
		made_dir = 1;
	else if (errno != EEXIST)
		rc = err_set(&e, -errno, "%s: %s", vmdir, strerror(errno));
	if (rc == 0 && (rc = make_new_disks(sp, &e)) == 0)
		disks_made = 1;
	if (rc == 0 && (rc = vmx_edit_create(vmx, &sp->sp_edit, &e)) == 0)
		vmx_made = 1;
	v = rc == 0 ? inventory_add(h, vmx, &e) : NULL;
	if (v == NULL) {
		if (vmx_made)
			unlink(vmx);
		if (disks_made)
			remove_new_disks(sp);
		if (made_dir)
			rmdir(vmdir);
		vim_task_fail(h, t, "SystemError", "<reason>create</reason>",
			      "%s", err_msg(&e));
		vmx_edit_free(&sp->sp_edit);
		free(sp);
		return vim_task_return(c, t);
	}
	log_info("VM %d created: %s", v->ve_id, vmx);
	vim_event_post(h, "VmCreatedEvent", t->vt_user, v->ve_id, sp->sp_name,
		       t->vt_chain, "Created virtual machine %s on %s",
		       sp->sp_name, h->hd_hostname);
	snprintf(id, sizeof(id), "%d", v->ve_id);
	vim_task_succeed(h, t, vval_moref(NULL, NULL, "VirtualMachine", id));
	vmx_edit_free(&sp->sp_edit);
	free(sp);
	return vim_task_return(c, t);
out:
	vmx_edit_free(&sp->sp_edit);
	free(sp);
	return 0;
}

/* Record removing every key of the VM's that starts with prefix
 * ("scsi0:1.", "ethernet2.", "serial0."). */
static void remove_prefix(struct spec *sp, const struct vm_config *vc,
			  const char *prefix)
{
	size_t n = strlen(prefix);

	for (int i = 0; i < vc->vc_kv.kc_count; i++)
		if (strncasecmp(vc->vc_kv.kc_entries[i].ke_key, prefix, n) == 0)
			vmx_edit_set(&sp->sp_edit,
				     vc->vc_kv.kc_entries[i].ke_key, NULL);
}

/* A remove or edit of one of the VM's devices, by its key. */
static int existing(struct vim_call *c, struct soap_node *chg, const char *op,
		    const struct vm_config *vc, struct spec *sp)
{
	struct soap_node *dev = soap_child(chg, "device");
	struct soap_node *b = soap_child(dev, "backing");
	char prefix[48], fop[16], buf[PATH_MAX];
	long long key = 0, kb = 0, bytes = 0;
	int remove = strcmp(op, "remove") == 0;

	if (int_field(c, dev, "key", -1000000, 1000000, &key) <= 0) {
		if (!c->vc_fault)
			fault_arg(c, "deviceChange.device.key",
				  "which device: its key");
		return -1;
	}
	if (text_of(soap_child(chg, "fileOperation"), fop, sizeof(fop)) < 0)
		fop[0] = '\0';
	if (key >= VMC_KEY_DISK && key < VMC_KEY_DISK + vc->vc_ndisks) {
		const struct vmc_disk *d = &vc->vc_disks[key - VMC_KEY_DISK];
		snprintf(prefix, sizeof(prefix), "%s%d:%d.", d->vd_bus,
			 d->vd_ctl, d->vd_unit);
		if (remove) {
			remove_prefix(sp, vc, prefix);
			if (strcmp(d->vd_bus, "scsi") == 0 && d->vd_ctl == 0 &&
			    d->vd_unit < 64)
				sp->sp_units &= ~(1ull << d->vd_unit);
			if (strcmp(fop, "destroy") == 0) {
				/* Only a disk file on a datastore. */
				if (datastore_name_of(c->vc_hostd, d->vd_file,
						      buf, sizeof(buf)) < 0)
					return fault_arg(
						c, "deviceChange.fileOperation",
						"the disk is not on a "
						"datastore");
				snprintf(sp->sp_destroy[sp->sp_ndestroy++],
					 PATH_MAX, "%s", d->vd_file);
			}
			return 0;
		}
		(void)int_field(c, dev, "capacityInKB", 1, DISK_MAX_KB, &kb);
		(void)int_field(c, dev, "capacityInBytes", 1,
				DISK_MAX_KB * 1024, &bytes);
		if (c->vc_fault)
			return -1;
		/* Clients send both, one of them changed: take that one. */
		if (bytes > 0) {
			long long from_bytes = (bytes + 1023) / 1024;
			long long now = d->vd_bytes / 1024;
			if (kb <= 0 || kb == now)
				kb = from_bytes;
			else if (from_bytes != now && from_bytes != kb)
				return fault_arg(c,
						 "deviceChange.device."
						 "capacityInBytes",
						 "disagrees with capacityInKB");
		}
		if (kb > 0 && kb * 1024 < d->vd_bytes)
			return fault_arg(c, "deviceChange.device.capacityInKB",
					 "a disk grows, it never shrinks");
		if (kb > 0 && kb * 1024 > d->vd_bytes) {
			struct new_disk *g = &sp->sp_grow[sp->sp_ngrow++];
			snprintf(g->nd_file, sizeof(g->nd_file), "%s",
				 d->vd_file);
			g->nd_kb = kb;
			g->nd_create = (int)(d->vd_bytes / 1024); /* undo */
		}
		return 0;
	}
	for (int i = 0; i < vc->vc_nnics; i++) {
		const struct vmc_nic *n = &vc->vc_nics[i];
		char k[48];
		if (key != VMC_KEY_NIC + n->vn_index)
			continue;
		if (remove) {
			snprintf(prefix, sizeof(prefix), "ethernet%d.",
				 n->vn_index);
			remove_prefix(sp, vc, prefix);
			if (n->vn_index < SPEC_NICS_MAX)
				sp->sp_nic_slots &= ~(1u << n->vn_index);
			return 0;
		}
		if (text_of(soap_child(b, "deviceName"), buf, 64) == 0) {
			if (buf[0] == '\0')
				return fault_arg(c,
						 "deviceChange.device.backing",
						 "a NIC needs a network");
			snprintf(k, sizeof(k), "ethernet%d.networkName",
				 n->vn_index);
			vmx_edit_set(&sp->sp_edit, k, buf);
		}
		if (nic_address(c, dev, n->vn_index, sp) < 0)
			return -1;
		return 0;
	}
	if (key == VMC_KEY_SERIAL && vc->vc_serial) {
		if (remove) {
			remove_prefix(sp, vc, "serial0.");
			sp->sp_serial = 0;
			return 0;
		}
		if (text_of(soap_child(b, "fileName"), buf, sizeof(buf)) == 0 &&
		    buf[0] != '\0') {
			char path[PATH_MAX];
			if (buf[0] == '[' &&
			    datastore_resolve(c->vc_hostd, buf, path,
					      sizeof(path)) < 0)
				return fault_arg(c,
						 "deviceChange.device.backing",
						 "not a datastore path");
			vmx_edit_set(&sp->sp_edit, "serial0.fileName",
				     buf[0] == '[' ? path : buf);
		}
		return 0;
	}
	if (key == VMC_KEY_SCSI || key == VMC_KEY_PCI)
		return remove ? fault_arg(c, "deviceChange.device",
					  "the controllers stay")
			      : 0;
	return fault_arg(c, "deviceChange.device.key",
			 "the VM has no device with this key");
}

/* Make the new disk files of sp: 0, or a failure with every one made
 * removed again. */
static int make_new_disks(const struct spec *sp, struct err *e)
{
	int done = 0, rc = 0;

	for (; rc == 0 && done < sp->sp_ndisks; done++) {
		const struct new_disk *d = &sp->sp_disks[done];
		if (!d->nd_create) {
			if (access(d->nd_file, R_OK) != 0)
				rc = err_set(e, -ENOENT, "%s: no such disk",
					     d->nd_file);
			continue;
		}
		/* Thin: a sparse raw file of the size asked for. */
		rc = disk_file_create(d->nd_file, d->nd_kb, 0);
		if (rc < 0) {
			err_set(e, rc, "%s: %s", d->nd_file, strerror(-rc));
			done--; /* not made */
		}
	}
	if (rc < 0)
		for (int i = 0; i < done; i++)
			if (sp->sp_disks[i].nd_create)
				unlink(sp->sp_disks[i].nd_file);
	return rc;
}

static void remove_new_disks(const struct spec *sp)
{
	for (int i = 0; i < sp->sp_ndisks; i++)
		if (sp->sp_disks[i].nd_create)
			unlink(sp->sp_disks[i].nd_file);
}

/* Grow the disks sp asks to (or, undo, back to their sizes). */
static int grow_disks(const struct spec *sp, int undo, struct err *e)
{
	for (int i = 0; i < sp->sp_ngrow; i++) {
		const struct new_disk *g = &sp->sp_grow[i];
		long long kb = undo ? g->nd_create : g->nd_kb;
		if (truncate(g->nd_file, (off_t)kb * 1024) < 0 && !undo) {
			int rc = err_set(e, -errno, "%s: %s", g->nd_file,
					 strerror(errno));
			for (int k = 0; k < i; k++)
				if (truncate(sp->sp_grow[k].nd_file,
					     (off_t)sp->sp_grow[k].nd_create *
						     1024) < 0)
					log_info("%s: cannot shrink it back",
						 sp->sp_grow[k].nd_file);
			return rc;
		}
	}
	return 0;
}

static int reconfig_vm(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct vm_entry *v = inventory_find_text(h, c->vc_req->sr_this);
	struct soap_node *spec = soap_arg(c->vc_req, "spec");
	int devices = soap_child(spec, "deviceChange") != NULL;
	char vmdir[PATH_MAX], base[PATH_MAX];
	struct spec *sp = NULL;
	struct vim_task *t;
	struct vm_config vc;
	struct err e = {0};

	memset(&vc, 0, sizeof(vc));
	if (v == NULL)
		return vim_fault_not_found(c);
	if (spec == NULL)
		return vim_fault_invalid_argument(c, "spec");
	if (v->ve_power != VM_POWERED_OFF &&
	    (devices || soap_child(spec, "numCPUs") != NULL ||
	     soap_child(spec, "memoryMB") != NULL))
		return vim_fault(c, "InvalidPowerState",
				 "<requestedState>poweredOff</requestedState>"
				 "<existingState>poweredOn</existingState>",
				 "CPUs, memory and devices change while the VM "
				 "is off (no hot plug)");
	if (vm_config_load(&vc, v->ve_vmx, &e) < 0) {
		vm_config_free(&vc);
		return vim_fault(c, "InvalidState", NULL, "%s", err_msg(&e));
	}
	sp = calloc(1, sizeof(*sp));
	if (sp == NULL) {
		vm_config_free(&vc);
		return vim_fault(c, "SystemError", NULL, "out of memory");
	}
	/* The slots the VM's devices hold now. */
	for (int i = 0; i < vc.vc_ndisks; i++)
		if (strcmp(vc.vc_disks[i].vd_bus, "scsi") == 0 &&
		    vc.vc_disks[i].vd_ctl == 0 && vc.vc_disks[i].vd_unit < 64)
			sp->sp_units |= 1ull << vc.vc_disks[i].vd_unit;
	for (int i = 0; i < vc.vc_nnics; i++)
		if (vc.vc_nics[i].vn_index < SPEC_NICS_MAX)
			sp->sp_nic_slots |= 1u << vc.vc_nics[i].vn_index;
	sp->sp_serial = vc.vc_serial;
	snprintf(vmdir, sizeof(vmdir), "%s", vc.vc_dir);
	snprintf(base, sizeof(base), "%s", strrchr(v->ve_vmx, '/') + 1);
	if (strlen(base) > 4 && strcmp(base + strlen(base) - 4, ".vmx") == 0)
		base[strlen(base) - 4] = '\0';
	if (scalars(c, spec, sp) < 0)
		goto out;
	for (struct soap_node *d = soap_child(spec, "deviceChange"); d != NULL;
	     d = soap_next(d, "deviceChange")) {
		char op[16];
		if (text_of(soap_child(d, "operation"), op, sizeof(op)) < 0) {
			fault_arg(c, "deviceChange.operation",
				  "add, remove or edit");
			goto out;
		}
		if (strcmp(op, "add") == 0 ? device(c, d, vmdir, base, sp) < 0
		    : strcmp(op, "remove") == 0 || strcmp(op, "edit") == 0
			    ? existing(c, d, op, &vc, sp) < 0
			    : fault_arg(c, "deviceChange.operation",
					"add, remove or edit") < 0)
			goto out;
	}
	if (sp->sp_edit.ve_oom) {
		vim_fault(c, "SystemError", NULL, "out of memory");
		goto out;
	}
	t = vim_task_start(c, "ReconfigVM_Task", "VirtualMachine.reconfigure",
			   "VirtualMachine", c->vc_req->sr_this, vc.vc_name);
	/* New disks and bigger ones first; the .vmx names them only once
	 * they are there, and a failure takes them back. */
	if (make_new_disks(sp, &e) < 0) {
		vim_task_fail(h, t, "SystemError", "<reason>disk</reason>",
			      "%s", err_msg(&e));
	} else if (grow_disks(sp, 0, &e) < 0) {
		remove_new_disks(sp);
		vim_task_fail(h, t, "SystemError", "<reason>disk</reason>",
			      "%s", err_msg(&e));
	} else if (vmx_edit_apply(v->ve_vmx, &sp->sp_edit, &e) < 0) {
		remove_new_disks(sp);
		(void)grow_disks(sp, 1, &e);
		vim_task_fail(h, t, "SystemError", "<reason>write</reason>",
			      "%s", err_msg(&e));
	} else {
		for (int i = 0; i < sp->sp_ndestroy; i++)
			if (unlink(sp->sp_destroy[i]) < 0)
				log_info("%s: %s", sp->sp_destroy[i],
					 strerror(errno));
		vim_event_post(h, "VmReconfiguredEvent", t->vt_user, v->ve_id,
			       t->vt_ename, t->vt_chain,
			       "Reconfigured %s on %s", t->vt_ename,
			       h->hd_hostname);
		log_info("VM %d reconfigured", v->ve_id);
		vim_task_succeed(h, t, NULL);
	}
	vim_changed(h);
	vm_config_free(&vc);
	vmx_edit_free(&sp->sp_edit);
	free(sp);
	return vim_task_return(c, t);
out:
	vm_config_free(&vc);
	vmx_edit_free(&sp->sp_edit);
	free(sp);
	return 0;
}

static int destroy_vm(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct vm_entry *v = inventory_find_text(h, c->vc_req->sr_this);
	char dir[PATH_MAX], name[256];
	struct vm_config vc;
	struct vim_task *t;
	struct err e = {0};
	int id, loaded;

	if (v == NULL)
		return vim_fault_not_found(c);
	if (v->ve_power != VM_POWERED_OFF || v->ve_busy)
		return vim_fault(c, "InvalidPowerState",
				 "<requestedState>poweredOff</requestedState>"
				 "<existingState>poweredOn</existingState>",
				 "The attempted operation cannot be performed "
				 "in the current state (Powered on).");
	loaded = vm_config_load(&vc, v->ve_vmx, &e) == 0;
	snprintf(name, sizeof(name), "%.*s", (int)sizeof(name) - 1,
		 loaded ? vc.vc_name : v->ve_vmx);
	snprintf(dir, sizeof(dir), "%s", v->ve_vmx);
	*strrchr(dir, '/') = '\0';
	t = vim_task_start(c, "Destroy_Task", "VirtualMachine.destroy",
			   "VirtualMachine", c->vc_req->sr_this, name);
	id = v->ve_id;
	if (inventory_remove(h, id, &e) < 0) {
		vim_task_fail(h, t, "SystemError", NULL, "%s", err_msg(&e));
	} else {
		remove_vm_files(h, dir, loaded ? &vc : NULL);
		if (!loaded)
			unlink(v->ve_vmx);
		log_info("VM %d destroyed", id);
		vim_event_post(h, "VmRemovedEvent", t->vt_user, id, name,
			       t->vt_chain, "Removed %s on %s", name,
			       h->hd_hostname);
		vim_task_succeed(h, t, NULL);
	}
	vm_config_free(&vc);
	return vim_task_return(c, t);
}

const struct vim_method vim_vm_spec_methods[] = {
	{"CreateVM_Task", "Folder", 0, create_vm},
	{"ReconfigVM_Task", "VirtualMachine", 0, reconfig_vm},
	{"Destroy_Task", "VirtualMachine", 0, destroy_vm},
	{NULL, NULL, 0, NULL},
};
