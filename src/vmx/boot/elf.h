/*
 * elf.h: load a freestanding x86_64 ELF executable into guest memory.
 *
 * The image comes from a file a user names, so it is untrusted input: every
 * field is checked before use and elf_fuzz.c feeds it broken images.
 */
#ifndef BASALT_VMX_BOOT_ELF_H
#define BASALT_VMX_BOOT_ELF_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "vmx/mem.h"

#define ELF_PHDRS_MAX	    64
#define ELF_IMAGE_MAX_BYTES (256U << 20)

/* 1 when img starts with the ELF magic (whatever else it holds). */
int elf_is_elf(const void *img, size_t len);

/*
 * Copy the PT_LOAD segments of img to their physical addresses, zero their
 * bss, and return the entry point. Segments must lie in RAM at or above
 * ELF_LOAD_MIN_GPA and must not overlap; the entry must be inside an
 * executable segment. Errors name the image (name) and what was wrong;
 * guest memory may be partly written on failure (the VM is not started).
 */
BASALT_MUST_CHECK int elf_load(struct guest_mem *mem, const char *name,
			       const void *img, size_t len, uint64_t *entryp,
			       struct err *e);

#endif
