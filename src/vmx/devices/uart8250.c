/*
 * uart8250.c: 16550A UART register model (National Semiconductor PC16550D
 * datasheet). Transmit is immediate, so the transmitter is always empty; the
 * THR-empty interrupt is raised on each write and when it is enabled, which
 * is what Linux's 8250 driver waits for. Loopback mode is modelled because
 * drivers probe the chip with it.
 */
#include "vmx/devices/uart8250.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Register offsets (DLAB = LCR bit 7 selects DLL/DLM at 0/1). */
#define UART_RBR_THR_DLL 0
#define UART_IER_DLM	 1
#define UART_IIR_FCR	 2
#define UART_LCR	 3
#define UART_MCR	 4
#define UART_LSR	 5
#define UART_MSR	 6
#define UART_SCR	 7
#define UART_REGS	 8

#define IER_ERBFI    0x01 /* received data available */
#define IER_ETBEI    0x02 /* THR empty */
#define IER_MASK     0x0f
#define IIR_NONE     0x01
#define IIR_THRE     0x02
#define IIR_RDA	     0x04
#define IIR_FIFO     0xc0
#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB     0x80
#define MCR_LOOP     0x10
#define MCR_MASK     0x1f
#define LSR_DR	     0x01
#define LSR_OE	     0x02
#define LSR_THRE     0x20
#define LSR_TEMT     0x40

struct uart8250 {
	uint8_t u_ier, u_lcr, u_mcr, u_lsr, u_scr, u_fcr;
	uint8_t u_dll, u_dlm;
	int u_thri;	 /* THR-empty interrupt pending */
	int u_irq_level; /* last level sent to the irq callback */
	uint8_t u_rx[UART8250_FIFO_BYTES];
	unsigned u_rx_head, u_rx_count;
	uart8250_tx_fn u_tx;
	uart8250_irq_fn u_irq;
	void *u_opaque;
	struct uart8250_stats u_stats;
};

static void uart_update_irq(struct uart8250 *u)
{
	int level = ((u->u_ier & IER_ERBFI) && u->u_rx_count > 0) ||
		    ((u->u_ier & IER_ETBEI) && u->u_thri);

	if (level != u->u_irq_level) {
		u->u_irq_level = level;
		if (u->u_irq != NULL)
			u->u_irq(u->u_opaque, level);
	}
}

static int uart_rx_push(struct uart8250 *u, uint8_t byte)
{
	if (u->u_rx_count == UART8250_FIFO_BYTES) {
		u->u_lsr |= LSR_OE;
		u->u_stats.us_rx_overruns++;
		return 0;
	}
	u->u_rx[(u->u_rx_head + u->u_rx_count) % UART8250_FIFO_BYTES] = byte;
	u->u_rx_count++;
	u->u_stats.us_rx_bytes++;
	return 1;
}

static void uart_transmit(struct uart8250 *u, uint8_t byte)
{
	if (u->u_mcr & MCR_LOOP) {
		uart_rx_push(u, byte);
	} else if (u->u_tx == NULL || u->u_tx(u->u_opaque, byte) < 0) {
		u->u_stats.us_tx_dropped++;
	} else {
		u->u_stats.us_tx_bytes++;
	}
	u->u_thri = 1;
}

static uint8_t uart_msr(const struct uart8250 *u)
{
	/* In loopback, modem inputs mirror outputs: DTR->DSR, RTS->CTS,
	 * OUT1->RI, OUT2->DCD. Otherwise a cable with DSR, CTS, DCD up. */
	if (u->u_mcr & MCR_LOOP)
		return (uint8_t)(((u->u_mcr & 0x01) << 5) |
				 ((u->u_mcr & 0x02) << 3) |
				 ((u->u_mcr & 0x04) << 4) |
				 ((u->u_mcr & 0x08) << 4));
	return 0xb0;
}

