/*
 * gpt.c: GUID partition tables (gpt.h). Facts from the UEFI
 * specification, chapter 5: the header at LBA 1 (92 bytes, CRC32 over
 * them with its own CRC field zero), entries from the LBA it names, each
 * 128 bytes (type, unique GUID, first and last LBA, attributes, a
 * UTF-16LE name), the backup header at the last LBA, a protective MBR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/le.h"
#include "init/gpt.h"

#define GPT_HEADER_BYTES  92
#define GPT_ENTRY_BYTES	  128
#define GPT_ENTRIES	  128
#define GPT_ENTRIES_BYTES (GPT_ENTRIES * GPT_ENTRY_BYTES)
#define GPT_ALIGN_BYTES	  (1u << 20)
#define GPT_SIGNATURE	  "EFI PART"

/* 9D3C8A5E-3A1B-4B7E-9C6F-6B61736C7402 and ...7401 */
const uint8_t gpt_type_datastore[16] = {0x5e, 0x8a, 0x3c, 0x9d, 0x1b, 0x3a,
					0x7e, 0x4b, 0x9c, 0x6f, 0x6b, 0x61,
					0x73, 0x6c, 0x74, 0x02};
const uint8_t gpt_type_coredump[16] = {0x5e, 0x8a, 0x3c, 0x9d, 0x1b, 0x3a,
				       0x7e, 0x4b, 0x9c, 0x6f, 0x6b, 0x61,
				       0x73, 0x6c, 0x74, 0x01};

