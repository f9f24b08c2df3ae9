/*
 * vmxconf.c: .vmx keys to vmx options (see vmxconf.h; every key is in
 * docs/formats/vmx.md). Disks of any VMware bus (scsi, sata, ide, nvme)
 * become virtio-blk disks, in bus, controller and unit order; NICs of any
 * virtualDev become virtio-net.
 */
#include "vmx/vmxconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "vmx/mem.h"

/* Keys VMware writes that mean nothing to vmx: accepted, ignored. */
static const char *const ignored_prefixes[] = {
	".encoding",
	"config.version",
	"virtualHW.",
	"guestOS",
	"uuid.",
	"vc.uuid",
	"nvram",
	"pciBridge",
	"tools.",
	"toolScripts.",
	"extendedConfigFile",
	"sched.",
	"migrate.",
	"vmci0.",
	"hpet0.",
	"floppy0.",
	"usb.",
	"ehci.",
	"sound.",
	"svga.",
	"cleanShutdown",
	"softPowerOff",
	"annotation",
	"checkpoint.",
	"numa.",
	"monitor.",
	"powerType.",
	"vmotion.",
	"cpuid.coresPerSocket",
	"mks.",
	"RemoteDisplay.",
	"bios.",
	"isolation.",
	"log.",
	"snapshot.",
	"messageBus.",
};

#define BUS_COUNT 4
static const char *const buses[BUS_COUNT] = {"scsi", "sata", "nvme", "ide"};

struct disk_slot {
	int ds_bus, ds_ctrl, ds_unit;
	int ds_present; /* -1 unset */
	const struct kvcfg_entry *ds_file;
	int ds_ro;
	const char *ds_serial;
	int ds_line; /* first line mentioning it */
};

struct nic_slot {
	int ns_index;
	int ns_present;
	const char *ns_network; /* bridge */
	const char *ns_tap;
	const char *ns_mac;
	int ns_line;
};

struct ctx {
	struct vmxconf *vc;
	struct vmx_options *o;
	struct err *e;
	struct disk_slot disks[64];
	int ndisks;
	struct nic_slot nics[16];
	int nnics;
};

static int bad(struct ctx *c, const struct kvcfg_entry *en, const char *what)
{
	return err_set(c->e, -EINVAL, "%s:%d: %s \"%s\": %s",
		       c->vc->vc_kv.kc_name, en->ke_line, en->ke_key,
		       en->ke_value, what);
}

static int parse_bool(struct ctx *c, const struct kvcfg_entry *en, int *out)
{
	if (strcasecmp(en->ke_value, "TRUE") == 0) {
		*out = 1;
		return 0;
	}
	if (strcasecmp(en->ke_value, "FALSE") == 0) {
		*out = 0;
		return 0;
	}
	return bad(c, en, "expected TRUE or FALSE");
}

static int parse_uint(const char *s, unsigned long long max,
		      unsigned long long *out)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return (errno != 0 || *end != '\0' || *out > max) ? -1 : 0;
}

/* dir + "/" + p unless p is absolute; into out[PATH_MAX]. */
static int resolve(struct ctx *c, const struct kvcfg_entry *en, char *out)
{
	int n;

	if (en->ke_value[0] == '\0')
		return bad(c, en, "expected a file name");
	n = en->ke_value[0] == '/' ? snprintf(out, PATH_MAX, "%s", en->ke_value)
				   : snprintf(out, PATH_MAX, "%s/%s",
					      c->vc->vc_dir, en->ke_value);
	if (n < 0 || n >= PATH_MAX)
		return bad(c, en, "path too long");
	return 0;
}

static int ignored(const char *key)
{
	for (size_t i = 0;
	     i < sizeof(ignored_prefixes) / sizeof(ignored_prefixes[0]); i++)
		if (strncasecmp(key, ignored_prefixes[i],
				strlen(ignored_prefixes[i])) == 0)
			return 1;
	return 0;
}

