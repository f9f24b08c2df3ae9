/*
 * virtq.c: split virtqueue access (see virtq.h). Layout, Virtio 1.2:
 * descriptor table 16 bytes per entry {addr le64, len le32, flags le16,
 * next le16}, 16-byte aligned; available ring {flags, idx, ring[size],
 * used_event} 2-byte aligned; used ring {flags, idx, ring[size] of {id
 * le32, len le32}, avail_event} 4-byte aligned.
 *
 * SAFETY: the rings live in guest memory the guest keeps changing. Every
 * field is read once into a local (copy in, validate, use), indices are
 * reduced modulo the size before use, and every buffer address goes
 * through mem_ptr, which checks the whole (gpa, len) range.
 */
#include "vmx/devices/virtq.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "common/le.h"

#define AVAIL_F_NO_INTERRUPT 1
#define DESC_BYTES	     16

void virtq_reset(struct virtq *vq, uint16_t size)
{
	memset(vq, 0, sizeof(*vq));
	vq->vq_size = size;
	vq->vq_msix_vector = 0xffff; /* VIRTIO_MSI_NO_VECTOR */
}

int virtq_enable(struct virtq *vq, const struct guest_mem *mem, struct err *e)
{
	uint64_t n = vq->vq_size;
	uint64_t avail_len = 6 + 2 * n, used_len = 6 + 8 * n;

	if (n == 0 || n > VIRTQ_SIZE_MAX || (n & (n - 1)) != 0)
		return err_set(e, -EINVAL,
			       "queue size %llu is not a power "
			       "of 2 up to %d",
			       (unsigned long long)n, VIRTQ_SIZE_MAX);
	if (vq->vq_desc_gpa % 16 != 0 || vq->vq_avail_gpa % 2 != 0 ||
	    vq->vq_used_gpa % 4 != 0)
		return err_set(e, -EINVAL, "misaligned ring addresses");
	vq->vq_desc = mem_ptr(mem, vq->vq_desc_gpa, DESC_BYTES * n);
	vq->vq_avail = mem_ptr(mem, vq->vq_avail_gpa, avail_len);
	vq->vq_used = mem_ptr(mem, vq->vq_used_gpa, used_len);
	if (vq->vq_desc == NULL || vq->vq_avail == NULL || vq->vq_used == NULL)
		return err_set(e, -EFAULT,
			       "ring outside guest RAM (desc 0x%llx avail "
			       "0x%llx used 0x%llx)",
			       (unsigned long long)vq->vq_desc_gpa,
			       (unsigned long long)vq->vq_avail_gpa,
			       (unsigned long long)vq->vq_used_gpa);
	vq->vq_mem = mem;
	vq->vq_last_avail = 0;
	vq->vq_used_idx = 0;
	vq->vq_signalled_valid = 0;
	vq->vq_enabled = 1;
	return 0;
}

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

static void desc_load(const uint8_t *table, unsigned i, struct desc *d)
{
	const uint8_t *p = table + (size_t)i * DESC_BYTES;

	memcpy(&d->addr, p, 8);
	memcpy(&d->len, p + 8, 4);
	memcpy(&d->flags, p + 12, 2);
	memcpy(&d->next, p + 14, 2);
}

/* Add one buffer to the chain, keeping readable before writable. */
static int chain_add(struct virtq *vq, struct virtq_chain *ch,
		     const struct desc *d, struct err *e)
{
	struct virtq_seg *s;
	unsigned n = ch->vc_nread + ch->vc_nwrite;

	if (n >= VIRTQ_SEGS_MAX)
		return err_set(e, -E2BIG, "chain longer than %d buffers",
			       VIRTQ_SEGS_MAX);
	if (!(d->flags & VIRTQ_DESC_F_WRITE) && ch->vc_nwrite > 0)
		return err_set(e, -EINVAL,
			       "readable buffer after a writable one");
	s = &ch->vc_seg[n];
	s->vs_len = d->len;
	/* A zero-length buffer is allowed and never dereferenced. */
	s->vs_ptr = d->len ? mem_ptr(vq->vq_mem, d->addr, d->len) : NULL;
	if (d->len != 0 && s->vs_ptr == NULL)
		return err_set(e, -EFAULT, "buffer 0x%llx+%u outside guest RAM",
			       (unsigned long long)d->addr, d->len);
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		ch->vc_nwrite++;
		ch->vc_write_bytes += d->len;
	} else {
		ch->vc_nread++;
		ch->vc_read_bytes += d->len;
	}
	return 0;
}

