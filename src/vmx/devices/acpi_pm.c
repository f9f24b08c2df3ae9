/*
 * acpi_pm.c: PM1a event/control registers (ACPI 6.5, 4.8.3 "PM1 Event
 * Grouping" and "PM1 Control Grouping"). Writing SLP_EN with the S5 sleep
 * type powers the VM off; other sleep states are not offered by our DSDT,
 * so a request for one is logged and ignored. The SCI is a level
 * interrupt: asserted while an enabled status bit is set, so it drops when
 * the guest clears the status (write 1 to clear) or the enable bit.
 */
#include "vmx/devices/acpi_pm.h"

#include <errno.h>
#include <stdlib.h>

#include "common/log.h"

#define PM1_STS_WAK    (1u << 15)
#define PM1_CNT_SCI_EN (1u << 0)

struct acpi_pm {
	struct vm *ap_vm;
	unsigned ap_sci_irq;
	int ap_sci_level;
	uint16_t ap_sts, ap_en, ap_cnt;
};

/* Fixed events the model can raise; other status bits never set. */
#define PM1_EVENTS ACPI_PM1_PWRBTN

static void acpi_pm_update_sci(struct acpi_pm *pm)
{
	int level = (pm->ap_sts & pm->ap_en & PM1_EVENTS) != 0;

	if (level == pm->ap_sci_level)
		return;
	pm->ap_sci_level = level;
	if (vm_irq_line(pm->ap_vm, pm->ap_sci_irq, level) < 0)
		log_warnx("acpi_pm: cannot drive SCI line %u", pm->ap_sci_irq);
}

int acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->ap_sts |= ACPI_PM1_PWRBTN;
	acpi_pm_update_sci(pm);
	return (pm->ap_en & ACPI_PM1_PWRBTN) != 0;
}

/* Registers are 16 bits wide; guests may access them a byte at a time. */
static uint8_t reg_byte(uint16_t v, unsigned idx)
{
	return (uint8_t)(v >> (8 * (idx & 1)));
}

static uint16_t reg_set_byte(uint16_t v, unsigned idx, uint8_t b)
{
	unsigned shift = 8 * (idx & 1);

	return (uint16_t)((v & ~(0xffu << shift)) | ((unsigned)b << shift));
}

int acpi_pm_sci_asserted(const struct acpi_pm *pm)
{
	return pm->ap_sci_level;
}

static void acpi_pm_evt_read(void *opaque, uint64_t off, void *data,
			     unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint8_t *out = data;

	for (unsigned i = 0; i < size; i++) {
		unsigned idx = (unsigned)off + i;
		out[i] = idx >= ACPI_PM1_EVT_LEN ? 0xff
			 : idx < 2		 ? reg_byte(pm->ap_sts, idx)
						 : reg_byte(pm->ap_en, idx);
	}
}

static void acpi_pm_evt_write(void *opaque, uint64_t off, const void *data,
			      unsigned size)
{
	struct acpi_pm *pm = opaque;
	const uint8_t *in = data;

	for (unsigned i = 0; i < size; i++) {
		unsigned idx = (unsigned)off + i;
		if (idx < 2) /* status bits are write-1-to-clear */
			pm->ap_sts &= (uint16_t) ~((unsigned)in[i]
						   << (8 * (idx & 1)));
		else if (idx < ACPI_PM1_EVT_LEN)
			pm->ap_en = reg_set_byte(pm->ap_en, idx, in[i]);
	}
	acpi_pm_update_sci(pm);
}

static void acpi_pm_cnt_read(void *opaque, uint64_t off, void *data,
			     unsigned size)
{
	struct acpi_pm *pm = opaque;
	uint8_t *out = data;

	for (unsigned i = 0; i < size; i++) {
		unsigned idx = (unsigned)off + i;
		out[i] = idx < ACPI_PM1_CNT_LEN ? reg_byte(pm->ap_cnt, idx)
						: 0xff;
	}
}

static void acpi_pm_cnt_write(void *opaque, uint64_t off, const void *data,
			      unsigned size)
{
	struct acpi_pm *pm = opaque;
	const uint8_t *in = data;
	uint16_t v = pm->ap_cnt;
	unsigned typ;

	for (unsigned i = 0; i < size; i++)
		if (off + i < ACPI_PM1_CNT_LEN)
			v = reg_set_byte(v, (unsigned)off + i, in[i]);
	/* SLP_EN is write-only: it never reads back as set. */
	pm->ap_cnt = (uint16_t)(v & ~ACPI_PM1_CNT_SLP_EN);
	if (!(v & ACPI_PM1_CNT_SLP_EN))
		return;
	typ = (v >> ACPI_PM1_CNT_SLP_TYP_SHIFT) & 7;
	if (typ == ACPI_S5_SLP_TYP) {
		vm_request_stop(pm->ap_vm, VM_STOP_POWEROFF, "ACPI S5");
		return;
	}
	log_info("guest asked for ACPI sleep type %u, which is not offered; "
		 "ignored",
		 typ);
	pm->ap_sts |= PM1_STS_WAK;
}

static const struct iobus_ops acpi_pm_evt_ops = {
	.read = acpi_pm_evt_read,
	.write = acpi_pm_evt_write,
};

static const struct iobus_ops acpi_pm_cnt_ops = {
	.read = acpi_pm_cnt_read,
	.write = acpi_pm_cnt_write,
};

int acpi_pm_create(struct vm *vm, unsigned sci_irq, struct acpi_pm **pmp,
		   struct err *e)
{
	struct acpi_pm *pm;
	int rc;

	pm = calloc(1, sizeof(*pm));
	if (pm == NULL)
		return err_set(e, -ENOMEM, "acpi_pm: out of memory");
	pm->ap_vm = vm;
	pm->ap_sci_irq = sci_irq;
	/* SCI_EN reads as set: the platform is always in ACPI mode. */
	pm->ap_cnt = PM1_CNT_SCI_EN;
	rc = vm_own(vm, pm, free, e);
	if (rc < 0) {
		free(pm);
		return rc;
	}
	rc = iobus_register(&vm->vm_pio, ACPI_PM1A_EVT_PORT, ACPI_PM1_EVT_LEN,
			    &acpi_pm_evt_ops, pm, "acpi-pm1a-evt", e);
	if (rc == 0)
		rc = iobus_register(&vm->vm_pio, ACPI_PM1A_CNT_PORT,
				    ACPI_PM1_CNT_LEN, &acpi_pm_cnt_ops, pm,
				    "acpi-pm1a-cnt", e);
	if (rc == 0 && pmp != NULL)
		*pmp = pm;
	return rc;
}
