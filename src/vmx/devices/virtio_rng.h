/*
 * virtio_rng.h: the entropy device (Virtio 1.2, 5.4): one queue of
 * device-writable buffers, filled from the host's getrandom().
 */
#ifndef BASALT_VMX_DEVICES_VIRTIO_RNG_H
#define BASALT_VMX_DEVICES_VIRTIO_RNG_H

#include "common/err.h"
#include "vmx/devices/pci.h"

/* At most this many bytes per request, so a guest cannot make one exit
 * take long; it asks again for more. */
#define VIRTIO_RNG_REQUEST_MAX_BYTES 4096

BASALT_MUST_CHECK int virtio_rng_create(struct pci_bus *bus, struct err *e);

#endif
