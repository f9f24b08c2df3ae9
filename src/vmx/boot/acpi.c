/*
 * acpi.c: build the ACPI tables (see acpi.h). Field offsets are from
 * ACPI 6.5: 5.2.5.3 RSDP, 5.2.6 table header, 5.2.8 XSDT, 5.2.9 FADT,
 * 5.2.10 FACS, 5.2.12 MADT.
 */
#include "vmx/boot/acpi.h"

#include <errno.h>
#include <string.h>

#include "vmx/boot/aml.h"
#include "vmx/boot/layout.h"
#include "vmx/devices/acpi_pm.h"
#include "vmx/devices/i8042.h"

#define ACPI_OEM_ID	  "BASALT"
#define ACPI_OEM_TABLE_ID "BASALTVM"
#define ACPI_CREATOR_ID	  "BSLT"
#define ACPI_HDR_BYTES	  36
#define RSDP_BYTES	  36
#define FADT_BYTES	  276 /* revision 6 */
#define FACS_BYTES	  64
#define FADT_REVISION	  6
#define FADT_MINOR	  5

/* FADT flags (5.2.9, table 5.10) */
#define FADT_WBINVD	   (1u << 0)
#define FADT_PROC_C1	   (1u << 2)
#define FADT_SLP_BUTTON	   (1u << 5) /* 1: no fixed sleep button */
#define FADT_RESET_REG_SUP (1u << 10)
/* IA-PC boot architecture flags (5.2.9.3): no VGA; no 8042 advertised, so
 * guests do not probe for a keyboard (the reset line still works). */
#define FADT_IAPC_VGA_NOT_PRESENT (1u << 2)

/* MADT (5.2.12) */
#define MADT_PCAT_COMPAT      1u
#define MADT_TYPE_LAPIC	      0
#define MADT_TYPE_IOAPIC      1
#define MADT_TYPE_OVERRIDE    2
#define MADT_TYPE_LAPIC_NMI   4
#define MADT_LAPIC_ENABLED    1u
#define MADT_FLAGS_LEVEL_HIGH 0x000d /* active high, level triggered */

#define GAS_SYSTEM_IO	   1
#define CMOS_CENTURY_INDEX 0x32

struct acpi_out {
	uint8_t *ao_buf; /* LAYOUT_ACPI_MAX_BYTES, at LAYOUT_ACPI_GPA */
	size_t ao_len;
};

static void le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0 - sum);
}

/* Reserve n bytes aligned to align; returns the offset or -1 when full. */
static long acpi_alloc(struct acpi_out *o, size_t n, size_t align)
{
	size_t off = (o->ao_len + align - 1) & ~(align - 1);

	if (off > LAYOUT_ACPI_MAX_BYTES || n > LAYOUT_ACPI_MAX_BYTES - off)
		return -1;
	o->ao_len = off + n;
	return (long)off;
}

static void acpi_header(uint8_t *t, const char *sig, size_t len, uint8_t rev)
{
	memcpy(t, sig, 4);
	le(t + 4, len, 4);
	t[8] = rev;
	memcpy(t + 10, ACPI_OEM_ID, 6);
	memcpy(t + 16, ACPI_OEM_TABLE_ID, 8);
	le(t + 24, 1, 4);
	memcpy(t + 28, ACPI_CREATOR_ID, 4);
	le(t + 32, 1, 4);
}

static void acpi_seal(uint8_t *t, size_t len)
{
	t[9] = 0;
	t[9] = checksum(t, len);
}

static void gas_io(uint8_t *g, uint16_t port, unsigned bits, unsigned access)
{
	g[0] = GAS_SYSTEM_IO;
	g[1] = (uint8_t)bits;
	g[2] = 0;
	g[3] = (uint8_t)access; /* 1 byte, 2 word, 3 dword */
	le(g + 4, port, 8);
}

