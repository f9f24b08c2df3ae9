/*
 * bzimage.c: the Linux x86 boot protocol (see bzimage.h). Offsets are those
 * of struct boot_params and struct setup_header in zero-page.rst/boot.rst.
 */
#include "vmx/boot/bzimage.h"

#include <errno.h>
#include <string.h>

#include "common/file.h"
#include "common/le.h"
#include "vmx/boot/layout.h"

/* struct boot_params (the zero page) */
#define BP_SIZE		  4096
#define BP_ACPI_RSDP_ADDR 0x070 /* u64, protocol 2.14+ */
#define BP_E820_ENTRIES	  0x1e8 /* u8 */
#define BP_E820_TABLE	  0x2d0 /* 20-byte entries */
/* struct setup_header, inside the zero page and at the same offset in the
 * file */
#define SH_START	      0x1f1
#define SH_SETUP_SECTS	      0x1f1 /* u8, 0 means 4 */
#define SH_VID_MODE	      0x1fa /* u16 */
#define SH_BOOT_FLAG	      0x1fe /* u16, 0xaa55 */
#define SH_JUMP		      0x200 /* u16: 0xeb, offset to end of header */
#define SH_HEADER	      0x202 /* "HdrS" */
#define SH_VERSION	      0x206 /* u16 */
#define SH_TYPE_OF_LOADER     0x210 /* u8 */
#define SH_LOADFLAGS	      0x211 /* u8 */
#define SH_RAMDISK_IMAGE      0x218 /* u32 */
#define SH_RAMDISK_SIZE	      0x21c /* u32 */
#define SH_HEAP_END_PTR	      0x224 /* u16 */
#define SH_CMD_LINE_PTR	      0x228 /* u32 */
#define SH_INITRD_ADDR_MAX    0x22c /* u32 */
#define SH_XLOADFLAGS	      0x236 /* u16 */
#define SH_CMDLINE_SIZE	      0x238 /* u32, 2.06+ */
#define SH_PREF_ADDRESS	      0x258 /* u64, 2.10+ */
#define SH_INIT_SIZE	      0x260 /* u32, 2.10+ */
#define SH_LAST_KNOWN_END     0x268 /* end of the 2.15 header */
#define LOADFLAG_CAN_USE_HEAP 0x80
#define XLF_KERNEL_64	      0x0001
#define LOADER_UNDEFINED      0xff /* boot.rst: "0xFF no ID assigned" */
#define VID_MODE_NORMAL	      0xffff
#define BZIMAGE_ENTRY64_OFF   0x200 /* 64-bit entry: load address + 0x200 */
#define PAGE_BYTES	      4096ULL

int bzimage_is_bzimage(const void *img, size_t len)
{
	const uint8_t *p = img;

	return len >= SH_HEADER + 4 && le16_get(p + SH_BOOT_FLAG) == 0xaa55 &&
	       memcmp(p + SH_HEADER, "HdrS", 4) == 0;
}

/* img holds the first len bytes of a file of file_len bytes. */
static int bzimage_parse_start(const char *name, const void *img, size_t len,
			       uint64_t file_len, struct bzimage_info *bi,
			       struct err *e)
{
	const uint8_t *p = img;
	struct bzimage_info b = {0};
	unsigned setup_sects;

