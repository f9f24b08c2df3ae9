/*
 * grubenv_fuzz.c: libFuzzer target for GRUB's environment block parser
 * (the boot partition's grubenv, read by init and basalt-update). What
 * parses must format back into a block that parses to the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/grubenv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct grubenv env, again;
	char block[GRUBENV_BYTES];
	struct err e;

	if (grubenv_parse(&env, (const char *)data, size, &e) < 0)
		return 0;
	/* Values read through escapes may hold what grubenv_set refuses;
	 * those are written back only by GRUB. */
	for (int i = 0; i < env.ge_n; i++)
		if (strpbrk(env.ge_value[i], "\n\\") != NULL)
			return 0;
	if (grubenv_format(&env, block) < 0)
		return 0;
	if (grubenv_parse(&again, block, sizeof(block), &e) < 0 ||
	    again.ge_n != env.ge_n)
		abort();
	for (int i = 0; i < env.ge_n; i++)
		if (strcmp(again.ge_name[i], env.ge_name[i]) != 0 ||
		    strcmp(again.ge_value[i], env.ge_value[i]) != 0)
			abort();
	return 0;
}
