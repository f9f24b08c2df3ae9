/*
 * uart8250_fuzz.c: libFuzzer target playing a hostile guest against the
 * UART: each 3-byte record is (op, offset, value): read or write of 1, 2
 * or 4 bytes at a register offset (kept inside the 8-byte range, as the
 * bus guarantees), or host input of up to 4 bytes.
 */
#include <stdint.h>
#include <string.h>

#include "vmx/devices/uart8250.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_tx(void *opaque, uint8_t byte)
{
	(void)opaque;
	return byte == 0xff ? -1 : 0;
}

static void fuzz_irq(void *opaque, int level)
{
	(void)opaque;
	(void)level;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uart8250 *u;
	struct err e;

	if (uart8250_create(&u, fuzz_tx, fuzz_irq, NULL, &e) < 0)
		return 0;
	for (size_t i = 0; i + 3 <= size; i += 3) {
		uint8_t op = data[i], buf[4];
		unsigned width = 1u << (op % 3);
		uint64_t off = data[i + 1] % 8;

		/* The bus never passes an access that leaves the range. */
		if (off + width > 8)
			off = 8 - width;
		memset(buf, data[i + 2], sizeof(buf));
		switch ((op >> 2) % 3) {
		case 0:
			uart8250_iobus_ops.read(u, off, buf, width);
			break;
		case 1:
			uart8250_iobus_ops.write(u, off, buf, width);
			break;
		default:
			(void)uart8250_input(u, buf, data[i + 2] % 5);
			break;
		}
	}
	uart8250_free(u);
	return 0;
}