	if (!bzimage_is_bzimage(img, len) || len < SH_LAST_KNOWN_END ||
	    file_len < len)
		return err_set(e, -ENOEXEC,
			       "%s: not a Linux bzImage (no boot flag or "
			       "\"HdrS\" setup header)",
			       name);
	b.bi_version = le16_get(p + SH_VERSION);
	if (b.bi_version < BZIMAGE_PROTOCOL_MIN)
		return err_set(e, -ENOEXEC,
			       "%s: boot protocol %u.%02u is too old (vmx "
			       "needs 2.12 or later, Linux 3.8+)",
			       name, b.bi_version >> 8, b.bi_version & 0xff);
	if (!(le16_get(p + SH_XLOADFLAGS) & XLF_KERNEL_64))
		return err_set(e, -ENOEXEC,
			       "%s: kernel has no 64-bit entry point (not an "
			       "x86_64 kernel?)",
			       name);
	/* The header ends where the jump at 0x200 lands. */
	b.bi_setup_hdr_end = SH_JUMP + 2 + p[SH_JUMP + 1];
	if (b.bi_setup_hdr_end > BP_E820_TABLE ||
	    b.bi_setup_hdr_end < SH_HEADER + 4 || b.bi_setup_hdr_end > len)
		return err_set(e, -ENOEXEC,
			       "%s: setup header length %u out of range", name,
			       b.bi_setup_hdr_end);
	setup_sects = p[SH_SETUP_SECTS] != 0 ? p[SH_SETUP_SECTS] : 4;
	b.bi_kernel_off = (uint64_t)(setup_sects + 1) * 512;
	if (b.bi_kernel_off >= file_len)
		return err_set(e, -ENOEXEC,
			       "%s: truncated (setup is %llu bytes, file %llu)",
			       name, (unsigned long long)b.bi_kernel_off,
			       (unsigned long long)file_len);
	b.bi_kernel_len = file_len - b.bi_kernel_off;
	b.bi_pref_address = le64_get(p + SH_PREF_ADDRESS);
	b.bi_init_size = le32_get(p + SH_INIT_SIZE);
	b.bi_cmdline_max = le32_get(p + SH_CMDLINE_SIZE);
	b.bi_initrd_addr_max = le32_get(p + SH_INITRD_ADDR_MAX);
	if (b.bi_init_size < b.bi_kernel_len)
		return err_set(e, -ENOEXEC,
			       "%s: init_size %u is smaller than the kernel "
			       "(%llu bytes)",
			       name, b.bi_init_size,
			       (unsigned long long)b.bi_kernel_len);
	*bi = b;
	return 0;
}

int bzimage_parse(const char *name, const void *img, size_t len,
		  struct bzimage_info *bi, struct err *e)
{
	return bzimage_parse_start(name, img, len, len, bi, e);
}

/*
 * len bytes of a file from offset off into guest memory at gpa: from buf
 * (buf_len bytes of the file's start) if they are there, else through
 * read_fn.
 */
