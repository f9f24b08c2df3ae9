/*
 * vmxconf.h: read a VM's .vmx file (docs/formats/vmx.md) into the same
 * options the command line fills. Every key is checked: a known key with
 * a bad value, or a key vmx does not know, is an error naming file, line
 * and key, and nothing starts. Keys VMware writes that have no meaning
 * here (tools.*, uuid.*, ...) are accepted and ignored, as documented.
 */
#ifndef BASALT_VMX_VMXCONF_H
#define BASALT_VMX_VMXCONF_H

#include <limits.h>
#include <stdio.h>

#include "common/err.h"
#include "common/kvcfg.h"
#include "vmx/options.h"

struct vmxconf {
	struct kvcfg vc_kv;
	char vc_dir[PATH_MAX]; /* directory of the .vmx: relative paths */
	char vc_kernel[PATH_MAX];
	char vc_initrd[PATH_MAX];
	char vc_console[PATH_MAX];
	char vc_disk_keys[VMX_DISKS_MAX][64]; /* "scsi0:0", for --check */
	char vc_nic_keys[VMX_NICS_MAX][64];   /* "ethernet0" */
};

/*
 * Load path into vc and fill o from it (o's runtime fields, such as
 * --control and -v, are left alone). vc must outlive o's use.
 */
BASALT_MUST_CHECK int vmxconf_load(struct vmxconf *vc, const char *path,
				   struct vmx_options *o, struct err *e);

/* Same, from text already in memory (tests, fuzzing); dir resolves
 * relative paths. */
BASALT_MUST_CHECK int vmxconf_parse(struct vmxconf *vc, const char *name,
				    const char *dir, const char *text,
				    size_t len, struct vmx_options *o,
				    struct err *e);

/* Print the configuration vmx would run, normalized (vmx --check). */
void vmxconf_print(const struct vmxconf *vc, const struct vmx_options *o,
		   FILE *out);

void vmxconf_free(struct vmxconf *vc);

#endif
