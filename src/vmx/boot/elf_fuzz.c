/*
 * elf_fuzz.c: libFuzzer target for the ELF loader (elf.c). The input is a
 * whole image; guest RAM is a fake 4 MiB buffer. Any crash, sanitizer
 * report or out-of-RAM write is a bug.
 */
#include <stdint.h>
#include <stdlib.h>

#include "vmx/boot/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM_BYTES (4u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	struct guest_mem mem;
	struct err e;
	uint64_t entry;

	if (ram == NULL)
		ram = malloc(FUZZ_RAM_BYTES);
	if (ram == NULL)
		return 0;
	mem_init_fake(&mem, ram, FUZZ_RAM_BYTES);
	/* Oracle: an accepted image's entry point lies inside guest RAM. */
	if (elf_load(&mem, "fuzz", data, size, &entry, &e) == 0 &&
	    mem_ptr(&mem, entry, 1) == NULL)
		abort();
	return 0;
}