/* "<bus><ctrl>:<unit>.<field>" or "<bus><ctrl>.<field>"; 1 if matched. */
static int disk_key(struct ctx *c, struct kvcfg_entry *en, int *rc)
{
	const char *k = en->ke_key, *field;
	unsigned long long ctrl, unit = 0;
	int bus = -1, has_unit;
	char num[8];
	size_t n;

	for (int b = 0; b < BUS_COUNT; b++)
		if (strncasecmp(k, buses[b], strlen(buses[b])) == 0 &&
		    isdigit((unsigned char)k[strlen(buses[b])]))
			bus = b;
	if (bus < 0)
		return 0;
	k += strlen(buses[bus]);
	n = strspn(k, "0123456789");
	if (n == 0 || n >= sizeof(num))
		return 0;
	memcpy(num, k, n);
	num[n] = '\0';
	if (parse_uint(num, 3, &ctrl) < 0) {
		*rc = bad(c, en, "controller number from 0 to 3 expected");
		return 1;
	}
	k += n;
	has_unit = *k == ':';
	if (has_unit) {
		k++;
		n = strspn(k, "0123456789");
		if (n == 0 || n >= sizeof(num))
			return 0;
		memcpy(num, k, n);
		num[n] = '\0';
		if (parse_uint(num, 63, &unit) < 0) {
			*rc = bad(c, en, "unit number from 0 to 63 expected");
			return 1;
		}
		k += n;
	}
	if (*k != '.')
		return 0;
	field = k + 1;
	*rc = 0;
	if (!has_unit) {
		/* Controllers: all become the one virtio transport. */
		if (strcasecmp(field, "present") == 0) {
			int v;
			*rc = parse_bool(c, en, &v);
		} else if (strcasecmp(field, "virtualDev") == 0 ||
			   strcasecmp(field, "pciSlotNumber") == 0 ||
			   strcasecmp(field, "sharedBus") == 0) {
			/* any value: every controller is virtio */
		} else {
			return 0;
		}
		en->ke_used = 1;
		return 1;
	}
	{
		struct disk_slot *d = NULL;
		for (int i = 0; i < c->ndisks; i++)
			if (c->disks[i].ds_bus == bus &&
			    c->disks[i].ds_ctrl == (int)ctrl &&
			    c->disks[i].ds_unit == (int)unit)
				d = &c->disks[i];
		if (d == NULL) {
			if (c->ndisks ==
			    (int)(sizeof(c->disks) / sizeof(c->disks[0]))) {
				*rc = bad(c, en, "too many disks");
				return 1;
			}
			d = &c->disks[c->ndisks++];
			*d = (struct disk_slot){bus,  (int)ctrl,  (int)unit,
						-1,   NULL,	  0,
						NULL, en->ke_line};
		}
		if (strcasecmp(field, "present") == 0) {
			*rc = parse_bool(c, en, &d->ds_present);
		} else if (strcasecmp(field, "fileName") == 0) {
			d->ds_file = en;
		} else if (strcasecmp(field, "readOnly") == 0) {
			*rc = parse_bool(c, en, &d->ds_ro);
		} else if (strcasecmp(field, "serial") == 0) {
			if (strlen(en->ke_value) == 0 ||
			    strlen(en->ke_value) > 20)
				*rc = bad(c, en, "1 to 20 characters expected");
			d->ds_serial = en->ke_value;
		} else if (strcasecmp(field, "deviceType") == 0) {
			if (strcasecmp(en->ke_value, "scsi-hardDisk") != 0 &&
			    strcasecmp(en->ke_value, "disk") != 0 &&
			    strcasecmp(en->ke_value, "ata-hardDisk") != 0)
				*rc = bad(c, en,
					  "only hard disks are supported "
					  "(scsi-hardDisk, ata-hardDisk, "
					  "disk)");
		} else if (strcasecmp(field, "mode") == 0) {
			if (strcasecmp(en->ke_value, "persistent") != 0 &&
			    strcasecmp(en->ke_value,
				       "independent-persistent") != 0)
				*rc = bad(c, en,
					  "persistent or "
					  "independent-persistent "
					  "expected (no snapshots yet)");
		} else if (strcasecmp(field, "redo") == 0) {
			/* VMware writes it empty; nothing to do */
		} else {
			return 0;
		}
	}
	en->ke_used = 1;
	return 1;
}

