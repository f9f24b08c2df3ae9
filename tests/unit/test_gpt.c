/*
 * test_gpt.c: init's GUID partition tables (init/gpt.c): a table written
 * for a new datastore reads back as written, in both copies; every
 * broken part of one (signature, either checksum, bounds) is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "init/gpt.h"
#include "lib/tap.h"

#define DISK_BYTES (64u << 20)
#define HEAD_BYTES (34u * 512)

static const uint8_t uuid[16] = {1,    2,  3,  4,  5,  6,  0x47, 8,
				 0x89, 10, 11, 12, 13, 14, 15,	 16};

static int new_disk(void)
{
	int fd = memfd_create("disk", 0);

	if (fd < 0 || ftruncate(fd, DISK_BYTES) < 0)
		abort();
	return fd;
}

static void read_at(int fd, off_t off, uint8_t *buf, size_t len)
{
	if (pread(fd, buf, len, off) != (ssize_t)len)
		abort();
}

static void crc32_is_the_standard_one(void)
{
	CHECK_EQ(gpt_crc32("123456789", 9), 0xcbf43926u);
}

static void guid_text_round_trips(void)
{
	uint8_t g[16];
	char s[37];

	CHECK_EQ(gpt_guid_parse("9D3C8A5E-3A1B-4B7E-9C6F-6B61736C7402", g), 0);
	CHECK(memcmp(g, gpt_type_datastore, 16) == 0);
	gpt_guid_format(g, s);
	CHECK_STR(s, "9D3C8A5E-3A1B-4B7E-9C6F-6B61736C7402");
	/* GRUB prints them in lower case. */
	CHECK_EQ(gpt_guid_parse("9d3c8a5e-3a1b-4b7e-9c6f-6b61736c7402", g), 0);
	CHECK_EQ(gpt_guid_parse("9D3C8A5E-3A1B-4B7E-9C6F-6B61736C740", g), -1);
	CHECK_EQ(gpt_guid_parse("9D3C8A5E-3A1B-4B7E-9C6F-6B61736C74022", g),
		 -1);
	CHECK_EQ(gpt_guid_parse("XD3C8A5E-3A1B-4B7E-9C6F-6B61736C7402", g), -1);
	CHECK_EQ(gpt_guid_parse("", g), -1);
}

static void a_written_table_reads_back(void)
{
	uint8_t *head = malloc(HEAD_BYTES), tail[512];
	struct gpt *g = malloc(sizeof(*g));
	struct err e;
	int fd = new_disk();

	CHECK_EQ(gpt_write_one(fd, DISK_BYTES, 512, gpt_type_datastore, uuid,
			       "datastore", &e),
		 0);
	read_at(fd, 0, head, HEAD_BYTES);
	CHECK_EQ(head[510], 0x55);
	CHECK_EQ(head[446 + 4], 0xee); /* the protective MBR */
	CHECK_EQ(gpt_parse(head, HEAD_BYTES, 512, g, &e), 1);
	CHECK_EQ(g->g_nparts, 1);
	CHECK(memcmp(g->g_parts[0].gp_type, gpt_type_datastore, 16) == 0);
	CHECK(memcmp(g->g_parts[0].gp_uuid, uuid, 16) == 0);
	CHECK_EQ(g->g_parts[0].gp_first_lba, 2048);
	/* The backup entries (32 sectors) and header end the disk. */
	CHECK_EQ(g->g_parts[0].gp_last_lba, DISK_BYTES / 512 - 34);
	CHECK_STR(g->g_parts[0].gp_name, "datastore");
	CHECK_EQ(g->g_parts[0].gp_index, 1);
	read_at(fd, DISK_BYTES - 512, tail, sizeof(tail));
	CHECK(memcmp(tail, "EFI PART", 8) == 0);
	close(fd);
	free(head);
	free(g);
}

static void broken_tables_are_refused(void)
{
	uint8_t *head = malloc(HEAD_BYTES), *bad = malloc(HEAD_BYTES);
	struct gpt *g = malloc(sizeof(*g));
	struct err e;
	int fd = new_disk();

	CHECK_EQ(gpt_write_one(fd, DISK_BYTES, 512, gpt_type_datastore, uuid,
			       "datastore", &e),
		 0);
	read_at(fd, 0, head, HEAD_BYTES);
	/* No signature: no table (an empty disk), not an error. */
	memset(bad, 0, HEAD_BYTES);
	CHECK_EQ(gpt_parse(bad, HEAD_BYTES, 512, g, &e), 0);
	/* A flipped header byte: the header checksum. */
	memcpy(bad, head, HEAD_BYTES);
	bad[512 + 40] ^= 1;
	CHECK(gpt_parse(bad, HEAD_BYTES, 512, g, &e) < 0);
	CHECK_CONTAINS(err_msg(&e), "header checksum");
	/* A flipped entry byte: the entries' checksum. */
	memcpy(bad, head, HEAD_BYTES);
	bad[1024 + 40] ^= 1;
	CHECK(gpt_parse(bad, HEAD_BYTES, 512, g, &e) < 0);
	CHECK_CONTAINS(err_msg(&e), "entries' checksum");
	/* Too little read for the entries the header names. */
	CHECK(gpt_parse(head, 4 * 512, 512, g, &e) < 0);
	CHECK(gpt_parse(head, 512, 512, g, &e) < 0);
	/* A disk too small for a datastore. */
	CHECK(gpt_write_one(fd, 512 * 100, 512, gpt_type_datastore, uuid, "x",
			    &e) < 0);
	close(fd);
	free(head);
	free(bad);
	free(g);
}

int main(void)
{
	RUN(crc32_is_the_standard_one);
	RUN(guid_text_round_trips);
	RUN(a_written_table_reads_back);
	RUN(broken_tables_are_refused);
	return tap_done();
}
