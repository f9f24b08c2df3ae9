/*
 * test_bzimage.c: the Linux boot protocol loader places kernel, initrd,
 * command line and zero page where the protocol says (from memory, or read
 * straight into guest memory), and refuses images it cannot boot with a
 * message naming the problem.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tap.h"
#include "vmx/boot/bzimage.h"
#include "vmx/boot/layout.h"

#define RAM_BYTES   (64u << 20)
#define SETUP_SECTS 4
#define KERNEL_OFF  ((SETUP_SECTS + 1) * 512)
#define KERNEL_LEN  8192

static uint8_t *ram;
static struct guest_mem mem;
static uint8_t img[KERNEL_OFF + KERNEL_LEN];
static struct err e;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* A minimal protocol 2.15 image: setup header, then kernel bytes 0xab. */
static void build(void)
{
	memset(img, 0, sizeof(img));
	img[0x1f1] = SETUP_SECTS;
	put16(img + 0x1fe, 0xaa55);
	img[0x200] = 0xeb;
	img[0x201] = 0x66; /* header ends at 0x268 */
	memcpy(img + 0x202, "HdrS", 4);
	put16(img + 0x206, 0x020f);
	img[0x211] = 0x01;		/* LOADED_HIGH */
	put32(img + 0x22c, 0x7fffffff); /* initrd_addr_max */
	put16(img + 0x236, 0x0003);	/* XLF_KERNEL_64, above 4G */
	put32(img + 0x238, 2047);	/* cmdline_size */
	put32(img + 0x258, 0x1000000);	/* pref_address 16 MiB */
	put32(img + 0x260, 0x800000);	/* init_size 8 MiB */
	memset(img + KERNEL_OFF, 0xab, KERNEL_LEN);
	memset(ram, 0xcc, RAM_BYTES);
	err_clear(&e);
}

static const struct e820_entry map[] = {
	{0, 0x9fc00, E820_RAM},
	{0x100000, RAM_BYTES - 0x100000, E820_RAM},
};

static int load(const void *initrd, size_t initrd_len, const char *cmdline,
		uint64_t *entry)
{
	struct bzimage_boot bb = {
		.bb_kernel = img,
		.bb_kernel_len = sizeof(img),
		.bb_initrd = initrd,
		.bb_initrd_len = initrd_len,
		.bb_cmdline = cmdline,
		.bb_e820 = map,
		.bb_ne820 = 2,
		.bb_rsdp_gpa = 0xe0000,
	};
	return bzimage_load(&mem, "t.bzImage", &bb, entry, &e);
}

static void loads_kernel_initrd_cmdline_and_zero_page(void)
{
	static uint8_t initrd[10000];
	const uint8_t *zp;
	uint64_t entry = 0;
	uint32_t rd;

	build();
	memset(initrd, 0x5a, sizeof(initrd));
	CHECK_EQ(load(initrd, sizeof(initrd), "console=ttyS0 quiet", &entry),
		 0);
	CHECK_EQ(entry, 0x100200);
	CHECK_EQ(ram[0x100000], 0xab);
	CHECK_EQ(ram[0x100000 + KERNEL_LEN - 1], 0xab);
	CHECK_STR((const char *)ram + LAYOUT_CMDLINE_GPA,
		  "console=ttyS0 quiet");
	zp = ram + LAYOUT_ZERO_PAGE_GPA;
	CHECK_EQ(get32(zp + 0x202), get32((const uint8_t *)"HdrS"));
	CHECK_EQ(zp[0x210], 0xff); /* type_of_loader */
	CHECK_EQ(get32(zp + 0x228), LAYOUT_CMDLINE_GPA);
	rd = get32(zp + 0x218);
	CHECK_EQ(get32(zp + 0x21c), sizeof(initrd));
	CHECK_EQ(rd % 4096, 0);
	/* As high as it goes, and entirely inside RAM. */
	CHECK(rd + sizeof(initrd) <= RAM_BYTES);
	CHECK(rd + sizeof(initrd) > RAM_BYTES - 4096);
	CHECK_EQ(ram[rd], 0x5a);
	CHECK_EQ(zp[0x1e8], 2); /* e820 entries */
	CHECK_EQ(get32(zp + 0x2d0 + 20 + 8), RAM_BYTES - 0x100000);
	CHECK_EQ(get32(zp + 0x2d0 + 20 + 16), E820_RAM);
	CHECK_EQ(get32(zp + 0x070), 0xe0000); /* acpi_rsdp_addr */
}

static void no_initrd_and_no_cmdline(void)
{
	uint64_t entry;

	build();
	CHECK_EQ(load(NULL, 0, NULL, &entry), 0);
	CHECK_EQ(ram[LAYOUT_CMDLINE_GPA], 0);
	CHECK_EQ(get32(ram + LAYOUT_ZERO_PAGE_GPA + 0x218), 0);
	CHECK_EQ(get32(ram + LAYOUT_ZERO_PAGE_GPA + 0x21c), 0);
}

