/*
 * virtq.h: split virtqueues (Virtio 1.2, 2.7 "Split Virtqueues"), the only
 * code in vmx that reads descriptors. A chain is popped into a list of
 * host segments, each checked to lie wholly in guest RAM; anything a
 * driver may not do (a chain longer than the queue, a loop, a bad index,
 * a readable buffer after a writable one, nested indirect tables) makes
 * virtq_pop fail, and the transport marks the device NEEDS_RESET.
 */
#ifndef BASALT_VMX_DEVICES_VIRTQ_H
#define BASALT_VMX_DEVICES_VIRTQ_H

#include <stdint.h>

#include "common/err.h"
#include "vmx/mem.h"

#define VIRTQ_SIZE_MAX 1024 /* the spec's limit is 32768; we offer less */
#define VIRTQ_SEGS_MAX 256  /* segments in one chain, indirect included */

#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_DESC_F_INDIRECT  4
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX     29

/* One buffer of a chain, in host memory. */
struct virtq_seg {
	uint8_t *vs_ptr;
	uint32_t vs_len;
};

/* A popped chain: readable segments first, then writable ones. */
struct virtq_chain {
	uint16_t vc_head;
	unsigned vc_nread;  /* segments the device reads */
	unsigned vc_nwrite; /* segments the device writes, after those */
	uint64_t vc_read_bytes, vc_write_bytes;
	struct virtq_seg vc_seg[VIRTQ_SEGS_MAX];
};

struct virtq {
	const struct guest_mem *vq_mem;
	uint16_t vq_size; /* entries; set by the driver, a power of 2 */
	int vq_enabled;
	int vq_event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	int vq_indirect;  /* VIRTIO_F_INDIRECT_DESC negotiated */
	uint64_t vq_desc_gpa, vq_avail_gpa, vq_used_gpa;
	uint16_t vq_msix_vector;
	/* Host views of the rings, valid while enabled. */
	uint8_t *vq_desc, *vq_avail, *vq_used;
	uint16_t vq_last_avail;	    /* next avail entry to take */
	uint16_t vq_used_idx;	    /* next used entry to fill */
	uint16_t vq_signalled_used; /* used idx at the last interrupt */
	int vq_signalled_valid;
};

/* Forget everything (device reset). */
void virtq_reset(struct virtq *vq, uint16_t size);

/*
 * The driver set queue_enable: check the ring addresses and size against
 * guest RAM and alignment, and map them. Fails with a reason.
 */
BASALT_MUST_CHECK int virtq_enable(struct virtq *vq,
				   const struct guest_mem *mem, struct err *e);

/*
 * Take the next available chain. Returns 1 and fills ch, 0 when the queue
 * is empty, or a negative errno with the driver's mistake in e.
 */
BASALT_MUST_CHECK int virtq_pop(struct virtq *vq, struct virtq_chain *ch,
				struct err *e);

/* Give back the last n chains popped and not pushed: they will be popped
 * again (a receive that ran out of buffers half way). */
void virtq_unpop(struct virtq *vq, uint16_t n);

/* Return chain head to the driver with len bytes written into it. */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/* After pushing: does the driver want an interrupt now? */
int virtq_need_interrupt(struct virtq *vq);

/* Copy up to len bytes from the chain's readable segments, from offset
 * off; returns bytes copied. */
uint64_t virtq_chain_read(const struct virtq_chain *ch, uint64_t off, void *dst,
			  uint64_t len);
/* Copy into the writable segments from offset off; returns bytes copied. */
uint64_t virtq_chain_write(const struct virtq_chain *ch, uint64_t off,
			   const void *src, uint64_t len);

#endif
