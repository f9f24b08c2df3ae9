/*
 * pci.h: the PCI bus of a vmx machine: bus 0 behind configuration
 * mechanism #1 (ports 0xcf8/0xcfc, PCI Local Bus 3.0, 3.2.2.3.2), a host
 * bridge at 00:00.0, type-0 config spaces with capability lists, 32-bit
 * memory BARs placed in the window the DSDT announces, and MSI-X (PCI 3.0,
 * 6.8.2) delivered through KVM.
 *
 * The bus knows no device model: a device fills its config space, declares
 * BARs and capabilities, and gets its BAR accesses through pci_dev_ops.
 * The MSI-X table and PBA, wherever a device puts them, are the bus's.
 */
#ifndef BASALT_VMX_DEVICES_PCI_H
#define BASALT_VMX_DEVICES_PCI_H

#include <stdint.h>

#include "common/err.h"
#include "vmx/vm.h"

#define PCI_CONFIG_ADDR_PORT 0xcf8
#define PCI_CONFIG_DATA_PORT 0xcfc
#define PCI_SLOTS_MAX	     32
#define PCI_BARS_MAX	     6
#define PCI_CFG_BYTES	     256
#define PCI_MSIX_VECTORS_MAX 64

/* Config space offsets (type 0 header). */
#define PCI_VENDOR_ID	    0x00
#define PCI_DEVICE_ID	    0x02
#define PCI_COMMAND	    0x04
#define PCI_STATUS	    0x06
#define PCI_REVISION	    0x08
#define PCI_CLASS_PROG	    0x09
#define PCI_HEADER_TYPE	    0x0e
#define PCI_BAR0	    0x10
#define PCI_SUBSYS_VENDOR   0x2c
#define PCI_SUBSYS_ID	    0x2e
#define PCI_CAP_PTR	    0x34
#define PCI_INTERRUPT_LINE  0x3c
#define PCI_INTERRUPT_PIN   0x3d
#define PCI_COMMAND_MEMORY  0x0002
#define PCI_COMMAND_MASTER  0x0004
#define PCI_STATUS_CAP_LIST 0x0010
#define PCI_CAP_ID_VNDR	    0x09
#define PCI_CAP_ID_MSIX	    0x11

struct pci_bus;
struct pci_dev;

/* What a device model implements; every callback may be NULL. */
struct pci_dev_ops {
	/* Guest reads size bytes at off inside BAR bar (never inside the
	 * MSI-X table or PBA); NULL reads zeros. */
	void (*bar_read)(void *opaque, unsigned bar, uint64_t off, void *data,
			 unsigned size);
	/* Guest writes into BAR bar; NULL drops the write. */
	void (*bar_write)(void *opaque, unsigned bar, uint64_t off,
			  const void *data, unsigned size);
	/* Called before the guest reads config bytes [off, off+size), so the
	 * device can refresh them. */
	void (*cfg_read)(void *opaque, unsigned off, unsigned size);
	/* Called after the guest wrote config bytes [off, off+size). */
	void (*cfg_write)(void *opaque, unsigned off, unsigned size);
};

/* Identity of a new device: the header fields a guest matches drivers on. */
struct pci_id {
	uint16_t pi_vendor, pi_device;
	uint16_t pi_subsys_vendor, pi_subsys;
	uint8_t pi_revision;
	uint32_t pi_class; /* class << 16 | subclass << 8 | prog-if */
};

struct pci_dev {
	struct pci_bus *pd_bus;
	int pd_slot;
	const char *pd_name; /* static, for logs */
	const struct pci_dev_ops *pd_ops;
	void *pd_opaque;
	uint8_t pd_cfg[PCI_CFG_BYTES];
	uint8_t pd_wmask[PCI_CFG_BYTES];    /* bits the guest may change */
	uint32_t pd_bar_size[PCI_BARS_MAX]; /* 0: no BAR; power of two */
	uint8_t pd_cap_next;		    /* where the next capability goes */
	uint8_t pd_cap_last; /* its predecessor's offset, 0: none */
	/* MSI-X: 0 vectors means none. */
	unsigned pd_msix_cap; /* config offset of the capability */
	unsigned pd_msix_nvec;
	unsigned pd_msix_bar;
	uint32_t pd_msix_table_off, pd_msix_pba_off;
	uint8_t pd_msix_table[PCI_MSIX_VECTORS_MAX * 16];
	uint64_t pd_msix_pending; /* the PBA */
	uint64_t pd_msix_sent;	  /* interrupts delivered (status, tests) */
};

/* Create bus 0 with its host bridge on vm's ports; owned by vm. */
BASALT_MUST_CHECK int pci_bus_create(struct vm *vm, struct pci_bus **busp,
				     struct err *e);

/*
 * Add a device in the first free slot (or fail), with id, ops and opaque.
 * The device then declares BARs and capabilities before the guest runs.
 * *devp is owned by the bus.
 */
BASALT_MUST_CHECK int pci_dev_add(struct pci_bus *bus, const char *name,
				  const struct pci_id *id,
				  const struct pci_dev_ops *ops, void *opaque,
				  struct pci_dev **devp, struct err *e);

/* Guest address of BAR bar if the device decodes memory now, else 0. */
uint64_t pci_bar_decoded_gpa(const struct pci_dev *dev, unsigned bar);

/* Declare 32-bit memory BAR bar of size bytes (a power of two, >= 4 KiB),
 * placed by the bus in the PCI window as firmware would. */
BASALT_MUST_CHECK int pci_bar_add(struct pci_dev *dev, unsigned bar,
				  uint32_t size, struct err *e);

/*
 * Append a capability: len bytes of cap (its first two bytes, id and next,
 * are filled in by the bus). wmask (may be NULL) marks guest-writable
 * bits. Returns its config offset, or 0 if the space is full.
 */
unsigned pci_cap_add(struct pci_dev *dev, const void *cap, const void *wmask,
		     unsigned len);

/* Give the device nvec MSI-X vectors with table and PBA in BAR bar. */
BASALT_MUST_CHECK int pci_msix_add(struct pci_dev *dev, unsigned nvec,
				   unsigned bar, uint32_t table_off,
				   uint32_t pba_off, struct err *e);

/*
 * Signal MSI-X vector vec: delivered now, or left pending in the PBA while
 * masked. Returns 0, or -EINVAL for a vector the device does not have
 * or when MSI-X is off (the guest did not enable it). Call with the VM's
 * device lock held.
 */
int pci_msix_notify(struct pci_dev *dev, unsigned vec);

/* The VM a bus belongs to. */
struct vm *pci_bus_vm(struct pci_bus *bus);

/* Where BAR bar is now (the guest may move it), or 0 if unassigned. */
uint64_t pci_bar_gpa(const struct pci_dev *dev, unsigned bar);

/* The bus's port ops, for tests that drive it without a VM run loop. */
extern const struct iobus_ops pci_config_addr_ops;
extern const struct iobus_ops pci_config_data_ops;

#endif
