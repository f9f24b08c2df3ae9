/*
 * mem.h: guest physical memory and the one checked accessor.
 *
 * Every guest address the monitor follows goes through mem_ptr(), which
 * checks the whole (gpa, len) range, overflow included, as OpenBSD vmd's
 * hvaddr_mem() does. A NULL result is the guest's fault: the caller reports
 * it (device NEEDS_RESET, a fault) and never dereferences anything.
 */
#ifndef BASALT_VMX_MEM_H
#define BASALT_VMX_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/err.h"

/* Largest RAM we place below the 32-bit MMIO hole (3 GiB). */
#define MEM_LOW_MAX_BYTES (3ULL << 30)
#define MEM_MIN_BYTES	  (2ULL << 20)

struct guest_mem {
	uint8_t *gm_host; /* host mapping of guest physical 0 */
	uint64_t gm_size; /* bytes of RAM from guest physical 0 */
	int gm_owned;	  /* 1: gm_host was mmap'd by mem_init */
};

/*
 * Map size bytes of anonymous, zeroed memory for a guest. size must be a
 * multiple of 2 MiB between MEM_MIN_BYTES and MEM_LOW_MAX_BYTES.
 */
BASALT_MUST_CHECK int mem_init(struct guest_mem *mem, uint64_t size,
			       struct err *e);

/*
 * Wrap caller-owned memory (unit tests and fuzz targets use this to give
 * code under test a fake guest without KVM).
 */
void mem_init_fake(struct guest_mem *mem, void *buf, uint64_t size);

/* Unmap memory from mem_init; no-op for fake or zeroed structs. */
void mem_fini(struct guest_mem *mem);

/*
 * Host pointer to guest bytes [gpa, gpa + len), or NULL when any byte of
 * that range is outside guest RAM. len 0 is valid inside RAM.
 */
void *mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy to or from guest memory; -EFAULT when the range is not all RAM. */
BASALT_MUST_CHECK int mem_read(const struct guest_mem *mem, uint64_t gpa,
			       void *dst, size_t len);
BASALT_MUST_CHECK int mem_write(const struct guest_mem *mem, uint64_t gpa,
				const void *src, size_t len);

#endif