static int nic_key(struct ctx *c, struct kvcfg_entry *en, int *rc)
{
	const char *k = en->ke_key, *field;
	unsigned long long idx;
	struct nic_slot *nic = NULL;
	char num[8];
	size_t n;

	if (strncasecmp(k, "ethernet", 8) != 0)
		return 0;
	k += 8;
	n = strspn(k, "0123456789");
	if (n == 0 || n >= sizeof(num) || k[n] != '.')
		return 0;
	memcpy(num, k, n);
	num[n] = '\0';
	field = k + n + 1;
	if (parse_uint(num, 9, &idx) < 0) {
		*rc = bad(c, en, "NIC number from 0 to 9 expected");
		return 1;
	}
	for (int i = 0; i < c->nnics; i++)
		if (c->nics[i].ns_index == (int)idx)
			nic = &c->nics[i];
	if (nic == NULL) {
		nic = &c->nics[c->nnics++];
		*nic = (struct nic_slot){(int)idx, -1,	 NULL,
					 NULL,	   NULL, en->ke_line};
	}
	*rc = 0;
	if (strcasecmp(field, "present") == 0) {
		*rc = parse_bool(c, en, &nic->ns_present);
	} else if (strcasecmp(field, "networkName") == 0) {
		nic->ns_network = en->ke_value;
		if (strlen(en->ke_value) == 0 || strlen(en->ke_value) > 15)
			*rc = bad(c, en,
				  "a host bridge name of 1 to 15 "
				  "characters expected");
	} else if (strcasecmp(field, "tapName") == 0) {
		nic->ns_tap = en->ke_value;
		if (strlen(en->ke_value) == 0 || strlen(en->ke_value) > 15)
			*rc = bad(c, en,
				  "an interface name of 1 to 15 "
				  "characters expected");
	} else if (strcasecmp(field, "address") == 0 ||
		   strcasecmp(field, "generatedAddress") == 0) {
		if (strlen(en->ke_value) != 17)
			*rc = bad(c, en,
				  "a MAC address aa:bb:cc:dd:ee:ff "
				  "expected");
		/* a static address wins over a generated one */
		if (nic->ns_mac == NULL || strcasecmp(field, "address") == 0)
			nic->ns_mac = en->ke_value;
	} else if (strcasecmp(field, "connectionType") == 0) {
		if (strcasecmp(en->ke_value, "bridged") != 0 &&
		    strcasecmp(en->ke_value, "custom") != 0)
			*rc = bad(c, en,
				  "bridged expected (NAT and host-only "
				  "are not offered)");
	} else if (strcasecmp(field, "virtualDev") == 0 ||
		   strcasecmp(field, "addressType") == 0 ||
		   strcasecmp(field, "generatedAddressOffset") == 0 ||
		   strcasecmp(field, "pciSlotNumber") == 0 ||
		   strcasecmp(field, "uptCompatibility") == 0 ||
		   strcasecmp(field, "wakeOnPcktRcv") == 0 ||
		   strcasecmp(field, "startConnected") == 0) {
		/* every NIC is virtio-net; the MAC keys above decide */
	} else {
		return 0;
	}
	en->ke_used = 1;
	return 1;
}

static int cmp_disk(const void *a, const void *b)
{
	const struct disk_slot *x = a, *y = b;

	if (x->ds_bus != y->ds_bus)
		return x->ds_bus - y->ds_bus;
	if (x->ds_ctrl != y->ds_ctrl)
		return x->ds_ctrl - y->ds_ctrl;
	return x->ds_unit - y->ds_unit;
}

static int cmp_nic(const void *a, const void *b)
{
	return ((const struct nic_slot *)a)->ns_index -
	       ((const struct nic_slot *)b)->ns_index;
}

