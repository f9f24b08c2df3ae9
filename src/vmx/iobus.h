/*
 * iobus.h: routes port I/O and MMIO exits to the device that registered
 * the address range. The bus knows no device; a device knows no bus: they
 * meet through struct iobus_ops (docs/style.md "How a device plugs in").
 */
#ifndef BASALT_VMX_IOBUS_H
#define BASALT_VMX_IOBUS_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/err.h"

#define IOBUS_RANGES_MAX 64

struct iobus_ops {
	/*
	 * Guest reads size bytes (1, 2, 4 or 8) at offset off from the start
	 * of the range; fill data (little endian). May be NULL: reads return
	 * all ones, as an empty ISA bus does.
	 */
	void (*read)(void *opaque, uint64_t off, void *data, unsigned size);
	/* Guest writes; may be NULL: writes are dropped. */
	void (*write)(void *opaque, uint64_t off, const void *data,
		      unsigned size);
};

struct iobus_range {
	uint64_t ir_base;
	uint64_t ir_len;
	const struct iobus_ops *ir_ops;
	void *ir_opaque;
	const char *ir_name; /* for logs; static string */
	uint64_t ir_hits;    /* accesses dispatched here (exits, mostly) */
};

struct iobus {
	const char *ib_name; /* "pio" or "mmio" */
	struct iobus_range ib_ranges[IOBUS_RANGES_MAX];
	size_t ib_count;
	uint64_t ib_unhandled; /* accesses no device claimed */
};

void iobus_init(struct iobus *bus, const char *name);

/*
 * Claim [base, base + len) for a device. Overlap with an existing range,
 * len 0, wrap-around or a full table fail with a message.
 */
BASALT_MUST_CHECK int iobus_register(struct iobus *bus, uint64_t base,
				     uint64_t len, const struct iobus_ops *ops,
				     void *opaque, const char *name,
				     struct err *e);

/*
 * Dispatch one access. Returns 1 when a device claimed it, 0 when none did
 * (reads then see all ones). An access must lie wholly inside one range.
 */
int iobus_read(struct iobus *bus, uint64_t addr, void *data, unsigned size);
int iobus_write(struct iobus *bus, uint64_t addr, const void *data,
		unsigned size);

/* Log (at debug level) how many accesses each range took, busiest first:
 * where a guest's exits went. */
void iobus_log_hits(const struct iobus *bus);

#endif
