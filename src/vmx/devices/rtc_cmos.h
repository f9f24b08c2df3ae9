/*
 * rtc_cmos.h: the PC's MC146818-compatible real-time clock and CMOS RAM at
 * ports 0x70 (index) and 0x71 (data). Guests read the wall clock from it
 * at boot; without it Linux waits seconds for an update cycle that never
 * ends (docs/testbed.md, quirks).
 */
#ifndef BASALT_VMX_DEVICES_RTC_CMOS_H
#define BASALT_VMX_DEVICES_RTC_CMOS_H

#include <stdint.h>
#include <time.h>

#include "common/err.h"
#include "vmx/vm.h"

#define RTC_CMOS_PORT	   0x70
#define RTC_CMOS_PORTS	   2
#define RTC_CMOS_RAM_BYTES 128

struct rtc_cmos;

/* The clock source, replaceable by tests; NULL means time(NULL). */
typedef time_t (*rtc_cmos_clock_fn)(void);

/* Create the clock at UTC (host time), owned by vm, on ports 0x70-0x71. */
BASALT_MUST_CHECK int rtc_cmos_create(struct vm *vm, rtc_cmos_clock_fn clock,
				      struct err *e);

/* Ops and state for tests that drive the device without a VM. */
extern const struct iobus_ops rtc_cmos_iobus_ops;
BASALT_MUST_CHECK int rtc_cmos_alloc(struct rtc_cmos **rp,
				     rtc_cmos_clock_fn clock, struct err *e);
void rtc_cmos_free(struct rtc_cmos *r);

#endif
