/*
 * machine.h: the standard Basalt PC: a VM with its vCPUs, the console UART
 * on COM1, the ACPI PM registers and power button, the CMOS RTC, the i8042
 * reset line, ACPI tables and an e820 map, and a kernel loaded into it. main.c
 * and the VMM tests build VMs through this, so the tests run the same code the
 * product runs.
 */
#ifndef BASALT_VMX_MACHINE_H
#define BASALT_VMX_MACHINE_H

#include <stdint.h>

#include "common/err.h"
#include "vmx/boot/bzimage.h"
#include "vmx/devices/uart8250.h"
#include "vmx/vm.h"

#define MACHINE_KERNEL_MAX_BYTES (256U << 20)
#define MACHINE_INITRD_MAX_BYTES (1U << 30)
#define MACHINE_E820_MAX	 8

struct acpi_pm;
struct pci_bus;

#define MACHINE_DISKS_MAX 8

struct machine_disk {
	const char *md_path;
	int md_ro;
	const char *md_serial; /* NULL: from the file name */
};

#define MACHINE_NICS_MAX 4

struct machine_nic {
	const char *mn_tap;
	const char *mn_bridge; /* NULL: none */
	const char *mn_mac;    /* NULL: generated */
};

struct machine_config {
	uint64_t mc_mem_bytes; /* RAM size */
	int mc_cpus;	       /* vCPUs; 0 means 1 */
	int mc_console_fd;     /* where COM1 output goes; -1: discard */
	struct machine_disk mc_disks[MACHINE_DISKS_MAX]; /* /dev/vda, ... */
	int mc_ndisks;
	struct machine_nic mc_nics[MACHINE_NICS_MAX];
	int mc_nnics;
};

/* What to boot. */
struct machine_boot {
	const char *mb_kernel;	/* bzImage, or a freestanding ELF */
	const char *mb_initrd;	/* NULL: none (bzImage only) */
	const char *mb_cmdline; /* NULL: empty (bzImage only) */
};

/* Sees every byte the guest writes to the console (control.c). */
typedef void (*machine_console_hook_fn)(void *opaque, uint8_t byte);

struct machine {
	struct vm *m_vm;
	struct vcpu *m_boot_vcpu;
	int m_cpus;
	struct uart8250 *m_uart;
	struct acpi_pm *m_acpi_pm;
	struct pci_bus *m_pci;
	int m_console_fd;
	/*
	 * Console bytes not yet written (under the VM lock): written at
	 * each newline, when full, and by the VM's 20 ms tick; a write per
	 * byte cost a boot's console more than its exits did.
	 */
	uint8_t m_console_buf[4096];
	size_t m_console_len;
	int m_console_failed; /* a write failed; said once in the log */
	machine_console_hook_fn m_console_hook;
	void *m_console_hook_opaque;
};

/* Set (or clear with NULL) the console hook; call while no vCPU runs or
 * accept that bytes in flight may miss it. */
void machine_set_console_hook(struct machine *m, machine_console_hook_fn fn,
			      void *opaque);

BASALT_MUST_CHECK int machine_create(struct machine **mp,
				     const struct machine_config *cfg,
				     struct err *e);

/*
 * Load a kernel and point the boot vCPU at it: a Linux bzImage through the
 * boot protocol (boot/bzimage.c) with initrd and command line, or a
 * freestanding x86_64 ELF executable entered in 64-bit mode (boot/elf.c).
 */
BASALT_MUST_CHECK int machine_load_kernel(struct machine *m,
					  const struct machine_boot *b,
					  struct err *e);

/* Fill map with the machine's e820 memory map; returns the entry count. */
unsigned machine_e820(uint64_t mem_bytes, struct e820_entry *map);

/* Run all vCPUs until the VM stops; returns why. */
enum vm_stop_reason machine_run(struct machine *m);

void machine_destroy(struct machine *m);

#endif
