/*
 * virtio_blk.c: virtio block device (see virtio_blk.h). A request is a
 * chain: a 16-byte header {type le32, reserved le32, sector le64} in
 * readable buffers, then data (readable for writes, writable for reads),
 * then one writable status byte (Virtio 1.2, 5.2.6).
 *
 * A well-formed request the device cannot carry out (beyond the disk's
 * end, a write to a read-only disk, an I/O error) is answered with a
 * status. A request that breaks the layout (no room for the status, a
 * header cut short, data that is not whole sectors, more than the limits
 * we advertised) marks the device NEEDS_RESET.
 */
#include "vmx/devices/virtio_blk.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "common/le.h"
#include "common/log.h"
#include "vmx/backends/raw.h"
#include "vmx/devices/virtio_pci.h"

#define VIRTIO_ID_BLOCK		  2
#define VIRTIO_BLK_F_SIZE_MAX	  1
#define VIRTIO_BLK_F_SEG_MAX	  2
#define VIRTIO_BLK_F_RO		  5
#define VIRTIO_BLK_F_BLK_SIZE	  6
#define VIRTIO_BLK_F_FLUSH	  9
#define VIRTIO_BLK_F_DISCARD	  13
#define VIRTIO_BLK_F_WRITE_ZEROES 14
#define VIRTIO_BLK_T_IN		  0
#define VIRTIO_BLK_T_OUT	  1
#define VIRTIO_BLK_T_FLUSH	  4
#define VIRTIO_BLK_T_GET_ID	  8
#define VIRTIO_BLK_T_DISCARD	  11
#define VIRTIO_BLK_T_WRITE_ZEROES 13
#define VIRTIO_BLK_S_OK		  0
#define VIRTIO_BLK_S_IOERR	  1
#define VIRTIO_BLK_S_UNSUPP	  2
#define SECTOR_BYTES		  512ULL
#define HDR_BYTES		  16
#define DISCARD_SEG_BYTES	  16
#define CONFIG_BYTES		  60
#define QUEUE_SIZE		  256
#define LOG_ERRORS_MAX		  10

struct virtio_blk {
	struct virtio_pci *vb_vp;
	struct raw_disk *vb_disk;
	uint64_t vb_sectors;
	char vb_serial[VIRTIO_BLK_SERIAL_BYTES];
	uint8_t vb_config[CONFIG_BYTES];
	struct virtq_chain vb_chain; /* preallocated */
	struct iovec vb_iov[VIRTQ_SEGS_MAX];
	/* counters */
	uint64_t vb_reads, vb_writes, vb_flushes, vb_discards, vb_errors;
	uint64_t vb_read_bytes, vb_write_bytes;
};

/*
 * An iovec for bytes [off, off+len) of the chain's readable (write=0) or
 * writable (write=1) part. Returns the count, or -1 if the range is not
 * all there.
 */
static int chain_iov(struct virtio_blk *b, int write, uint64_t off,
		     uint64_t len)
{
	const struct virtq_chain *ch = &b->vb_chain;
	unsigned first = write ? ch->vc_nread : 0;
	unsigned last = write ? ch->vc_nread + ch->vc_nwrite : ch->vc_nread;
	int n = 0;

	for (unsigned i = first; i < last && len > 0; i++) {
		const struct virtq_seg *s = &ch->vc_seg[i];
		uint64_t take;
		if (off >= s->vs_len) {
			off -= s->vs_len;
			continue;
		}
		take = s->vs_len - off;
		if (take > len)
			take = len;
		b->vb_iov[n].iov_base = s->vs_ptr + off;
		b->vb_iov[n].iov_len = take;
		n++;
		len -= take;
		off = 0;
	}
	return len == 0 ? n : -1;
}

static void blk_io_error(struct virtio_blk *b, const char *what, int rc)
{
	b->vb_errors++;
	if (b->vb_errors <= LOG_ERRORS_MAX)
		log_warnx("virtio-blk %s: %s failed: %s%s", b->vb_disk->rd_path,
			  what, strerror(-rc),
			  b->vb_errors == LOG_ERRORS_MAX
				  ? " (further errors not logged)"
				  : "");
}

/* Is [sector, sector + bytes/512) on the disk? */
static int in_range(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes / SECTOR_BYTES;

	return sector <= b->vb_sectors && n <= b->vb_sectors - sector;
}

