/*
 * virtio_net.h: the network device (Virtio 1.2, 5.1) on a TAP interface:
 * one receive and one transmit queue, mergeable receive buffers, checksum
 * and TSO offloads passed through to the host stack, a MAC address and
 * link status in the config.
 */
#ifndef BASALT_VMX_DEVICES_VIRTIO_NET_H
#define BASALT_VMX_DEVICES_VIRTIO_NET_H

#include <stdint.h>

#include "common/err.h"
#include "vmx/devices/pci.h"

/* Largest frame either way: a 64 KiB TSO frame, its Ethernet header and
 * the virtio-net header. */
#define VIRTIO_NET_FRAME_MAX_BYTES (65536 + 14 + 12)
/* Frames received per wakeup before interrupting the guest. */
#define VIRTIO_NET_RX_BATCH 64
/* Frames sent per hold of the VM lock. */
#define VIRTIO_NET_TX_BATCH 64

struct virtio_net_config {
	const char *vnc_tap;	/* TAP interface name */
	const char *vnc_bridge; /* NULL: do not attach to a bridge */
	uint8_t vnc_mac[6];
	int vnc_mac_set; /* 0: generate a locally administered address */
};

BASALT_MUST_CHECK int virtio_net_create(struct pci_bus *bus,
					const struct virtio_net_config *cfg,
					struct err *e);

/* Parse "aa:bb:cc:dd:ee:ff" into mac; 0 or -EINVAL. */
BASALT_MUST_CHECK int virtio_net_parse_mac(const char *s, uint8_t mac[6]);

#endif
