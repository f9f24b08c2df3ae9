/*
 * pci.c: PCI bus 0, configuration mechanism #1, BAR decoding and MSI-X
 * (see pci.h). The guest controls everything it writes here, so every
 * config write goes through a per-byte writable mask, BAR sizing follows
 * the spec (low bits read back as size), and MSI-X entries are only used
 * when the guest has enabled MSI-X and not masked them.
 */
#include "vmx/devices/pci.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/le.h"
#include "common/log.h"
#include "vmx/boot/layout.h"

#define CF8_ENABLE	      0x80000000u
#define CF8_BUS(a)	      (((a) >> 16) & 0xff)
#define CF8_SLOT(a)	      (((a) >> 11) & 0x1f)
#define CF8_FUNC(a)	      (((a) >> 8) & 0x7)
#define CF8_REG(a)	      ((a)&0xfc)
#define BAR_MEM32	      0x0 /* memory, 32-bit, not prefetchable */
#define MSIX_CTRL_ENABLE      0x8000
#define MSIX_CTRL_MASKALL     0x4000
#define MSIX_ENTRY_BYTES      16
#define MSIX_ENTRY_MASKED     0x1
#define HOST_BRIDGE_VENDOR    0x1b36 /* Red Hat, virtual hardware */
#define HOST_BRIDGE_DEVICE    0x0008 /* generic host bridge */
#define PCI_CLASS_HOST_BRIDGE 0x060000

struct pci_bus {
	struct vm *pb_vm;
	uint32_t pb_addr; /* the 0xcf8 latch */
	struct pci_dev *pb_devs[PCI_SLOTS_MAX];
	uint64_t pb_mmio_next; /* next free BAR address */
	uint64_t pb_bad_accesses;
};

static uint16_t cfg16(const struct pci_dev *d, unsigned off)
{
	return le16_get(d->pd_cfg + off);
}

static uint32_t cfg32(const struct pci_dev *d, unsigned off)
{
	return le32_get(d->pd_cfg + off);
}

struct vm *pci_bus_vm(struct pci_bus *bus)
{
	return bus->pb_vm;
}

uint64_t pci_bar_gpa(const struct pci_dev *dev, unsigned bar)
{
	if (bar >= PCI_BARS_MAX || dev->pd_bar_size[bar] == 0)
		return 0;
	return cfg32(dev, PCI_BAR0 + 4 * bar) & ~0xfu;
}

/* ---- MSI-X ---- */

static int msix_enabled(const struct pci_dev *d)
{
	uint16_t ctrl;

	if (d->pd_msix_nvec == 0)
		return 0;
	ctrl = cfg16(d, d->pd_msix_cap + 2);
	return (ctrl & MSIX_CTRL_ENABLE) != 0;
}

static int msix_masked(const struct pci_dev *d, unsigned vec)
{
	const uint8_t *ent = d->pd_msix_table + vec * MSIX_ENTRY_BYTES;

	return (cfg16(d, d->pd_msix_cap + 2) & MSIX_CTRL_MASKALL) ||
	       (ent[12] & MSIX_ENTRY_MASKED);
}

