/*
 * test_platform_devices.c: ACPI PM1 and i8042 registers, on a VM struct
 * without KVM (only the port bus and the stop reason are used).
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/tap.h"
#include "vmx/devices/acpi_pm.h"
#include "vmx/devices/i8042.h"

static struct vm *fake_vm(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	vm->vm_kvm_fd = vm->vm_fd = -1;
	iobus_init(&vm->vm_pio, "pio");
	iobus_init(&vm->vm_mmio, "mmio");
	return vm;
}

static void s5_powers_off(void)
{
	struct vm *vm = fake_vm();
	struct err e = {0};
	uint16_t v = (ACPI_S5_SLP_TYP << 10) | (1u << 13), back = 0;

	CHECK_EQ(acpi_pm_create(vm, 9, NULL, &e), 0);
	iobus_read(&vm->vm_pio, ACPI_PM1A_CNT_PORT, &back, 2);
	CHECK_EQ(back & 1, 1); /* SCI_EN */
	iobus_write(&vm->vm_pio, ACPI_PM1A_CNT_PORT, &v, 2);
	CHECK_STR(vm_stop_name(vm->vm_stop), "poweroff");
	iobus_read(&vm->vm_pio, ACPI_PM1A_CNT_PORT, &back, 2);
	CHECK_EQ(back & (1u << 13), 0); /* SLP_EN reads back clear */
	vm_destroy(vm);
}

static void other_sleep_types_are_ignored(void)
{
	struct vm *vm = fake_vm();
	struct err e = {0};
	uint16_t v = (3u << 10) | (1u << 13);
	uint8_t hi = (uint8_t)((ACPI_S5_SLP_TYP << 2) | 0x20);

	CHECK_EQ(acpi_pm_create(vm, 9, NULL, &e), 0);
	iobus_write(&vm->vm_pio, ACPI_PM1A_CNT_PORT, &v, 2);
	CHECK_EQ(vm->vm_stop, VM_RUNNING);
	/* Byte access to the high half works like a word write. */
	iobus_write(&vm->vm_pio, ACPI_PM1A_CNT_PORT + 1, &hi, 1);
	CHECK_STR(vm_stop_name(vm->vm_stop), "poweroff");
	vm_destroy(vm);
}

static void status_bits_clear_on_write(void)
{
	struct vm *vm = fake_vm();
	struct err e = {0};
	uint16_t v = (3u << 10) | (1u << 13), sts = 0, one = 0x8000;

	CHECK_EQ(acpi_pm_create(vm, 9, NULL, &e), 0);
	iobus_write(&vm->vm_pio, ACPI_PM1A_CNT_PORT, &v, 2); /* sets WAK */
	iobus_read(&vm->vm_pio, ACPI_PM1A_EVT_PORT, &sts, 2);
	CHECK_EQ(sts & 0x8000, 0x8000);
	iobus_write(&vm->vm_pio, ACPI_PM1A_EVT_PORT, &one, 2);
	iobus_read(&vm->vm_pio, ACPI_PM1A_EVT_PORT, &sts, 2);
	CHECK_EQ(sts, 0);
	vm_destroy(vm);
}

static void power_button_raises_sci_until_cleared(void)
{
	struct vm *vm = fake_vm();
	struct acpi_pm *pm = NULL;
	struct err e = {0};
	uint16_t en = ACPI_PM1_PWRBTN, sts = 0, clear = ACPI_PM1_PWRBTN;

	CHECK_EQ(acpi_pm_create(vm, 9, &pm, &e), 0);
	/* Not enabled yet: status latches, no interrupt, nobody listens. */
	CHECK_EQ(acpi_pm_power_button(pm), 0);
	CHECK_EQ(acpi_pm_sci_asserted(pm), 0);
	iobus_read(&vm->vm_pio, ACPI_PM1A_EVT_PORT, &sts, 2);
	CHECK_EQ(sts & ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
	/* Enabling with the status pending raises the SCI at once. */
	iobus_write(&vm->vm_pio, ACPI_PM1A_EVT_PORT + 2, &en, 2);
	CHECK_EQ(acpi_pm_sci_asserted(pm), 1);
	/* Write 1 to clear drops it; a second press raises it again. */
	iobus_write(&vm->vm_pio, ACPI_PM1A_EVT_PORT, &clear, 2);
	CHECK_EQ(acpi_pm_sci_asserted(pm), 0);
	CHECK_EQ(acpi_pm_power_button(pm), 1);
	CHECK_EQ(acpi_pm_sci_asserted(pm), 1);
	CHECK_EQ(vm->vm_stop, VM_RUNNING);
	vm_destroy(vm);
}

static void i8042_reset_command(void)
{
	struct vm *vm = fake_vm();
	struct err e = {0};
	uint8_t status = 0xaa, cmd = 0xfe, other = 0xad;

	CHECK_EQ(i8042_create(vm, &e), 0);
	iobus_read(&vm->vm_pio, I8042_COMMAND_PORT, &status, 1);
	CHECK_EQ(status & 0x03, 0); /* input and output buffers empty */
	iobus_write(&vm->vm_pio, I8042_COMMAND_PORT, &other, 1);
	CHECK_EQ(vm->vm_stop, VM_RUNNING);
	iobus_write(&vm->vm_pio, I8042_COMMAND_PORT, &cmd, 1);
	CHECK_STR(vm_stop_name(vm->vm_stop), "reset");
	vm_destroy(vm);
}

static void first_stop_reason_wins(void)
{
	struct vm *vm = fake_vm();

	vm_request_stop(vm, VM_STOP_RESET, "first");
	vm_request_stop(vm, VM_STOP_POWEROFF, "second");
	CHECK_STR(vm_stop_name(vm->vm_stop), "reset");
	CHECK_STR(vm->vm_stop_detail, "first");
	vm_destroy(vm);
}

int main(void)
{
	RUN(s5_powers_off);
	RUN(other_sleep_types_are_ignored);
	RUN(status_bits_clear_on_write);
	RUN(power_button_raises_sci_until_cleared);
	RUN(i8042_reset_command);
	RUN(first_stop_reason_wins);
	return tap_done();
}
