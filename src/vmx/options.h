/*
 * options.h: vmx's command line, parsed into a struct so it can be tested
 * without starting a VM. The full syntax is in `vmx --help` and README.md.
 */
#ifndef BASALT_VMX_OPTIONS_H
#define BASALT_VMX_OPTIONS_H

#include <stdint.h>

#include "common/err.h"

#define VMX_DEFAULT_MEMORY_MIB 128
#define VMX_CPUS_MAX	       64 /* VM_VCPUS_MAX */
#define VMX_DISKS_MAX	       8
#define VMX_NICS_MAX	       4
#define VMX_ARG_MAX_BYTES      1024

/* --net TAP[,bridge=BR][,mac=MAC] */
struct vmx_net_opt {
	char vn_tap[16];    /* IFNAMSIZ */
	char vn_bridge[16]; /* "": none */
	char vn_mac[18];    /* "": generated */
};

/* --disk FILE[,ro][,serial=ID] */
struct vmx_disk_opt {
	char vd_path[VMX_ARG_MAX_BYTES];
	int vd_ro;
	char vd_serial[21]; /* "" : derived from the file name */
};

/* Exit statuses of vmx: they tell why the process ended. */
enum vmx_exit {
	VMX_EXIT_POWEROFF = 0, /* the guest powered off */
	VMX_EXIT_ERROR = 1, /* setup or monitor failure, one line on stderr */
	VMX_EXIT_USAGE = 2, /* bad command line */
	VMX_EXIT_RESET = 3, /* the guest reset the machine */
	VMX_EXIT_CRASH = 4, /* the guest could not continue (KVM error) */
};

struct vmx_options {
	const char *vo_config;	/* VM.vmx, the positional argument */
	int vo_check;		/* --check: print the config, run nothing */
	const char *vo_direct;	/* first VM-describing option given, or NULL */
	const char *vo_kernel;	/* --kernel FILE */
	const char *vo_initrd;	/* --initrd FILE, NULL: none */
	const char *vo_cmdline; /* --cmdline STR, NULL: none */
	uint64_t vo_memory_mib; /* --memory MiB */
	int vo_cpus;		/* --cpus N */
	struct vmx_disk_opt vo_disks[VMX_DISKS_MAX]; /* --disk, in order */
	int vo_ndisks;
	struct vmx_net_opt vo_nics[VMX_NICS_MAX]; /* --net, in order */
	int vo_nnics;
	const char *vo_console; /* --console stdio|FILE; NULL = stdio */
	const char *vo_control; /* --control SOCKET; NULL = none */
	const char *vo_name;	/* --name NAME; NULL = the kernel's name */
	const char *vo_user;	/* --user USER|UID[:GID]; NULL = nobody */
	int vo_verbose;		/* -v, repeatable */
	int vo_help;		/* --help */
	int vo_version;		/* --version */
};

/*
 * Parse argv. Returns 0 and fills opts, or -EINVAL with a message naming
 * the offending argument. Does not print or exit.
 */
BASALT_MUST_CHECK int vmx_options_parse(int argc, const char *const argv[],
					struct vmx_options *opts,
					struct err *e);

/* The --help text. */
extern const char vmx_usage[];

#endif
