/*
 * virtq_fuzz.c: libFuzzer target for the virtqueue reader (virtq.c), the
 * code a hostile guest talks to most directly. The input becomes guest
 * RAM: its first bytes choose the queue size, ring addresses and whether
 * indirect descriptors and event-idx are on; the rest is copied over RAM,
 * so descriptor tables and rings are whatever the fuzzer wants. Oracle:
 * every segment handed out lies inside RAM, chains respect the segment
 * cap, and the loop ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmx/devices/virtq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM_BYTES (64u << 10)
#define POPS_MAX       4096

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *ram;
	static struct virtq_chain ch;
	struct guest_mem mem;
	struct virtq vq;
	struct err e;
	int rc;

	if (size < 8)
		return 0;
	if (ram == NULL)
		ram = malloc(FUZZ_RAM_BYTES);
	if (ram == NULL)
		return 0;
	memset(ram, 0, FUZZ_RAM_BYTES);
	memcpy(ram, data + 8,
	       size - 8 < FUZZ_RAM_BYTES ? size - 8 : FUZZ_RAM_BYTES);
	mem_init_fake(&mem, ram, FUZZ_RAM_BYTES);
	virtq_reset(&vq, (uint16_t)(1u << (data[0] % 11)));
	vq.vq_desc_gpa = (uint64_t)rd16(data + 1) * 16;
	vq.vq_avail_gpa = (uint64_t)rd16(data + 3) * 2;
	vq.vq_used_gpa = (uint64_t)rd16(data + 5) * 4;
	vq.vq_indirect = data[7] & 1;
	vq.vq_event_idx = (data[7] >> 1) & 1;
	if (virtq_enable(&vq, &mem, &e) < 0)
		return 0;
	for (int i = 0; i < POPS_MAX; i++) {
		rc = virtq_pop(&vq, &ch, &e);
		if (rc <= 0)
			break;
		if (ch.vc_nread + ch.vc_nwrite > VIRTQ_SEGS_MAX)
			abort();
		for (unsigned s = 0; s < ch.vc_nread + ch.vc_nwrite; s++) {
			const struct virtq_seg *g = &ch.vc_seg[s];
			if (g->vs_len != 0 &&
			    (g->vs_ptr < ram ||
			     g->vs_ptr + g->vs_len > ram + FUZZ_RAM_BYTES))
				abort();
		}
		/* Exercise the copy helpers and the used ring too. */
		(void)virtq_chain_write(&ch, 0, data, size);
		virtq_push(&vq, ch.vc_head, (uint32_t)ch.vc_write_bytes);
		(void)virtq_need_interrupt(&vq);
	}
	return 0;
}
