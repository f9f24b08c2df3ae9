/*
 * bzimage_fuzz.c: libFuzzer target for the Linux boot protocol loader
 * (bzimage.c). The input is a whole kernel file; the first 2 bytes of it
 * also choose the initrd and command-line lengths, so those paths are
 * reached too, and byte 2 whether the loader sees the whole file or only
 * its start, reading the rest (as vmx does) through a read function.
 * Guest RAM is a fake 32 MiB buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/boot/bzimage.h"
#include "vmx/boot/layout.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *file;
static size_t file_size;

static int read_file(void *opaque, uint64_t off, void *dst, size_t len)
{
	(void)opaque;
	if (off > file_size || len > file_size - off)
		abort(); /* the loader asked past what it was told */
	memcpy(dst, file + off, len);
	return 0;
}

#define FUZZ_RAM_BYTES (32u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static char cmdline[4096];
	struct e820_entry map[1] = {{0, FUZZ_RAM_BYTES, E820_RAM}};
	struct bzimage_boot bb = {0};
	struct guest_mem mem;
	struct err e;
	uint64_t entry;
	size_t cmd_len;

	if (ram == NULL)
		ram = malloc(FUZZ_RAM_BYTES);
	if (ram == NULL || size < 3)
		return 0;
	mem_init_fake(&mem, ram, FUZZ_RAM_BYTES);
	cmd_len = (size_t)data[0] * 16;
	memset(cmdline, 'c', cmd_len);
	cmdline[cmd_len] = '\0';
	bb.bb_kernel = data;
	bb.bb_kernel_len = size;
	if (data[2] & 1) {
		file = data;
		file_size = size;
		bb.bb_kernel_len = (size_t)data[2] * 8 % (size + 1);
		bb.bb_kernel_file_len = size;
		bb.bb_kernel_read = read_file;
	}
	bb.bb_initrd = data; /* any bytes will do */
	bb.bb_initrd_len = (size_t)data[1] * 4096 % (size + 1);
	bb.bb_cmdline = cmdline;
	bb.bb_e820 = map;
	bb.bb_ne820 = 1;
	/* Oracle: an accepted kernel enters at 1 MiB + 0x200 and its zero
	 * page points at the command line we gave. */
	if (bzimage_load(&mem, "fuzz", &bb, &entry, &e) == 0 &&
	    (entry != LAYOUT_HIGH_GPA + 0x200 ||
	     strcmp((const char *)ram + LAYOUT_CMDLINE_GPA, cmdline) != 0))
		abort();
	return 0;
}
