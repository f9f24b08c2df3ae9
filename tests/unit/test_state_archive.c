/*
 * test_state_archive.c: the host's state archive and its slot
 * (stated/state_archive.c): a folder archived and extracted comes back
 * the same (contents, modes, subfolders); a damaged or hostile archive
 * is refused whole; the slot keeps two generations and restores the
 * newest sound one.
 */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "lib/tap.h"
#include "stated/state_archive.h"

static char base[] = "/tmp/test_state.XXXXXX";

static void put(const char *rel, const char *text, unsigned mode)
{
	char path[512];
	struct err e;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	*strrchr(path, '/') = '\0';
	if (file_mkdirs(path) < 0)
		abort();
	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (file_write_atomic(path, text, strlen(text), mode, &e) < 0)
		abort();
}

static char *get(const char *rel, unsigned *mode)
{
	char path[512];
	struct stat st;
	struct err e;
	void *data;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	if (stat(path, &st) < 0 ||
	    file_read_all(path, 1 << 20, &data, &len, &e) < 0)
		return NULL;
	*mode = st.st_mode & 0777;
	data = realloc(data, len + 1);
	((char *)data)[len] = '\0';
	return data;
}

static void a_folder_comes_back_the_same(void)
{
	uint8_t *buf;
	size_t len;
	struct state_info info, info2;
	unsigned mode;
	char *text;
	struct err e;

	put("etc/passwd", "root:x:0:0::/:/bin/sh\n", 0644);
	put("etc/shadow", "root:$y$abc:1::::::\n", 0600);
	put("etc/ssl/rui.key", "KEY", 0640);
	put("etc/.pwd.lock", "", 0600);	     /* a lock: not state */
	put("etc/inventory.new", "x", 0600); /* a temporary: not state */
	CHECK_EQ(state_archive_build("/tmp/nonexistent-dir", 1, &buf, &len, &e),
		 -1);
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/etc", base);
	CHECK_EQ(state_archive_build(dir, 7, &buf, &len, &e), 0);
	CHECK_EQ(state_archive_parse(buf, len, &info, NULL, NULL, &e), 0);
	CHECK_EQ(info.si_gen, 7);
	CHECK_EQ(info.si_count, 3);
	CHECK_STR(info.si_version, BASALT_VERSION);
	/* The same files in another generation: the same content. */
	uint8_t *buf2;
	size_t len2;
	CHECK_EQ(state_archive_build(dir, 8, &buf2, &len2, &e), 0);
	CHECK_EQ(state_archive_parse(buf2, len2, &info2, NULL, NULL, &e), 0);
	CHECK_EQ(memcmp(info.si_content, info2.si_content, 32), 0);
	free(buf2);
	put("etc/shadow", "root:$y$abd:1::::::\n", 0600);
	CHECK_EQ(state_archive_build(dir, 8, &buf2, &len2, &e), 0);
	CHECK_EQ(state_archive_parse(buf2, len2, &info2, NULL, NULL, &e), 0);
	CHECK(memcmp(info.si_content, info2.si_content, 32) != 0);
	free(buf2);
	snprintf(dir, sizeof(dir), "%s/out", base);
	CHECK_EQ(state_archive_extract(buf, len, dir, &e), 0);
	text = get("out/passwd", &mode);
	CHECK_STR(text, "root:x:0:0::/:/bin/sh\n");
	CHECK_EQ(mode, 0644);
	free(text);
	text = get("out/shadow", &mode);
	CHECK_STR(text, "root:$y$abc:1::::::\n");
	CHECK_EQ(mode, 0600);
	free(text);
	text = get("out/ssl/rui.key", &mode);
	CHECK_STR(text, "KEY");
	CHECK_EQ(mode, 0640);
	free(text);
	CHECK(get("out/.pwd.lock", &mode) == NULL);
	CHECK(get("out/inventory.new", &mode) == NULL);
	/* Any byte changed: refused, nothing written. */
	for (size_t i = 0; i < len; i += 7) {
		buf[i] ^= 0x20;
		CHECK(state_archive_parse(buf, len, &info, NULL, NULL, &e) < 0);
		buf[i] ^= 0x20;
	}
	CHECK(state_archive_parse(buf, len - 1, &info, NULL, NULL, &e) < 0);
	free(buf);
}

