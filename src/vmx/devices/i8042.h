/*
 * i8042.h: the PC keyboard controller, for the one thing guests use it for
 * on a server: the reset line (command 0xFE pulses it).
 */
#ifndef BASALT_VMX_DEVICES_I8042_H
#define BASALT_VMX_DEVICES_I8042_H

#include "common/err.h"
#include "vmx/vm.h"

#define I8042_DATA_PORT	   0x60
#define I8042_COMMAND_PORT 0x64
#define I8042_CMD_RESET	   0xfe

BASALT_MUST_CHECK int i8042_create(struct vm *vm, struct err *e);

#endif