/* Discard and write-zeroes: a list of {sector, num_sectors, flags}. */
static uint8_t blk_ranges(struct virtio_blk *b, uint32_t type,
			  uint64_t data_bytes, const char **broken)
{
	uint8_t seg[DISCARD_SEG_BYTES];
	uint64_t nseg = data_bytes / DISCARD_SEG_BYTES;
	int rc;

	if (data_bytes % DISCARD_SEG_BYTES != 0 || nseg == 0 ||
	    nseg > VIRTIO_BLK_DISCARD_SEG_MAX) {
		*broken = "malformed discard/write-zeroes segment list";
		return VIRTIO_BLK_S_IOERR;
	}
	if (b->vb_disk->rd_ro)
		return VIRTIO_BLK_S_IOERR;
	for (uint64_t i = 0; i < nseg; i++) {
		uint64_t sector;
		uint32_t num;
		(void)virtq_chain_read(&b->vb_chain,
				       HDR_BYTES + i * DISCARD_SEG_BYTES, seg,
				       sizeof(seg));
		memcpy(&sector, seg, 8);
		memcpy(&num, seg + 8, 4);
		if (!in_range(b, sector, (uint64_t)num * SECTOR_BYTES))
			return VIRTIO_BLK_S_IOERR;
		rc = type == VIRTIO_BLK_T_DISCARD
			     ? raw_discard(b->vb_disk, sector * SECTOR_BYTES,
					   (uint64_t)num * SECTOR_BYTES)
			     : raw_write_zeroes(b->vb_disk,
						sector * SECTOR_BYTES,
						(uint64_t)num * SECTOR_BYTES);
		if (rc < 0) {
			blk_io_error(b, "discard", rc);
			return VIRTIO_BLK_S_IOERR;
		}
	}
	b->vb_discards++;
	return VIRTIO_BLK_S_OK;
}

/*
 * Carry out the popped request; returns bytes written to the guest
 * (status included), or sets *broken.
 */