static int plain_key(struct ctx *c, struct kvcfg_entry *en)
{
	struct vmxconf *vc = c->vc;
	struct vmx_options *o = c->o;
	unsigned long long v;
	int flag;

	if (strcasecmp(en->ke_key, "displayName") == 0) {
		o->vo_name = en->ke_value;
	} else if (strcasecmp(en->ke_key, "numvcpus") == 0) {
		if (parse_uint(en->ke_value, VMX_CPUS_MAX, &v) < 0 || v < 1)
			return bad(c, en,
				   "expected a number of vCPUs from 1 "
				   "to 64");
		o->vo_cpus = (int)v;
	} else if (strcasecmp(en->ke_key, "memsize") == 0) {
		if (parse_uint(en->ke_value, MEM_LOW_MAX_BYTES >> 20, &v) < 0 ||
		    v < (MEM_MIN_BYTES >> 20) || v % 2 != 0)
			return bad(c, en,
				   "expected an even number of MiB from "
				   "2 to 3072");
		o->vo_memory_mib = v;
	} else if (strcasecmp(en->ke_key, "basalt.kernel") == 0) {
		if (resolve(c, en, vc->vc_kernel) < 0)
			return -EINVAL;
		o->vo_kernel = vc->vc_kernel;
	} else if (strcasecmp(en->ke_key, "basalt.initrd") == 0) {
		if (resolve(c, en, vc->vc_initrd) < 0)
			return -EINVAL;
		o->vo_initrd = vc->vc_initrd;
	} else if (strcasecmp(en->ke_key, "basalt.cmdline") == 0) {
		o->vo_cmdline = en->ke_value;
	} else if (strcasecmp(en->ke_key, "firmware") == 0) {
		if (strcasecmp(en->ke_value, "bios") != 0)
			return bad(c, en,
				   "only bios (direct kernel boot) is "
				   "supported");
	} else if (strcasecmp(en->ke_key, "serial0.present") == 0) {
		if (parse_bool(c, en, &flag) < 0)
			return -EINVAL;
	} else if (strcasecmp(en->ke_key, "serial0.fileType") == 0) {
		if (strcasecmp(en->ke_value, "file") != 0)
			return bad(c, en,
				   "file expected (the console can also "
				   "be attached through the control "
				   "socket)");
	} else if (strcasecmp(en->ke_key, "serial0.fileName") == 0) {
		if (resolve(c, en, vc->vc_console) < 0)
			return -EINVAL;
	} else if (strcasecmp(en->ke_key, "serial0.yieldOnMsrRead") == 0 ||
		   strcasecmp(en->ke_key, "serial0.tryNoRxLoss") == 0) {
		/* VMware tuning flags with no meaning here */
	} else {
		return 1; /* not a plain key */
	}
	en->ke_used = 1;
	return 0;
}

