/*
 * iobus.c: address-range dispatch for port I/O and MMIO (see iobus.h).
 * Ranges are few (tens), so a linear scan is fast and obviously correct.
 */
#include "vmx/iobus.h"

#include <errno.h>
#include <string.h>

#include "common/log.h"

/* Unclaimed accesses are logged this many times per bus, then counted. */
#define IOBUS_UNHANDLED_LOG_MAX 8

void iobus_init(struct iobus *bus, const char *name)
{
	memset(bus, 0, sizeof(*bus));
	bus->ib_name = name;
}

int iobus_register(struct iobus *bus, uint64_t base, uint64_t len,
		   const struct iobus_ops *ops, void *opaque, const char *name,
		   struct err *e)
{
	size_t i;

	if (len == 0 || base + len < base)
		return err_set(e, -EINVAL, "%s: %s: bad range 0x%llx+0x%llx",
			       bus->ib_name, name, (unsigned long long)base,
			       (unsigned long long)len);
	if (bus->ib_count >= IOBUS_RANGES_MAX)
		return err_set(e, -ENOSPC, "%s: %s: more than %d ranges",
			       bus->ib_name, name, IOBUS_RANGES_MAX);
	for (i = 0; i < bus->ib_count; i++) {
		const struct iobus_range *r = &bus->ib_ranges[i];
		if (base < r->ir_base + r->ir_len && r->ir_base < base + len)
			return err_set(e, -EBUSY,
				       "%s: %s at 0x%llx+0x%llx overlaps %s",
				       bus->ib_name, name,
				       (unsigned long long)base,
				       (unsigned long long)len, r->ir_name);
	}
	bus->ib_ranges[bus->ib_count++] = (struct iobus_range){
		.ir_base = base,
		.ir_len = len,
		.ir_ops = ops,
		.ir_opaque = opaque,
		.ir_name = name,
	};
	return 0;
}

static struct iobus_range *iobus_find(struct iobus *bus, uint64_t addr,
				      unsigned size)
{
	size_t i;

	for (i = 0; i < bus->ib_count; i++) {
		struct iobus_range *r = &bus->ib_ranges[i];
		if (addr >= r->ir_base && addr - r->ir_base < r->ir_len &&
		    size <= r->ir_len - (addr - r->ir_base))
			return r;
	}
	return NULL;
}

static void iobus_unhandled(struct iobus *bus, const char *dir, uint64_t addr,
			    unsigned size)
{
	/* A guest can repeat this at will: log a few, count the rest. */
	if (bus->ib_unhandled++ < IOBUS_UNHANDLED_LOG_MAX)
		log_debug("%s: unclaimed %s of %u bytes at 0x%llx",
			  bus->ib_name, dir, size, (unsigned long long)addr);
}

int iobus_read(struct iobus *bus, uint64_t addr, void *data, unsigned size)
{
	struct iobus_range *r = iobus_find(bus, addr, size);

	memset(data, 0xff, size);
	if (r == NULL) {
		iobus_unhandled(bus, "read", addr, size);
		return 0;
	}
	r->ir_hits++;
	if (r->ir_ops->read != NULL)
		r->ir_ops->read(r->ir_opaque, addr - r->ir_base, data, size);
	return 1;
}

int iobus_write(struct iobus *bus, uint64_t addr, const void *data,
		unsigned size)
{
	struct iobus_range *r = iobus_find(bus, addr, size);

	if (r == NULL) {
		iobus_unhandled(bus, "write", addr, size);
		return 0;
	}
	r->ir_hits++;
	if (r->ir_ops->write != NULL)
		r->ir_ops->write(r->ir_opaque, addr - r->ir_base, data, size);
	return 1;
}

void iobus_log_hits(const struct iobus *bus)
{
	int done[IOBUS_RANGES_MAX] = {0};

	/* Selection by hand: at most IOBUS_RANGES_MAX ranges, once a VM. */
	for (size_t n = 0; n < bus->ib_count; n++) {
		size_t best = bus->ib_count;
		for (size_t i = 0; i < bus->ib_count; i++)
			if (!done[i] && (best == bus->ib_count ||
					 bus->ib_ranges[i].ir_hits >
						 bus->ib_ranges[best].ir_hits))
				best = i;
		done[best] = 1;
		if (bus->ib_ranges[best].ir_hits == 0)
			break;
		log_debug("%s accesses: %s (0x%llx): %llu", bus->ib_name,
			  bus->ib_ranges[best].ir_name,
			  (unsigned long long)bus->ib_ranges[best].ir_base,
			  (unsigned long long)bus->ib_ranges[best].ir_hits);
	}
	if (bus->ib_unhandled != 0)
		log_debug("%s accesses: unclaimed: %llu", bus->ib_name,
			  (unsigned long long)bus->ib_unhandled);
}
