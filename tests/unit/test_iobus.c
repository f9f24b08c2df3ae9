/*
 * test_iobus.c: range registration and dispatch.
 */
#include <stdint.h>

#include "lib/tap.h"
#include "vmx/iobus.h"

static uint64_t last_off;
static unsigned last_size, writes;

static void dev_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	(void)opaque;
	last_off = off;
	last_size = size;
	memset(data, 0x42, size);
}

static void dev_write(void *opaque, uint64_t off, const void *data,
		      unsigned size)
{
	(void)opaque;
	(void)data;
	last_off = off;
	last_size = size;
	writes++;
}

static const struct iobus_ops ops = {.read = dev_read, .write = dev_write};

static void overlaps_are_refused(void)
{
	struct iobus bus;
	struct err e = {0};

	iobus_init(&bus, "pio");
	CHECK_EQ(iobus_register(&bus, 0x100, 8, &ops, NULL, "a", &e), 0);
	CHECK(iobus_register(&bus, 0x107, 2, &ops, NULL, "b", &e) < 0);
	CHECK_CONTAINS(err_msg(&e), "overlaps a");
	CHECK(iobus_register(&bus, 0xf8, 9, &ops, NULL, "c", &e) < 0);
	CHECK_EQ(iobus_register(&bus, 0x108, 1, &ops, NULL, "d", &e), 0);
	CHECK_EQ(iobus_register(&bus, 0xf8, 8, &ops, NULL, "e", &e), 0);
	CHECK(iobus_register(&bus, 0x200, 0, &ops, NULL, "empty", &e) < 0);
	CHECK(iobus_register(&bus, UINT64_MAX, 2, &ops, NULL, "wrap", &e) < 0);
}

static void table_is_bounded(void)
{
	struct iobus bus;
	struct err e = {0};
	int i;

	iobus_init(&bus, "mmio");
	for (i = 0; i < IOBUS_RANGES_MAX; i++)
		CHECK_EQ(iobus_register(&bus, (uint64_t)i * 16, 16, &ops, NULL,
					"r", &e),
			 0);
	CHECK(iobus_register(&bus, 0x100000, 16, &ops, NULL, "one more", &e) <
	      0);
	CHECK_CONTAINS(err_msg(&e), "more than");
}

static void dispatch_by_offset(void)
{
	struct iobus bus;
	struct err e = {0};
	uint8_t buf[8];

	iobus_init(&bus, "pio");
	CHECK_EQ(iobus_register(&bus, 0x3f8, 8, &ops, NULL, "uart", &e), 0);
	CHECK_EQ(iobus_read(&bus, 0x3fd, buf, 1), 1);
	CHECK_EQ(last_off, 5);
	CHECK_EQ(buf[0], 0x42);
	CHECK_EQ(iobus_write(&bus, 0x3fc, buf, 4), 1);
	CHECK_EQ(last_off, 4);
	CHECK_EQ(last_size, 4);
	/* Both accesses are counted for the exit summary. */
	CHECK_EQ(bus.ib_ranges[0].ir_hits, 2);
}

static void unclaimed_and_straddling_read_ones(void)
{
	struct iobus bus;
	struct err e = {0};
	uint8_t buf[4] = {0, 0, 0, 0};
	unsigned before = writes;

	iobus_init(&bus, "pio");
	CHECK_EQ(iobus_register(&bus, 0x60, 1, &ops, NULL, "kbd", &e), 0);
	CHECK_EQ(iobus_read(&bus, 0x61, buf, 1), 0);
	CHECK_EQ(buf[0], 0xff);
	/* 2 bytes at 0x60 would run past the 1-byte range. */
	CHECK_EQ(iobus_read(&bus, 0x60, buf, 2), 0);
	CHECK_EQ(buf[1], 0xff);
	CHECK_EQ(iobus_write(&bus, 0x60, buf, 4), 0);
	CHECK_EQ(writes, before);
	CHECK_EQ(bus.ib_unhandled, 3);
	CHECK_EQ(bus.ib_ranges[0].ir_hits, 0); /* refused: not counted */
}

int main(void)
{
	RUN(overlaps_are_refused);
	RUN(table_is_bounded);
	RUN(dispatch_by_offset);
	RUN(unclaimed_and_straddling_read_ones);
	return tap_done();
}
