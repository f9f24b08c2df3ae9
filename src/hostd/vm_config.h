/*
 * vm_config.h: what hostd reads from a VM's .vmx file (the format vmx
 * itself reads, docs/formats/vmx.md) to describe the VM through the API.
 */
#ifndef BASALT_HOSTD_VM_CONFIG_H
#define BASALT_HOSTD_VM_CONFIG_H

#include <limits.h>
#include <time.h>

#include "common/compiler.h"
#include "common/err.h"
#include "common/kvcfg.h"

#define VMC_DISKS_MAX 16
#define VMC_NICS_MAX  10

/* Device keys as the API numbers a VM's devices (as ESXi does): disk i
 * of vc_disks is VMC_KEY_DISK + i, NIC ethernetN VMC_KEY_NIC + N. */
#define VMC_KEY_PCI    100
#define VMC_KEY_SCSI   1000
#define VMC_KEY_DISK   2000
#define VMC_KEY_NIC    4000
#define VMC_KEY_SERIAL 9000

struct vmc_disk {
	char vd_bus[8]; /* scsi, sata, nvme, ide */
	int vd_ctl, vd_unit;
	char vd_file[PATH_MAX]; /* absolute */
	int vd_readonly;
	long long vd_bytes; /* the file's size now */
};

struct vmc_nic {
	int vn_index;
	char vn_network[64];
	char vn_mac[20];
	int vn_manual; /* address set by hand */
};

struct vm_config {
	char vc_file[PATH_MAX]; /* the .vmx */
	char vc_dir[PATH_MAX];
	char vc_name[256];
	char vc_guest_id[64];
	char vc_uuid[40];
	char vc_annotation[1024];
	int vc_cpus, vc_memory_mb;
	struct vmc_disk vc_disks[VMC_DISKS_MAX];
	int vc_ndisks;
	struct vmc_nic vc_nics[VMC_NICS_MAX];
	int vc_nnics;
	int vc_serial;
	char vc_serial_file[PATH_MAX];
	time_t vc_modified;
	struct kvcfg vc_kv; /* every key, for extraConfig */
};

/* Read vmx (free with vm_config_free, also after failure). */
BASALT_MUST_CHECK int vm_config_load(struct vm_config *vc, const char *vmx,
				     struct err *e);
void vm_config_free(struct vm_config *vc);

#endif