static void msix_deliver(struct pci_dev *d, unsigned vec)
{
	const uint8_t *ent = d->pd_msix_table + vec * MSIX_ENTRY_BYTES;
	struct kvm_msi msi = {0};
	struct vm *vm = d->pd_bus->pb_vm;

	msi.address_lo = (uint32_t)ent[0] | (uint32_t)ent[1] << 8 |
			 (uint32_t)ent[2] << 16 | (uint32_t)ent[3] << 24;
	msi.address_hi = (uint32_t)ent[4] | (uint32_t)ent[5] << 8 |
			 (uint32_t)ent[6] << 16 | (uint32_t)ent[7] << 24;
	msi.data = (uint32_t)ent[8] | (uint32_t)ent[9] << 8 |
		   (uint32_t)ent[10] << 16 | (uint32_t)ent[11] << 24;
	d->pd_msix_sent++;
	/* A guest may program any address; KVM decides what it means (an
	 * address outside the APIC range is simply not delivered). */
	if (vm->vm_fd >= 0 && ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		log_debug("%s: MSI-X vector %u: KVM_SIGNAL_MSI failed",
			  d->pd_name, vec);
}

int pci_msix_notify(struct pci_dev *d, unsigned vec)
{
	if (vec >= d->pd_msix_nvec || !msix_enabled(d))
		return -EINVAL;
	if (msix_masked(d, vec)) {
		d->pd_msix_pending |= 1ULL << vec;
		return 0;
	}
	msix_deliver(d, vec);
	return 0;
}

/* Deliver what became unmasked (an entry, or the whole function). */
static void msix_flush_pending(struct pci_dev *d)
{
	if (!msix_enabled(d))
		return;
	for (unsigned v = 0; v < d->pd_msix_nvec; v++) {
		if ((d->pd_msix_pending & (1ULL << v)) && !msix_masked(d, v)) {
			d->pd_msix_pending &= ~(1ULL << v);
			msix_deliver(d, v);
		}
	}
}

uint64_t pci_bar_decoded_gpa(const struct pci_dev *dev, unsigned bar)
{
	if (!(cfg16(dev, PCI_COMMAND) & PCI_COMMAND_MEMORY))
		return 0;
	return pci_bar_gpa(dev, bar);
}

/* 1 and handled if [off, off+size) of bar is the MSI-X table or PBA. */
static int msix_bar_access(struct pci_dev *d, unsigned bar, uint64_t off,
			   void *data, unsigned size, int write)
{
	uint64_t tlen = (uint64_t)d->pd_msix_nvec * MSIX_ENTRY_BYTES;

	if (d->pd_msix_nvec == 0 || bar != d->pd_msix_bar)
		return 0;
	if (off >= d->pd_msix_table_off && off < d->pd_msix_table_off + tlen) {
		uint64_t t = off - d->pd_msix_table_off;
		/* Dword or qword aligned accesses only (PCI 3.0, 6.8.2). */
		if ((size != 4 && size != 8) || t % size != 0) {
			if (!write)
				memset(data, 0xff, size);
			return 1;
		}
		if (write) {
			memcpy(d->pd_msix_table + t, data, size);
			msix_flush_pending(d);
		} else {
			memcpy(data, d->pd_msix_table + t, size);
		}
		return 1;
	}
	if (off >= d->pd_msix_pba_off && off < d->pd_msix_pba_off + 8) {
		uint64_t p = off - d->pd_msix_pba_off;
		if (!write) {
			uint64_t v = d->pd_msix_pending >> (8 * p);
			memset(data, 0, size);
			memcpy(data, &v, size < 8 - p ? size : 8 - p);
		}
		return 1; /* the PBA is read-only */
	}
	return 0;
}

/* ---- BAR accesses, through one MMIO range for the whole window ---- */

static struct pci_dev *bar_lookup(struct pci_bus *bus, uint64_t gpa,
				  unsigned size, unsigned *barp, uint64_t *offp)
{
	for (int s = 0; s < PCI_SLOTS_MAX; s++) {
		struct pci_dev *d = bus->pb_devs[s];
		if (d == NULL || !(cfg16(d, PCI_COMMAND) & PCI_COMMAND_MEMORY))
			continue;
		for (unsigned b = 0; b < PCI_BARS_MAX; b++) {
			uint64_t base = pci_bar_gpa(d, b);
			if (base == 0 || gpa < base ||
			    gpa + size > base + d->pd_bar_size[b])
				continue;
			*barp = b;
			*offp = gpa - base;
			return d;
		}
	}
	return NULL;
}

static void pci_mmio_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct pci_bus *bus = opaque;
	struct pci_dev *d;
	uint64_t boff;
	unsigned bar;

	d = bar_lookup(bus, LAYOUT_PCI_MMIO_GPA + off, size, &bar, &boff);
	if (d == NULL) {
		memset(data, 0xff, size);
		return;
	}
	if (msix_bar_access(d, bar, boff, data, size, 0))
		return;
	memset(data, 0, size);
	if (d->pd_ops->bar_read != NULL)
		d->pd_ops->bar_read(d->pd_opaque, bar, boff, data, size);
}

