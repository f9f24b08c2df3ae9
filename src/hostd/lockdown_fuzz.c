/*
 * lockdown_fuzz.c: libFuzzer target for lockdown.conf. Whatever parses
 * must format to a file that parses again to the same mode and list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostd/lockdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lockdown l, again;
	struct err e = {0};
	char buf[LOCKDOWN_FILE_MAX_BYTES];
	int len;

	if (lockdown_parse("fuzz", (const char *)data, size, &l, &e) < 0)
		return 0;
	len = lockdown_format(&l, buf, sizeof(buf));
	if (len < 0)
		abort(); /* anything parsed fits */
	if (lockdown_parse("again", buf, (size_t)len, &again, &e) < 0 ||
	    again.ld_mode != l.ld_mode ||
	    again.ld_nexceptions != l.ld_nexceptions)
		abort();
	for (size_t i = 0; i < l.ld_nexceptions; i++)
		if (strcmp(again.ld_exceptions[i], l.ld_exceptions[i]) != 0)
			abort();
	return 0;
}
