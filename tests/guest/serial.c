/*
 * serial.c: a guest's COM1 output reaches the console, byte for byte.
 */
#include "guest/lib/guest_test.h"

#define GREETING "hello from a tiny guest\r\nline two\n"

#ifdef BASALT_GUEST
void guest_code(void)
{
	serial_puts(GREETING);
	serial_put_dec(1234567890123ULL);
	serial_putc(' ');
	serial_put_hex(0xdeadbeefULL);
	GUEST_DONE();
}
#else
static struct harness h;

static void serial_output_reaches_console(void)
{
	if (harness_init(&h, GUEST_ELF, 0) < 0)
		return;
	if (harness_run(&h) == 0)
		CHECK_STR(harness_console(&h),
			  GREETING "1234567890123 0xdeadbeef");
	harness_fini(&h);
}

int main(void)
{
	harness_require_kvm();
	RUN(serial_output_reaches_console);
	return tap_done();
}
#endif
