/*
 * test_mem.c: the checked guest-memory accessor refuses every range that
 * is not wholly inside RAM, overflow included.
 */
#include <stdint.h>

#include "lib/tap.h"
#include "vmx/mem.h"

static uint8_t ram[4096];
static struct guest_mem mem;

static void inside_ranges_are_returned(void)
{
	CHECK(mem_ptr(&mem, 0, 4096) == ram);
	CHECK(mem_ptr(&mem, 4095, 1) == ram + 4095);
	CHECK(mem_ptr(&mem, 4096, 0) == ram + 4096);
}

static void outside_ranges_are_refused(void)
{
	CHECK(mem_ptr(&mem, 4095, 2) == NULL);
	CHECK(mem_ptr(&mem, 4096, 1) == NULL);
	CHECK(mem_ptr(&mem, 4097, 0) == NULL);
	CHECK(mem_ptr(&mem, 0, 4097) == NULL);
}

static void wrapping_ranges_are_refused(void)
{
	CHECK(mem_ptr(&mem, UINT64_MAX, 2) == NULL);
	CHECK(mem_ptr(&mem, 16, UINT64_MAX) == NULL);
	CHECK(mem_ptr(&mem, UINT64_MAX - 15, 16) == NULL);
}

static void read_write_copy_and_fault(void)
{
	uint32_t v = 0x11223344, back = 0;

	CHECK_EQ(mem_write(&mem, 100, &v, sizeof(v)), 0);
	CHECK_EQ(mem_read(&mem, 100, &back, sizeof(back)), 0);
	CHECK_EQ(back, 0x11223344);
	CHECK_EQ(mem_write(&mem, 4094, &v, sizeof(v)), -14 /* EFAULT */);
	CHECK_EQ(mem_read(&mem, 4094, &back, sizeof(back)), -14);
}

static void init_refuses_bad_sizes(void)
{
	struct guest_mem m = {0};
	struct err e = {0};

	CHECK(mem_init(&m, 1 << 20, &e) < 0);
	CHECK_CONTAINS(err_msg(&e), "expected a multiple of 2 MiB");
	CHECK(mem_init(&m, (3ULL << 20), &e) < 0);
	CHECK(mem_init(&m, 4ULL << 30, &e) < 0);
	CHECK_EQ(mem_init(&m, 4ULL << 20, &e), 0);
	CHECK(mem_ptr(&m, (4ULL << 20) - 8, 8) != NULL);
	mem_fini(&m);
	CHECK(mem_ptr(&m, 0, 1) == NULL);
}

int main(void)
{
	mem_init_fake(&mem, ram, sizeof(ram));
	RUN(inside_ranges_are_returned);
	RUN(outside_ranges_are_refused);
	RUN(wrapping_ranges_are_refused);
	RUN(read_write_copy_and_fault);
	RUN(init_refuses_bad_sizes);
	return tap_done();
}
