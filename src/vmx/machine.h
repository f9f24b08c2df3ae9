/*
 * machine.h: the standard Basalt PC: a VM with its vCPUs, the console UART
 * on COM1, the ACPI PM registers and the i8042 reset line, and a kernel
 * loaded into it. main.c and the VMM tests build VMs through this, so the
 * tests run the same code the product runs.
 */
#ifndef BASALT_VMX_MACHINE_H
#define BASALT_VMX_MACHINE_H

#include <stdint.h>

#include "common/err.h"
#include "vmx/devices/uart8250.h"
#include "vmx/vm.h"

#define MACHINE_KERNEL_MAX_BYTES (256U << 20)

struct machine_config {
	uint64_t mc_mem_bytes; /* RAM size */
	int mc_console_fd;     /* where COM1 output goes; -1: discard */
};

struct machine {
	struct vm *m_vm;
	struct vcpu *m_boot_vcpu;
	struct uart8250 *m_uart;
	int m_console_fd;
};

BASALT_MUST_CHECK int machine_create(struct machine **mp,
				     const struct machine_config *cfg,
				     struct err *e);

/*
 * Load a kernel file and point the boot vCPU at it. Today: a freestanding
 * x86_64 ELF executable, entered in 64-bit mode (boot/elf.c).
 */
BASALT_MUST_CHECK int machine_load_kernel(struct machine *m, const char *path,
					  struct err *e);

/* Run until the VM stops; returns why. */
enum vm_stop_reason machine_run(struct machine *m);

void machine_destroy(struct machine *m);

#endif
