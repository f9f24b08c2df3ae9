/*
 * virtio_blk.h: the block device (Virtio 1.2, 5.2) on a raw image:
 * read, write, flush (fdatasync), discard, write zeroes, read-only mode
 * and a serial number (GET_ID).
 */
#ifndef BASALT_VMX_DEVICES_VIRTIO_BLK_H
#define BASALT_VMX_DEVICES_VIRTIO_BLK_H

#include "common/err.h"
#include "vmx/devices/pci.h"

#define VIRTIO_BLK_SERIAL_BYTES 20 /* VIRTIO_BLK_ID_BYTES */
#define VIRTIO_BLK_SEG_MAX	126
#define VIRTIO_BLK_SIZE_MAX	(1u << 20) /* bytes per segment */
/* Biggest request accepted; larger ones mark the device broken. */
#define VIRTIO_BLK_REQUEST_MAX_BYTES (32u << 20)
#define VIRTIO_BLK_DISCARD_SEG_MAX   32

struct virtio_blk_config {
	const char *vbc_path;	/* raw image file or block device */
	int vbc_ro;		/* read-only: the guest sees VIRTIO_BLK_F_RO */
	const char *vbc_serial; /* NULL: derived from the file name */
};

struct virtio_blk;

BASALT_MUST_CHECK int virtio_blk_create(struct pci_bus *bus,
					const struct virtio_blk_config *cfg,
					struct virtio_blk **bp, struct err *e);

#endif
