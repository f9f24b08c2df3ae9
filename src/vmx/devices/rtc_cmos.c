/*
 * rtc_cmos.c: MC146818 RTC and CMOS RAM (see rtc_cmos.h). Register map
 * from the MC146818A data sheet: 0-9 time and alarm, A-D control, the rest
 * battery-backed RAM; 0x32 holds the century as the FADT says.
 *
 * The clock is the host's UTC plus an offset the guest sets by writing the
 * time registers. No update, alarm or periodic interrupts are raised:
 * guests read the clock at boot and keep time with their own timers.
 */
#include "vmx/devices/rtc_cmos.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REG_SEC	     0x00
#define REG_MIN	     0x02
#define REG_HOUR     0x04
#define REG_WDAY     0x06
#define REG_MDAY     0x07
#define REG_MON	     0x08
#define REG_YEAR     0x09
#define REG_A	     0x0a
#define REG_B	     0x0b
#define REG_C	     0x0c
#define REG_D	     0x0d
#define REG_CENTURY  0x32
#define REG_A_UIP    0x80 /* update in progress: never, we are atomic */
#define REG_B_SET    0x80 /* guest is setting the time */
#define REG_B_DM_BIN 0x04 /* binary, not BCD */
#define REG_B_24H    0x02
#define REG_D_VRT    0x80 /* battery good */
#define HOUR_PM	     0x80
#define INDEX_MASK   0x7f /* bit 7 of port 0x70 masks NMI */

struct rtc_cmos {
	uint8_t rc_index;
	uint8_t rc_ram[RTC_CMOS_RAM_BYTES];
	int64_t rc_offset_s; /* guest time minus host time */
	rtc_cmos_clock_fn rc_clock;
};

static time_t rtc_now(const struct rtc_cmos *r)
{
	return (r->rc_clock != NULL ? r->rc_clock() : time(NULL)) +
	       (time_t)r->rc_offset_s;
}

static uint8_t to_bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | (v % 10));
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static uint8_t rtc_encode(const struct rtc_cmos *r, unsigned v)
{
	return (r->rc_ram[REG_B] & REG_B_DM_BIN) ? (uint8_t)v : to_bcd(v);
}

static unsigned rtc_decode(const struct rtc_cmos *r, uint8_t v)
{
	return (r->rc_ram[REG_B] & REG_B_DM_BIN) ? v : from_bcd(v);
}

static uint8_t rtc_hour(const struct rtc_cmos *r, unsigned h)
{
	unsigned h12;

	if (r->rc_ram[REG_B] & REG_B_24H)
		return rtc_encode(r, h);
	h12 = h % 12 == 0 ? 12 : h % 12;
	return (uint8_t)(rtc_encode(r, h12) | (h >= 12 ? HOUR_PM : 0));
}

/* Fill the time registers from the clock, unless the guest is setting
 * them. */
static void rtc_latch(struct rtc_cmos *r)
{
	struct tm tm;
	time_t now;

	if (r->rc_ram[REG_B] & REG_B_SET)
		return;
	now = rtc_now(r);
	if (gmtime_r(&now, &tm) == NULL)
		return;
	r->rc_ram[REG_SEC] = rtc_encode(r, (unsigned)tm.tm_sec);
	r->rc_ram[REG_MIN] = rtc_encode(r, (unsigned)tm.tm_min);
	r->rc_ram[REG_HOUR] = rtc_hour(r, (unsigned)tm.tm_hour);
	r->rc_ram[REG_WDAY] = rtc_encode(r, (unsigned)tm.tm_wday + 1);
	r->rc_ram[REG_MDAY] = rtc_encode(r, (unsigned)tm.tm_mday);
	r->rc_ram[REG_MON] = rtc_encode(r, (unsigned)tm.tm_mon + 1);
	r->rc_ram[REG_YEAR] = rtc_encode(r, (unsigned)tm.tm_year % 100);
	r->rc_ram[REG_CENTURY] =
		rtc_encode(r, (unsigned)(tm.tm_year + 1900) / 100);
}

/* The guest wrote a new time: keep it as an offset from the host clock.
 * Nonsense values (month 13) are kept in RAM but do not move the clock. */
