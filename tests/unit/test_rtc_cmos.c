/*
 * test_rtc_cmos.c: the CMOS clock reads the host's UTC in BCD or binary,
 * 24 or 12 hour, never shows an update in progress, and keeps a time the
 * guest sets as an offset; the CMOS RAM keeps what is written.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/tap.h"
#include "vmx/devices/rtc_cmos.h"

static time_t fake_now = 1795514134; /* 2026-11-24 09:55:34 UTC, Tue */

static time_t fake_clock(void)
{
	return fake_now;
}

static struct rtc_cmos *rtc;

static uint8_t rd(uint8_t idx)
{
	uint8_t v = 0;

	rtc_cmos_iobus_ops.write(rtc, 0, &idx, 1);
	rtc_cmos_iobus_ops.read(rtc, 1, &v, 1);
	return v;
}

static void wr(uint8_t idx, uint8_t v)
{
	rtc_cmos_iobus_ops.write(rtc, 0, &idx, 1);
	rtc_cmos_iobus_ops.write(rtc, 1, &v, 1);
}

static void setup(void)
{
	struct err e = {0};

	rtc_cmos_free(rtc);
	rtc = NULL;
	CHECK_EQ(rtc_cmos_alloc(&rtc, fake_clock, &e), 0);
}

static void reads_utc_in_bcd(void)
{
	setup();
	CHECK_EQ(rd(0x00), 0x34);
	CHECK_EQ(rd(0x02), 0x55);
	CHECK_EQ(rd(0x04), 0x09);
	CHECK_EQ(rd(0x06), 0x03); /* Tuesday: 1 = Sunday */
	CHECK_EQ(rd(0x07), 0x24);
	CHECK_EQ(rd(0x08), 0x11);
	CHECK_EQ(rd(0x09), 0x26);
	CHECK_EQ(rd(0x32), 0x20);
	CHECK_EQ(rd(0x0a) & 0x80, 0); /* never UIP */
	CHECK_EQ(rd(0x0d), 0x80);     /* battery good */
	/* The NMI-mask bit of the index port is not part of the index. */
	CHECK_EQ(rd(0x80 | 0x09), 0x26);
}

static void binary_and_twelve_hour_modes(void)
{
	setup();
	wr(0x0b, 0x04); /* binary, 12-hour */
	CHECK_EQ(rd(0x00), 34);
	CHECK_EQ(rd(0x04), 9); /* 9 AM */
	fake_now += 6 * 3600;  /* 15:55 */
	CHECK_EQ(rd(0x04), 0x80 | 3);
	fake_now -= 6 * 3600;
}

static void guest_sets_the_time(void)
{
	setup();
	wr(0x0b, 0x82); /* SET, 24h, BCD */
	wr(0x09, 0x30);
	wr(0x08, 0x01);
	wr(0x07, 0x02);
	wr(0x04, 0x03);
	wr(0x02, 0x04);
	wr(0x00, 0x05);
	wr(0x0b, 0x02); /* commit */
	CHECK_EQ(rd(0x09), 0x30);
	CHECK_EQ(rd(0x04), 0x03);
	fake_now += 61; /* the set clock runs on */
	CHECK_EQ(rd(0x00), 0x06);
	CHECK_EQ(rd(0x02), 0x05);
	fake_now -= 61;
	/* A nonsense date does not move the clock. */
	wr(0x08, 0x13);
	CHECK_EQ(rd(0x09), 0x30);
}

static void cmos_ram_keeps_bytes_and_c_clears(void)
{
	setup();
	wr(0x40, 0xa5);
	wr(0x7f, 0x5a);
	CHECK_EQ(rd(0x40), 0xa5);
	CHECK_EQ(rd(0x7f), 0x5a);
	wr(0x0d, 0x00); /* read-only */
	CHECK_EQ(rd(0x0d), 0x80);
	CHECK_EQ(rd(0x0c), 0x00);
}

static void wide_accesses_read_all_ones(void)
{
	uint16_t v = 0;

	setup();
	rtc_cmos_iobus_ops.read(rtc, 0, &v, 2);
	CHECK_EQ(v, 0xffff);
}

int main(void)
{
	RUN(reads_utc_in_bcd);
	RUN(binary_and_twelve_hour_modes);
	RUN(guest_sets_the_time);
	RUN(cmos_ram_keeps_bytes_and_c_clears);
	RUN(wide_accesses_read_all_ones);
	rtc_cmos_free(rtc);
	return tap_done();
}
