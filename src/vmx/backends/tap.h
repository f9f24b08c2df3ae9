/*
 * tap.h: a Linux TAP interface as the backend of virtio-net
 * (Documentation/networking/tuntap.rst). Frames carry the 12-byte
 * virtio_net_hdr (IFF_VNET_HDR), so checksum and segmentation offloads
 * pass between the guest and the host stack untouched. The interface can
 * be attached to a host bridge by name, as a port group would be.
 */
#ifndef BASALT_VMX_BACKENDS_TAP_H
#define BASALT_VMX_BACKENDS_TAP_H

#include <net/if.h>
#include <stdint.h>
#include <sys/uio.h>

#include "common/err.h"

#define TAP_VNET_HDR_BYTES 12 /* struct virtio_net_hdr_v1 with num_buffers */

/* Offloads the guest can receive (TUNSETOFFLOAD bits). */
#define TAP_OFFLOAD_CSUM 0x01
#define TAP_OFFLOAD_TSO4 0x02
#define TAP_OFFLOAD_TSO6 0x04
#define TAP_OFFLOAD_ECN	 0x08

struct tap {
	int tp_fd;
	char tp_name[IFNAMSIZ];
};

/*
 * Open (creating if needed) TAP interface name, bring it up, and add it to
 * bridge (NULL: none). Creating and bridging need CAP_NET_ADMIN; a
 * persistent TAP owned by the caller needs nothing.
 */
BASALT_MUST_CHECK int tap_open(struct tap **tp, const char *name,
			       const char *bridge, struct err *e);
void tap_close(struct tap *t);

/* Tell the kernel which offloads the guest accepts. */
BASALT_MUST_CHECK int tap_set_offload(struct tap *t, unsigned offloads);

#endif
