/*
 * lib.c: the guest-side library: console, power-off, ucall, and the few
 * string functions the compiler may call on its own.
 */
#include "guest.h"

#define COM1	      0x3f8
#define COM1_LSR      (COM1 + 5)
#define LSR_THRE      0x20
#define PM1A_CNT_PORT 0x604
#define S5_SLP_EN     ((5u << 10) | (1u << 13))

void serial_putc(char c)
{
	while (!(inb(COM1_LSR) & LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

void serial_puts(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

void serial_put_dec(uint64_t v)
{
	char buf[21];
	int i = 0;

	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		serial_putc(buf[--i]);
}

void serial_put_hex(uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	int shift;

	serial_puts("0x");
	for (shift = 60; shift > 0 && !(v >> shift); shift -= 4)
		;
	for (; shift >= 0; shift -= 4)
		serial_putc(digits[(v >> shift) & 0xf]);
}

void guest_poweroff(void)
{
	outw(PM1A_CNT_PORT, S5_SLP_EN);
	for (;;)
		__asm__ volatile("pause");
}

static void copy_str(char *dst, const char *src, size_t cap)
{
	size_t i;

	for (i = 0; i + 1 < cap && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

void ucall(uint64_t cmd, const char *file, uint64_t line, const char *msg,
	   uint64_t a0, uint64_t a1)
{
	struct ucall uc;

	memset(&uc, 0, sizeof(uc));
	uc.uc_cmd = cmd;
	uc.uc_line = line;
	uc.uc_args[0] = a0;
	uc.uc_args[1] = a1;
	copy_str(uc.uc_file, file, sizeof(uc.uc_file));
	copy_str(uc.uc_msg, msg, sizeof(uc.uc_msg));
	/* The stack and data live below 4 GiB: the address fits 32 bits. */
	outl(UCALL_PORT, (uint32_t)(uintptr_t)&uc);
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
