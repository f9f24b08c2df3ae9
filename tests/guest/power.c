/*
 * power.c: the guest ends the VM through the platform's own paths: ACPI S5
 * power-off and the i8042 reset line, and vmx reports which one.
 */
#include "guest/lib/guest_test.h"

#define MODE_PORT     0x512
#define MODE_POWEROFF 1
#define MODE_RESET    2
#define MODE_RETURN   3

#ifdef BASALT_GUEST
void guest_code(void)
{
	switch (inb(MODE_PORT)) {
	case MODE_POWEROFF:
		guest_poweroff();
	case MODE_RESET:
		outb(0x64, 0xfe);
		for (;;)
			__asm__ volatile("pause");
	default:
		return; /* start.S powers off */
	}
}
#else
static struct harness h;
static uint8_t mode;

static enum vm_stop_reason run_mode(uint8_t m)
{
	enum vm_stop_reason r;

	mode = m;
	if (harness_init(&h, GUEST_ELF, 0) < 0)
		return VM_STOP_ERROR;
	if (harness_add_mode_port(&h, MODE_PORT, &mode) < 0) {
		harness_fini(&h);
		return VM_STOP_ERROR;
	}
	r = machine_run(h.h_m);
	harness_fini(&h);
	return r;
}

static void acpi_s5_powers_off(void)
{
	CHECK_STR(vm_stop_name(run_mode(MODE_POWEROFF)), "poweroff");
}

static void i8042_resets(void)
{
	CHECK_STR(vm_stop_name(run_mode(MODE_RESET)), "reset");
}

static void returning_guest_powers_off(void)
{
	CHECK_STR(vm_stop_name(run_mode(MODE_RETURN)), "poweroff");
}

int main(void)
{
	harness_require_kvm();
	RUN(acpi_s5_powers_off);
	RUN(i8042_resets);
	RUN(returning_guest_powers_off);
	return tap_done();
}
#endif
