/*
 * netcfg_fuzz.c: libFuzzer target for network.conf. Whatever parses is
 * sound (netcfg_check) and formats to a file that parses again to the
 * same configuration.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/netcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct netcfg c, again;
	struct err e = {0};
	char buf[NETCFG_FILE_MAX_BYTES];
	int len;

	if (netcfg_parse("fuzz", (const char *)data, size, &c, &e) < 0)
		return 0;
	if (netcfg_check(&c, &e) < 0)
		abort();
	len = netcfg_format(&c, buf, sizeof(buf));
	if (len < 0 ||
	    netcfg_parse("again", buf, (size_t)len, &again, &e) < 0 ||
	    memcmp(&c, &again, sizeof(c)) != 0)
		abort();
	return 0;
}