/* The DSDT body: \_S5 and the PCI root bridge. */
static void acpi_dsdt_body(struct aml *body)
{
	struct aml s5, pkg, dev, crs, tmpl, sb;

	/* \_S5: the SLP_TYP values for PM1a and PM1b, then two reserved. */
	aml_init(&pkg);
	aml_int(&pkg, ACPI_S5_SLP_TYP);
	aml_int(&pkg, ACPI_S5_SLP_TYP);
	aml_int(&pkg, 0);
	aml_int(&pkg, 0);
	aml_init(&s5);
	aml_package(&s5, 4, &pkg);
	aml_name(body, "\\_S5_", &s5);

	/* The root bridge: bus 0, config ports, all I/O but those, and the
	 * 32-bit BAR window above RAM. */
	aml_init(&tmpl);
	aml_res_bus(&tmpl, 0, 0xff);
	aml_res_io(&tmpl, 0xcf8, 8);
	aml_res_wordio(&tmpl, 0x0000, 0x0cf7);
	aml_res_wordio(&tmpl, 0x0d00, 0xffff);
	aml_res_dwordmem(&tmpl, (uint32_t)LAYOUT_PCI_MMIO_GPA,
			 (uint32_t)(LAYOUT_PCI_MMIO_END_GPA - 1));
	aml_res_end(&tmpl);
	aml_init(&crs);
	aml_buffer(&crs, &tmpl);

	aml_init(&dev);
	aml_name_eisaid(&dev, "_HID", "PNP0A03");
	aml_name_int(&dev, "_UID", 0);
	aml_name_int(&dev, "_ADR", 0);
	aml_name_int(&dev, "_BBN", 0);
	aml_name(&dev, "_CRS", &crs);
	aml_init(&sb);
	aml_device(&sb, "PCI0", &dev);
	aml_scope(body, "\\_SB_", &sb);
}

static long acpi_dsdt(struct acpi_out *o, struct err *e)
{
	struct aml body;
	long off;
	uint8_t *t;
	size_t len;

	aml_init(&body);
	acpi_dsdt_body(&body);
	if (body.ab_overflow)
		return err_set(e, -E2BIG, "DSDT larger than %d bytes",
			       AML_MAX_BYTES);
	len = ACPI_HDR_BYTES + body.ab_len;
	off = acpi_alloc(o, len, 16);
	if (off < 0)
		return err_set(e, -E2BIG, "ACPI tables do not fit");
	t = o->ao_buf + off;
	acpi_header(t, "DSDT", len, 2);
	memcpy(t + ACPI_HDR_BYTES, body.ab_buf, body.ab_len);
	acpi_seal(t, len);
	return off;
}

static long acpi_facs(struct acpi_out *o, struct err *e)
{
	long off = acpi_alloc(o, FACS_BYTES, 64);
	uint8_t *t;

	if (off < 0)
		return err_set(e, -E2BIG, "ACPI tables do not fit");
	t = o->ao_buf + off;
	memcpy(t, "FACS", 4);
	le(t + 4, FACS_BYTES, 4);
	t[32] = 2; /* version */
	return off;
}

static long acpi_fadt(struct acpi_out *o, uint64_t dsdt, uint64_t facs,
		      struct err *e)
{
	long off = acpi_alloc(o, FADT_BYTES, 16);
	uint8_t *t;

	if (off < 0)
		return err_set(e, -E2BIG, "ACPI tables do not fit");
	t = o->ao_buf + off;
	acpi_header(t, "FACP", FADT_BYTES, FADT_REVISION);
	le(t + 36, facs, 4);
	le(t + 40, dsdt, 4);
	le(t + 46, ACPI_SCI_IRQ, 2);
	/* SMI_CMD (48) stays 0: the hardware is always in ACPI mode. */
	le(t + 56, ACPI_PM1A_EVT_PORT, 4);
	le(t + 64, ACPI_PM1A_CNT_PORT, 4);
	t[88] = ACPI_PM1_EVT_LEN;
	t[89] = ACPI_PM1_CNT_LEN;
	le(t + 96, 0xfff, 2); /* P_LVL2_LAT > 100: no C2 */
	le(t + 98, 0xfff, 2); /* P_LVL3_LAT > 1000: no C3 */
	t[108] = CMOS_CENTURY_INDEX;
	le(t + 109, FADT_IAPC_VGA_NOT_PRESENT, 2);
	le(t + 112,
	   FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON | FADT_RESET_REG_SUP,
	   4);
	gas_io(t + 116, I8042_COMMAND_PORT, 8, 1);
	t[128] = I8042_CMD_RESET;
	t[131] = FADT_MINOR;
	le(t + 132, facs, 8);
	le(t + 140, dsdt, 8);
	gas_io(t + 148, ACPI_PM1A_EVT_PORT, 8 * ACPI_PM1_EVT_LEN, 2);
	gas_io(t + 172, ACPI_PM1A_CNT_PORT, 8 * ACPI_PM1_CNT_LEN, 2);
	memcpy(t + 268, "BASALTVM", 8); /* hypervisor vendor identity */
	acpi_seal(t, FADT_BYTES);
	return off;
}

