/*
 * virtio.c: a tiny guest driver finds vmx's devices on PCI, brings up a
 * virtio-blk queue, writes and reads sectors, reads the serial, and sees
 * the MSI-X interrupt arrive in its LAPIC. Then it turns hostile: a
 * descriptor chain that loops marks the device NEEDS_RESET, vmx keeps
 * running, and after a reset the device works again.
 */
#include "guest/lib/guest_test.h"

#define SECTOR	    512
#define SERIAL	    "TINY-DISK-1"
#define MSI_VECTOR  0x41
#define NEEDS_RESET 0x40

#ifdef BASALT_GUEST
#define LAPIC  0xfee00000ULL
#define QSIZE  8
#define RING   0x400000ULL /* desc, avail, used: 3 pages */
#define HDR    0x404000ULL
#define DATA   0x405000ULL
#define STATUS 0x406000ULL

static uint64_t common, notify, isr;
static uint32_t notify_mult;
static uint8_t slot_blk;

static uint32_t cfg_read(uint8_t slot, uint8_t off)
{
	outl(0xcf8, 0x80000000u | (uint32_t)slot << 11 | (off & 0xfc));
	return inl(0xcfc);
}

static void cfg_write(uint8_t slot, uint8_t off, uint32_t v)
{
	outl(0xcf8, 0x80000000u | (uint32_t)slot << 11 | (off & 0xfc));
	outl(0xcfc, v);
}

/* Find the virtio caps and MSI-X of slot; map BAR 0. */
static void probe(uint8_t slot)
{
	uint64_t bar = cfg_read(slot, 0x10) & ~0xfu;
	uint8_t p = (uint8_t)cfg_read(slot, 0x34);

	GUEST_ASSERT(cfg_read(slot, 0x04) & (0x10u << 16)); /* cap list */
	while (p != 0) {
		uint32_t w0 = cfg_read(slot, p);
		if ((w0 & 0xff) == 0x09) {
			uint8_t type = (uint8_t)(w0 >> 24);
			uint64_t off = cfg_read(slot, p + 8);
			if (type == 1)
				common = bar + off;
			else if (type == 2) {
				notify = bar + off;
				notify_mult = cfg_read(slot, p + 16);
			} else if (type == 3)
				isr = bar + off;
		} else if ((w0 & 0xff) == 0x11) {
			uint32_t table = cfg_read(slot, p + 4);
			uint64_t ent = bar + (table & ~7u); /* vector 0 */
			GUEST_ASSERT_EQ(table & 7, 0);	    /* in BAR 0 */
			mmio_write32(ent, (uint32_t)LAPIC); /* to APIC 0 */
			mmio_write32(ent + 4, 0);
			mmio_write32(ent + 8, MSI_VECTOR);    /* fixed, edge */
			mmio_write32(ent + 12, 0);	      /* unmasked */
			cfg_write(slot, p, w0 | 0x80000000u); /* enable */
		}
		p = (uint8_t)(w0 >> 8);
	}
	GUEST_ASSERT(common != 0 && notify != 0 && isr != 0);
}

static void device_up(void)
{
	mmio_write8(common + 0x14, 0); /* reset */
	GUEST_ASSERT_EQ(mmio_read8(common + 0x14), 0);
	mmio_write8(common + 0x14, 1 | 2);
	mmio_write32(common + 0x00, 1);
	GUEST_ASSERT(mmio_read32(common + 0x04) & 1); /* VERSION_1 */
	mmio_write32(common + 0x08, 0);
	mmio_write32(common + 0x0c, 0);
	mmio_write32(common + 0x08, 1);
	mmio_write32(common + 0x0c, 1);
	mmio_write8(common + 0x14, 1 | 2 | 8);
	GUEST_ASSERT_EQ(mmio_read8(common + 0x14), 1 | 2 | 8);
	mmio_write16(common + 0x16, 0);
	mmio_write16(common + 0x18, QSIZE);
	mmio_write16(common + 0x1a, 0); /* MSI-X vector 0 */
	GUEST_ASSERT_EQ(mmio_read16(common + 0x1a), 0);
	memset((void *)RING, 0, 3 * 4096);
	mmio_write64(common + 0x20, RING);
	mmio_write64(common + 0x28, RING + 4096);
	mmio_write64(common + 0x30, RING + 8192);
	mmio_write16(common + 0x1c, 1);
	mmio_write8(common + 0x14, 1 | 2 | 8 | 4);
}

static void desc(int i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	volatile uint8_t *d = (volatile uint8_t *)(RING + 16 * i);

	*(volatile uint64_t *)d = addr;
	*(volatile uint32_t *)(d + 8) = len;
	*(volatile uint16_t *)(d + 12) = flags;
	*(volatile uint16_t *)(d + 14) = next;
}

static uint16_t avail_idx, used_seen;

/* Publish chain head 0 and kick; return once it is used (or never,
 * if the device broke: then return 0). */
static int submit(void)
{
	volatile uint16_t *avail = (volatile uint16_t *)(RING + 4096);
	volatile uint16_t *used = (volatile uint16_t *)(RING + 8192);

	avail[2 + avail_idx % QSIZE] = 0;
	__asm__ volatile("" ::: "memory");
	avail[1] = ++avail_idx;
	mmio_write16(notify + 0 * notify_mult, 0);
	for (int spin = 0; spin < 100000; spin++) {
		if (used[1] != used_seen) {
			used_seen = used[1];
			return 1;
		}
		if (mmio_read8(common + 0x14) & NEEDS_RESET)
			return 0;
	}
	return 0;
}