static void pci_mmio_write(void *opaque, uint64_t off, const void *data,
			   unsigned size)
{
	struct pci_bus *bus = opaque;
	struct pci_dev *d;
	uint64_t boff;
	unsigned bar;

	d = bar_lookup(bus, LAYOUT_PCI_MMIO_GPA + off, size, &bar, &boff);
	if (d == NULL)
		return;
	if (msix_bar_access(d, bar, boff, (void *)(uintptr_t)data, size, 1))
		return;
	if (d->pd_ops->bar_write != NULL)
		d->pd_ops->bar_write(d->pd_opaque, bar, boff, data, size);
}

static const struct iobus_ops pci_mmio_ops = {
	.read = pci_mmio_read,
	.write = pci_mmio_write,
};

/* ---- configuration space ---- */

static struct pci_dev *cfg_target(struct pci_bus *bus)
{
	uint32_t a = bus->pb_addr;

	if (!(a & CF8_ENABLE) || CF8_BUS(a) != 0 || CF8_FUNC(a) != 0)
		return NULL;
	return bus->pb_devs[CF8_SLOT(a)];
}

static void pci_addr_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct pci_bus *bus = opaque;

	/* Only a dword access at 0xcf8 is the address latch. */
	if (off == 0 && size == 4)
		memcpy(data, &bus->pb_addr, 4);
	else
		memset(data, 0xff, size);
}

static void pci_addr_write(void *opaque, uint64_t off, const void *data,
			   unsigned size)
{
	struct pci_bus *bus = opaque;

	if (off == 0 && size == 4) {
		memcpy(&bus->pb_addr, data, 4);
		bus->pb_addr &= ~0x7f000003u; /* reserved bits read as 0 */
	}
}

const struct iobus_ops pci_config_addr_ops = {
	.read = pci_addr_read,
	.write = pci_addr_write,
};

static void pci_data_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct pci_bus *bus = opaque;
	struct pci_dev *d = cfg_target(bus);
	unsigned reg = CF8_REG(bus->pb_addr) + (unsigned)off;

	if (d == NULL || reg + size > PCI_CFG_BYTES) {
		memset(data, 0xff, size);
		return;
	}
	if (d->pd_ops->cfg_read != NULL)
		d->pd_ops->cfg_read(d->pd_opaque, reg, size);
	memcpy(data, d->pd_cfg + reg, size);
}

/* A BAR write: keep the size's alignment, and the type bits. */
static void bar_fixup(struct pci_dev *d, unsigned bar)
{
	uint8_t *p = d->pd_cfg + PCI_BAR0 + 4 * bar;
	uint32_t v = cfg32(d, PCI_BAR0 + 4 * bar);

	if (d->pd_bar_size[bar] == 0) {
		le32_put(p, 0);
		return;
	}
	v &= ~(d->pd_bar_size[bar] - 1);
	le32_put(p, v | BAR_MEM32);
}

static void pci_data_write(void *opaque, uint64_t off, const void *data,
			   unsigned size)
{
	struct pci_bus *bus = opaque;
	struct pci_dev *d = cfg_target(bus);
	unsigned reg = CF8_REG(bus->pb_addr) + (unsigned)off;
	const uint8_t *in = data;
	uint16_t msix_before = 0;

	if (d == NULL || reg + size > PCI_CFG_BYTES)
		return;
	if (d->pd_msix_nvec != 0)
		msix_before = cfg16(d, d->pd_msix_cap + 2);
	for (unsigned i = 0; i < size; i++) {
		uint8_t m = d->pd_wmask[reg + i];
		d->pd_cfg[reg + i] =
			(uint8_t)((d->pd_cfg[reg + i] & ~m) | (in[i] & m));
	}
	for (unsigned b = 0; b < PCI_BARS_MAX; b++)
		if (reg < PCI_BAR0 + 4 * b + 4 && reg + size > PCI_BAR0 + 4 * b)
			bar_fixup(d, b);
	if (d->pd_msix_nvec != 0 && msix_before != cfg16(d, d->pd_msix_cap + 2))
		msix_flush_pending(d);
	if (d->pd_ops->cfg_write != NULL)
		d->pd_ops->cfg_write(d->pd_opaque, reg, size);
}

const struct iobus_ops pci_config_data_ops = {
	.read = pci_data_read,
	.write = pci_data_write,
};

/* ---- building devices ---- */

static const struct pci_dev_ops pci_no_ops;