static long acpi_madt(struct acpi_out *o, unsigned ncpus, struct err *e)
{
	size_t len = ACPI_HDR_BYTES + 8 + 8 * (size_t)ncpus + 12 + 10 + 6;
	long off = acpi_alloc(o, len, 16);
	uint8_t *t, *p;

	if (off < 0)
		return err_set(e, -E2BIG, "ACPI tables do not fit");
	t = o->ao_buf + off;
	acpi_header(t, "APIC", len, 5);
	le(t + 36, LAYOUT_LAPIC_GPA, 4);
	le(t + 40, MADT_PCAT_COMPAT, 4);
	p = t + 44;
	for (unsigned i = 0; i < ncpus; i++, p += 8) {
		p[0] = MADT_TYPE_LAPIC;
		p[1] = 8;
		p[2] = (uint8_t)i; /* ACPI processor UID */
		p[3] = (uint8_t)i; /* APIC id, as in CPUID leaf 1 */
		le(p + 4, MADT_LAPIC_ENABLED, 4);
	}
	p[0] = MADT_TYPE_IOAPIC;
	p[1] = 12;
	p[2] = 0; /* IOAPIC id */
	le(p + 4, LAYOUT_IOAPIC_GPA, 4);
	le(p + 8, 0, 4); /* first GSI */
	p += 12;
	/* The SCI is level triggered, active high, on GSI 9. */
	p[0] = MADT_TYPE_OVERRIDE;
	p[1] = 10;
	p[2] = 0; /* ISA bus */
	p[3] = ACPI_SCI_IRQ;
	le(p + 4, ACPI_SCI_IRQ, 4);
	le(p + 8, MADT_FLAGS_LEVEL_HIGH, 2);
	p += 10;
	/* NMI on LINT1 of every CPU, as on PC hardware. */
	p[0] = MADT_TYPE_LAPIC_NMI;
	p[1] = 6;
	p[2] = 0xff;
	le(p + 3, 0, 2);
	p[5] = 1;
	acpi_seal(t, len);
	return off;
}

static long acpi_xsdt(struct acpi_out *o, const uint64_t *tables, unsigned n,
		      struct err *e)
{
	size_t len = ACPI_HDR_BYTES + 8 * (size_t)n;
	long off = acpi_alloc(o, len, 16);
	uint8_t *t;

	if (off < 0)
		return err_set(e, -E2BIG, "ACPI tables do not fit");
	t = o->ao_buf + off;
	acpi_header(t, "XSDT", len, 1);
	for (unsigned i = 0; i < n; i++)
		le(t + ACPI_HDR_BYTES + 8 * i, tables[i], 8);
	acpi_seal(t, len);
	return off;
}

int acpi_build(struct guest_mem *mem, unsigned ncpus, uint64_t *rsdp_gpa,
	       struct err *e)
{
	struct acpi_out o;
	long rsdp, dsdt, facs, fadt, madt, xsdt;
	uint64_t tables[2];
	uint8_t *r;

	if (ncpus == 0 || ncpus > 255)
		return err_set(e, -EINVAL, "%u vCPUs: 1 to 255 expected",
			       ncpus);
	o.ao_buf = mem_ptr(mem, LAYOUT_ACPI_GPA, LAYOUT_ACPI_MAX_BYTES);
	o.ao_len = 0;
	if (o.ao_buf == NULL)
		return err_set(e, -ENOMEM, "no guest memory for ACPI tables");
	memset(o.ao_buf, 0, LAYOUT_ACPI_MAX_BYTES);
	rsdp = acpi_alloc(&o, RSDP_BYTES, 16);
	if (rsdp < 0 || (dsdt = acpi_dsdt(&o, e)) < 0 ||
	    (facs = acpi_facs(&o, e)) < 0)
		return rsdp < 0 ? err_set(e, -E2BIG, "no room for RSDP")
				: -E2BIG;
	fadt = acpi_fadt(&o, LAYOUT_ACPI_GPA + (uint64_t)dsdt,
			 LAYOUT_ACPI_GPA + (uint64_t)facs, e);
	if (fadt < 0)
		return -E2BIG;
	madt = acpi_madt(&o, ncpus, e);
	if (madt < 0)
		return -E2BIG;
	tables[0] = LAYOUT_ACPI_GPA + (uint64_t)fadt;
	tables[1] = LAYOUT_ACPI_GPA + (uint64_t)madt;
	xsdt = acpi_xsdt(&o, tables, 2, e);
	if (xsdt < 0)
		return -E2BIG;

	r = o.ao_buf + rsdp;
	memcpy(r, "RSD PTR ", 8);
	memcpy(r + 9, ACPI_OEM_ID, 6);
	r[15] = 2; /* ACPI 2.0+: XSDT, length, extended checksum */
	le(r + 20, RSDP_BYTES, 4);
	le(r + 24, LAYOUT_ACPI_GPA + (uint64_t)xsdt, 8);
	r[8] = checksum(r, 20);
	r[32] = checksum(r, RSDP_BYTES);
	*rsdp_gpa = LAYOUT_ACPI_GPA + (uint64_t)rsdp;
	return 0;
}
