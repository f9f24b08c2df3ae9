/*
 * mem.c: guest physical memory (see mem.h).
 */
#include "vmx/mem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

/* A huge page of the host (x86-64): guest RAM starts on one. */
#define MEM_HUGE_BYTES (2ULL << 20)

int mem_init(struct guest_mem *mem, uint64_t size, struct err *e)
{
	uint8_t *p, *start;
	size_t head, tail;

	if (size < MEM_MIN_BYTES || size > MEM_LOW_MAX_BYTES ||
	    size % (2ULL << 20) != 0)
		return err_set(e, -EINVAL,
			       "memory size %llu MiB: expected a multiple of 2 "
			       "MiB from %llu to %llu MiB",
			       (unsigned long long)(size >> 20),
			       MEM_MIN_BYTES >> 20, MEM_LOW_MAX_BYTES >> 20);
	/*
	 * NORESERVE: a guest only costs the pages it touches, which keeps
	 * the per-VM overhead low (docs/performance.md).
	 */
	p = mmap(NULL, size + MEM_HUGE_BYTES, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return err_set(
			e, -errno, "cannot map %llu MiB of guest memory: %s",
			(unsigned long long)(size >> 20), strerror(errno));
	/*
	 * Aligned to a huge page, so that the host can back each 2 MiB of
	 * the guest with one transparent huge page and KVM can map it with
	 * one nested page-table entry: a page fault and a TLB entry where
	 * there would be 512. Kernels before 6.7 do not align large anonymous
	 * mappings themselves.
	 */
	start = (uint8_t *)(((uintptr_t)p + MEM_HUGE_BYTES - 1) &
			    ~(uintptr_t)(MEM_HUGE_BYTES - 1));
	head = (size_t)(start - p);
	tail = MEM_HUGE_BYTES - head;
	if (head != 0)
		munmap(p, head);
	if (tail != 0)
		munmap(start + size, tail);
	/* For hosts whose THP setting is "madvise"; a hint only. */
	(void)madvise(start, size, MADV_HUGEPAGE);
	/* Guest memory must not end up in a core dump of vmx. */
	(void)madvise(start, size, MADV_DONTDUMP);
	mem->gm_host = start;
	mem->gm_size = size;
	mem->gm_owned = 1;
	return 0;
}

void mem_init_fake(struct guest_mem *mem, void *buf, uint64_t size)
{
	mem->gm_host = buf;
	mem->gm_size = size;
	mem->gm_owned = 0;
}

void mem_fini(struct guest_mem *mem)
{
	if (mem->gm_owned && mem->gm_host != NULL)
		munmap(mem->gm_host, mem->gm_size);
	mem->gm_host = NULL;
	mem->gm_size = 0;
	mem->gm_owned = 0;
}

void *mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	/* Written so that no sum can overflow: gpa + len is never formed. */
	if (mem->gm_host == NULL || gpa > mem->gm_size ||
	    len > mem->gm_size - gpa)
		return NULL;
	return mem->gm_host + gpa;
}

int mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, size_t len)
{
	const void *p = mem_ptr(mem, gpa, len);

	if (p == NULL)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src,
	      size_t len)
{
	void *p = mem_ptr(mem, gpa, len);

	if (p == NULL)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}