static void pci_header(struct pci_dev *d, const struct pci_id *id)
{
	le16_put(d->pd_cfg + PCI_VENDOR_ID, id->pi_vendor);
	le16_put(d->pd_cfg + PCI_DEVICE_ID, id->pi_device);
	d->pd_cfg[PCI_REVISION] = id->pi_revision;
	d->pd_cfg[PCI_CLASS_PROG] = (uint8_t)id->pi_class;
	d->pd_cfg[PCI_CLASS_PROG + 1] = (uint8_t)(id->pi_class >> 8);
	d->pd_cfg[PCI_CLASS_PROG + 2] = (uint8_t)(id->pi_class >> 16);
	le16_put(d->pd_cfg + PCI_SUBSYS_VENDOR, id->pi_subsys_vendor);
	le16_put(d->pd_cfg + PCI_SUBSYS_ID, id->pi_subsys);
	/* Memory decode and bus mastering, INTx disable; no INTx pin. */
	le16_put(d->pd_wmask + PCI_COMMAND, 0x0406);
	d->pd_wmask[0x0c] = 0xff; /* cache line size */
	d->pd_wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->pd_cap_next = 0x40;
}

static void pci_dev_free(void *p)
{
	free(p);
}

int pci_dev_add(struct pci_bus *bus, const char *name, const struct pci_id *id,
		const struct pci_dev_ops *ops, void *opaque,
		struct pci_dev **devp, struct err *e)
{
	struct pci_dev *d;
	int slot, rc;

	for (slot = 0; slot < PCI_SLOTS_MAX; slot++)
		if (bus->pb_devs[slot] == NULL)
			break;
	if (slot == PCI_SLOTS_MAX)
		return err_set(e, -ENOSPC, "%s: all %d PCI slots are taken",
			       name, PCI_SLOTS_MAX);
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return err_set(e, -ENOMEM, "%s: out of memory", name);
	rc = vm_own(bus->pb_vm, d, pci_dev_free, e);
	if (rc < 0) {
		free(d);
		return rc;
	}
	d->pd_bus = bus;
	d->pd_slot = slot;
	d->pd_name = name;
	d->pd_ops = ops != NULL ? ops : &pci_no_ops;
	d->pd_opaque = opaque;
	pci_header(d, id);
	bus->pb_devs[slot] = d;
	*devp = d;
	return 0;
}

int pci_bar_add(struct pci_dev *d, unsigned bar, uint32_t size, struct err *e)
{
	struct pci_bus *bus = d->pd_bus;
	uint64_t base;

	if (bar >= PCI_BARS_MAX || d->pd_bar_size[bar] != 0 || size < 4096 ||
	    (size & (size - 1)) != 0)
		return err_set(e, -EINVAL, "%s: bad BAR %u of %u bytes",
			       d->pd_name, bar, size);
	base = (bus->pb_mmio_next + size - 1) & ~((uint64_t)size - 1);
	if (base + size > LAYOUT_PCI_MMIO_END_GPA)
		return err_set(e, -ENOSPC, "%s: PCI memory window is full",
			       d->pd_name);
	bus->pb_mmio_next = base + size;
	d->pd_bar_size[bar] = size;
	le32_put(d->pd_cfg + PCI_BAR0 + 4 * bar, (uint32_t)base | BAR_MEM32);
	le32_put(d->pd_wmask + PCI_BAR0 + 4 * bar, ~(size - 1));
	/* Decode on, as firmware leaves a device it has placed. */
	le16_put(d->pd_cfg + PCI_COMMAND,
		 cfg16(d, PCI_COMMAND) | PCI_COMMAND_MEMORY);
	return 0;
}

unsigned pci_cap_add(struct pci_dev *d, const void *cap, const void *wmask,
		     unsigned len)
{
	unsigned off = d->pd_cap_next;

	if (len < 2 || off + len > PCI_CFG_BYTES)
		return 0;
	memcpy(d->pd_cfg + off, cap, len);
	if (wmask != NULL)
		memcpy(d->pd_wmask + off, wmask, len);
	d->pd_cfg[off + 1] = 0; /* end of list */
	d->pd_wmask[off] = d->pd_wmask[off + 1] = 0;
	if (d->pd_cap_last == 0)
		d->pd_cfg[PCI_CAP_PTR] = (uint8_t)off;
	else
		d->pd_cfg[d->pd_cap_last + 1] = (uint8_t)off;
	le16_put(d->pd_cfg + PCI_STATUS,
		 cfg16(d, PCI_STATUS) | PCI_STATUS_CAP_LIST);
	d->pd_cap_last = (uint8_t)off;
	d->pd_cap_next = (uint8_t)((off + len + 3) & ~3u);
	return off;
}

