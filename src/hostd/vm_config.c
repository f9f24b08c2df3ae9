/*
 * vm_config.c: a .vmx file as hostd describes it. Unknown keys are kept
 * (vmx decides what it accepts); values that do not parse fall back to
 * vmx's defaults, since a VM that vmx refuses to start must still show.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "hostd/vm_config.h"

static const char *get(struct vm_config *vc, const char *key)
{
	struct kvcfg_entry *en = kvcfg_find(&vc->vc_kv, key);

	return en != NULL ? en->ke_value : NULL;
}

static int get_int(struct vm_config *vc, const char *key, int dflt)
{
	const char *v = get(vc, key);
	char *end;
	long n;

	if (v == NULL)
		return dflt;
	n = strtol(v, &end, 10);
	return *end == '\0' && n > 0 && n < 1 << 24 ? (int)n : dflt;
}

static int get_bool(struct vm_config *vc, const char *key, int dflt)
{
	const char *v = get(vc, key);

	if (v == NULL)
		return dflt;
	return strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

/* "56 4d 9e ...-... 12" (uuid.bios) to 564d9e..-....; else a stable one
 * from the file's path. */
static void uuid_of(struct vm_config *vc)
{
	const char *v = get(vc, "uuid.bios");
	unsigned char b[16];
	int n = 0;

	for (const char *p = v; p != NULL && *p != '\0' && n < 16;) {
		unsigned x;
		if (*p == ' ' || *p == '-') {
			p++;
			continue;
		}
		if (sscanf(p, "%2x", &x) != 1)
			break;
		b[n++] = (unsigned char)x;
		p += 2;
	}
	if (n != 16) {
		uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
		for (const unsigned char *p =
			     (const unsigned char *)vc->vc_file;
		     *p; p++) {
			h1 = (h1 ^ *p) * 0x100000001b3ull;
			h2 = (h2 ^ *p) * 0x100000001b3ull + 7;
		}
		for (int i = 0; i < 8; i++) {
			b[i] = (unsigned char)(h1 >> (8 * i));
			b[8 + i] = (unsigned char)(h2 >> (8 * i));
		}
		b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
		b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	}
	snprintf(vc->vc_uuid, sizeof(vc->vc_uuid),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

static void disks(struct vm_config *vc)
{
	static const char *const buses[] = {"scsi", "sata", "nvme", "ide"};

	for (size_t b = 0; b < 4; b++)
		for (int ctl = 0; ctl < 4; ctl++)
			for (int unit = 0; unit < 64; unit++) {
				char key[48];
				const char *file;
				struct vmc_disk *d;
				struct stat st;
				snprintf(key, sizeof(key), "%s%d:%d.fileName",
					 buses[b], ctl, unit);
				file = get(vc, key);
				if (file == NULL ||
				    vc->vc_ndisks == VMC_DISKS_MAX)
					continue;
				snprintf(key, sizeof(key), "%s%d:%d.present",
					 buses[b], ctl, unit);
				if (!get_bool(vc, key, 1))
					continue;
				d = &vc->vc_disks[vc->vc_ndisks++];
				snprintf(d->vd_bus, sizeof(d->vd_bus), "%s",
					 buses[b]);
				d->vd_ctl = ctl;
				d->vd_unit = unit;
				if (file[0] == '/')
					snprintf(d->vd_file, sizeof(d->vd_file),
						 "%s", file);
				else
					snprintf(d->vd_file, sizeof(d->vd_file),
						 "%.*s/%s", PATH_MAX / 2,
						 vc->vc_dir, file);
				snprintf(key, sizeof(key), "%s%d:%d.readOnly",
					 buses[b], ctl, unit);
				d->vd_readonly = get_bool(vc, key, 0);
				d->vd_bytes = stat(d->vd_file, &st) == 0
						      ? (long long)st.st_size
						      : 0;
			}
}

static void nics(struct vm_config *vc)
{
	for (int i = 0; i < VMC_NICS_MAX; i++) {
		char key[40];
		const char *v;
		struct vmc_nic *n;
		snprintf(key, sizeof(key), "ethernet%d.present", i);
		if (get(vc, key) == NULL || !get_bool(vc, key, 0))
			continue;
		n = &vc->vc_nics[vc->vc_nnics++];
		n->vn_index = i;
		snprintf(key, sizeof(key), "ethernet%d.networkName", i);
		v = get(vc, key);
		snprintf(n->vn_network, sizeof(n->vn_network), "%s",
			 v != NULL ? v : "");
		snprintf(key, sizeof(key), "ethernet%d.address", i);
		v = get(vc, key);
		n->vn_manual = v != NULL;
		if (v == NULL) {
			snprintf(key, sizeof(key),
				 "ethernet%d.generatedAddress", i);
			v = get(vc, key);
		}
		snprintf(n->vn_mac, sizeof(n->vn_mac), "%s",
			 v != NULL ? v : "");
	}
}

int vm_config_load(struct vm_config *vc, const char *vmx, struct err *e)
{
	const char *v, *slash;
	struct stat st;
	int rc;

	memset(vc, 0, sizeof(*vc));
	snprintf(vc->vc_file, sizeof(vc->vc_file), "%s", vmx);
	slash = strrchr(vmx, '/');
	snprintf(vc->vc_dir, sizeof(vc->vc_dir), "%.*s",
		 slash != NULL ? (int)(slash - vmx) : 1,
		 slash != NULL ? vmx : ".");
	rc = kvcfg_load(&vc->vc_kv, vmx, e);
	if (rc < 0)
		return rc;
	vc->vc_modified = stat(vmx, &st) == 0 ? st.st_mtime : 0;
	v = get(vc, "displayName");
	if (v == NULL || v[0] == '\0') {
		/* As VMware does: the file's name without .vmx. */
		const char *base = slash != NULL ? slash + 1 : vmx;
		size_t n = strlen(base);
		if (n > 4 && strcmp(base + n - 4, ".vmx") == 0)
			n -= 4;
		snprintf(vc->vc_name, sizeof(vc->vc_name), "%.*s", (int)n,
			 base);
	} else {
		snprintf(vc->vc_name, sizeof(vc->vc_name), "%s", v);
	}
	v = get(vc, "guestOS");
	snprintf(vc->vc_guest_id, sizeof(vc->vc_guest_id), "%s",
		 v != NULL ? v : "otherLinux64Guest");
	v = get(vc, "annotation");
	snprintf(vc->vc_annotation, sizeof(vc->vc_annotation), "%s",
		 v != NULL ? v : "");
	vc->vc_cpus = get_int(vc, "numvcpus", 1);
	vc->vc_memory_mb = get_int(vc, "memsize", 128);
	uuid_of(vc);
	disks(vc);
	nics(vc);
	vc->vc_serial = get_bool(vc, "serial0.present", 0);
	v = get(vc, "serial0.fileName");
	snprintf(vc->vc_serial_file, sizeof(vc->vc_serial_file), "%s",
		 v != NULL ? v : "");
	return 0;
}

void vm_config_free(struct vm_config *vc)
{
	kvcfg_free(&vc->vc_kv);
}
