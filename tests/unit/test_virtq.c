/*
 * test_virtq.c: the split-virtqueue reader as a driver sees it: chains
 * popped in order, notifies asked for (avail_event) only once the queue
 * is found empty, interrupts as used_event says, and a driver's mistakes
 * (a loop, a bad head, an index that jumps) refused with a reason.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tap.h"
#include "vmx/devices/virtq.h"

#define RAM_BYTES (1u << 20)
#define QSIZE	  8
#define DESC_GPA  0x1000
#define AVAIL_GPA 0x2000
#define USED_GPA  0x3000
#define BUF_GPA	  0x10000
#define F_NEXT	  VIRTQ_DESC_F_NEXT

static uint8_t *ram;
static struct guest_mem mem;
static struct virtq vq;
static struct virtq_chain ch;
static struct err e;

static void put16(uint64_t gpa, uint16_t v)
{
	ram[gpa] = (uint8_t)v;
	ram[gpa + 1] = (uint8_t)(v >> 8);
}

static uint16_t get16(uint64_t gpa)
{
	return (uint16_t)(ram[gpa] | ram[gpa + 1] << 8);
}

static void put_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	uint8_t *d = ram + DESC_GPA + 16 * i;

	memcpy(d, &addr, 8); /* x86: little-endian like the rings */
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

/* The driver offers chain head in the next avail slot. */
static void offer(uint16_t head)
{
	uint16_t idx = get16(AVAIL_GPA + 2);

	put16(AVAIL_GPA + 4 + 2 * (idx % QSIZE), head);
	put16(AVAIL_GPA + 2, (uint16_t)(idx + 1));
}

static uint16_t avail_event(void)
{
	return get16(USED_GPA + 4 + 8 * QSIZE);
}

static void setup(int event_idx)
{
	memset(ram, 0, RAM_BYTES);
	err_clear(&e);
	virtq_reset(&vq, QSIZE);
	vq.vq_desc_gpa = DESC_GPA;
	vq.vq_avail_gpa = AVAIL_GPA;
	vq.vq_used_gpa = USED_GPA;
	vq.vq_event_idx = event_idx;
	for (unsigned i = 0; i < QSIZE; i++)
		put_desc(i, BUF_GPA + 0x100 * i, 0x100, 0, 0);
	put16(USED_GPA + 4 + 8 * QSIZE, 0xbeef); /* not yet written */
}

static void pops_in_order_and_asks_for_notifies_only_when_empty(void)
{
	setup(1);
	CHECK_EQ(virtq_enable(&vq, &mem, &e), 0);
	offer(3);
	offer(5);
	CHECK_EQ(virtq_pop(&vq, &ch, &e), 1);
	CHECK_EQ(ch.vc_head, 3);
	CHECK(ch.vc_seg[0].vs_ptr == ram + BUF_GPA + 0x300);
	/* Entries still wait: the driver need not notify. */
	CHECK_EQ(avail_event(), 0xbeef);
	CHECK_EQ(virtq_pop(&vq, &ch, &e), 1);
	CHECK_EQ(ch.vc_head, 5);
	CHECK_EQ(avail_event(), 0xbeef);
	/* Empty: now notify us for the next entry, index 2. */
	CHECK_EQ(virtq_pop(&vq, &ch, &e), 0);
	CHECK_EQ(avail_event(), 2);
	offer(1);
	CHECK_EQ(virtq_pop(&vq, &ch, &e), 1);
	CHECK_EQ(ch.vc_head, 1);
}

static void interrupts_follow_used_event(void)
{
	setup(1);
	CHECK_EQ(virtq_enable(&vq, &mem, &e), 0);
	for (uint16_t i = 0; i < 4; i++)
		offer(i);
	put16(AVAIL_GPA + 4 + 2 * QSIZE, 2); /* used_event: after #2 */
	CHECK_EQ(virtq_pop(&vq, &ch, &e), 1);
	virtq_push(&vq, ch.vc_head, 0);
	CHECK_EQ(virtq_need_interrupt(&vq), 1); /* the first one always */
	CHECK_EQ(virtq_pop(&vq, &ch, &e), 1);
	virtq_push(&vq, ch.vc_head, 0);
	CHECK_EQ(virtq_need_interrupt(&vq), 0); /* used idx 2: not past 2 */
	CHECK_EQ(virtq_pop(&vq, &ch, &e), 1);
	virtq_push(&vq, ch.vc_head, 7);
	CHECK_EQ(virtq_need_interrupt(&vq), 1); /* entry #2 is used */
	CHECK_EQ(get16(USED_GPA + 2), 3);
	CHECK_EQ(ram[USED_GPA + 4 + 8 * 2 + 4], 7); /* its length */
}

static void refuses_what_a_driver_may_not_do(void)
{
	setup(0);
	CHECK_EQ(virtq_enable(&vq, &mem, &e), 0);
	put_desc(0, BUF_GPA, 0x10, F_NEXT, 1);
	put_desc(1, BUF_GPA, 0x10, F_NEXT, 0); /* back to 0: a loop */
	offer(0);
	CHECK(virtq_pop(&vq, &ch, &e) < 0);
	CHECK(err_msg(&e)[0] != '\0');

	setup(0);
	CHECK_EQ(virtq_enable(&vq, &mem, &e), 0);
	offer(QSIZE); /* no such descriptor */
	CHECK(virtq_pop(&vq, &ch, &e) < 0);

	setup(0);
	CHECK_EQ(virtq_enable(&vq, &mem, &e), 0);
	put16(AVAIL_GPA + 2, QSIZE + 1); /* more entries than the queue */
	CHECK(virtq_pop(&vq, &ch, &e) < 0);
	CHECK_CONTAINS(err_msg(&e), "available index jumped");

	setup(0);
	put_desc(0, RAM_BYTES - 8, 0x10, 0, 0); /* runs past RAM */
	CHECK_EQ(virtq_enable(&vq, &mem, &e), 0);
	offer(0);
	CHECK(virtq_pop(&vq, &ch, &e) < 0);
}

int main(void)
{
	ram = malloc(RAM_BYTES);
	mem_init_fake(&mem, ram, RAM_BYTES);
	RUN(pops_in_order_and_asks_for_notifies_only_when_empty);
	RUN(interrupts_follow_used_event);
	RUN(refuses_what_a_driver_may_not_do);
	free(ram);
	return tap_done();
}
