/*
 * gpt.h: GUID partition tables, read from untrusted disks (every check
 * the UEFI specification asks for: signature, sizes, both CRC32s, bounds)
 * and written for a new datastore (one partition over the whole disk).
 */
#ifndef BASALT_INIT_GPT_H
#define BASALT_INIT_GPT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define GPT_PARTS_MAX 128
#define GPT_NAME_MAX  36 /* UTF-16 units in an entry's name */

struct gpt_part {
	uint8_t gp_type[16];
	uint8_t gp_uuid[16];
	uint64_t gp_first_lba, gp_last_lba;
	char gp_name[GPT_NAME_MAX + 1]; /* ASCII; other characters '?' */
	unsigned gp_index;		/* 1-based, as the kernel numbers */
};

struct gpt {
	uint8_t g_disk_uuid[16];
	size_t g_nparts;
	struct gpt_part g_parts[GPT_PARTS_MAX];
};

/* Basalt's partition types (docs/formats/image.md). */
extern const uint8_t gpt_type_datastore[16];
extern const uint8_t gpt_type_coredump[16];

/*
 * Parse the primary GPT from the first bytes of a disk: buf holds LBA 0
 * onward (len bytes, at least 34 sectors of sector bytes). 1 if a valid
 * table was found (*g filled), 0 if the disk has none, a negative errno
 * if one is there but broken (e says what).
 */
int gpt_parse(const uint8_t *buf, size_t len, unsigned sector, struct gpt *g,
	      struct err *e);

/*
 * Write a table with one partition of type type named name from 1 MiB
 * to the end (less the backup table) to the disk on fd of disk_bytes;
 * the new partition's uuid is uuid. 0 or a negative errno (e says).
 */
int gpt_write_one(int fd, uint64_t disk_bytes, unsigned sector,
		  const uint8_t type[16], const uint8_t uuid[16],
		  const char *name, struct err *e);

/* "XXXXXXXX-XXXX-..." (the mixed-endian text form) to and from bytes. */
int gpt_guid_parse(const char *s, uint8_t out[16]);
void gpt_guid_format(const uint8_t g[16], char out[37]);

uint32_t gpt_crc32(const void *data, size_t len);

#endif
