/*
 * virtio_pci.c: the virtio 1.x PCI transport (see virtio_pci.h). Common
 * configuration layout, Virtio 1.2, 4.1.4.3:
 *
 *   0x00 device_feature_select le32   0x14 device_status     u8
 *   0x04 device_feature        le32   0x15 config_generation u8
 *   0x08 driver_feature_select le32   0x16 queue_select      le16
 *   0x0c driver_feature        le32   0x18 queue_size        le16
 *   0x10 config_msix_vector    le16   0x1a queue_msix_vector le16
 *   0x12 num_queues            le16   0x1c queue_enable      le16
 *   0x1e queue_notify_off le16, 0x20 queue_desc le64,
 *   0x28 queue_driver le64, 0x30 queue_device le64
 *
 * Accesses of any width are handled the same way: build the register
 * image from state, overlay the written bytes, then act on each field the
 * write touched.
 */
#include "vmx/devices/virtio_pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "common/log.h"

#define COMMON_BYTES 0x38
_Static_assert(VIRTIO_PCI_COMMON_OFF == 0, "common config at BAR offset 0");
#define CFG_TYPE_COMMON 1
#define CFG_TYPE_NOTIFY 2
#define CFG_TYPE_ISR	3
#define CFG_TYPE_DEVICE 4
#define CFG_TYPE_PCI	5
#define ISR_QUEUE	1
#define ISR_CONFIG	2

struct virtio_pci {
	const struct virtio_dev_ops *vp_ops;
	void *vp_dev;
	uint8_t *vp_config;
	struct pci_dev *vp_pci;
	struct vm *vp_vm;
	uint64_t vp_offered;
	uint64_t vp_acked;
	uint32_t vp_dfselect, vp_gfselect;
	uint8_t vp_status;
	uint8_t vp_generation;
	uint8_t vp_isr;
	uint16_t vp_config_vector;
	uint16_t vp_queue_select;
	unsigned vp_pci_cfg_cap; /* offset of the PCI-config-access cap */
	uint64_t vp_ioevent_gpa; /* BAR 0 where ioeventfds are set, 0: none */
	struct virtq vp_queues[VIRTIO_QUEUES_MAX];
	uint64_t vp_broken_count;
};

struct virtq *virtio_pci_queue(struct virtio_pci *vp, unsigned q)
{
	return q < vp->vp_ops->vd_nqueues ? &vp->vp_queues[q] : NULL;
}

uint64_t virtio_pci_features(const struct virtio_pci *vp)
{
	return vp->vp_acked;
}

uint8_t virtio_pci_status(const struct virtio_pci *vp)
{
	return vp->vp_status;
}

struct pci_dev *virtio_pci_dev(struct virtio_pci *vp)
{
	return vp->vp_pci;
}

int virtio_pci_live(const struct virtio_pci *vp)
{
	return (vp->vp_status & VIRTIO_STATUS_DRIVER_OK) &&
	       !(vp->vp_status & VIRTIO_STATUS_NEEDS_RESET);
}

static void virtio_pci_interrupt(struct virtio_pci *vp, uint8_t isr,
				 uint16_t vector)
{
	vp->vp_isr |= isr;
	if (vector != VIRTIO_MSI_NO_VECTOR)
		(void)pci_msix_notify(vp->vp_pci, vector);
}

void virtio_pci_queue_done(struct virtio_pci *vp, unsigned q)
{
	struct virtq *vq = virtio_pci_queue(vp, q);

	if (vq != NULL && virtq_need_interrupt(vq))
		virtio_pci_interrupt(vp, ISR_QUEUE, vq->vq_msix_vector);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
	vp->vp_generation++;
	virtio_pci_interrupt(vp, ISR_CONFIG, vp->vp_config_vector);
}

