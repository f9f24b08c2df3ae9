/*
 * hello.c: the demonstration guest `make run` boots: a freestanding 64-bit
 * program that reports what it sees of its virtual machine on the serial
 * console, then powers the VM off through ACPI.
 */
#include "guest/lib/guest.h"

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c,
		  uint32_t *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(0));
}

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* Probe RAM size by touching one word per MiB until an access exits as
 * MMIO (unclaimed MMIO reads as all ones and drops writes). */
static uint64_t probe_ram_mib(void)
{
	uint64_t mib;

	for (mib = 2; mib < 3072; mib += 2) {
		volatile uint32_t *p =
			(volatile uint32_t *)(uintptr_t)(mib << 20);
		*p = 0x5a5a1234;
		if (*p != 0x5a5a1234)
			break;
	}
	return mib;
}

void guest_code(void)
{
	uint32_t a, b, c, d, vendor[4];
	uint64_t t0, t1;

	serial_puts("\r\nBasalt vmx demo guest: 64-bit long mode, running.\n");
	cpuid(0, &a, &vendor[0], &vendor[2], &vendor[1]);
	vendor[3] = 0;
	serial_puts("  cpu vendor:   ");
	serial_puts((const char *)vendor);
	serial_puts("\n  cpuid leaves: ");
	serial_put_dec(a);
	cpuid(1, &a, &b, &c, &d);
	serial_puts("\n  apic id:      ");
	serial_put_dec(b >> 24);
	serial_puts("\n  memory:       ");
	serial_put_dec(probe_ram_mib());
	serial_puts(" MiB\n");
	t0 = rdtsc();
	for (int i = 0; i < 1000; i++)
		(void)inb(0x3f8 + 7); /* scratch register: one exit each */
	t1 = rdtsc();
	serial_puts("  1000 port-I/O exits: ");
	serial_put_dec((t1 - t0) / 1000);
	serial_puts(" TSC cycles each\n");
	serial_puts("Powering off through ACPI S5. Goodbye.\n");
}
