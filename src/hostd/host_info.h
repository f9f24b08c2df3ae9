/*
 * host_info.h: the machine as hostd reports it (HostSystem.hardware,
 * summary): read from /proc and /sys each time it is asked for, with
 * "unknown" where the machine does not say (no DMI in some VMs).
 */
#ifndef BASALT_HOSTD_HOST_INFO_H
#define BASALT_HOSTD_HOST_INFO_H

#include <time.h>

struct hostd;

struct host_info {
	char hi_vendor[128], hi_model[128], hi_uuid[64], hi_serial[64];
	char hi_bios_version[64], hi_bios_vendor[64];
	char hi_bios_date[40]; /* dateTime, or "" */
	char hi_cpu_model[128], hi_cpu_vendor[32];
	long long hi_cpu_hz;
	int hi_pkgs, hi_cores, hi_threads;
	long long hi_mem_bytes, hi_mem_free_bytes;
	long long hi_uptime_s;
	time_t hi_boot;
	int hi_nics;	      /* network devices with hardware behind */
	int hi_cpu_usage_mhz; /* over the last second or so */
};

void host_info_read(struct hostd *h, struct host_info *hi);

#endif