int pci_msix_add(struct pci_dev *d, unsigned nvec, unsigned bar,
		 uint32_t table_off, uint32_t pba_off, struct err *e)
{
	uint8_t cap[12] = {PCI_CAP_ID_MSIX}, wm[12] = {0};
	unsigned off;

	if (nvec == 0 || nvec > PCI_MSIX_VECTORS_MAX || bar >= PCI_BARS_MAX ||
	    d->pd_bar_size[bar] == 0 || table_off % 8 != 0 ||
	    pba_off % 8 != 0 ||
	    table_off + nvec * MSIX_ENTRY_BYTES > d->pd_bar_size[bar] ||
	    pba_off + 8 > d->pd_bar_size[bar])
		return err_set(e, -EINVAL, "%s: bad MSI-X layout", d->pd_name);
	le16_put(cap + 2, (uint16_t)(nvec - 1));
	le32_put(cap + 4, table_off | bar);
	le32_put(cap + 8, pba_off | bar);
	le16_put(wm + 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
	off = pci_cap_add(d, cap, wm, sizeof(cap));
	if (off == 0)
		return err_set(e, -ENOSPC, "%s: config space full", d->pd_name);
	d->pd_msix_cap = off;
	d->pd_msix_nvec = nvec;
	d->pd_msix_bar = bar;
	d->pd_msix_table_off = table_off;
	d->pd_msix_pba_off = pba_off;
	/* Entries start masked (PCI 3.0, 6.8.2.9). */
	for (unsigned v = 0; v < nvec; v++)
		d->pd_msix_table[v * MSIX_ENTRY_BYTES + 12] = MSIX_ENTRY_MASKED;
	return 0;
}

static void pci_bus_free(void *p)
{
	free(p);
}

int pci_bus_create(struct vm *vm, struct pci_bus **busp, struct err *e)
{
	static const struct pci_id bridge = {
		.pi_vendor = HOST_BRIDGE_VENDOR,
		.pi_device = HOST_BRIDGE_DEVICE,
		.pi_subsys_vendor = HOST_BRIDGE_VENDOR,
		.pi_subsys = HOST_BRIDGE_DEVICE,
		.pi_class = PCI_CLASS_HOST_BRIDGE,
	};
	struct pci_bus *bus;
	struct pci_dev *hb;
	int rc;

	bus = calloc(1, sizeof(*bus));
	if (bus == NULL)
		return err_set(e, -ENOMEM, "pci: out of memory");
	rc = vm_own(vm, bus, pci_bus_free, e);
	if (rc < 0) {
		free(bus);
		return rc;
	}
	bus->pb_vm = vm;
	bus->pb_mmio_next = LAYOUT_PCI_MMIO_GPA;
	rc = iobus_register(&vm->vm_pio, PCI_CONFIG_ADDR_PORT, 4,
			    &pci_config_addr_ops, bus, "pci-config-address", e);
	if (rc == 0)
		rc = iobus_register(&vm->vm_pio, PCI_CONFIG_DATA_PORT, 4,
				    &pci_config_data_ops, bus,
				    "pci-config-data", e);
	if (rc == 0)
		rc = iobus_register(&vm->vm_mmio, LAYOUT_PCI_MMIO_GPA,
				    LAYOUT_PCI_MMIO_END_GPA -
					    LAYOUT_PCI_MMIO_GPA,
				    &pci_mmio_ops, bus, "pci-bars", e);
	/* Linux trusts mechanism #1 only if it finds a host bridge (or an
	 * Intel device) on bus 0: arch/x86/pci/direct.c, pci_sanity_check. */
	if (rc == 0)
		rc = pci_dev_add(bus, "host-bridge", &bridge, NULL, NULL, &hb,
				 e);
	if (rc == 0)
		*busp = bus;
	return rc;
}
