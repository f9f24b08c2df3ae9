/*
 * state_archive_fuzz.c: libFuzzer target for the state archive's parser
 * (a file read from the boot bank). The checksum is recomputed over the
 * input first, so the fuzzer reaches the entries; whatever is taken must
 * lie inside the input and have a path that stays in its folder.
 */
#include <gnutls/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stated/state_archive.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
	const uint8_t *sp_buf;
	size_t sp_len;
};

/* No component of path is "", "." or ".." ("..x" is a name). */
static int stays_inside(const char *path)
{
	for (const char *c = path;; c++) {
		size_t n = strcspn(c, "/");
		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		c += n;
		if (*c == '\0')
			return 1;
	}
}

static int check(const struct state_entry *se, void *arg)
{
	const struct span *s = arg;

	if (se->se_data < s->sp_buf ||
	    se->se_data + se->se_size > s->sp_buf + s->sp_len ||
	    !stays_inside(se->se_path) || se->se_mode > 0777)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf;
	struct state_info info;
	struct err e;

	if (size < 32 || size > STATE_ARCHIVE_MAX_BYTES)
		return 0;
	buf = malloc(size);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	(void)state_archive_parse(buf, size, &info, NULL, NULL, &e);
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, size - 32, buf + size - 32);
	struct span s = {buf, size};
	(void)state_archive_parse(buf, size, &info, check, &s, &e);
	free(buf);
	return 0;
}