/* Walk an indirect table (Virtio 1.2, 2.7.5.3). */
static int chain_indirect(struct virtq *vq, struct virtq_chain *ch,
			  const struct desc *ind, struct err *e)
{
	const uint8_t *table;
	unsigned n, i, steps;
	struct desc d;
	int rc;

	if (!vq->vq_indirect)
		return err_set(e, -EINVAL,
			       "indirect descriptor not "
			       "negotiated");
	if (ind->flags & VIRTQ_DESC_F_NEXT)
		return err_set(e, -EINVAL, "indirect descriptor with NEXT");
	if (ind->len == 0 || ind->len % DESC_BYTES != 0 ||
	    ind->len / DESC_BYTES > VIRTQ_SEGS_MAX)
		return err_set(e, -EINVAL, "indirect table of %u bytes",
			       ind->len);
	n = ind->len / DESC_BYTES;
	table = mem_ptr(vq->vq_mem, ind->addr, ind->len);
	if (table == NULL)
		return err_set(e, -EFAULT, "indirect table outside guest RAM");
	/* Entries chain through next within the table; at most n steps. */
	for (i = 0, steps = 0;; steps++) {
		if (steps >= n)
			return err_set(e, -ELOOP, "loop in indirect table");
		desc_load(table, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return err_set(e, -EINVAL, "nested indirect table");
		rc = chain_add(vq, ch, &d, e);
		if (rc < 0)
			return rc;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (d.next >= n)
			return err_set(e, -EINVAL,
				       "indirect next %u beyond table of %u",
				       d.next, n);
		i = d.next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *ch, struct err *e)
{
	uint16_t avail_idx, head, i;
	unsigned steps;
	struct desc d;
	int rc;

	if (!vq->vq_enabled)
		return 0;
	avail_idx = le16_get(vq->vq_avail + 2);
	if (avail_idx == vq->vq_last_avail) {
		if (!vq->vq_event_idx)
			return 0;
		/*
		 * Empty: only now ask for a notify (avail_event) for the next
		 * entry, then look again so that none slips between. While
		 * entries wait, avail_event stays behind them and the driver
		 * adds more without notifying: each notify is an exit.
		 */
		le16_put(vq->vq_used + 4 + 8 * vq->vq_size, vq->vq_last_avail);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = le16_get(vq->vq_avail + 2);
		if (avail_idx == vq->vq_last_avail)
			return 0;
	}
	if ((uint16_t)(avail_idx - vq->vq_last_avail) > vq->vq_size)
		return err_set(e, -EINVAL,
			       "available index jumped by %u in a queue of "
			       "%u",
			       (uint16_t)(avail_idx - vq->vq_last_avail),
			       vq->vq_size);
	/* Read the ring entry only after seeing the index move. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = le16_get(vq->vq_avail + 4 +
			2 * (vq->vq_last_avail % vq->vq_size));
	if (head >= vq->vq_size)
		return err_set(e, -EINVAL, "head %u beyond queue of %u", head,
			       vq->vq_size);
	memset(ch, 0, offsetof(struct virtq_chain, vc_seg));
	ch->vc_head = head;
	for (i = head, steps = 0;; steps++) {
		/* Each descriptor at most once: more steps is a loop. */
		if (steps >= vq->vq_size)
			return err_set(e, -ELOOP,
				       "loop in descriptor chain "
				       "from head %u",
				       head);
		desc_load(vq->vq_desc, i, &d);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (steps != 0 || ch->vc_nread + ch->vc_nwrite != 0)
				return err_set(e, -EINVAL,
					       "indirect descriptor inside a "
					       "chain");
			rc = chain_indirect(vq, ch, &d, e);
			if (rc < 0)
				return rc;
			break;
		}
		rc = chain_add(vq, ch, &d, e);
		if (rc < 0)
			return rc;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		if (d.next >= vq->vq_size)
			return err_set(e, -EINVAL, "next %u beyond queue of %u",
				       d.next, vq->vq_size);
		i = d.next;
	}
	vq->vq_last_avail++;
	return 1;
}

void virtq_unpop(struct virtq *vq, uint16_t n)
{
	vq->vq_last_avail = (uint16_t)(vq->vq_last_avail - n);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	uint8_t *ent = vq->vq_used + 4 + 8 * (vq->vq_used_idx % vq->vq_size);

	le32_put(ent, head);
	le32_put(ent + 4, len);
	/* The entry must be visible before the index that publishes it. */
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vq->vq_used_idx++;
	le16_put(vq->vq_used + 2, vq->vq_used_idx);
}

int virtq_need_interrupt(struct virtq *vq)
{
	uint16_t old, new_idx, event;

	/* Order our used->idx store before reading the driver's wishes. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->vq_event_idx)
		return !(le16_get(vq->vq_avail) & AVAIL_F_NO_INTERRUPT);
	/* Virtio 1.2, 2.7.10: interrupt if used_event was crossed since
	 * the last one we sent. */
	new_idx = vq->vq_used_idx;
	old = vq->vq_signalled_used;
	event = le16_get(vq->vq_avail + 4 + 2 * vq->vq_size);
	vq->vq_signalled_used = new_idx;
	if (!vq->vq_signalled_valid) {
		vq->vq_signalled_valid = 1;
		return 1;
	}
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

/* Copy between buf and the chain's segments [first, last) from byte off;
 * to_guest says which way. Returns bytes copied. */
static uint64_t chain_copy(const struct virtq_chain *ch, unsigned first,
			   unsigned last, uint64_t off, uint8_t *buf,
			   uint64_t len, int to_guest)
{
	uint64_t done = 0;

	for (unsigned i = first; i < last && done < len; i++) {
		const struct virtq_seg *s = &ch->vc_seg[i];
		uint64_t n;
		if (off >= s->vs_len) {
			off -= s->vs_len;
			continue;
		}
		n = s->vs_len - off;
		if (n > len - done)
			n = len - done;
		if (to_guest)
			memcpy(s->vs_ptr + off, buf + done, n);
		else
			memcpy(buf + done, s->vs_ptr + off, n);
		done += n;
		off = 0;
	}
	return done;
}

uint64_t virtq_chain_read(const struct virtq_chain *ch, uint64_t off, void *dst,
			  uint64_t len)
{
	return chain_copy(ch, 0, ch->vc_nread, off, dst, len, 0);
}

uint64_t virtq_chain_write(const struct virtq_chain *ch, uint64_t off,
			   const void *src, uint64_t len)
{
	/* chain_copy only reads buf when copying to the guest. */
	return chain_copy(ch, ch->vc_nread, ch->vc_nread + ch->vc_nwrite, off,
			  (uint8_t *)(uintptr_t)src, len, 1);
}