static int bzimage_place(struct guest_mem *mem, uint64_t gpa, const void *buf,
			 size_t buf_len, bzimage_read_fn read_fn, void *opaque,
			 uint64_t off, uint64_t len)
{
	void *dst = mem_ptr(mem, gpa, len);

	if (dst == NULL)
		return -ENOMEM;
	if (buf != NULL && off <= buf_len && len <= buf_len - off) {
		memcpy(dst, (const uint8_t *)buf + off, len);
		return 0;
	}
	if (read_fn == NULL || len > SIZE_MAX)
		return -EINVAL;
	return read_fn(opaque, off, dst, (size_t)len);
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

int bzimage_load(struct guest_mem *mem, const char *name,
		 const struct bzimage_boot *bb, uint64_t *entryp, struct err *e)
{
	const uint8_t *img = bb->bb_kernel;
	struct bzimage_info bi;
	uint64_t kernel_end, initrd_gpa = 0, initrd_top;
	size_t cmdline_len;
	uint8_t *zp;
	int rc;

	rc = bzimage_parse_start(name, bb->bb_kernel, bb->bb_kernel_len,
				 bb->bb_kernel_file_len ? bb->bb_kernel_file_len
							: bb->bb_kernel_len,
				 &bi, e);
	if (rc < 0)
		return rc;
	/*
	 * Loaded at 1 MiB, the kernel decompresses itself to pref_address
	 * (or higher) and then needs init_size bytes there.
	 */
	if (bi.bi_pref_address > MEM_LOW_MAX_BYTES)
		return err_set(e, -ENOEXEC,
			       "%s: kernel wants to run at 0x%llx, above any "
			       "RAM vmx offers",
			       name, (unsigned long long)bi.bi_pref_address);
	kernel_end = max_u64(LAYOUT_HIGH_GPA + bi.bi_kernel_len,
			     bi.bi_pref_address + bi.bi_init_size);
	if (kernel_end > mem->gm_size)
		return err_set(e, -ENOMEM,
			       "%s: the kernel needs %llu MiB of RAM, the VM "
			       "has %llu MiB",
			       name, (unsigned long long)(kernel_end >> 20) + 1,
			       (unsigned long long)(mem->gm_size >> 20));
	cmdline_len = bb->bb_cmdline != NULL ? strlen(bb->bb_cmdline) : 0;
	if (cmdline_len > bi.bi_cmdline_max ||
	    cmdline_len >= LAYOUT_CMDLINE_MAX_BYTES)
		return err_set(e, -E2BIG,
			       "command line is %zu bytes, the kernel takes "
			       "at most %u",
			       cmdline_len, bi.bi_cmdline_max);
	if (bb->bb_ne820 > BZIMAGE_E820_MAX)
		return err_set(e, -E2BIG, "%u e820 entries, at most %d",
			       bb->bb_ne820, BZIMAGE_E820_MAX);
	if ((bb->bb_initrd != NULL || bb->bb_initrd_read != NULL) &&
	    bb->bb_initrd_len > 0) {
		/* As high as possible: below the end of RAM and the limit
		 * the kernel states, page aligned, above the kernel. */
		initrd_top = mem->gm_size;
		if ((uint64_t)bi.bi_initrd_addr_max + 1 < initrd_top)
			initrd_top = (uint64_t)bi.bi_initrd_addr_max + 1;
		if (bb->bb_initrd_len > initrd_top ||
		    ((initrd_top - bb->bb_initrd_len) & ~(PAGE_BYTES - 1)) <
			    kernel_end)
			return err_set(
				e, -ENOMEM,
				"initrd of %zu bytes does not fit "
				"above the kernel (%llu MiB of RAM; "
				"add memory)",
				bb->bb_initrd_len,
				(unsigned long long)(mem->gm_size >> 20));
		initrd_gpa =
			(initrd_top - bb->bb_initrd_len) & ~(PAGE_BYTES - 1);
	}
	zp = mem_ptr(mem, LAYOUT_ZERO_PAGE_GPA, BP_SIZE);
	/* Everything is checked; from here on only writes that fit. */
	if (zp == NULL ||
	    mem_write(mem, LAYOUT_CMDLINE_GPA,
		      cmdline_len ? bb->bb_cmdline : "", cmdline_len) < 0 ||
	    mem_write(mem, LAYOUT_CMDLINE_GPA + cmdline_len, "", 1) < 0)
		return err_set(e, -ENOMEM, "%s: guest memory too small", name);
	rc = bzimage_place(mem, LAYOUT_HIGH_GPA, img, bb->bb_kernel_len,
			   bb->bb_kernel_read, bb->bb_kernel_opaque,
			   bi.bi_kernel_off, bi.bi_kernel_len);
	if (rc < 0)
		return err_set(e, rc, "%s: cannot load the kernel: %s", name,
			       file_strerror(rc));
	if (initrd_gpa != 0) {
		rc = bzimage_place(mem, initrd_gpa, bb->bb_initrd,
				   bb->bb_initrd_len, bb->bb_initrd_read,
				   bb->bb_initrd_opaque, 0, bb->bb_initrd_len);
		if (rc < 0)
			return err_set(e, rc, "cannot load the initrd: %s",
				       file_strerror(rc));
	}
	memset(zp, 0, BP_SIZE);
	/* The setup header is copied as the kernel wrote it, then the
	 * fields a boot loader owns are filled in. */
	memcpy(zp + SH_START, img + SH_START, bi.bi_setup_hdr_end - SH_START);
	le16_put(zp + SH_VID_MODE, VID_MODE_NORMAL);
	zp[SH_TYPE_OF_LOADER] = LOADER_UNDEFINED;
	zp[SH_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	le16_put(zp + SH_HEAP_END_PTR, 0xfe00);
	le32_put(zp + SH_CMD_LINE_PTR, (uint32_t)LAYOUT_CMDLINE_GPA);
	le32_put(zp + SH_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
	le32_put(zp + SH_RAMDISK_SIZE,
		 initrd_gpa != 0 ? (uint32_t)bb->bb_initrd_len : 0);
	if (bi.bi_version >= 0x020e && bb->bb_rsdp_gpa != 0)
		le64_put(zp + BP_ACPI_RSDP_ADDR, bb->bb_rsdp_gpa);
	zp[BP_E820_ENTRIES] = (uint8_t)bb->bb_ne820;
	for (unsigned i = 0; i < bb->bb_ne820; i++) {
		size_t off = BP_E820_TABLE + 20 * (size_t)i;
		le64_put(zp + off, bb->bb_e820[i].ee_addr);
		le64_put(zp + off + 8, bb->bb_e820[i].ee_size);
		le32_put(zp + off + 16, bb->bb_e820[i].ee_type);
	}
	*entryp = LAYOUT_HIGH_GPA + BZIMAGE_ENTRY64_OFF;
	return 0;
}
