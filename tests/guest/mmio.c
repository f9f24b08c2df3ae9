/*
 * mmio.c: accesses outside RAM exit as MMIO and reach the device that
 * claimed the range, at 1, 4 and 8 bytes; unclaimed MMIO reads all ones.
 */
#include "guest/lib/guest_test.h"

/* Between the IOAPIC and the LAPIC: outside the PCI BAR window. */
#define TEST_MMIO      0xfed00000ULL
#define UNCLAIMED_MMIO 0xfed80000ULL

#ifdef BASALT_GUEST
void guest_code(void)
{
	mmio_write8(TEST_MMIO, 0xa5);
	GUEST_ASSERT_EQ(mmio_read8(TEST_MMIO), 0xa5);
	mmio_write32(TEST_MMIO + 4, 0x89abcdef);
	GUEST_ASSERT_EQ(mmio_read32(TEST_MMIO + 4), 0x89abcdef);
	mmio_write64(TEST_MMIO + 8, 0x0123456789abcdefULL);
	GUEST_ASSERT_EQ(mmio_read64(TEST_MMIO + 8), 0x0123456789abcdefULL);
	GUEST_ASSERT_EQ(mmio_read32(UNCLAIMED_MMIO), 0xffffffffu);
	GUEST_DONE();
}
#else
static struct harness h;
static uint8_t regs[16];
static unsigned writes;

static void test_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	(void)opaque;
	memcpy(data, regs + off, size);
}

static void test_write(void *opaque, uint64_t off, const void *data,
		       unsigned size)
{
	(void)opaque;
	memcpy(regs + off, data, size);
	writes++;
}

static const struct iobus_ops test_ops = {.read = test_read,
					  .write = test_write};

static void mmio_dispatch(void)
{
	struct err e = {0};
	uint64_t v64;

	if (harness_init(&h, GUEST_ELF, 0) < 0)
		return;
	if (iobus_register(&h.h_m->m_vm->vm_mmio, TEST_MMIO, sizeof(regs),
			   &test_ops, NULL, "test", &e) < 0) {
		harness_fini(&h);
		CHECK_STR(err_msg(&e), "");
	}
	harness_run(&h);
	harness_fini(&h);
	CHECK_EQ(writes, 3);
	memcpy(&v64, regs + 8, 8);
	CHECK_EQ(v64, 0x0123456789abcdefULL);
}

int main(void)
{
	harness_require_kvm();
	RUN(mmio_dispatch);
	return tap_done();
}
#endif
