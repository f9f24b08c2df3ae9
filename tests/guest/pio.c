/*
 * pio.c: port I/O exits reach the device that claimed the port, at every
 * width and with string I/O; unclaimed ports read as all ones.
 */
#include "guest/lib/guest_test.h"

#define TEST_PORT      0x510
#define UNCLAIMED_PORT 0x7770

#ifdef BASALT_GUEST
void guest_code(void)
{
	static const uint8_t burst[5] = {1, 2, 3, 4, 5};
	const uint8_t *p = burst;
	uint64_t n = sizeof(burst);

	outb(TEST_PORT, 0x5a);
	GUEST_ASSERT_EQ(inb(TEST_PORT), 0x5a);
	outw(TEST_PORT, 0x1234);
	GUEST_ASSERT_EQ(inw(TEST_PORT), 0x1234);
	outl(TEST_PORT, 0xcafef00d);
	GUEST_ASSERT_EQ(inl(TEST_PORT), 0xcafef00d);
	/* Offset within the range: the high half of the register. */
	GUEST_ASSERT_EQ(inw(TEST_PORT + 2), 0xcafe);
	GUEST_ASSERT_EQ(inb(UNCLAIMED_PORT), 0xff);
	GUEST_ASSERT_EQ(inw(UNCLAIMED_PORT), 0xffff);
	GUEST_ASSERT_EQ(inl(UNCLAIMED_PORT), 0xffffffff);
	/* rep outsb: one exit with count 5, each byte dispatched in order. */
	__asm__ volatile("rep outsb"
			 : "+S"(p), "+c"(n)
			 : "d"((uint16_t)(TEST_PORT + 3))
			 : "memory");
	GUEST_SYNC(1);
	GUEST_DONE();
}
#else
static struct harness h;
static uint8_t regs[4];
static uint8_t string_bytes[8];
static unsigned string_count;

static void test_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	(void)opaque;
	memcpy(data, regs + off, size);
}

static void test_write(void *opaque, uint64_t off, const void *data,
		       unsigned size)
{
	(void)opaque;
	if (off == 3 && size == 1 && string_count < sizeof(string_bytes))
		string_bytes[string_count++] = *(const uint8_t *)data;
	else
		memcpy(regs + off, data, size);
}

static const struct iobus_ops test_ops = {.read = test_read,
					  .write = test_write};

static int on_sync(struct harness *hh, uint64_t stage)
{
	(void)hh;
	return stage == 1 && string_count == 5 && string_bytes[0] == 1 &&
			       string_bytes[4] == 5
		       ? 0
		       : -1;
}

static void port_io_dispatch(void)
{
	struct err e = {0};

	if (harness_init(&h, GUEST_ELF, 0) < 0)
		return;
	h.h_on_sync = on_sync;
	if (iobus_register(&h.h_m->m_vm->vm_pio, TEST_PORT, 4, &test_ops, NULL,
			   "test", &e) < 0) {
		harness_fini(&h);
		CHECK_STR(err_msg(&e), "");
	}
	harness_run(&h);
	CHECK_EQ(h.h_syncs, 1);
	CHECK_EQ(string_count, 5);
	CHECK(h.h_m->m_vm->vm_pio.ib_unhandled >= 3);
	harness_fini(&h);
}

int main(void)
{
	harness_require_kvm();
	RUN(port_io_dispatch);
	return tap_done();
}
#endif
