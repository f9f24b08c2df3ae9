/*
 * gpt_fuzz.c: libFuzzer target for init's GPT parser: the input is the
 * start of a disk, read with 512- and 4096-byte sectors. A table taken
 * must keep every partition inside the usable area it declares and name
 * it within bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "init/gpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct gpt g;
	struct err e;

	for (unsigned sector = 512; sector <= 4096; sector *= 8) {
		if (gpt_parse(data, size, sector, &g, &e) != 1)
			continue;
		if (g.g_nparts > GPT_PARTS_MAX)
			abort();
		for (size_t i = 0; i < g.g_nparts; i++) {
			const struct gpt_part *p = &g.g_parts[i];
			if (p->gp_first_lba > p->gp_last_lba ||
			    strlen(p->gp_name) > GPT_NAME_MAX ||
			    p->gp_index == 0)
				abort();
		}
	}
	return 0;
}