static int finish(struct ctx *c)
{
	struct vmxconf *vc = c->vc;
	struct vmx_options *o = c->o;
	struct kvcfg_entry *sp = kvcfg_find(&vc->vc_kv, "serial0.present");

	if (o->vo_kernel == NULL)
		return err_set(c->e, -EINVAL,
			       "%s: basalt.kernel is missing (the kernel to "
			       "boot: vmx boots Linux directly, there is no "
			       "BIOS)",
			       vc->vc_kv.kc_name);
	if (vc->vc_console[0] != '\0' &&
	    (sp == NULL || strcasecmp(sp->ke_value, "TRUE") == 0))
		o->vo_console = vc->vc_console;

	qsort(c->disks, (size_t)c->ndisks, sizeof(c->disks[0]), cmp_disk);
	for (int i = 0; i < c->ndisks; i++) {
		struct disk_slot *d = &c->disks[i];
		struct vmx_disk_opt *od;
		char key[64];
		snprintf(key, sizeof(key), "%s%d:%d", buses[d->ds_bus],
			 d->ds_ctrl, d->ds_unit);
		if (d->ds_present == 0)
			continue;
		if (d->ds_file == NULL)
			return err_set(c->e, -EINVAL,
				       "%s:%d: %s: fileName is missing",
				       vc->vc_kv.kc_name, d->ds_line, key);
		{
			const char *f = d->ds_file->ke_value;
			size_t n = strlen(f);
			if (n > 5 && strcasecmp(f + n - 5, ".vmdk") == 0)
				return bad(c, d->ds_file,
					   "VMDK disks are not supported yet; "
					   "convert to a raw image (qemu-img "
					   "convert -O raw)");
		}
		if (o->vo_ndisks == VMX_DISKS_MAX)
			return err_set(c->e, -EINVAL,
				       "%s:%d: %s: more than %d disks",
				       vc->vc_kv.kc_name, d->ds_line, key,
				       VMX_DISKS_MAX);
		od = &o->vo_disks[o->vo_ndisks];
		memset(od, 0, sizeof(*od));
		{
			char path[PATH_MAX];
			if (resolve(c, d->ds_file, path) < 0)
				return -EINVAL;
			if (strlen(path) >= sizeof(od->vd_path))
				return bad(c, d->ds_file, "path too long");
			memcpy(od->vd_path, path, strlen(path) + 1);
		}
		od->vd_ro = d->ds_ro;
		if (d->ds_serial != NULL)
			memcpy(od->vd_serial, d->ds_serial,
			       strlen(d->ds_serial) + 1);
		memcpy(vc->vc_disk_keys[o->vo_ndisks], key, strlen(key) + 1);
		o->vo_ndisks++;
	}

	qsort(c->nics, (size_t)c->nnics, sizeof(c->nics[0]), cmp_nic);
	for (int i = 0; i < c->nnics; i++) {
		struct nic_slot *s = &c->nics[i];
		struct vmx_net_opt *on;
		if (s->ns_present == 0)
			continue;
		if (o->vo_nnics == VMX_NICS_MAX)
			return err_set(c->e, -EINVAL,
				       "%s:%d: ethernet%d: more than %d NICs",
				       vc->vc_kv.kc_name, s->ns_line,
				       s->ns_index, VMX_NICS_MAX);
		on = &o->vo_nics[o->vo_nnics];
		memset(on, 0, sizeof(*on));
		/* No tapName: vmx names one when it starts (main.c). */
		if (s->ns_tap != NULL)
			snprintf(on->vn_tap, sizeof(on->vn_tap), "%s",
				 s->ns_tap);
		if (s->ns_network != NULL)
			snprintf(on->vn_bridge, sizeof(on->vn_bridge), "%s",
				 s->ns_network);
		if (s->ns_mac != NULL)
			snprintf(on->vn_mac, sizeof(on->vn_mac), "%s",
				 s->ns_mac);
		snprintf(vc->vc_nic_keys[o->vo_nnics],
			 sizeof(vc->vc_nic_keys[0]), "ethernet%d", s->ns_index);
		o->vo_nnics++;
	}
	return 0;
}

int vmxconf_parse(struct vmxconf *vc, const char *name, const char *dir,
		  const char *text, size_t len, struct vmx_options *o,
		  struct err *e)
{
	struct ctx *c;
	int rc;

	memset(vc, 0, sizeof(*vc));
	if (snprintf(vc->vc_dir, sizeof(vc->vc_dir), "%s", dir) >=
	    (int)sizeof(vc->vc_dir))
		return err_set(e, -ENAMETOOLONG, "%s: directory name too long",
			       name);
	rc = kvcfg_parse(&vc->vc_kv, name, text, len, e);
	if (rc < 0)
		return rc;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		rc = err_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	c->vc = vc;
	c->o = o;
	c->e = e;
	for (int i = 0; i < vc->vc_kv.kc_count; i++) {
		struct kvcfg_entry *en = &vc->vc_kv.kc_entries[i];
		rc = plain_key(c, en);
		if (rc < 0)
			goto out;
		if (rc == 0)
			continue;
		rc = 0;
		if (disk_key(c, en, &rc) || nic_key(c, en, &rc)) {
			if (rc < 0)
				goto out;
			continue;
		}
		if (ignored(en->ke_key)) {
			en->ke_used = 1;
			continue;
		}
		rc = err_set(e, -EINVAL, "%s:%d: %s: unknown key",
			     vc->vc_kv.kc_name, en->ke_line, en->ke_key);
		goto out;
	}
	rc = finish(c);
out:
	free(c);
	if (rc < 0)
		vmxconf_free(vc);
	return rc;
}