uint32_t gpt_crc32(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

int gpt_guid_parse(const char *s, uint8_t out[16])
{
	/* Byte order of each of the 16 bytes in the text form. */
	static const int order[16] = {3, 2, 1,	0,  5,	4,  7,	6,
				      8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t b[16];
	int n = 0;

	for (const char *p = s; *p != '\0'; p++) {
		unsigned v;
		if (*p == '-')
			continue;
		if (n >= 16 || sscanf(p, "%2x", &v) != 1 || p[1] == '\0' ||
		    p[1] == '-')
			return -1;
		b[n++] = (uint8_t)v;
		p++;
	}
	if (n != 16 || strlen(s) != 36)
		return -1;
	for (int i = 0; i < 16; i++)
		out[order[i]] = b[i];
	return 0;
}

void gpt_guid_format(const uint8_t g[16], char out[37])
{
	snprintf(out, 37,
		 "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-"
		 "%02X%02X%02X%02X%02X%02X",
		 g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8], g[9],
		 g[10], g[11], g[12], g[13], g[14], g[15]);
}

static int zero16(const uint8_t *p)
{
	for (int i = 0; i < 16; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

int gpt_parse(const uint8_t *buf, size_t len, unsigned sector, struct gpt *g,
	      struct err *e)
{
	const uint8_t *h;
	uint8_t hdr[GPT_HEADER_BYTES];
	uint32_t hsize, nent, esize;
	uint64_t elba, first, last, ebytes;

	if (sector < 512 || len < 2 * (size_t)sector)
		return err_set(e, -EINVAL, "too little of the disk read");
	h = buf + sector;
	if (memcmp(h, GPT_SIGNATURE, 8) != 0)
		return 0;
	hsize = le32_get(h + 12);
	if (hsize < GPT_HEADER_BYTES || hsize > sector)
		return err_set(e, -EINVAL, "GPT header size %u", hsize);
	memcpy(hdr, h, GPT_HEADER_BYTES);
	memset(hdr + 16, 0, 4);
	if (hsize != GPT_HEADER_BYTES ||
	    gpt_crc32(hdr, GPT_HEADER_BYTES) != le32_get(h + 16))
		return err_set(e, -EINVAL, "GPT header checksum is wrong");
	if (le64_get(h + 24) != 1)
		return err_set(e, -EINVAL, "GPT header not at LBA 1");
	first = le64_get(h + 40);
	last = le64_get(h + 48);
	elba = le64_get(h + 72);
	nent = le32_get(h + 80);
	esize = le32_get(h + 84);
	if (esize < GPT_ENTRY_BYTES || esize > 4096 || esize % 8 != 0 ||
	    nent == 0 || nent > 1024 || first > last)
		return err_set(e, -EINVAL, "GPT entries: %u of %u bytes", nent,
			       esize);
	ebytes = (uint64_t)nent * esize;
	if (elba < 2 || elba > len / sector ||
	    ebytes > len - elba * (uint64_t)sector)
		return err_set(e, -EINVAL,
			       "GPT entries beyond what was read (LBA %llu)",
			       (unsigned long long)elba);
	const uint8_t *ents = buf + elba * sector;
	if (gpt_crc32(ents, (size_t)ebytes) != le32_get(h + 88))
		return err_set(e, -EINVAL, "GPT entries' checksum is wrong");
	memset(g, 0, sizeof(*g));
	memcpy(g->g_disk_uuid, h + 56, 16);
	for (uint32_t i = 0; i < nent; i++) {
		const uint8_t *en = ents + (size_t)i * esize;
		struct gpt_part *p;
		if (zero16(en))
			continue;
		if (g->g_nparts == GPT_PARTS_MAX)
			return err_set(e, -EINVAL, "more than %d partitions",
				       GPT_PARTS_MAX);
		p = &g->g_parts[g->g_nparts];
		memcpy(p->gp_type, en, 16);
		memcpy(p->gp_uuid, en + 16, 16);
		p->gp_first_lba = le64_get(en + 32);
		p->gp_last_lba = le64_get(en + 40);
		if (p->gp_first_lba < first || p->gp_last_lba > last ||
		    p->gp_first_lba > p->gp_last_lba)
			return err_set(e, -EINVAL,
				       "GPT partition %u outside the disk",
				       i + 1);
		for (int k = 0; k < GPT_NAME_MAX; k++) {
			uint16_t c = le16_get(en + 56 + 2 * k);
			if (c == 0)
				break;
			p->gp_name[k] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		p->gp_index = i + 1;
		g->g_nparts++;
	}
	return 1;
}

static void header(uint8_t *h, uint64_t my, uint64_t alt, uint64_t first,
		   uint64_t last, const uint8_t disk[16], uint64_t elba,
		   uint32_t ecrc)
{
	memset(h, 0, GPT_HEADER_BYTES);
	memcpy(h, GPT_SIGNATURE, 8);
	le32_put(h + 8, 0x00010000u);
	le32_put(h + 12, GPT_HEADER_BYTES);
	le64_put(h + 24, my);
	le64_put(h + 32, alt);
	le64_put(h + 40, first);
	le64_put(h + 48, last);
	memcpy(h + 56, disk, 16);
	le64_put(h + 72, elba);
	le32_put(h + 80, GPT_ENTRIES);
	le32_put(h + 84, GPT_ENTRY_BYTES);
	le32_put(h + 88, ecrc);
	le32_put(h + 16, gpt_crc32(h, GPT_HEADER_BYTES));
}

static int pwrite_all(int fd, const void *p, size_t len, uint64_t off,
		      struct err *e)
{
	const uint8_t *b = p;

	while (len > 0) {
		ssize_t n = pwrite(fd, b, len, (off_t)off);
		if (n < 0)
			return err_set(e, -errno, "writing the GPT: %s",
				       strerror(errno));
		b += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int gpt_write_one(int fd, uint64_t disk_bytes, unsigned sector,
		  const uint8_t type[16], const uint8_t uuid[16],
		  const char *name, struct err *e)
{
	uint64_t lbas = disk_bytes / sector;
	uint64_t elbas = GPT_ENTRIES_BYTES / sector;
	uint64_t first = GPT_ALIGN_BYTES / sector, last = lbas - 2 - elbas;
	uint8_t *ents, *sec, disk[16];
	int rc = -EIO;

	if (lbas < first + elbas + 2 + 2048)
		return err_set(e, -ENOSPC, "disk too small for a datastore");
	ents = calloc(1, GPT_ENTRIES_BYTES);
	sec = calloc(1, sector);
	if (ents == NULL || sec == NULL) {
		err_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < 16; i++)
		disk[i] = uuid[15 - i]; /* distinct from the partition's */
	disk[6] = (uint8_t)((disk[6] & 0x0f) | 0x40);
	disk[8] = (uint8_t)((disk[8] & 0x3f) | 0x80);
	memcpy(ents, type, 16);
	memcpy(ents + 16, uuid, 16);
	le64_put(ents + 32, first);
	le64_put(ents + 40, last);
	for (int k = 0; name[k] != '\0' && k < GPT_NAME_MAX; k++)
		le16_put(ents + 56 + 2 * k, (uint8_t)name[k]);
	uint32_t ecrc = gpt_crc32(ents, GPT_ENTRIES_BYTES);

	/* Protective MBR: one partition of type 0xee over the disk. */
	uint8_t *m = sec + 446;
	m[1] = 0x00, m[2] = 0x02, m[3] = 0x00, m[4] = 0xee;
	m[5] = m[6] = m[7] = 0xff;
	le32_put(m + 8, 1);
	le32_put(m + 12,
		 lbas - 1 > 0xffffffffu ? 0xffffffffu : (uint32_t)(lbas - 1));
	sec[510] = 0x55, sec[511] = 0xaa;
	if (pwrite_all(fd, sec, sector, 0, e) < 0)
		goto out;
	memset(sec, 0, sector);
	header(sec, 1, lbas - 1, first, last, disk, 2, ecrc);
	if (pwrite_all(fd, sec, sector, sector, e) < 0 ||
	    pwrite_all(fd, ents, GPT_ENTRIES_BYTES, 2ull * sector, e) < 0)
		goto out;
	header(sec, lbas - 1, 1, first, last, disk, lbas - 1 - elbas, ecrc);
	if (pwrite_all(fd, ents, GPT_ENTRIES_BYTES, (lbas - 1 - elbas) * sector,
		       e) < 0 ||
	    pwrite_all(fd, sec, sector, (lbas - 1) * sector, e) < 0)
		goto out;
	if (fsync(fd) < 0) {
		err_set(e, -errno, "fsync: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(ents);
	free(sec);
	return rc;
}
