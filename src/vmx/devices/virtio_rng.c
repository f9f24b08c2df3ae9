/*
 * virtio_rng.c: virtio entropy device (see virtio_rng.h).
 */
#include "vmx/devices/virtio_rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "vmx/devices/virtio_pci.h"

#define VIRTIO_ID_RNG 4

struct virtio_rng {
	struct virtio_pci *vr_vp;
	struct virtq_chain vr_chain; /* preallocated: no malloc per request */
	uint64_t vr_bytes;	     /* entropy handed out */
};

static void virtio_rng_notify(void *dev, unsigned q)
{
	struct virtio_rng *r = dev;
	struct virtq *vq = virtio_pci_queue(r->vr_vp, q);
	uint8_t buf[VIRTIO_RNG_REQUEST_MAX_BYTES];
	struct err e = {0};
	int rc;

	while ((rc = virtq_pop(vq, &r->vr_chain, &e)) > 0) {
		uint64_t want = r->vr_chain.vc_write_bytes;
		ssize_t got;
		if (want > sizeof(buf))
			want = sizeof(buf);
		got = getrandom(buf, want, GRND_NONBLOCK);
		if (got < 0)
			got = 0; /* an empty answer; the driver asks again */
		got = (ssize_t)virtq_chain_write(&r->vr_chain, 0, buf,
						 (uint64_t)got);
		r->vr_bytes += (uint64_t)got;
		virtq_push(vq, r->vr_chain.vc_head, (uint32_t)got);
	}
	if (rc < 0)
		virtio_pci_needs_reset(r->vr_vp, err_msg(&e));
	virtio_pci_queue_done(r->vr_vp, q);
}

static const struct virtio_dev_ops virtio_rng_ops = {
	.vd_name = "virtio-rng",
	.vd_device_id = VIRTIO_ID_RNG,
	.vd_pci_class = 0x00ff00, /* unclassified */
	.vd_nqueues = 1,
	.vd_queue_size = 64,
	.vd_features = 0,
	.vd_config_bytes = 0,
	.vd_queue_notify = virtio_rng_notify,
};

int virtio_rng_create(struct pci_bus *bus, struct err *e)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	int rc;

	if (r == NULL)
		return err_set(e, -ENOMEM, "virtio-rng: out of memory");
	rc = vm_own(pci_bus_vm(bus), r, free, e);
	if (rc < 0) {
		free(r);
		return rc;
	}
	return virtio_pci_create(bus, &virtio_rng_ops, r, NULL, &r->vr_vp, e);
}