int vmxconf_load(struct vmxconf *vc, const char *path, struct vmx_options *o,
		 struct err *e)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	void *data;
	size_t len;
	int rc;

	if (slash == NULL) {
		if (getcwd(dir, sizeof(dir)) == NULL)
			return err_set(e, -errno, "getcwd: %s",
				       strerror(errno));
	} else if (slash == path) {
		snprintf(dir, sizeof(dir), "/");
	} else {
		if ((size_t)(slash - path) >= sizeof(dir))
			return err_set(e, -ENAMETOOLONG, "%s: path too long",
				       path);
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
	}
	rc = file_read_all(path, KVCFG_FILE_MAX_BYTES, &data, &len, e);
	if (rc < 0)
		return rc;
	/* Relative names in the file are relative to its directory, made
	 * absolute now so nothing depends on the working directory. */
	{
		char abs[PATH_MAX];
		if (realpath(dir, abs) == NULL) {
			free(data);
			return err_set(e, -errno, "%s: %s", dir,
				       strerror(errno));
		}
		memcpy(dir, abs, strlen(abs) + 1);
	}
	rc = vmxconf_parse(vc, path, dir, data, len, o, e);
	free(data);
	return rc;
}

static void print_kv(FILE *out, const char *key, const char *value,
		     const char *comment)
{
	char esc[KVCFG_LINE_MAX_BYTES];

	if (kvcfg_escape(value, esc, sizeof(esc)) < 0)
		snprintf(esc, sizeof(esc), "(too long)");
	fprintf(out, "%s = \"%s\"%s%s\n", key, esc, comment ? "  # " : "",
		comment ? comment : "");
}

void vmxconf_print(const struct vmxconf *vc, const struct vmx_options *o,
		   FILE *out)
{
	char num[32], key[96], note[96];

	fprintf(out, "# %s, as vmx reads it\n", vc->vc_kv.kc_name);
	if (o->vo_name != NULL)
		print_kv(out, "displayName", o->vo_name, NULL);
	snprintf(num, sizeof(num), "%d", o->vo_cpus);
	print_kv(out, "numvcpus", num, NULL);
	snprintf(num, sizeof(num), "%llu",
		 (unsigned long long)o->vo_memory_mib);
	print_kv(out, "memsize", num, "MiB");
	print_kv(out, "basalt.kernel", o->vo_kernel, NULL);
	if (o->vo_initrd != NULL)
		print_kv(out, "basalt.initrd", o->vo_initrd, NULL);
	if (o->vo_cmdline != NULL)
		print_kv(out, "basalt.cmdline", o->vo_cmdline, NULL);
	if (o->vo_console != NULL)
		print_kv(out, "serial0.fileName", o->vo_console, "console");
	for (int i = 0; i < o->vo_ndisks; i++) {
		const struct vmx_disk_opt *d = &o->vo_disks[i];
		snprintf(key, sizeof(key), "%s.fileName", vc->vc_disk_keys[i]);
		snprintf(note, sizeof(note), "/dev/vd%c, virtio-blk, %s",
			 'a' + i, d->vd_ro ? "read-only" : "read-write");
		print_kv(out, key, d->vd_path, note);
		if (d->vd_serial[0] != '\0') {
			snprintf(key, sizeof(key), "%s.serial",
				 vc->vc_disk_keys[i]);
			print_kv(out, key, d->vd_serial, NULL);
		}
	}
	for (int i = 0; i < o->vo_nnics; i++) {
		const struct vmx_net_opt *n = &o->vo_nics[i];
		snprintf(key, sizeof(key), "%s.tapName", vc->vc_nic_keys[i]);
		if (n->vn_tap[0] != '\0')
			print_kv(out, key, n->vn_tap, "virtio-net");
		else
			fprintf(out,
				"# %s: virtio-net on a tap vmx names at "
				"start\n",
				vc->vc_nic_keys[i]);
		if (n->vn_bridge[0] != '\0') {
			snprintf(key, sizeof(key), "%s.networkName",
				 vc->vc_nic_keys[i]);
			print_kv(out, key, n->vn_bridge, "host bridge");
		}
		if (n->vn_mac[0] != '\0') {
			snprintf(key, sizeof(key), "%s.address",
				 vc->vc_nic_keys[i]);
			print_kv(out, key, n->vn_mac, NULL);
		}
	}
}

void vmxconf_free(struct vmxconf *vc)
{
	kvcfg_free(&vc->vc_kv);
}