static uint8_t uart_read_reg(struct uart8250 *u, unsigned reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR_THR_DLL:
		if (u->u_lcr & LCR_DLAB)
			return u->u_dll;
		if (u->u_rx_count == 0)
			return 0;
		v = u->u_rx[u->u_rx_head];
		u->u_rx_head = (u->u_rx_head + 1) % UART8250_FIFO_BYTES;
		u->u_rx_count--;
		uart_update_irq(u);
		return v;
	case UART_IER_DLM:
		return (u->u_lcr & LCR_DLAB) ? u->u_dlm : u->u_ier;
	case UART_IIR_FCR:
		if ((u->u_ier & IER_ERBFI) && u->u_rx_count > 0) {
			v = IIR_RDA;
		} else if ((u->u_ier & IER_ETBEI) && u->u_thri) {
			v = IIR_THRE;
			/* Reading IIR that reports THRE acknowledges it. */
			u->u_thri = 0;
			uart_update_irq(u);
		} else {
			v = IIR_NONE;
		}
		if (u->u_fcr & FCR_ENABLE)
			v |= IIR_FIFO;
		return v;
	case UART_LCR:
		return u->u_lcr;
	case UART_MCR:
		return u->u_mcr;
	case UART_LSR:
		v = (uint8_t)(u->u_lsr | LSR_THRE | LSR_TEMT |
			      (u->u_rx_count > 0 ? LSR_DR : 0));
		u->u_lsr &= (uint8_t)~LSR_OE; /* error bits clear on read */
		return v;
	case UART_MSR:
		return uart_msr(u);
	case UART_SCR:
		return u->u_scr;
	}
	return 0xff;
}

static void uart_write_reg(struct uart8250 *u, unsigned reg, uint8_t v)
{
	switch (reg) {
	case UART_RBR_THR_DLL:
		if (u->u_lcr & LCR_DLAB) {
			u->u_dll = v;
			return;
		}
		uart_transmit(u, v);
		break;
	case UART_IER_DLM:
		if (u->u_lcr & LCR_DLAB) {
			u->u_dlm = v;
			return;
		}
		/* Enabling ETBEI with THR empty raises the interrupt. */
		if (!(u->u_ier & IER_ETBEI) && (v & IER_ETBEI))
			u->u_thri = 1;
		u->u_ier = v & IER_MASK;
		break;
	case UART_IIR_FCR:
		u->u_fcr = v & 0xc9; /* trigger level, DMA mode, enable */
		if (v & FCR_CLEAR_RX)
			u->u_rx_count = 0;
		break;
	case UART_LCR:
		u->u_lcr = v;
		return;
	case UART_MCR:
		u->u_mcr = v & MCR_MASK;
		break;
	case UART_LSR:
	case UART_MSR:
		return; /* read-only (factory test writes are ignored) */
	case UART_SCR:
		u->u_scr = v;
		return;
	}
	uart_update_irq(u);
}

static void uart_bus_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	uint8_t *out = data;

	/* Byte registers: a wider access reads consecutive registers. */
	for (unsigned i = 0; i < size; i++)
		out[i] = off + i < UART_REGS
				 ? uart_read_reg(opaque, (unsigned)(off + i))
				 : 0xff;
}

static void uart_bus_write(void *opaque, uint64_t off, const void *data,
			   unsigned size)
{
	const uint8_t *in = data;

	for (unsigned i = 0; i < size; i++)
		if (off + i < UART_REGS)
			uart_write_reg(opaque, (unsigned)(off + i), in[i]);
}

const struct iobus_ops uart8250_iobus_ops = {
	.read = uart_bus_read,
	.write = uart_bus_write,
};

int uart8250_create(struct uart8250 **up, uart8250_tx_fn tx,
		    uart8250_irq_fn irq, void *opaque, struct err *e)
{
	struct uart8250 *u = calloc(1, sizeof(*u));

	if (u == NULL)
		return err_set(e, -ENOMEM, "uart8250: out of memory");
	u->u_tx = tx;
	u->u_irq = irq;
	u->u_opaque = opaque;
	u->u_dll = 0x0c; /* 9600 baud, as after a PC's power-on */
	u->u_lcr = 0x03; /* 8N1 */
	*up = u;
	return 0;
}

void uart8250_free(struct uart8250 *u)
{
	free(u);
}

size_t uart8250_input(struct uart8250 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	while (n < len && u->u_rx_count < UART8250_FIFO_BYTES &&
	       !(u->u_mcr & MCR_LOOP)) {
		uart_rx_push(u, buf[n]);
		n++;
	}
	if (n > 0)
		uart_update_irq(u);
	return n;
}

void uart8250_get_stats(const struct uart8250 *u, struct uart8250_stats *st)
{
	*st = u->u_stats;
}
