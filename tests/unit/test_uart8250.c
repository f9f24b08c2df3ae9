/*
 * test_uart8250.c: the 16550A register model, driven as a driver would.
 */
#include <stdint.h>

#include "lib/tap.h"
#include "vmx/devices/uart8250.h"

static char out[64];
static unsigned out_len;
static int irq_level, irq_changes, fail_tx;

static int tx(void *opaque, uint8_t b)
{
	(void)opaque;
	if (fail_tx)
		return -5;
	if (out_len < sizeof(out) - 1)
		out[out_len++] = (char)b;
	return 0;
}

static void irq(void *opaque, int level)
{
	(void)opaque;
	irq_level = level;
	irq_changes++;
}

static struct uart8250 *u;

static uint8_t rd(unsigned reg)
{
	uint8_t v;

	uart8250_iobus_ops.read(u, reg, &v, 1);
	return v;
}

static void wr(unsigned reg, uint8_t v)
{
	uart8250_iobus_ops.write(u, reg, &v, 1);
}

static void setup(void)
{
	struct err e = {0};

	out_len = 0;
	irq_level = irq_changes = fail_tx = 0;
	if (uart8250_create(&u, tx, irq, NULL, &e) < 0)
		u = NULL;
}

static void transmit_reaches_callback(void)
{
	struct uart8250_stats st;

	setup();
	CHECK(u != NULL);
	CHECK_EQ(rd(5) & 0x60, 0x60); /* THRE and TEMT */
	wr(0, 'o');
	wr(0, 'k');
	CHECK_EQ(out_len, 2);
	CHECK(memcmp(out, "ok", 2) == 0);
	fail_tx = 1;
	wr(0, '!');
	uart8250_get_stats(u, &st);
	CHECK_EQ(st.us_tx_bytes, 2);
	CHECK_EQ(st.us_tx_dropped, 1);
	uart8250_free(u);
}

static void divisor_latch_hides_data_registers(void)
{
	setup();
	wr(3, 0x83); /* DLAB on */
	wr(0, 0x01);
	wr(1, 0x00);
	CHECK_EQ(rd(0), 0x01);
	CHECK_EQ(out_len, 0);
	wr(3, 0x03);	       /* DLAB off */
	CHECK_EQ(rd(1), 0x00); /* IER, not DLM */
	wr(7, 0x5a);
	CHECK_EQ(rd(7), 0x5a);
	uart8250_free(u);
}

static void thre_interrupt_raised_and_acknowledged(void)
{
	setup();
	CHECK_EQ(rd(2) & 0x0f, 0x01); /* nothing pending */
	wr(1, 0x02);		      /* enable THRE interrupt */
	CHECK_EQ(irq_level, 1);
	CHECK_EQ(rd(2) & 0x0f, 0x02); /* THRE, and reading acks it */
	CHECK_EQ(irq_level, 0);
	CHECK_EQ(rd(2) & 0x0f, 0x01);
	wr(0, 'x'); /* each transmit empties THR again */
	CHECK_EQ(irq_level, 1);
	uart8250_free(u);
}

static void receive_fifo_and_overrun(void)
{
	uint8_t data[20];
	struct uart8250_stats st;

	setup();
	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)('a' + i);
	wr(1, 0x01); /* receive interrupt */
	CHECK_EQ(uart8250_input(u, data, sizeof(data)), UART8250_FIFO_BYTES);
	CHECK_EQ(irq_level, 1);
	CHECK_EQ(rd(2) & 0x0f, 0x04);
	CHECK_EQ(rd(5) & 0x01, 0x01);
	CHECK_EQ(rd(0), 'a');
	CHECK_EQ(rd(0), 'b');
	for (unsigned i = 2; i < UART8250_FIFO_BYTES; i++)
		(void)rd(0);
	CHECK_EQ(rd(5) & 0x01, 0);
	CHECK_EQ(irq_level, 0);
	CHECK_EQ(rd(0), 0); /* empty FIFO reads 0, never stale memory */
	uart8250_get_stats(u, &st);
	CHECK_EQ(st.us_rx_bytes, UART8250_FIFO_BYTES);
	uart8250_free(u);
}

static void loopback_as_drivers_probe_it(void)
{
	setup();
	wr(4, 0x10 | 0x0a);	      /* loop, RTS, OUT2 */
	CHECK_EQ(rd(6) & 0xf0, 0x90); /* CTS and DCD mirror RTS and OUT2 */
	wr(0, 'L');
	CHECK_EQ(out_len, 0); /* looped back, not sent */
	CHECK_EQ(rd(5) & 0x01, 1);
	CHECK_EQ(rd(0), 'L');
	wr(4, 0x00);
	CHECK_EQ(rd(6), 0xb0);
	uart8250_free(u);
}

static void wide_and_out_of_range_access(void)
{
	uint8_t buf[4];

	setup();
	uart8250_iobus_ops.read(u, 6, buf, 4);
	CHECK_EQ(buf[1], 0x00); /* SCR */
	CHECK_EQ(buf[2], 0xff);
	CHECK_EQ(buf[3], 0xff);
	uart8250_free(u);
}

int main(void)
{
	RUN(transmit_reaches_callback);
	RUN(divisor_latch_hides_data_registers);
	RUN(thre_interrupt_raised_and_acknowledged);
	RUN(receive_fifo_and_overrun);
	RUN(loopback_as_drivers_probe_it);
	RUN(wide_and_out_of_range_access);
	return tap_done();
}