static uint8_t request(uint32_t type, uint64_t sector, uint32_t len, int in)
{
	volatile uint8_t *st = (volatile uint8_t *)STATUS;

	*(volatile uint32_t *)HDR = type;
	*(volatile uint64_t *)(HDR + 8) = sector;
	*st = 0xff;
	desc(0, HDR, 16, 1, 1);
	desc(1, DATA, len, (uint16_t)(1 | (in ? 2 : 0)), 2);
	desc(2, STATUS, 1, 2, 0);
	GUEST_ASSERT(submit());
	return *st;
}

static int irr_has(uint8_t vec)
{
	return (mmio_read32(LAPIC + 0x200 + 0x10 * (vec / 32)) >> (vec % 32)) &
	       1;
}

void guest_code(void)
{
	uint8_t *data = (uint8_t *)DATA;

	/* 1. Enumerate: host bridge at slot 0, virtio devices after it. */
	GUEST_ASSERT_EQ(cfg_read(0, 0x08) >> 16, 0x0600); /* host bridge */
	for (uint8_t s = 1; s < 32; s++)
		if (cfg_read(s, 0) == (0x1042u << 16 | 0x1af4u))
			slot_blk = s;
	GUEST_ASSERT(slot_blk != 0);
	GUEST_ASSERT_EQ(cfg_read(31, 0), 0xffffffffu); /* empty slot */
	GUEST_SYNC(slot_blk);

	/* 2. Bring the disk up with MSI-X; the LAPIC accepts interrupts
	 * (software enable) but IF stays clear, so they stay in the IRR. */
	mmio_write32(LAPIC + 0xf0, mmio_read32(LAPIC + 0xf0) | 0x100);
	probe(slot_blk);
	device_up();

	/* 3. Write sector 1, read sector 2 (the host put a pattern there),
	 * read sector 1 back, and the serial. */
	for (int i = 0; i < SECTOR; i++)
		data[i] = (uint8_t)(i * 7 + 1);
	GUEST_ASSERT_EQ(request(1, 1, SECTOR, 0), 0);
	GUEST_ASSERT(irr_has(MSI_VECTOR));
	memset(data, 0, SECTOR);
	GUEST_ASSERT_EQ(request(0, 2, SECTOR, 1), 0);
	GUEST_ASSERT_EQ(data[0], 0xb2);
	GUEST_ASSERT_EQ(data[SECTOR - 1], 0xb2);
	GUEST_ASSERT_EQ(request(0, 1, SECTOR, 1), 0);
	GUEST_ASSERT_EQ(data[5], (uint8_t)(5 * 7 + 1));
	GUEST_ASSERT_EQ(request(8, 0, 20, 1), 0);
	GUEST_ASSERT_EQ(data[0], 'T');
	GUEST_ASSERT_EQ(data[10], '1');
	/* Beyond the end of the disk: an error status, not a broken
	 * device. */
	GUEST_ASSERT_EQ(request(0, 1u << 30, SECTOR, 1), 1);
	GUEST_SYNC(100);

	/* 4. Hostile: a chain whose next points at itself. */
	desc(0, HDR, 16, 1, 0);
	GUEST_ASSERT_EQ(submit(), 0);
	GUEST_ASSERT(mmio_read8(common + 0x14) & NEEDS_RESET);
	GUEST_SYNC(200);

	/* 5. Reset brings it back. */
	avail_idx = used_seen = 0;
	device_up();
	GUEST_ASSERT_EQ(mmio_read8(common + 0x14) & NEEDS_RESET, 0);
	GUEST_ASSERT_EQ(request(0, 2, SECTOR, 1), 0);
	GUEST_ASSERT_EQ(data[100], 0xb2);
	GUEST_DONE();
}
#else
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct harness h;
static uint64_t stages[8];
static int nstages;

static int on_sync(struct harness *hh, uint64_t stage)
{
	(void)hh;
	if (nstages < 8)
		stages[nstages++] = stage;
	return 0;
}

static void driver_reads_writes_and_survives_a_loop(void)
{
	char path[] = "/tmp/basalt-virtio-XXXXXX";
	uint8_t sector[SECTOR];
	struct machine_config cfg = {0};
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_EQ(ftruncate(fd, 1 << 20), 0);
	memset(sector, 0xb2, sizeof(sector));
	CHECK_EQ(pwrite(fd, sector, SECTOR, 2 * SECTOR), SECTOR);
	cfg.mc_disks[0].md_path = path;
	cfg.mc_disks[0].md_serial = SERIAL;
	cfg.mc_ndisks = 1;
	if (harness_init_cfg(&h, GUEST_ELF, &cfg) < 0)
		goto out;
	h.h_on_sync = on_sync;
	CHECK_EQ(harness_run(&h), 0);
	CHECK_EQ(nstages, 3);
	CHECK(stages[0] >= 1 && stages[0] < 32); /* the disk's slot */
	CHECK_EQ(stages[1], 100);
	CHECK_EQ(stages[2], 200);
	/* What the guest wrote reached the file. */
	CHECK_EQ(pread(fd, sector, SECTOR, SECTOR), SECTOR);
	CHECK_EQ(sector[0], 1);
	CHECK_EQ(sector[5], (uint8_t)(5 * 7 + 1));
	harness_fini(&h);
out:
	close(fd);
	unlink(path);
}

int main(void)
{
	harness_require_kvm();
	RUN(driver_reads_writes_and_survives_a_loop);
	return tap_done();
}
#endif
