/*
 * syslogcfg_fuzz.c: libFuzzer target for the syslog settings hostd
 * takes through the API and syslogd reads: Syslog.global.logHost and
 * Syslog.global.logDir values. What parses is usable: targets with a
 * host and a port of 1-65535, a folder that is absolute and has no "..".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/syslogcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct syslog_target t[SYSLOGCFG_TARGETS_MAX];
	char value[1024], dir[1024];
	struct err e = {0};
	int n;

	if (size >= sizeof(value))
		return 0;
	memcpy(value, data, size);
	value[size] = '\0';
	n = syslogcfg_targets(value, t, SYSLOGCFG_TARGETS_MAX, &e);
	for (int i = 0; i < n; i++) {
		long port = strtol(t[i].st_port, NULL, 10);
		if (t[i].st_host[0] == '\0' || port < 1 || port > 65535)
			abort();
	}
	if (syslogcfg_logdir(value, dir, sizeof(dir), &e) < 0 || dir[0] == '\0')
		return 0;
	if (dir[0] != '/')
		abort();
	/* No component is "..". */
	for (char *c = dir; c != NULL; c = strchr(c + 1, '/'))
		if (strncmp(c, "/..", 3) == 0 && (c[3] == '/' || c[3] == '\0'))
			abort();
	return 0;
}
