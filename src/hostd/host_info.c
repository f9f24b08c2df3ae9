/*
 * host_info.c: facts about the machine from /proc and /sys.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "hostd/host_info.h"
#include "hostd/hostd.h"

static void dmi(const char *name, char *buf, size_t size, const char *dflt)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/class/dmi/id/%s", name);
	file_read_line(path, buf, size);
	if (buf[0] == '\0')
		snprintf(buf, size, "%s", dflt);
}

static void cpu_facts(struct host_info *hi)
{
	char line[512];
	int ids[256], nids = 0, cores = 0;
	FILE *f = fopen("/proc/cpuinfo", "re");

	hi->hi_threads = 0;
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *v = strchr(line, ':');
		if (v == NULL)
			continue;
		v++;
		while (*v == ' ')
			v++;
		v[strcspn(v, "\n")] = '\0';
		if (strncmp(line, "processor", 9) == 0) {
			hi->hi_threads++;
		} else if (strncmp(line, "model name", 10) == 0 &&
			   hi->hi_cpu_model[0] == '\0') {
			snprintf(hi->hi_cpu_model, sizeof(hi->hi_cpu_model),
				 "%s", v);
		} else if (strncmp(line, "vendor_id", 9) == 0 &&
			   hi->hi_cpu_vendor[0] == '\0') {
			snprintf(hi->hi_cpu_vendor, sizeof(hi->hi_cpu_vendor),
				 "%s", v);
		} else if (strncmp(line, "cpu MHz", 7) == 0 &&
			   hi->hi_cpu_hz == 0) {
			hi->hi_cpu_hz = (long long)(atof(v) * 1e6);
		} else if (strncmp(line, "physical id", 11) == 0) {
			int id = atoi(v), seen = 0;
			for (int i = 0; i < nids; i++)
				seen |= ids[i] == id;
			if (!seen && nids < 256)
				ids[nids++] = id;
		} else if (strncmp(line, "cpu cores", 9) == 0 && cores == 0) {
			cores = atoi(v);
		}
	}
	fclose(f);
	hi->hi_pkgs = nids > 0 ? nids : 1;
	hi->hi_cores = cores > 0 ? cores * hi->hi_pkgs : hi->hi_threads;
	if (hi->hi_cores > hi->hi_threads || hi->hi_cores == 0)
		hi->hi_cores = hi->hi_threads;
}

static long long meminfo_kb(const char *key)
{
	char line[256];
	long long v = 0;
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			v = atoll(line + n + 1);
			break;
		}
	fclose(f);
	return v;
}

static int count_nics(void)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char path[300];
		if (de->d_name[0] == '.')
			continue;
		/* Physical NICs have a device behind them. */
		snprintf(path, sizeof(path), "/sys/class/net/%s/device",
			 de->d_name);
		if (access(path, F_OK) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* CPU time used (all but idle and iowait) from /proc/stat, in ticks. */
static int cpu_busy(unsigned long long *busy, unsigned long long *total)
{
	unsigned long long v[8] = {0};
	FILE *f = fopen("/proc/stat", "re");
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
		   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return -1;
	*total = 0;
	for (int i = 0; i < 8; i++)
		*total += v[i];
	*busy = *total - v[3] - v[4];
	return 0;
}

void host_info_read(struct hostd *h, struct host_info *hi)
{
	static unsigned long long last_busy, last_total;
	static int last_usage;
	unsigned long long busy, total;
	char buf[64];
	int mm, dd, yy;

	memset(hi, 0, sizeof(*hi));
	dmi("sys_vendor", hi->hi_vendor, sizeof(hi->hi_vendor), "unknown");
	dmi("product_name", hi->hi_model, sizeof(hi->hi_model), "unknown");
	dmi("product_serial", hi->hi_serial, sizeof(hi->hi_serial), "");
	dmi("product_uuid", hi->hi_uuid, sizeof(hi->hi_uuid), "");
	if (hi->hi_uuid[0] == '\0') /* not readable, or no DMI */
		snprintf(hi->hi_uuid, sizeof(hi->hi_uuid), "%s",
			 h->hd_instance_uuid);
	dmi("bios_version", hi->hi_bios_version, sizeof(hi->hi_bios_version),
	    "");
	dmi("bios_vendor", hi->hi_bios_vendor, sizeof(hi->hi_bios_vendor), "");
	dmi("bios_date", buf, sizeof(buf), "");
	if (sscanf(buf, "%d/%d/%d", &mm, &dd, &yy) == 3)
		snprintf(hi->hi_bios_date, sizeof(hi->hi_bios_date),
			 "%04d-%02d-%02dT00:00:00Z", yy, mm, dd);
	cpu_facts(hi);
	if (hi->hi_cpu_model[0] == '\0')
		strcpy(hi->hi_cpu_model, "unknown");
	if (hi->hi_cpu_vendor[0] == '\0')
		strcpy(hi->hi_cpu_vendor, "unknown");
	hi->hi_mem_bytes = meminfo_kb("MemTotal") * 1024;
	hi->hi_mem_free_bytes = meminfo_kb("MemAvailable") * 1024;
	file_read_line("/proc/uptime", buf, sizeof(buf));
	hi->hi_uptime_s = atoll(buf);
	hi->hi_boot = time(NULL) - (time_t)hi->hi_uptime_s;
	hi->hi_nics = count_nics();
	/* Usage since the previous look (the first look: since boot). */
	if (cpu_busy(&busy, &total) == 0 && total > last_total) {
		double share = (double)(busy - last_busy) /
			       (double)(total - last_total);
		last_usage = (int)(share * (double)hi->hi_threads *
				   (double)hi->hi_cpu_hz / 1e6);
		last_busy = busy;
		last_total = total;
	}
	hi->hi_cpu_usage_mhz = last_usage;
}