void virtio_pci_needs_reset(struct virtio_pci *vp, const char *why)
{
	if (vp->vp_status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->vp_broken_count++;
	/* Once per reset: a guest cannot flood the log with this. */
	log_warnx("%s (PCI slot %d): guest driver error: %s; device needs "
		  "reset",
		  vp->vp_ops->vd_name, vp->vp_pci->pd_slot, why);
	vp->vp_status |= VIRTIO_STATUS_NEEDS_RESET;
	virtio_pci_config_changed(vp);
}

static void virtio_pci_reset(struct virtio_pci *vp)
{
	if (vp->vp_ops->vd_reset != NULL)
		vp->vp_ops->vd_reset(vp->vp_dev);
	vp->vp_status = 0;
	vp->vp_acked = 0;
	vp->vp_isr = 0;
	vp->vp_dfselect = vp->vp_gfselect = 0;
	vp->vp_queue_select = 0;
	vp->vp_config_vector = VIRTIO_MSI_NO_VECTOR;
	for (unsigned q = 0; q < VIRTIO_QUEUES_MAX; q++)
		virtq_reset(&vp->vp_queues[q], vp->vp_ops->vd_queue_size);
}

/* ---- common configuration ---- */

static struct virtq *selected(struct virtio_pci *vp)
{
	return virtio_pci_queue(vp, vp->vp_queue_select);
}

static void common_image(struct virtio_pci *vp, uint8_t *img)
{
	struct virtq *vq = selected(vp);

	memset(img, 0, COMMON_BYTES);
	le32_put(img + 0x00, vp->vp_dfselect);
	if (vp->vp_dfselect < 2)
		le32_put(img + 0x04,
			 (uint32_t)(vp->vp_offered >> (32 * vp->vp_dfselect)));
	le32_put(img + 0x08, vp->vp_gfselect);
	if (vp->vp_gfselect < 2)
		le32_put(img + 0x0c,
			 (uint32_t)(vp->vp_acked >> (32 * vp->vp_gfselect)));
	le16_put(img + 0x10, vp->vp_config_vector);
	le16_put(img + 0x12, (uint16_t)vp->vp_ops->vd_nqueues);
	img[0x14] = vp->vp_status;
	img[0x15] = vp->vp_generation;
	le16_put(img + 0x16, vp->vp_queue_select);
	if (vq == NULL)
		return; /* queue_size 0: no such queue */
	le16_put(img + 0x18, vq->vq_size);
	le16_put(img + 0x1a, vq->vq_msix_vector);
	le16_put(img + 0x1c, (uint16_t)vq->vq_enabled);
	le16_put(img + 0x1e, vp->vp_queue_select);
	le64_put(img + 0x20, vq->vq_desc_gpa);
	le64_put(img + 0x28, vq->vq_avail_gpa);
	le64_put(img + 0x30, vq->vq_used_gpa);
}

static int touched(uint64_t off, unsigned size, unsigned field, unsigned width)
{
	return off < field + width && off + size > field;
}

static uint16_t vector_or_none(struct virtio_pci *vp, uint16_t v)
{
	/* A vector we do not have reads back as NO_VECTOR, which is how the
	 * driver learns the mapping failed (Virtio 1.2, 4.1.5.1.2). */
	return v < vp->vp_pci->pd_msix_nvec ? v : VIRTIO_MSI_NO_VECTOR;
}

static void status_write(struct virtio_pci *vp, uint8_t st)
{
	uint8_t old = vp->vp_status;

	if (st == 0) {
		virtio_pci_reset(vp);
		return;
	}
	if ((st & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK)) {
		if (vp->vp_acked & ~vp->vp_offered) {
			log_info("%s: driver acked features 0x%llx we never "
				 "offered; dropped",
				 vp->vp_ops->vd_name,
				 (unsigned long long)(vp->vp_acked &
						      ~vp->vp_offered));
			vp->vp_acked &= vp->vp_offered;
		}
		/* A legacy driver cannot drive a modern-only device. */
		if (!(vp->vp_acked & (1ULL << VIRTIO_F_VERSION_1)) ||
		    (vp->vp_ops->vd_features_ok != NULL &&
		     vp->vp_ops->vd_features_ok(vp->vp_dev, vp->vp_acked) != 0))
			st &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
		for (unsigned q = 0; q < VIRTIO_QUEUES_MAX; q++) {
			vp->vp_queues[q].vq_event_idx =
				(vp->vp_acked >> VIRTIO_F_EVENT_IDX) & 1;
			vp->vp_queues[q].vq_indirect =
				(vp->vp_acked >> VIRTIO_F_INDIRECT_DESC) & 1;
		}
	}
	/* NEEDS_RESET is the device's to set; the driver cannot clear it. */
	vp->vp_status = (uint8_t)((st & ~VIRTIO_STATUS_NEEDS_RESET) |
				  (old & VIRTIO_STATUS_NEEDS_RESET));
}

static void queue_enable(struct virtio_pci *vp, struct virtq *vq)
{
	struct err e = {0};

	if (vq->vq_enabled)
		return;
	if (virtq_enable(vq, &vp->vp_vm->vm_mem, &e) < 0)
		virtio_pci_needs_reset(vp, err_msg(&e));
}

static void common_write(struct virtio_pci *vp, uint64_t off, const void *data,
			 unsigned size)
{
	uint8_t img[COMMON_BYTES];
	struct virtq *vq;
	int features_locked = vp->vp_status & VIRTIO_STATUS_FEATURES_OK;

	if (off + size > COMMON_BYTES)
		return;
	common_image(vp, img);
	memcpy(img + off, data, size);
	vq = selected(vp);

	if (touched(off, size, 0x00, 4))
		vp->vp_dfselect = le32_get(img + 0x00);
	if (touched(off, size, 0x08, 4))
		vp->vp_gfselect = le32_get(img + 0x08);
	if (touched(off, size, 0x0c, 4) && !features_locked &&
	    vp->vp_gfselect < 2) {
		unsigned shift = 32 * vp->vp_gfselect;
		vp->vp_acked &= ~(0xffffffffULL << shift);
		vp->vp_acked |= (uint64_t)le32_get(img + 0x0c) << shift;
	}
	if (touched(off, size, 0x10, 2))
		vp->vp_config_vector = vector_or_none(vp, le16_get(img + 0x10));
	if (touched(off, size, 0x16, 2))
		vp->vp_queue_select = le16_get(img + 0x16);
	/* Queue fields are those of the queue selected before this write. */
	if (vq != NULL && !vq->vq_enabled) {
		if (touched(off, size, 0x18, 2)) {
			uint16_t n = le16_get(img + 0x18);
			/* Smaller powers of 2 are fine; others fail at
			 * enable time with a reason. */
			vq->vq_size = n <= vp->vp_ops->vd_queue_size
					      ? n
					      : vp->vp_ops->vd_queue_size;
		}
		if (touched(off, size, 0x20, 8))
			vq->vq_desc_gpa = le64_get(img + 0x20);
		if (touched(off, size, 0x28, 8))
			vq->vq_avail_gpa = le64_get(img + 0x28);
		if (touched(off, size, 0x30, 8))
			vq->vq_used_gpa = le64_get(img + 0x30);
	}
	if (vq != NULL && touched(off, size, 0x1a, 2))
		vq->vq_msix_vector = vector_or_none(vp, le16_get(img + 0x1a));
	if (vq != NULL && touched(off, size, 0x1c, 2) &&
	    le16_get(img + 0x1c) == 1)
		queue_enable(vp, vq);
	if (touched(off, size, 0x14, 1))
		status_write(vp, img[0x14]);
}

/* ---- BAR 0 ---- */

static void virtio_bar_read(void *opaque, unsigned bar, uint64_t off,
			    void *data, unsigned size)
{
	struct virtio_pci *vp = opaque;
	uint8_t img[COMMON_BYTES];

	if (bar != 0)
		return;
	/* The common config starts at offset 0 of the BAR. */
	if (off + size <= VIRTIO_PCI_COMMON_OFF + COMMON_BYTES) {
		common_image(vp, img);
		memcpy(data, img + off, size);
	} else if (off == VIRTIO_PCI_ISR_OFF) {
		/* Reading the ISR acknowledges it (Virtio 1.2, 4.1.4.5). */
		*(uint8_t *)data = vp->vp_isr;
		vp->vp_isr = 0;
	} else if (off >= VIRTIO_PCI_DEVICE_OFF &&
		   off + size <= VIRTIO_PCI_DEVICE_OFF +
					 vp->vp_ops->vd_config_bytes) {
		memcpy(data, vp->vp_config + off - VIRTIO_PCI_DEVICE_OFF, size);
	}
	/* Anything else reads as zeros (the bus cleared data). */
}

static void virtio_bar_write(void *opaque, unsigned bar, uint64_t off,
			     const void *data, unsigned size)
{
	struct virtio_pci *vp = opaque;
	uint64_t q;

	if (bar != 0)
		return;
	if (off < VIRTIO_PCI_COMMON_OFF + COMMON_BYTES) {
		common_write(vp, off, data, size);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF &&
		   off < VIRTIO_PCI_NOTIFY_OFF +
				   VIRTIO_PCI_NOTIFY_MULT *
					   (uint64_t)vp->vp_ops->vd_nqueues) {
		q = (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT;
		if (virtio_pci_live(vp) && vp->vp_queues[q].vq_enabled)
			vp->vp_ops->vd_queue_notify(vp->vp_dev, (unsigned)q);
	} else if (off >= VIRTIO_PCI_DEVICE_OFF &&
		   off + size <= VIRTIO_PCI_DEVICE_OFF +
					 vp->vp_ops->vd_config_bytes &&
		   vp->vp_ops->vd_config_write != NULL) {
		memcpy(vp->vp_config + off - VIRTIO_PCI_DEVICE_OFF, data, size);
		vp->vp_ops->vd_config_write(
			vp->vp_dev, (unsigned)(off - VIRTIO_PCI_DEVICE_OFF),
			size);
	}
}

/* ---- the PCI-config access capability (Virtio 1.2, 4.1.4.9) ---- */

/*
 * cap + 4: bar u8, +8 offset le32, +12 length le32, +16 data[4]. Returns
 * the config offset of data[] when the access at off/size touches it and
 * the window the driver set is valid (BAR 0, length 1, 2 or 4, aligned,
 * inside the BAR), 0 otherwise.
 */
static unsigned pci_cfg_window(struct virtio_pci *vp, unsigned off,
			       unsigned size, uint64_t *boff, unsigned *len)
{
	const uint8_t *cap = vp->vp_pci->pd_cfg + vp->vp_pci_cfg_cap;
	unsigned data = vp->vp_pci_cfg_cap + 16;

	if (off + size <= data || off >= data + 4)
		return 0;
	*boff = le32_get(cap + 8);
	*len = le32_get(cap + 12);
	if (cap[4] != 0 || (*len != 1 && *len != 2 && *len != 4) ||
	    *boff % *len != 0 || *boff + *len > VIRTIO_PCI_BAR_BYTES)
		return 0;
	return data;
}

static void virtio_cfg_read(void *opaque, unsigned off, unsigned size)
{
	struct virtio_pci *vp = opaque;
	unsigned data, len;
	uint64_t boff;

	data = pci_cfg_window(vp, off, size, &boff, &len);
	if (data == 0)
		return;
	memset(vp->vp_pci->pd_cfg + data, 0, 4);
	virtio_bar_read(vp, 0, boff, vp->vp_pci->pd_cfg + data, len);
}

/* Set (or clear) KVM's ioeventfds on the notify addresses of BAR 0 at
 * gpa; on a failure to set one, those already set are cleared. */
static int ioevents_set(struct virtio_pci *vp, uint64_t gpa, int assign)
{
	for (unsigned q = 0; q < vp->vp_ops->vd_nqueues; q++) {
		int fd = vp->vp_ops->vd_queue_eventfd(vp->vp_dev, q);
		uint64_t at = gpa + VIRTIO_PCI_NOTIFY_OFF +
			      (uint64_t)q * VIRTIO_PCI_NOTIFY_MULT;
		int rc;
		if (fd < 0)
			continue;
		/* The driver writes the queue's index, 16 bits. */
		rc = vm_ioeventfd(vp->vp_vm, at, 2, q, fd, assign);
		if (rc < 0 && assign) {
			log_warnx("%s: ioeventfd at 0x%llx: %s (notifies "
				  "take the slow path)",
				  vp->vp_ops->vd_name, (unsigned long long)at,
				  strerror(-rc));
			(void)ioevents_set(vp, gpa, 0);
			return rc;
		}
	}
	return 0;
}

/* Keep the ioeventfds where the guest has BAR 0, and only while the
 * device decodes memory. */
static void ioevents_update(struct virtio_pci *vp)
{
	uint64_t gpa = pci_bar_decoded_gpa(vp->vp_pci, 0);

	if (vp->vp_ops->vd_queue_eventfd == NULL || gpa == vp->vp_ioevent_gpa)
		return;
	if (vp->vp_ioevent_gpa != 0)
		(void)ioevents_set(vp, vp->vp_ioevent_gpa, 0);
	vp->vp_ioevent_gpa = 0;
	if (gpa != 0 && ioevents_set(vp, gpa, 1) == 0)
		vp->vp_ioevent_gpa = gpa;
}

static void virtio_cfg_write(void *opaque, unsigned off, unsigned size)
{
	struct virtio_pci *vp = opaque;
	unsigned data, len;
	uint64_t boff;

	data = pci_cfg_window(vp, off, size, &boff, &len);
	if (data != 0)
		virtio_bar_write(vp, 0, boff, vp->vp_pci->pd_cfg + data, len);
	ioevents_update(vp); /* the BAR or the command register may move */
}

static const struct pci_dev_ops virtio_pci_ops = {
	.bar_read = virtio_bar_read,
	.bar_write = virtio_bar_write,
	.cfg_read = virtio_cfg_read,
	.cfg_write = virtio_cfg_write,
};

/* struct virtio_pci_cap: vndr, next, len, type, bar, id, pad[2],
 * offset le32, length le32 (+ notify multiplier or data). */
static unsigned add_cap(struct pci_dev *d, uint8_t type, uint32_t off,
			uint32_t len, uint32_t extra, int writable_tail)
{
	uint8_t cap[20] = {PCI_CAP_ID_VNDR}, wm[20] = {0};
	unsigned cap_len =
		(type == CFG_TYPE_NOTIFY || type == CFG_TYPE_PCI) ? 20 : 16;

	cap[2] = (uint8_t)cap_len;
	cap[3] = type;
	cap[4] = 0; /* BAR 0 */
	le32_put(cap + 8, off);
	le32_put(cap + 12, len);
	if (type == CFG_TYPE_NOTIFY)
		le32_put(cap + 16, extra);
	if (writable_tail) { /* bar, offset, length and data */
		wm[4] = 0xff;
		memset(wm + 8, 0xff, 12);
	}
	return pci_cap_add(d, cap, wm, cap_len);
}

static void virtio_pci_free(void *p)
{
	free(p);
}

int virtio_pci_create(struct pci_bus *bus, const struct virtio_dev_ops *ops,
		      void *dev, uint8_t *config, struct virtio_pci **vpp,
		      struct err *e)
{
	struct pci_id id = {
		.pi_vendor = VIRTIO_PCI_VENDOR,
		.pi_device =
			(uint16_t)(VIRTIO_PCI_DEVICE_BASE + ops->vd_device_id),
		.pi_subsys_vendor = VIRTIO_PCI_VENDOR,
		.pi_subsys = 0x40, /* >= 0x40 for modern devices */
		.pi_revision = 1,  /* modern only */
		.pi_class = ops->vd_pci_class,
	};
	struct virtio_pci *vp;
	struct pci_dev *d;
	int rc;

	if (ops->vd_nqueues == 0 || ops->vd_nqueues > VIRTIO_QUEUES_MAX ||
	    ops->vd_config_bytes > VIRTIO_CONFIG_MAX ||
	    ops->vd_queue_notify == NULL || ops->vd_queue_size == 0 ||
	    ops->vd_queue_size > VIRTQ_SIZE_MAX ||
	    (ops->vd_queue_size & (ops->vd_queue_size - 1)) != 0)
		return err_set(e, -EINVAL, "%s: bad device description",
			       ops->vd_name);
	vp = calloc(1, sizeof(*vp));
	if (vp == NULL)
		return err_set(e, -ENOMEM, "%s: out of memory", ops->vd_name);
	rc = vm_own(pci_bus_vm(bus), vp, virtio_pci_free, e);
	if (rc < 0) {
		free(vp);
		return rc;
	}
	vp->vp_ops = ops;
	vp->vp_dev = dev;
	vp->vp_config = config;
	vp->vp_vm = pci_bus_vm(bus);
	vp->vp_offered = ops->vd_features | 1ULL << VIRTIO_F_VERSION_1 |
			 1ULL << VIRTIO_F_INDIRECT_DESC |
			 1ULL << VIRTIO_F_EVENT_IDX;
	rc = pci_dev_add(bus, ops->vd_name, &id, &virtio_pci_ops, vp, &d, e);
	if (rc < 0)
		return rc;
	vp->vp_pci = d;
	rc = pci_bar_add(d, 0, VIRTIO_PCI_BAR_BYTES, e);
	if (rc == 0)
		rc = pci_msix_add(d, ops->vd_nqueues + 1, 0,
				  VIRTIO_PCI_MSIX_OFF, VIRTIO_PCI_PBA_OFF, e);
	if (rc < 0)
		return rc;
	if (add_cap(d, CFG_TYPE_COMMON, VIRTIO_PCI_COMMON_OFF, COMMON_BYTES, 0,
		    0) == 0 ||
	    add_cap(d, CFG_TYPE_NOTIFY, VIRTIO_PCI_NOTIFY_OFF,
		    VIRTIO_PCI_NOTIFY_MULT * ops->vd_nqueues,
		    VIRTIO_PCI_NOTIFY_MULT, 0) == 0 ||
	    add_cap(d, CFG_TYPE_ISR, VIRTIO_PCI_ISR_OFF, 4, 0, 0) == 0 ||
	    (ops->vd_config_bytes > 0 &&
	     add_cap(d, CFG_TYPE_DEVICE, VIRTIO_PCI_DEVICE_OFF,
		     ops->vd_config_bytes, 0, 0) == 0) ||
	    (vp->vp_pci_cfg_cap = add_cap(d, CFG_TYPE_PCI, 0, 0, 0, 1)) == 0)
		return err_set(e, -ENOSPC, "%s: PCI config space full",
			       ops->vd_name);
	virtio_pci_reset(vp);
	ioevents_update(vp); /* where the bus placed BAR 0 */
	*vpp = vp;
	return 0;
}
