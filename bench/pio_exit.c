/*
 * pio_exit.c: bench guest for the port-I/O exit round trip. It reads the
 * UART scratch register PIO_EXITS times (each read is one exit to vmx and
 * back), then powers off. Built twice, with PIO_EXITS 0 and 200000, so
 * bench/run.py can subtract start-up and tear-down.
 */
#include "guest/lib/guest.h"

#ifndef PIO_EXITS
#error "PIO_EXITS must be defined by the build"
#endif

/* volatile: the count is a run-time value, so 0 is not a special case. */
static volatile unsigned long exits = PIO_EXITS;

void guest_code(void)
{
	for (unsigned long i = 0; i < exits; i++)
		(void)inb(0x3f8 + 7);
}
