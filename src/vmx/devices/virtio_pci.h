/*
 * virtio_pci.h: the virtio 1.x PCI transport (Virtio 1.2, 4.1 "Virtio Over
 * PCI Bus"), modern only: vendor capabilities for the common, notify, ISR,
 * device and PCI-config-access regions, all in BAR 0 with the MSI-X table,
 * one MSI-X vector per queue plus one for configuration changes. Feature
 * negotiation, the status machine and reset are written once here; device
 * models (virtio_rng.c, virtio_blk.c, virtio_net.c) fill a
 * struct virtio_dev_ops and never see PCI.
 */
#ifndef BASALT_VMX_DEVICES_VIRTIO_PCI_H
#define BASALT_VMX_DEVICES_VIRTIO_PCI_H

#include <stdint.h>

#include "common/err.h"
#include "vmx/devices/pci.h"
#include "vmx/devices/virtq.h"

#define VIRTIO_QUEUES_MAX      8
#define VIRTIO_CONFIG_MAX      256 /* bytes of device config */
#define VIRTIO_F_VERSION_1     32
#define VIRTIO_MSI_NO_VECTOR   0xffff
#define VIRTIO_PCI_VENDOR      0x1af4
#define VIRTIO_PCI_DEVICE_BASE 0x1040 /* + virtio device id */

/* Device status bits (Virtio 1.2, 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER	  2
#define VIRTIO_STATUS_DRIVER_OK	  4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED	  128

/* BAR 0 layout. */
#define VIRTIO_PCI_COMMON_OFF  0x0000
#define VIRTIO_PCI_ISR_OFF     0x1000
#define VIRTIO_PCI_DEVICE_OFF  0x2000
#define VIRTIO_PCI_NOTIFY_OFF  0x3000
#define VIRTIO_PCI_NOTIFY_MULT 4
#define VIRTIO_PCI_MSIX_OFF    0x4000
#define VIRTIO_PCI_PBA_OFF     0x5000
#define VIRTIO_PCI_BAR_BYTES   0x8000

struct virtio_pci;

/* A device model: constants and callbacks, every field commented. */
struct virtio_dev_ops {
	const char *vd_name;	  /* "virtio-blk", for logs */
	uint16_t vd_device_id;	  /* virtio device id (Virtio 1.2, 5) */
	uint32_t vd_pci_class;	  /* PCI class code the guest sees */
	unsigned vd_nqueues;	  /* number of virtqueues */
	uint16_t vd_queue_size;	  /* entries offered per queue, power of 2 */
	uint64_t vd_features;	  /* device-type feature bits offered */
	unsigned vd_config_bytes; /* size of the device config */
	/* Required. The driver notified queue q: process what is there.
	 * Called with the VM's device lock held. */
	void (*vd_queue_notify)(void *dev, unsigned q);
	/* Optional: an eventfd for KVM to signal, in the kernel, when the
	 * driver notifies queue q (the device's own thread then looks at
	 * the queue); -1 or NULL: vd_queue_notify is called instead. A
	 * notify KVM does not match (another width) still reaches
	 * vd_queue_notify. */
	int (*vd_queue_eventfd)(void *dev, unsigned q);
	/* The driver wrote config bytes [off, off+len), already stored.
	 * NULL: the config is read-only and writes are dropped. */
	void (*vd_config_write)(void *dev, unsigned off, unsigned len);
	/* The driver acked features (a subset of those offered) and asks
	 * for FEATURES_OK; return 0 to accept. NULL accepts. */
	int (*vd_features_ok)(void *dev, uint64_t features);
	/* The driver reset the device (status 0, or after NEEDS_RESET):
	 * drop in-flight state. NULL: nothing to drop. */
	void (*vd_reset)(void *dev);
};

/*
 * Put a virtio device on bus: ops and dev describe it, config points at its
 * vd_config_bytes of device config (owned by dev, read by the driver
 * directly). *vpp is owned by the VM.
 */
BASALT_MUST_CHECK int virtio_pci_create(struct pci_bus *bus,
					const struct virtio_dev_ops *ops,
					void *dev, uint8_t *config,
					struct virtio_pci **vpp, struct err *e);

/* Queue q, for popping chains; NULL if q is out of range. */
struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned q);

/* The device pushed used entries to queue q: interrupt the driver if it
 * wants one. */
void virtio_pci_queue_done(struct virtio_pci *vp, unsigned q);

/*
 * The driver broke the rules (bad chain, bad address): set NEEDS_RESET,
 * tell the driver with a config interrupt, log why once. The device stops
 * processing queues until the driver resets it; vmx keeps running.
 */
void virtio_pci_needs_reset(struct virtio_pci *vp, const char *why);

/* 1 while queues may be processed: DRIVER_OK and not NEEDS_RESET. */
int virtio_pci_live(const struct virtio_pci *vp);

/* Features the driver acked. */
uint64_t virtio_pci_features(const struct virtio_pci *vp);

/* The device's config changed: bump the generation and interrupt. */
void virtio_pci_config_changed(struct virtio_pci *vp);

/* Status byte and the PCI function, for tests and status reports. */
uint8_t virtio_pci_status(const struct virtio_pci *vp);
struct pci_dev *virtio_pci_dev(struct virtio_pci *vp);

#endif
