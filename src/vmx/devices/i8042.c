/*
 * i8042.c: a keyboard controller with no keyboard or mouse attached.
 * Status reads say "output buffer empty, input buffer empty", so drivers
 * find nothing and move on; command 0xFE (pulse reset) resets the VM,
 * which is how Linux's default "reboot=kbd" reboots.
 */
#include "vmx/devices/i8042.h"

#include <string.h>

static void i8042_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	(void)opaque;
	(void)off;
	memset(data, 0, size); /* status: no data, ready for a command */
}

static void i8042_write(void *opaque, uint64_t off, const void *data,
			unsigned size)
{
	const uint8_t *in = data;

	if (off == 0 && size >= 1 && in[0] == I8042_CMD_RESET)
		vm_request_stop(opaque, VM_STOP_RESET, "i8042 reset");
}

static const struct iobus_ops i8042_data_ops = {
	.read = i8042_read,
	.write = NULL,
};

static const struct iobus_ops i8042_cmd_ops = {
	.read = i8042_read,
	.write = i8042_write,
};

int i8042_create(struct vm *vm, struct err *e)
{
	int rc;

	rc = iobus_register(&vm->vm_pio, I8042_DATA_PORT, 1, &i8042_data_ops,
			    vm, "i8042-data", e);
	if (rc == 0)
		rc = iobus_register(&vm->vm_pio, I8042_COMMAND_PORT, 1,
				    &i8042_cmd_ops, vm, "i8042-command", e);
	return rc;
}