static uint32_t blk_request(struct virtio_blk *b, const char **broken)
{
	const struct virtq_chain *ch = &b->vb_chain;
	uint8_t hdr[HDR_BYTES], status = VIRTIO_BLK_S_OK;
	uint64_t sector, data_bytes;
	uint32_t type, used = 1;
	int n, rc;

	/* The status is the last writable byte; the header comes first. */
	if (ch->vc_write_bytes == 0) {
		*broken = "request without a status byte";
		return 0;
	}
	if (virtq_chain_read(ch, 0, hdr, HDR_BYTES) != HDR_BYTES) {
		*broken = "request header shorter than 16 bytes";
		return 0;
	}
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);

	switch (type) {
	case VIRTIO_BLK_T_IN:
		data_bytes = ch->vc_write_bytes - 1;
		if (data_bytes % SECTOR_BYTES != 0 ||
		    data_bytes > VIRTIO_BLK_REQUEST_MAX_BYTES) {
			*broken = "read of a bad length";
			return 0;
		}
		if (!in_range(b, sector, data_bytes)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = chain_iov(b, 1, 0, data_bytes);
		rc = n < 0 ? -EINVAL
			   : raw_readv(b->vb_disk, b->vb_iov, n,
				       sector * SECTOR_BYTES);
		if (rc < 0) {
			blk_io_error(b, "read", rc);
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		b->vb_reads++;
		b->vb_read_bytes += data_bytes;
		used += (uint32_t)data_bytes;
		break;
	case VIRTIO_BLK_T_OUT:
		data_bytes = ch->vc_read_bytes - HDR_BYTES;
		if (data_bytes % SECTOR_BYTES != 0 ||
		    data_bytes > VIRTIO_BLK_REQUEST_MAX_BYTES) {
			*broken = "write of a bad length";
			return 0;
		}
		if (b->vb_disk->rd_ro || !in_range(b, sector, data_bytes)) {
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		n = chain_iov(b, 0, HDR_BYTES, data_bytes);
		rc = n < 0 ? -EINVAL
			   : raw_writev(b->vb_disk, b->vb_iov, n,
					sector * SECTOR_BYTES);
		if (rc < 0) {
			blk_io_error(b, "write", rc);
			status = VIRTIO_BLK_S_IOERR;
			break;
		}
		b->vb_writes++;
		b->vb_write_bytes += data_bytes;
		break;
	case VIRTIO_BLK_T_FLUSH:
		rc = raw_flush(b->vb_disk);
		if (rc < 0) {
			blk_io_error(b, "flush", rc);
			status = VIRTIO_BLK_S_IOERR;
		}
		b->vb_flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID:
		data_bytes = ch->vc_write_bytes - 1;
		if (data_bytes > VIRTIO_BLK_SERIAL_BYTES)
			data_bytes = VIRTIO_BLK_SERIAL_BYTES;
		used += (uint32_t)virtq_chain_write(ch, 0, b->vb_serial,
						    data_bytes);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		status = blk_ranges(b, type, ch->vc_read_bytes - HDR_BYTES,
				    broken);
		if (*broken != NULL)
			return 0;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	(void)virtq_chain_write(ch, ch->vc_write_bytes - 1, &status, 1);
	return used;
}

static void virtio_blk_notify(void *dev, unsigned q)
{
	struct virtio_blk *b = dev;
	struct virtq *vq = virtio_pci_queue(b->vb_vp, q);
	struct err e = {0};
	int rc;

	while ((rc = virtq_pop(vq, &b->vb_chain, &e)) > 0) {
		const char *broken = NULL;
		uint32_t used = blk_request(b, &broken);
		if (broken != NULL) {
			virtio_pci_needs_reset(b->vb_vp, broken);
			return;
		}
		virtq_push(vq, b->vb_chain.vc_head, used);
	}
	if (rc < 0) {
		virtio_pci_needs_reset(b->vb_vp, err_msg(&e));
		return;
	}
	virtio_pci_queue_done(b->vb_vp, q);
}

static void virtio_blk_free(void *p)
{
	struct virtio_blk *b = p;

	raw_close(b->vb_disk);
	free(b);
}

static const struct virtio_dev_ops virtio_blk_ops = {
	.vd_name = "virtio-blk",
	.vd_device_id = VIRTIO_ID_BLOCK,
	.vd_pci_class = 0x018000, /* mass storage, other */
	.vd_nqueues = 1,
	.vd_queue_size = QUEUE_SIZE,
	.vd_features =
		1ULL << VIRTIO_BLK_F_SIZE_MAX | 1ULL << VIRTIO_BLK_F_SEG_MAX |
		1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH |
		1ULL << VIRTIO_BLK_F_DISCARD |
		1ULL << VIRTIO_BLK_F_WRITE_ZEROES,
	.vd_config_bytes = CONFIG_BYTES,
	.vd_queue_notify = virtio_blk_notify,
};

static const struct virtio_dev_ops virtio_blk_ro_ops = {
	.vd_name = "virtio-blk",
	.vd_device_id = VIRTIO_ID_BLOCK,
	.vd_pci_class = 0x018000,
	.vd_nqueues = 1,
	.vd_queue_size = QUEUE_SIZE,
	.vd_features = 1ULL << VIRTIO_BLK_F_SIZE_MAX |
		       1ULL << VIRTIO_BLK_F_SEG_MAX |
		       1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_RO |
		       1ULL << VIRTIO_BLK_F_FLUSH,
	.vd_config_bytes = CONFIG_BYTES,
	.vd_queue_notify = virtio_blk_notify,
};

static void default_serial(char *out, const char *path)
{
	const char *base = strrchr(path, '/');

	base = base != NULL ? base + 1 : path;
	memset(out, 0, VIRTIO_BLK_SERIAL_BYTES);
	memcpy(out, base,
	       strlen(base) < VIRTIO_BLK_SERIAL_BYTES
		       ? strlen(base)
		       : VIRTIO_BLK_SERIAL_BYTES);
}

int virtio_blk_create(struct pci_bus *bus, const struct virtio_blk_config *cfg,
		      struct virtio_blk **bp, struct err *e)
{
	struct virtio_blk *b;
	uint8_t *c;
	int rc;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return err_set(e, -ENOMEM, "virtio-blk: out of memory");
	rc = raw_open(&b->vb_disk, cfg->vbc_path, cfg->vbc_ro, e);
	if (rc < 0) {
		free(b);
		return rc;
	}
	rc = vm_own(pci_bus_vm(bus), b, virtio_blk_free, e);
	if (rc < 0) {
		virtio_blk_free(b);
		return rc;
	}
	if (b->vb_disk->rd_bytes % SECTOR_BYTES != 0)
		log_warnx("disk %s: size %llu is not a multiple of 512; the "
			  "last %llu bytes are not visible to the guest",
			  cfg->vbc_path,
			  (unsigned long long)b->vb_disk->rd_bytes,
			  (unsigned long long)(b->vb_disk->rd_bytes %
					       SECTOR_BYTES));
	b->vb_sectors = b->vb_disk->rd_bytes / SECTOR_BYTES;
	if (cfg->vbc_serial != NULL) {
		if (strlen(cfg->vbc_serial) > VIRTIO_BLK_SERIAL_BYTES)
			return err_set(e, -EINVAL,
				       "disk serial '%s': at most %d "
				       "characters",
				       cfg->vbc_serial,
				       VIRTIO_BLK_SERIAL_BYTES);
		memset(b->vb_serial, 0, sizeof(b->vb_serial));
		memcpy(b->vb_serial, cfg->vbc_serial, strlen(cfg->vbc_serial));
	} else {
		default_serial(b->vb_serial, cfg->vbc_path);
	}
	c = b->vb_config;
	le64_put(c + 0, b->vb_sectors);
	le32_put(c + 8, VIRTIO_BLK_SIZE_MAX);
	le32_put(c + 12, VIRTIO_BLK_SEG_MAX);
	le32_put(c + 20, SECTOR_BYTES);
	le32_put(c + 36, VIRTIO_BLK_REQUEST_MAX_BYTES / SECTOR_BYTES);
	le32_put(c + 40, VIRTIO_BLK_DISCARD_SEG_MAX);
	le32_put(c + 44, 1);
	le32_put(c + 48, VIRTIO_BLK_REQUEST_MAX_BYTES / SECTOR_BYTES);
	le32_put(c + 52, VIRTIO_BLK_DISCARD_SEG_MAX);
	c[56] = 1; /* write zeroes may unmap */
	rc = virtio_pci_create(
		bus, cfg->vbc_ro ? &virtio_blk_ro_ops : &virtio_blk_ops, b,
		b->vb_config, &b->vb_vp, e);
	if (rc == 0 && bp != NULL)
		*bp = b;
	return rc;
}
