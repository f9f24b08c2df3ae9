/*
 * acpi_pm.c: PM1a event/control registers (ACPI 6.5, 4.8.3 "PM1 Event
 * Grouping" and "PM1 Control Grouping"). Writing SLP_EN with the S5 sleep
 * type powers the VM off; other sleep states are not offered by our DSDT,
 * so a request for one is logged and ignored.
 */
#include "vmx/devices/acpi_pm.h"

#include <errno.h>
#include <stdlib.h>

#include "common/log.h"

#define PM1_STS_WAK    (1u << 15)
#define PM1_CNT_SCI_EN (1u << 0)

struct acpi_pm {
	struct vm *ap_vm;
	uint16_t ap_sts, ap_en, ap_cnt;
};

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

int acpi_pm_create(struct vm *vm, struct err *e)
{
	struct acpi_pm *pm;
	int rc;

	pm = calloc(1, sizeof(*pm));
	if (pm == NULL)
		return err_set(e, -ENOMEM, "acpi_pm: out of memory");
	pm->ap_vm = vm;
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
	return rc;
}
