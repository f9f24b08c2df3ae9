/*
 * bzimage.h: the Linux x86 boot protocol (Documentation/arch/x86/boot.rst
 * and zero-page.rst in the Linux tree): parse a bzImage's setup header,
 * place the protected-mode kernel, the initrd and the command line in
 * guest memory, and fill the zero page (struct boot_params) with the e820
 * map. vmx enters the kernel at its 64-bit entry point.
 */
#ifndef BASALT_VMX_BOOT_BZIMAGE_H
#define BASALT_VMX_BOOT_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "vmx/mem.h"

/* 64-bit entry needs xloadflags, which arrived with protocol 2.12. */
#define BZIMAGE_PROTOCOL_MIN 0x020c
/* The zero page holds at most this many e820 entries. */
#define BZIMAGE_E820_MAX 128

#define E820_RAM      1
#define E820_RESERVED 2
#define E820_ACPI     3

struct e820_entry {
	uint64_t ee_addr;
	uint64_t ee_size;
	uint32_t ee_type;
};

/* What the setup header says, checked against the file's size. */
struct bzimage_info {
	uint16_t bi_version;	/* boot protocol, e.g. 0x020f */
	uint64_t bi_kernel_off; /* protected-mode kernel in the file */
	uint64_t bi_kernel_len;
	uint64_t bi_pref_address;    /* where the kernel wants to run */
	uint32_t bi_init_size;	     /* bytes it needs from there */
	uint32_t bi_cmdline_max;     /* longest command line, without NUL */
	uint32_t bi_initrd_addr_max; /* highest byte an initrd may use */
	uint32_t bi_setup_hdr_end;   /* first byte after the setup header */
};

/* Read len bytes at offset off of a file into dst: 0 or -errno. */
typedef int (*bzimage_read_fn)(void *opaque, uint64_t off, void *dst,
			       size_t len);

/*
 * What to boot and the machine it boots on. The files are in memory, or
 * (for a monitor that would rather not copy megabytes twice) read
 * straight into guest memory through a read function.
 */
struct bzimage_boot {
	const void *bb_kernel; /* the bzImage file, or its start */
	size_t bb_kernel_len;  /* bytes at bb_kernel */
	/* The whole file's size when bb_kernel holds only its start (the
	 * setup header at least); bb_kernel_read then reads the rest. */
	uint64_t bb_kernel_file_len;
	bzimage_read_fn bb_kernel_read;
	void *bb_kernel_opaque;
	const void *bb_initrd; /* NULL: none, or read by bb_initrd_read */
	size_t bb_initrd_len;
	bzimage_read_fn bb_initrd_read;
	void *bb_initrd_opaque;
	const char *bb_cmdline; /* NULL: empty */
	const struct e820_entry *bb_e820;
	unsigned bb_ne820;
	uint64_t bb_rsdp_gpa; /* ACPI RSDP, 0: let the kernel scan */
};

/* 1 if img starts like a bzImage (boot flag and "HdrS"), else 0. */
int bzimage_is_bzimage(const void *img, size_t len);

/*
 * Parse and check the setup header: a kernel vmx cannot enter (too old, no
 * 64-bit entry, truncated) is refused with a message naming name.
 */
BASALT_MUST_CHECK int bzimage_parse(const char *name, const void *img,
				    size_t len, struct bzimage_info *bi,
				    struct err *e);

/*
 * Load bb into mem: the kernel at 1 MiB, the initrd as high as the kernel
 * allows, the command line and the zero page at their layout.h addresses.
 * On success *entryp is the 64-bit entry point; the boot vCPU must start
 * there with RSI pointing at LAYOUT_ZERO_PAGE_GPA.
 */
BASALT_MUST_CHECK int bzimage_load(struct guest_mem *mem, const char *name,
				   const struct bzimage_boot *bb,
				   uint64_t *entryp, struct err *e);

#endif
