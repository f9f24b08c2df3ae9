/*
 * options.c: vmx command-line parsing (see options.h). Hand-rolled instead
 * of getopt_long so it has no global state and can run many times in one
 * test process.
 */
#include "vmx/options.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/mem.h"

const char vmx_usage[] =
	"usage: vmx [--check] [--control SOCKET] [--console stdio|FILE] [-v] VM.vmx\n"
	"       vmx --kernel FILE [--initrd FILE] [--cmdline STR] [--memory MiB]\n"
	"           [--cpus N] [--disk FILE[,ro][,serial=ID]]...\n"
	"           [--net TAP[,bridge=BR][,mac=MAC]]...\n"
	"           [--console stdio|FILE] [--control SOCKET] [--name NAME] [-v]\n"
	"\n"
	"Run one virtual machine in the foreground until it powers off: the one\n"
	"VM.vmx describes (docs/formats/vmx.md; the log goes to vmware.log\n"
	"beside it), or one given by the options below.\n"
	"\n"
	"  --check           read VM.vmx, print it as vmx understands it (or the\n"
	"                    first error), and exit\n"
	"  --kernel FILE     guest kernel: an x86_64 Linux bzImage (booted with\n"
	"                    the Linux boot protocol), or a freestanding x86_64\n"
	"                    ELF executable (entered in 64-bit mode)\n"
	"  --initrd FILE     initial ramdisk for a Linux kernel\n"
	"  --cmdline STR     kernel command line, e.g. \"console=ttyS0\"\n"
	"  --memory MiB      guest RAM, a multiple of 2 from 2 to 3072 "
	"(default 128)\n"
	"  --cpus N          virtual CPUs, 1 to 64 (default 1)\n"
	"  --disk FILE[,ro][,serial=ID]\n"
	"                    a virtio-blk disk on a raw image file or block\n"
	"                    device (the guest's /dev/vda, vdb, ... in order);\n"
	"                    ro: read-only; ID: up to 20 characters\n"
	"  --net TAP[,bridge=BR][,mac=MAC]\n"
	"                    a virtio-net NIC on TAP interface TAP (created if\n"
	"                    missing), added to host bridge BR; MAC like\n"
	"                    02:00:00:00:00:01 (default: random, local)\n"
	"  --console WHERE   COM1 output: stdio (default) or a file to write\n"
	"  --control SOCKET  serve the control protocol on this Unix socket\n"
	"                    (status, pause, resume, power-off, ACPI shutdown,\n"
	"                    reset, console; see vmxctl)\n"
	"  --name NAME       the VM's name in status and logs\n"
	"  --user USER       when started as root, run as USER (a name or\n"
	"                    UID[:GID]; default 65534, nobody) once the VM's\n"
	"                    files and devices are open; 0 stays root without\n"
	"                    capabilities. vmx always sandboxes itself\n"
	"                    (no_new_privs and a seccomp allow-list)\n"
	"  -v, --verbose     more log lines on stderr (repeat for debug)\n"
	"  --help            this text\n"
	"  --version         print the version\n"
	"\n"
	"Exit status: 0 the guest powered off (or a control client or SIGTERM\n"
	"did), 1 error, 2 bad command line, 3 the guest or a control client\n"
	"reset the machine (run vmx again to boot it again), 4 the guest\n"
	"crashed (KVM could not continue it).\n";

static int parse_mib(const char *s, uint64_t *out, struct err *e)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0')
		goto bad;
	if (v < (MEM_MIN_BYTES >> 20) || v > (MEM_LOW_MAX_BYTES >> 20) ||
	    v % 2 != 0)
		return err_set(e, -EINVAL,
			       "--memory %s: expected an even number of MiB "
			       "from %llu to %llu",
			       s, MEM_MIN_BYTES >> 20, MEM_LOW_MAX_BYTES >> 20);
	*out = v;
	return 0;
bad:
	return err_set(e, -EINVAL, "--memory '%s': expected a number of MiB",
		       s);
}

static int parse_cpus(const char *s, int *out, struct err *e)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (s[0] < '0' || s[0] > '9')
		goto bad;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > VMX_CPUS_MAX)
		goto bad;
	*out = (int)v;
	return 0;
