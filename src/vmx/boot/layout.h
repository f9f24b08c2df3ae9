/*
 * layout.h: where the monitor puts its boot structures in guest physical
 * memory. Everything below 1 MiB belongs to the monitor (and is reserved
 * or described in the e820 map); a kernel image is loaded at or above it.
 */
#ifndef BASALT_VMX_BOOT_LAYOUT_H
#define BASALT_VMX_BOOT_LAYOUT_H

#define LAYOUT_GDT_GPA		 0x500ULL  /* 4 descriptors */
#define LAYOUT_ZERO_PAGE_GPA	 0x7000ULL /* Linux struct boot_params */
#define LAYOUT_PML4_GPA		 0x9000ULL /* page-map level 4 */
#define LAYOUT_PDPT_GPA		 0xa000ULL /* one PDPT: 4 GiB */
#define LAYOUT_PD_GPA		 0xb000ULL /* 4 page directories, 2 MiB pages */
#define LAYOUT_PD_COUNT		 4
#define LAYOUT_CMDLINE_GPA	 0x20000ULL /* kernel command line */
#define LAYOUT_CMDLINE_MAX_BYTES 0x10000ULL
#define LAYOUT_STACK_TOP_GPA	 0x80000ULL /* initial RSP, grows down */
/* Conventional memory ends here; the EBDA and ROM area are reserved. */
#define LAYOUT_EBDA_GPA	      0x9fc00ULL
#define LAYOUT_ACPI_GPA	      0xe0000ULL /* RSDP, then the tables */
#define LAYOUT_ACPI_MAX_BYTES 0x10000ULL
#define LAYOUT_HIGH_GPA	      0x100000ULL /* 1 MiB: kernels load here */
#define ELF_LOAD_MIN_GPA      LAYOUT_HIGH_GPA

/*
 * Where PCI BARs live: between the end of RAM (at most 3 GiB) and the
 * IOAPIC. The DSDT announces the same window to the guest.
 */
#define LAYOUT_PCI_MMIO_GPA	0xc0000000ULL
#define LAYOUT_PCI_MMIO_END_GPA 0xfec00000ULL /* exclusive */
#define LAYOUT_IOAPIC_GPA	0xfec00000ULL
#define LAYOUT_LAPIC_GPA	0xfee00000ULL

/*
 * GDT selectors the 64-bit entry state uses. The Linux boot protocol
 * (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol") asks for
 * __BOOT_CS = 0x10 and __BOOT_DS = 0x18.
 */
#define LAYOUT_SEL_CODE64 0x10
#define LAYOUT_SEL_DATA	  0x18

#endif
