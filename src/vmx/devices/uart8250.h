/*
 * uart8250.h: a 16550A-compatible UART, the guest's serial console.
 */
#ifndef BASALT_VMX_DEVICES_UART8250_H
#define BASALT_VMX_DEVICES_UART8250_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "vmx/iobus.h"

#define UART8250_COM1_PORT  0x3f8
#define UART8250_COM1_IRQ   4
#define UART8250_FIFO_BYTES 16

struct uart8250;

/*
 * Called with every byte the guest transmits, in order. Returns 0, or a
 * negative errno when the byte could not be delivered (counted as dropped).
 */
typedef int (*uart8250_tx_fn)(void *opaque, uint8_t byte);
/* Called when the interrupt line changes level. */
typedef void (*uart8250_irq_fn)(void *opaque, int level);

struct uart8250_stats {
	uint64_t us_tx_bytes;
	uint64_t us_tx_dropped;
	uint64_t us_rx_bytes;
	uint64_t us_rx_overruns;
};

/* Allocate a UART in its power-on state. tx and irq may be NULL. */
BASALT_MUST_CHECK int uart8250_create(struct uart8250 **up, uart8250_tx_fn tx,
				      uart8250_irq_fn irq, void *opaque,
				      struct err *e);
void uart8250_free(struct uart8250 *u);

/* Register access, for the I/O bus (offset 0..7 from the base port). */
extern const struct iobus_ops uart8250_iobus_ops;

/*
 * Offer received bytes to the guest. Returns how many fit in the receive
 * FIFO; the caller keeps the rest and offers them again later.
 */
size_t uart8250_input(struct uart8250 *u, const uint8_t *buf, size_t len);

void uart8250_get_stats(const struct uart8250 *u, struct uart8250_stats *st);

#endif
