/*
 * harness_selftest.c: a failing guest assertion is reported as a failure,
 * with the guest's file, line and values; a guest that stops without
 * GUEST_DONE is a failure too. Guards the harness against passing blindly.
 */
#include "guest/lib/guest_test.h"

#define MODE_PORT 0x512

#ifdef BASALT_GUEST
void guest_code(void)
{
	if (inb(MODE_PORT) == 1)
		GUEST_ASSERT_EQ(2 + 2, 5);
	/* mode 2: return without GUEST_DONE (start.S powers off) */
}
#else
static struct harness h;
static uint8_t mode;

static int run_mode(uint8_t m)
{
	int rc;

	mode = m;
	if (harness_init(&h, GUEST_ELF, 0) < 0)
		return 0;
	h.h_expect_failure = 1;
	if (harness_add_mode_port(&h, MODE_PORT, &mode) < 0) {
		harness_fini(&h);
		return 0;
	}
	rc = harness_run(&h);
	harness_fini(&h);
	return rc;
}

static void failed_assertion_is_reported(void)
{
	CHECK_EQ(run_mode(1), -1);
	CHECK_CONTAINS(h.h_failure, "2 + 2 == 5 failed (0x4 vs 0x5)");
	CHECK_CONTAINS(h.h_last.uc_file, "tests/guest/harness_selftest.c");
	CHECK(h.h_last.uc_line > 0);
}

static void missing_done_is_a_failure(void)
{
	CHECK_EQ(run_mode(2), -1);
	CHECK_CONTAINS(h.h_failure, "without GUEST_DONE: poweroff");
}

int main(void)
{
	harness_require_kvm();
	RUN(failed_assertion_is_reported);
	RUN(missing_done_is_a_failure);
	return tap_done();
}
#endif