/* An archive of one entry with path p, its checksum made right. */
static size_t forge_as(uint8_t *buf, const char *p, const char *version)
{
	size_t n = 0, plen = strlen(p);

	memcpy(buf, "BSTATE2\n", 8);
	n = 8;
	memset(buf + n, 0, 8);
	buf[n] = 1;
	n += 8;
	buf[n] = 1, buf[n + 1] = buf[n + 2] = buf[n + 3] = 0;
	n += 4;
	buf[n++] = 3;
	memcpy(buf + n, version, 3);
	n += 3;
	buf[n] = (uint8_t)plen, buf[n + 1] = 0;
	n += 2;
	memcpy(buf + n, p, plen);
	n += plen;
	memset(buf + n, 0, 8);
	buf[n] = 0x80, buf[n + 1] = 0x01; /* mode 0600 */
	buf[n + 4] = 1;			  /* one byte */
	n += 8;
	buf[n++] = 'x';
	gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, n, buf + n);
	return n + 32;
}

static size_t forge(uint8_t *buf, const char *p)
{
	return forge_as(buf, p, "0.1");
}

static void paths_that_leave_the_folder_are_refused(void)
{
	static const char *const bad[] = {"../x", "a/../../x", "/etc/x", "a//b",
					  "./x",  "a/.",       "x\n",	 ""};
	uint8_t buf[512];
	struct state_info info;
	struct err e;
	char dir[600];
	size_t len;

	snprintf(dir, sizeof(dir), "%s/forged", base);
	CHECK_EQ(state_archive_extract(buf, forge(buf, "ok/x"), dir, &e), 0);
	len = forge(buf, "ok/x");
	CHECK_EQ(state_archive_parse(buf, len, &info, NULL, NULL, &e), 0);
	CHECK_STR(info.si_version, "0.1");
	/* A version field with a space or a control character. */
	CHECK(state_archive_parse(buf, forge_as(buf, "ok/x", "0 1"), &info,
				  NULL, NULL, &e) < 0);
	CHECK(state_archive_parse(buf, forge_as(buf, "ok/x", "0\n1"), &info,
				  NULL, NULL, &e) < 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		len = forge(buf, bad[i]);
		CHECK(state_archive_parse(buf, len, &info, NULL, NULL, &e) < 0);
		CHECK(state_archive_extract(buf, len, dir, &e) < 0);
	}
}

static void the_slot_restores_the_newest_sound_generation(void)
{
	char slot[600], dir[600], etc[600], path[700];
	uint8_t *buf;
	size_t len;
	struct state_info info;
	unsigned skipped, mode;
	struct err e;
	char *text;

	snprintf(slot, sizeof(slot), "%s/bank/state", base);
	snprintf(etc, sizeof(etc), "%s/etc", base);
	CHECK_EQ(state_slot_restore(slot, etc, &info, &skipped, &e), 0);
	CHECK_EQ(state_slot_newest(slot, &info, &skipped), 0);
	CHECK_EQ(skipped, 0);
	for (uint64_t g = 1; g <= 3; g++) {
		char v[16];
		snprintf(v, sizeof(v), "gen %llu\n", (unsigned long long)g);
		put("etc/config", v, 0600);
		CHECK_EQ(state_archive_build(etc, g, &buf, &len, &e), 0);
		CHECK_EQ(state_slot_save(slot, buf, len, g, &e), 0);
		free(buf);
	}
	snprintf(path, sizeof(path), "%s/state-1.bst", slot);
	CHECK(access(path, F_OK) < 0); /* only two generations stay */
	CHECK_EQ(state_slot_next(slot), 4);
	snprintf(dir, sizeof(dir), "%s/r1", base);
	CHECK_EQ(state_slot_restore(slot, dir, &info, &skipped, &e), 1);
	CHECK_EQ(info.si_gen, 3);
	CHECK_EQ(skipped, 0);
	CHECK_EQ(state_slot_newest(slot, &info, &skipped), 1);
	CHECK_EQ(info.si_gen, 3);
	text = get("r1/config", &mode);
	CHECK_STR(text, "gen 3\n");
	free(text);
	/* The newest torn (cut short, as a power cut would leave it): the
	 * one before. */
	snprintf(path, sizeof(path), "%s/state-3.bst", slot);
	CHECK_EQ(truncate(path, 40), 0);
	snprintf(dir, sizeof(dir), "%s/r2", base);
	CHECK_EQ(state_slot_restore(slot, dir, &info, &skipped, &e), 1);
	CHECK_EQ(info.si_gen, 2);
	CHECK_EQ(skipped, 1);
	text = get("r2/config", &mode);
	CHECK_STR(text, "gen 2\n");
	free(text);
}

int main(void)
{
	if (mkdtemp(base) == NULL)
		return 1;
	RUN(a_folder_comes_back_the_same);
	RUN(paths_that_leave_the_folder_are_refused);
	RUN(the_slot_restores_the_newest_sound_generation);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	if (system(cmd) != 0)
		return 1;
	return tap_done();
}
