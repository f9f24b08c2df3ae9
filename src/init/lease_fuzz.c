/*
 * lease_fuzz.c: libFuzzer target for the DHCP lease's checks: the input
 * is five NUL-separated values (ip, subnet, router, dns, domain; fewer
 * means the rest are absent). What is taken must be a prefix of 1..32
 * and a resolv.conf of only "search" and "nameserver" lines without
 * control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *v[5] = {NULL};
	struct lease l;
	struct err e;
	size_t at = 0;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (int i = 0; i < 5 && at <= size; i++) {
		v[i] = buf + at;
		at += strlen(buf + at) + 1;
	}
	if (lease_parse(v[0], v[1], v[2], v[3], v[4], &l, &e) == 0) {
		if (l.le_prefix < 1 || l.le_prefix > 32)
			abort();
		for (const char *p = l.le_resolv; *p != '\0';) {
			const char *nl = strchr(p, '\n');
			if (nl == NULL || (strncmp(p, "search ", 7) != 0 &&
					   strncmp(p, "nameserver ", 11) != 0))
				abort();
			for (const char *c = p; c < nl; c++)
				if ((unsigned char)*c < 0x20)
					abort();
			p = nl + 1;
		}
	}
	free(buf);
	return 0;
}
