/*
 * acpi_pm.h: the ACPI PM1a event and control register blocks, through
 * which a guest powers the machine off (SLP_TYP = S5 with SLP_EN), and
 * the fixed-feature power button, which raises the SCI. The FADT
 * (boot/acpi.c) points the guest at these ports.
 */
#ifndef BASALT_VMX_DEVICES_ACPI_PM_H
#define BASALT_VMX_DEVICES_ACPI_PM_H

#include "common/err.h"
#include "vmx/vm.h"

#define ACPI_PM1A_EVT_PORT 0x600 /* PM1_STS (2 bytes) + PM1_EN (2 bytes) */
#define ACPI_PM1A_CNT_PORT 0x604 /* PM1_CNT (2 bytes) */
#define ACPI_PM1_EVT_LEN   4
#define ACPI_PM1_CNT_LEN   2
/* The SLP_TYP value our DSDT's \_S5 package names for soft-off. */
#define ACPI_S5_SLP_TYP		   5
#define ACPI_PM1_CNT_SLP_EN	   (1u << 13)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10

#define ACPI_PM1_PWRBTN (1u << 8) /* PM1_STS and PM1_EN */

struct acpi_pm;

/*
 * Register the PM1a blocks on vm's port bus; the SCI goes to sci_irq.
 * *pmp (may be NULL) receives the device, owned by vm.
 */
BASALT_MUST_CHECK int acpi_pm_create(struct vm *vm, unsigned sci_irq,
				     struct acpi_pm **pmp, struct err *e);

/*
 * Press the power button: set PWRBTN_STS and raise the SCI if the guest
 * enabled it. Returns 1 if the guest has enabled the button event (so
 * someone listens), 0 if not. Call with the VM's device lock held.
 */
int acpi_pm_power_button(struct acpi_pm *pm);

/* 1 while the SCI line is asserted (for tests and status). */
int acpi_pm_sci_asserted(const struct acpi_pm *pm);

#endif
