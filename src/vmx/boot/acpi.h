/*
 * acpi.h: the ACPI tables vmx gives a guest (ACPI 6.5, chapter 5): RSDP,
 * XSDT, FADT with FACS, MADT and a DSDT. They describe what the machine
 * has: one local APIC per vCPU, the IOAPIC, the PM1a registers with the
 * fixed power button and the S5 sleep type, the SCI line, the reset
 * register, and the PCI root bridge with its windows.
 */
#ifndef BASALT_VMX_BOOT_ACPI_H
#define BASALT_VMX_BOOT_ACPI_H

#include <stdint.h>

#include "common/err.h"
#include "vmx/mem.h"

#define ACPI_SCI_IRQ 9 /* level, active high, as on a PIIX4 */

/*
 * Write the tables for ncpus vCPUs at LAYOUT_ACPI_GPA. On success
 * *rsdp_gpa is where the RSDP is (also found by the legacy BIOS-area scan).
 */
BASALT_MUST_CHECK int acpi_build(struct guest_mem *mem, unsigned ncpus,
				 uint64_t *rsdp_gpa, struct err *e);

#endif