static void refuses_what_it_cannot_boot(void)
{
	uint64_t entry;

	build();
	img[0x202] = 'X';
	CHECK(load(NULL, 0, NULL, &entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "not a Linux bzImage");

	build();
	put16(img + 0x206, 0x0208);
	CHECK(load(NULL, 0, NULL, &entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "boot protocol 2.08 is too old");

	build();
	put16(img + 0x236, 0);
	CHECK(load(NULL, 0, NULL, &entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "no 64-bit entry point");

	build();
	img[0x1f1] = 100; /* setup larger than the file */
	CHECK(load(NULL, 0, NULL, &entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "truncated");

	/* Nothing was written into guest memory by the refusals. */
	CHECK_EQ(ram[0x100000], 0xcc);
	CHECK_EQ(ram[LAYOUT_ZERO_PAGE_GPA], 0xcc);
}

static void refuses_when_memory_is_too_small(void)
{
	static uint8_t big[RAM_BYTES / 4 * 3];
	uint64_t entry;

	build();
	put32(img + 0x260, RAM_BYTES); /* init_size beyond RAM */
	CHECK(load(NULL, 0, NULL, &entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "needs 81 MiB of RAM, the VM has 64 MiB");

	build();
	CHECK(load(big, sizeof(big), NULL, &entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "does not fit above the kernel");
}

static void refuses_an_overlong_command_line(void)
{
	static char cmdline[3000];
	uint64_t entry;

	build();
	memset(cmdline, 'x', sizeof(cmdline) - 1);
	CHECK(load(NULL, 0, cmdline, &entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "command line is 2999 bytes, the kernel "
				    "takes at most 2047");
}

/* A file read piecewise: img, cut to file_len bytes (a shrunk file). */
static size_t file_len;
static unsigned reads;

static int read_img(void *opaque, uint64_t off, void *dst, size_t len)
{
	(void)opaque;
	reads++;
	if (off > file_len || len > file_len - off)
		return -ENODATA;
	memcpy(dst, img + off, len);
	return 0;
}

static int read_initrd(void *opaque, uint64_t off, void *dst, size_t len)
{
	(void)off;
	reads++;
	memset(dst, *(const uint8_t *)opaque, len);
	return 0;
}

static int load_from_head(size_t head_len, uint8_t initrd_byte)
{
	uint64_t entry;
	struct bzimage_boot bb = {
		.bb_kernel = img,
		.bb_kernel_len = head_len,
		.bb_kernel_file_len = sizeof(img),
		.bb_kernel_read = read_img,
		.bb_initrd_len = initrd_byte ? 5000 : 0,
		.bb_initrd_read = read_initrd,
		.bb_initrd_opaque = &initrd_byte,
		.bb_e820 = map,
		.bb_ne820 = 2,
	};

	reads = 0;
	return bzimage_load(&mem, "t.bzImage", &bb, &entry, &e);
}

static void reads_kernel_and_initrd_into_guest_memory(void)
{
	uint32_t rd;

	build();
	file_len = sizeof(img);
	img[KERNEL_OFF + KERNEL_LEN - 1] = 0xee;
	/* Only the setup header is in the buffer: the rest is read. */
	CHECK_EQ(load_from_head(0x268, 0x77), 0);
	CHECK_EQ(reads, 2);
	CHECK_EQ(ram[0x100000], 0xab);
	CHECK_EQ(ram[0x100000 + KERNEL_LEN - 1], 0xee);
	rd = get32(ram + LAYOUT_ZERO_PAGE_GPA + 0x218);
	CHECK_EQ(get32(ram + LAYOUT_ZERO_PAGE_GPA + 0x21c), 5000);
	CHECK_EQ(ram[rd], 0x77);
	CHECK_EQ(ram[rd + 4999], 0x77);

	/* A head too short for the setup header is refused, unread. */
	build();
	CHECK(load_from_head(0x200, 0) < 0);
	CHECK_CONTAINS(err_msg(&e), "not a Linux bzImage");
	CHECK_EQ(reads, 0);

	/* The file shrank after its size was taken. */
	build();
	file_len = sizeof(img) - 1;
	CHECK(load_from_head(0x268, 0) < 0);
	CHECK_CONTAINS(err_msg(&e), "cannot load the kernel: the file shrank");
}

int main(void)
{
	ram = malloc(RAM_BYTES);
	mem_init_fake(&mem, ram, RAM_BYTES);
	RUN(loads_kernel_initrd_cmdline_and_zero_page);
	RUN(no_initrd_and_no_cmdline);
	RUN(refuses_what_it_cannot_boot);
	RUN(refuses_when_memory_is_too_small);
	RUN(refuses_an_overlong_command_line);
	RUN(reads_kernel_and_initrd_into_guest_memory);
	free(ram);
	return tap_done();
}