bad:
	return err_set(e, -EINVAL,
		       "--cpus '%s': expected a number from 1 to %d", s,
		       VMX_CPUS_MAX);
}

static int parse_disk(const char *s, struct vmx_options *o, struct err *e)
{
	struct vmx_disk_opt *d;
	const char *p;
	size_t n;

	if (o->vo_ndisks >= VMX_DISKS_MAX)
		return err_set(e, -EINVAL, "--disk: at most %d disks",
			       VMX_DISKS_MAX);
	d = &o->vo_disks[o->vo_ndisks];
	memset(d, 0, sizeof(*d));
	p = strchr(s, ',');
	n = p != NULL ? (size_t)(p - s) : strlen(s);
	if (n == 0 || n >= sizeof(d->vd_path))
		return err_set(e, -EINVAL,
			       "--disk '%s': expected FILE[,ro]"
			       "[,serial=ID]",
			       s);
	memcpy(d->vd_path, s, n);
	while (p != NULL) {
		const char *opt = p + 1;
		p = strchr(opt, ',');
		n = p != NULL ? (size_t)(p - opt) : strlen(opt);
		if (n == 2 && strncmp(opt, "ro", 2) == 0) {
			d->vd_ro = 1;
		} else if (n > 7 && strncmp(opt, "serial=", 7) == 0 &&
			   n - 7 < sizeof(d->vd_serial)) {
			memcpy(d->vd_serial, opt + 7, n - 7);
		} else {
			return err_set(e, -EINVAL,
				       "--disk '%s': unknown option '%.*s' "
				       "(expected ro or serial=ID, ID at most "
				       "20 characters)",
				       s, (int)n, opt);
		}
	}
	o->vo_ndisks++;
	return 0;
}

/* Copy the n bytes at src into dst[cap] as a string; 0, or -1 if empty or
 * too long. */
