/*
 * test_acpi.c: the ACPI tables a guest finds are well formed (signatures,
 * lengths, checksums, links) and say what the machine has: one enabled
 * LAPIC per vCPU, the PM1a ports, the SCI, the reset register, \_S5 and
 * the PCI root bridge. The AML encoder's length rules are checked alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tap.h"
#include "vmx/boot/acpi.h"
#include "vmx/boot/aml.h"
#include "vmx/boot/layout.h"
#include "vmx/devices/acpi_pm.h"

#define RAM_BYTES (2u << 20)

static uint8_t *ram;
static struct guest_mem mem;

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int sums_to_zero(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s == 0;
}

/* The table with signature sig listed in the XSDT, checked; or NULL. */
static const uint8_t *find_table(uint64_t rsdp, const char *sig)
{
	const uint8_t *x = ram + le(ram + rsdp + 24, 8);
	size_t n = (le(x + 4, 4) - 36) / 8;

	for (size_t i = 0; i < n; i++) {
		const uint8_t *t = ram + le(x + 36 + 8 * i, 8);
		if (memcmp(t, sig, 4) == 0)
			return sums_to_zero(t, le(t + 4, 4)) ? t : NULL;
	}
	return NULL;
}

static int contains(const uint8_t *hay, size_t n, const void *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return 1;
	return 0;
}

static void rsdp_is_found_by_the_bios_scan(void)
{
	struct err e = {0};
	uint64_t rsdp = 0;
	const uint8_t *r;

	memset(ram, 0xcc, RAM_BYTES);
	CHECK_EQ(acpi_build(&mem, 2, &rsdp, &e), 0);
	CHECK(rsdp >= 0xe0000 && rsdp < 0x100000 && rsdp % 16 == 0);
	r = ram + rsdp;
	CHECK(memcmp(r, "RSD PTR ", 8) == 0);
	CHECK(sums_to_zero(r, 20));
	CHECK(sums_to_zero(r, 36));
	CHECK_EQ(r[15], 2);
	CHECK(sums_to_zero(ram + le(r + 24, 8),
			   le(ram + le(r + 24, 8) + 4, 4)));
}

static void madt_lists_one_lapic_per_vcpu(void)
{
	struct err e = {0};
	uint64_t rsdp;
	const uint8_t *m, *p, *end;
	unsigned lapics = 0, ioapics = 0, sci_level = 0;

	CHECK_EQ(acpi_build(&mem, 5, &rsdp, &e), 0);
	m = find_table(rsdp, "APIC");
	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK_EQ(le(m + 36, 4), LAYOUT_LAPIC_GPA);
	end = m + le(m + 4, 4);
	for (p = m + 44; p < end; p += p[1]) {
		if (p[1] == 0)
			break;
		if (p[0] == 0) {
			CHECK_EQ(p[3], lapics); /* APIC ids 0..n-1 */
			CHECK_EQ(le(p + 4, 4) & 1, 1);
			lapics++;
		} else if (p[0] == 1) {
			CHECK_EQ(le(p + 4, 4), LAYOUT_IOAPIC_GPA);
			ioapics++;
		} else if (p[0] == 2 && p[3] == ACPI_SCI_IRQ) {
			sci_level = le(p + 8, 2) == 0xd;
		}
	}
	CHECK_EQ(p, end);
	CHECK_EQ(lapics, 5);
	CHECK_EQ(ioapics, 1);
	CHECK_EQ(sci_level, 1);
}

static void fadt_points_at_pm_registers_dsdt_and_facs(void)
{
	struct err e = {0};
	uint64_t rsdp;
	const uint8_t *f, *d;

	CHECK_EQ(acpi_build(&mem, 1, &rsdp, &e), 0);
	f = find_table(rsdp, "FACP");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_EQ(le(f + 46, 2), ACPI_SCI_IRQ);
	CHECK_EQ(le(f + 56, 4), ACPI_PM1A_EVT_PORT);
	CHECK_EQ(le(f + 64, 4), ACPI_PM1A_CNT_PORT);
	CHECK_EQ(le(f + 112, 4) & (1u << 4), 0); /* fixed power button */
	CHECK_EQ(le(f + 112, 4) & (1u << 10), 1u << 10); /* reset register */
	CHECK_EQ(le(f + 116 + 4, 8), 0x64);
	CHECK_EQ(f[128], 0xfe);
	CHECK(memcmp(ram + le(f + 132, 8), "FACS", 4) == 0);
	CHECK_EQ(le(ram + le(f + 132, 8) + 4, 4), 64);
	CHECK_EQ(le(f + 140, 8), le(f + 40, 4));
	d = ram + le(f + 140, 8);
	CHECK(memcmp(d, "DSDT", 4) == 0);
	CHECK(sums_to_zero(d, le(d + 4, 4)));
	/* \_S5 = Package(4){5, 5, 0, 0}; PNP0A03 as its EISA id. */
	CHECK(contains(d, le(d + 4, 4),
		       "\x08\x5c_S5_\x12\x08\x04\x0a\x05\x0a\x05\x00\x00", 15));
	CHECK(contains(d, le(d + 4, 4), "\x0c\x41\xd0\x0a\x03", 5));
}

static void refuses_impossible_cpu_counts(void)
{
	struct err e = {0};
	uint64_t rsdp;

	CHECK(acpi_build(&mem, 0, &rsdp, &e) < 0);
	CHECK_CONTAINS(err_msg(&e), "1 to 255 expected");
}

static void aml_lengths_and_ids(void)
{
	struct aml a, body;

	CHECK_EQ(aml_eisaid("PNP0A03"), 0x030ad041u);
	CHECK_EQ(aml_eisaid("pnp0a03"), 0);
	/* 100 bytes of body: a two-byte PkgLength that counts itself. */
	aml_init(&body);
	for (int i = 0; i < 100; i++)
		aml_byte(&body, 0xa3);
	aml_init(&a);
	aml_scope(&a, "ABCD", &body);
	CHECK_EQ(a.ab_len, 1 + 2 + 4 + 100);
	CHECK_EQ(a.ab_buf[1], 0x40 | ((2 + 4 + 100) & 0xf));
	CHECK_EQ(a.ab_buf[2], (2 + 4 + 100) >> 4);
	/* Dotted names use the dual-name prefix. */
	aml_init(&a);
	aml_namestring(&a, "\\_SB.PCI0");
	CHECK_EQ(a.ab_len, 1 + 1 + 8);
	CHECK(memcmp(a.ab_buf, "\\\x2e_SB_PCI0", 10) == 0);
	/* Overflow is sticky and reported. */
	aml_init(&a);
	for (int i = 0; i < AML_MAX_BYTES + 1; i++)
		aml_byte(&a, 0);
	CHECK_EQ(a.ab_overflow, 1);
}

int main(void)
{
	ram = malloc(RAM_BYTES);
	mem_init_fake(&mem, ram, RAM_BYTES);
	RUN(rsdp_is_found_by_the_bios_scan);
	RUN(madt_lists_one_lapic_per_vcpu);
	RUN(fadt_points_at_pm_registers_dsdt_and_facs);
	RUN(refuses_impossible_cpu_counts);
	RUN(aml_lengths_and_ids);
	free(ram);
	return tap_done();
}
