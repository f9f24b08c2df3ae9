/*
 * layout.h: where the monitor puts its boot structures in guest physical
 * memory. Everything below ELF_LOAD_MIN_GPA belongs to the monitor; a guest
 * image is loaded at or above it.
 */
#ifndef BASALT_VMX_BOOT_LAYOUT_H
#define BASALT_VMX_BOOT_LAYOUT_H

#define LAYOUT_GDT_GPA	     0x500ULL  /* 4 descriptors */
#define LAYOUT_PML4_GPA	     0x9000ULL /* page-map level 4 */
#define LAYOUT_PDPT_GPA	     0xa000ULL /* one PDPT: 4 GiB */
#define LAYOUT_PD_GPA	     0xb000ULL /* 4 page directories, 2 MiB pages */
#define LAYOUT_PD_COUNT	     4
#define LAYOUT_STACK_TOP_GPA 0x80000ULL	 /* initial RSP, grows down */
#define ELF_LOAD_MIN_GPA     0x100000ULL /* 1 MiB */

/* GDT selectors the 64-bit entry state uses. */
#define LAYOUT_SEL_CODE64 0x08
#define LAYOUT_SEL_DATA	  0x10

#endif