static void rtc_commit(struct rtc_cmos *r)
{
	struct tm tm = {0};
	unsigned hour_raw = r->rc_ram[REG_HOUR];
	time_t t;

	tm.tm_sec = (int)rtc_decode(r, r->rc_ram[REG_SEC]);
	tm.tm_min = (int)rtc_decode(r, r->rc_ram[REG_MIN]);
	if (r->rc_ram[REG_B] & REG_B_24H) {
		tm.tm_hour = (int)rtc_decode(r, (uint8_t)hour_raw);
	} else {
		tm.tm_hour =
			(int)rtc_decode(r, (uint8_t)(hour_raw & ~HOUR_PM)) % 12;
		if (hour_raw & HOUR_PM)
			tm.tm_hour += 12;
	}
	tm.tm_mday = (int)rtc_decode(r, r->rc_ram[REG_MDAY]);
	tm.tm_mon = (int)rtc_decode(r, r->rc_ram[REG_MON]) - 1;
	tm.tm_year = (int)(rtc_decode(r, r->rc_ram[REG_CENTURY]) * 100 +
			   rtc_decode(r, r->rc_ram[REG_YEAR])) -
		     1900;
	if (tm.tm_sec > 59 || tm.tm_min > 59 || tm.tm_hour > 23 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_mon < 0 ||
	    tm.tm_mon > 11)
		return;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return;
	r->rc_offset_s =
		(int64_t)t -
		(int64_t)(r->rc_clock != NULL ? r->rc_clock() : time(NULL));
}

/* The registers that hold the date and time (and run with the clock). */
static int rtc_is_time_reg(unsigned idx)
{
	return idx == REG_SEC || idx == REG_MIN || idx == REG_HOUR ||
	       idx == REG_WDAY || idx == REG_MDAY || idx == REG_MON ||
	       idx == REG_YEAR || idx == REG_CENTURY;
}

static uint8_t rtc_read_reg(struct rtc_cmos *r, unsigned idx)
{
	uint8_t v;

	if (rtc_is_time_reg(idx)) {
		rtc_latch(r);
		return r->rc_ram[idx];
	}
	switch (idx) {
	case REG_A:
		return r->rc_ram[REG_A] & (uint8_t)~REG_A_UIP;
	case REG_C:
		v = r->rc_ram[REG_C]; /* read clears the flags */
		r->rc_ram[REG_C] = 0;
		return v;
	case REG_D:
		return REG_D_VRT;
	default:
		return r->rc_ram[idx];
	}
}

static void rtc_write_reg(struct rtc_cmos *r, unsigned idx, uint8_t v)
{
	int was_set;

	if (rtc_is_time_reg(idx)) {
		rtc_latch(r); /* the other fields keep running */
		r->rc_ram[idx] = v;
		if (!(r->rc_ram[REG_B] & REG_B_SET))
			rtc_commit(r);
		return;
	}
	switch (idx) {
	case REG_A:
		r->rc_ram[REG_A] = v & (uint8_t)~REG_A_UIP;
		return;
	case REG_B:
		was_set = r->rc_ram[REG_B] & REG_B_SET;
		if (!was_set && (v & REG_B_SET))
			rtc_latch(r); /* freeze the current time to edit */
		r->rc_ram[REG_B] = v;
		if (was_set && !(v & REG_B_SET))
			rtc_commit(r);
		return;
	case REG_C:
	case REG_D:
		return; /* read-only */
	default:
		r->rc_ram[idx] = v;
		return;
	}
}

static void rtc_cmos_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct rtc_cmos *r = opaque;
	uint8_t *out = data;

	memset(data, 0xff, size);
	if (size != 1)
		return; /* the chip has byte ports only */
	out[0] = off == 0 ? 0xff : rtc_read_reg(r, r->rc_index);
}

static void rtc_cmos_write(void *opaque, uint64_t off, const void *data,
			   unsigned size)
{
	struct rtc_cmos *r = opaque;
	const uint8_t *in = data;

	if (size != 1)
		return;
	if (off == 0)
		r->rc_index = in[0] & INDEX_MASK;
	else
		rtc_write_reg(r, r->rc_index, in[0]);
}

const struct iobus_ops rtc_cmos_iobus_ops = {
	.read = rtc_cmos_read,
	.write = rtc_cmos_write,
};

int rtc_cmos_alloc(struct rtc_cmos **rp, rtc_cmos_clock_fn clock, struct err *e)
{
	struct rtc_cmos *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return err_set(e, -ENOMEM, "rtc: out of memory");
	r->rc_clock = clock;
	r->rc_ram[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	r->rc_ram[REG_B] = REG_B_24H;
	*rp = r;
	return 0;
}

void rtc_cmos_free(struct rtc_cmos *r)
{
	free(r);
}

static void rtc_cmos_free_any(void *p)
{
	rtc_cmos_free(p);
}

int rtc_cmos_create(struct vm *vm, rtc_cmos_clock_fn clock, struct err *e)
{
	struct rtc_cmos *r;
	int rc;

	rc = rtc_cmos_alloc(&r, clock, e);
	if (rc < 0)
		return rc;
	rc = vm_own(vm, r, rtc_cmos_free_any, e);
	if (rc < 0) {
		rtc_cmos_free(r);
		return rc;
	}
	return iobus_register(&vm->vm_pio, RTC_CMOS_PORT, RTC_CMOS_PORTS,
			      &rtc_cmos_iobus_ops, r, "rtc-cmos", e);
}