static int copy_field(char *dst, size_t cap, const char *src, size_t n)
{
	if (n == 0 || n >= cap)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

static int parse_net(const char *s, struct vmx_options *o, struct err *e)
{
	struct vmx_net_opt *nic;
	const char *p;
	size_t n;

	if (o->vo_nnics >= VMX_NICS_MAX)
		return err_set(e, -EINVAL, "--net: at most %d NICs",
			       VMX_NICS_MAX);
	nic = &o->vo_nics[o->vo_nnics];
	memset(nic, 0, sizeof(*nic));
	p = strchr(s, ',');
	n = p != NULL ? (size_t)(p - s) : strlen(s);
	if (copy_field(nic->vn_tap, sizeof(nic->vn_tap), s, n) < 0)
		return err_set(e, -EINVAL,
			       "--net '%s': expected TAP[,bridge=BR][,mac=MAC] "
			       "with an interface name of 1 to 15 characters",
			       s);
	while (p != NULL) {
		const char *opt = p + 1;
		p = strchr(opt, ',');
		n = p != NULL ? (size_t)(p - opt) : strlen(opt);
		if (n > 7 && strncmp(opt, "bridge=", 7) == 0 &&
		    copy_field(nic->vn_bridge, sizeof(nic->vn_bridge), opt + 7,
			       n - 7) == 0)
			continue;
		if (n == 4 + 17 && strncmp(opt, "mac=", 4) == 0 &&
		    copy_field(nic->vn_mac, sizeof(nic->vn_mac), opt + 4,
			       n - 4) == 0)
			continue;
		return err_set(e, -EINVAL,
			       "--net '%s': bad option '%.*s' (expected "
			       "bridge=NAME or mac=aa:bb:cc:dd:ee:ff)",
			       s, (int)n, opt);
	}
	o->vo_nnics++;
	return 0;
}

/* Match "--name VALUE" or "--name=VALUE"; returns 1 and sets *val. */
static int take_value(int argc, const char *const argv[], int *i,
		      const char *name, const char **val, int *missing)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return 0;
	if (arg[n] == '=') {
		*val = arg + n + 1;
		return 1;
	}
	if (arg[n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		*missing = 1;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

int vmx_options_parse(int argc, const char *const argv[],
		      struct vmx_options *opts, struct err *e)
{
	struct vmx_options o = {.vo_memory_mib = VMX_DEFAULT_MEMORY_MIB,
				.vo_cpus = 1};
	int i, rc;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL;
		int missing = 0;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			o.vo_help = 1;
		} else if (strcmp(arg, "--check") == 0) {
			o.vo_check = 1;
		} else if (strcmp(arg, "--version") == 0) {
			o.vo_version = 1;
		} else if (strcmp(arg, "-v") == 0 ||
			   strcmp(arg, "--verbose") == 0) {
			o.vo_verbose++;
		} else if (take_value(argc, argv, &i, "--kernel", &val,
				      &missing)) {
			if (missing)
				goto missing;
			if (o.vo_direct == NULL)
				o.vo_direct = "--kernel";
			o.vo_kernel = val;
		} else if (take_value(argc, argv, &i, "--initrd", &val,
				      &missing)) {
			if (missing)
				goto missing;
			if (o.vo_direct == NULL)
				o.vo_direct = "--initrd";
			o.vo_initrd = val;
		} else if (take_value(argc, argv, &i, "--cmdline", &val,
				      &missing)) {
			if (missing)
				goto missing;
			if (o.vo_direct == NULL)
				o.vo_direct = "--cmdline";
			o.vo_cmdline = val;
		} else if (take_value(argc, argv, &i, "--disk", &val,
				      &missing)) {
			if (missing)
				goto missing;
			if (o.vo_direct == NULL)
				o.vo_direct = "--disk";
			rc = parse_disk(val, &o, e);
			if (rc < 0)
				return rc;
		} else if (take_value(argc, argv, &i, "--control", &val,
				      &missing)) {
			if (missing)
				goto missing;
			o.vo_control = val;
		} else if (take_value(argc, argv, &i, "--user", &val,
				      &missing)) {
			if (missing)
				goto missing;
			o.vo_user = val;
		} else if (take_value(argc, argv, &i, "--name", &val,
				      &missing)) {
			if (missing)
				goto missing;
			if (o.vo_direct == NULL)
				o.vo_direct = "--name";
			o.vo_name = val;
		} else if (take_value(argc, argv, &i, "--net", &val,
				      &missing)) {
			if (missing)
				goto missing;
			if (o.vo_direct == NULL)
				o.vo_direct = "--net";
			rc = parse_net(val, &o, e);
			if (rc < 0)
				return rc;
		} else if (take_value(argc, argv, &i, "--cpus", &val,
				      &missing)) {
			if (missing)
				goto missing;
			if (o.vo_direct == NULL)
				o.vo_direct = "--cpus";
			rc = parse_cpus(val, &o.vo_cpus, e);
			if (rc < 0)
				return rc;
		} else if (take_value(argc, argv, &i, "--memory", &val,
				      &missing)) {
			if (missing)
				goto missing;
			if (o.vo_direct == NULL)
				o.vo_direct = "--memory";
			rc = parse_mib(val, &o.vo_memory_mib, e);
			if (rc < 0)
				return rc;
		} else if (take_value(argc, argv, &i, "--console", &val,
				      &missing)) {
			if (missing)
				goto missing;
			if (val[0] == '\0')
				return err_set(e, -EINVAL,
					       "--console: expected stdio or "
					       "a file name");
			o.vo_console = val;
		} else if (arg[0] == '-') {
			return err_set(e, -EINVAL, "unknown option '%s'", arg);
		} else if (o.vo_config == NULL) {
			o.vo_config = arg;
		} else {
			return err_set(e, -EINVAL,
				       "unexpected argument '%s' (one VM.vmx "
				       "file at most)",
				       arg);
		}
	}
	if (o.vo_help || o.vo_version)
		goto done;
	if (o.vo_config != NULL && o.vo_direct != NULL)
		return err_set(e, -EINVAL,
			       "%s: the VM is described by %s; change it there",
			       o.vo_direct, o.vo_config);
	if (o.vo_check && o.vo_config == NULL)
		return err_set(e, -EINVAL, "--check needs a VM.vmx file");
	if (o.vo_config == NULL && o.vo_kernel == NULL)
		return err_set(e, -EINVAL,
			       "a VM.vmx file or --kernel FILE is required");
done:
	*opts = o;
	return 0;
missing:
	return err_set(e, -EINVAL, "%s: expected a value after it", argv[i]);
}
