/*
 * test_update_bundle.c: an update bundle made, signed and read back; a
 * changed byte anywhere, another key, a forged manifest refused.
 */
#include <gnutls/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "lib/tap.h"
#include "update/bundle.h"

static const char kernel[] = "a kernel", initrd[] = "an initramfs";

/* A bundle of the two files; manifest_extra goes before the file
 * lines. *len bytes, with the signature room filled by update_sign. */
static uint8_t *make(const char *manifest_extra, const char *priv, size_t *len)
{
	char manifest[1024], hex[2][65];
	const char *data[2] = {initrd, kernel};
	uint8_t sum[32];
	size_t mlen, at;
	uint8_t *buf;
	struct err e;

	for (int f = 0; f < 2; f++) {
		gnutls_hash_fast(GNUTLS_DIG_SHA256, data[f], strlen(data[f]),
				 sum);
		for (int i = 0; i < 32; i++)
			snprintf(hex[f] + 2 * i, 3, "%02x", sum[i]);
	}
	mlen = (size_t)snprintf(manifest, sizeof(manifest),
				"# test\nproduct=Basalt\nversion=1.2.3\n"
				"build=b1\nkernel=k1\n%s"
				"file=basalt.zst %zu %s\nfile=vmlinuz %zu %s\n",
				manifest_extra, strlen(initrd), hex[0],
				strlen(kernel), hex[1]);
	*len = 12 + mlen + strlen(initrd) + strlen(kernel) + UPDATE_SIG_BYTES;
	buf = malloc(*len);
	memcpy(buf, UPDATE_MAGIC, 8);
	le32_put(buf + 8, (uint32_t)mlen);
	memcpy(buf + 12, manifest, mlen);
	at = 12 + mlen;
	memcpy(buf + at, initrd, strlen(initrd));
	at += strlen(initrd);
	memcpy(buf + at, kernel, strlen(kernel));
	at += strlen(kernel);
	if (update_sign(buf, at, priv, strlen(priv), &e) < 0)
		abort(); /* nothing to test without a signature */
	return buf;
}

static void a_signed_bundle_reads_back(void)
{
	char *priv, *pub, *priv2, *pub2;
	struct update_info ui;
	struct err e;
	size_t len;
	uint8_t *buf;

	CHECK_EQ(update_keygen(&priv, &pub, &e), 0);
	CHECK_EQ(update_keygen(&priv2, &pub2, &e), 0);
	buf = make("", priv, &len);
	CHECK_EQ(update_verify_signature(buf, len, pub, strlen(pub), &e), 0);
	CHECK_EQ(update_parse(buf, len, &ui, &e), 0);
	CHECK_STR(ui.ui_version, "1.2.3");
	CHECK_STR(ui.ui_build, "b1");
	CHECK_EQ(ui.ui_nfiles, 2);
	CHECK_STR(ui.ui_files[1].uf_name, "vmlinuz");
	CHECK_EQ(memcmp(ui.ui_files[1].uf_data, kernel, strlen(kernel)), 0);
	/* Another key does not verify it. */
	CHECK(update_verify_signature(buf, len, pub2, strlen(pub2), &e) < 0);
	/* Any byte changed: the signature fails. */
	for (size_t i = 0; i < len; i += 5) {
		buf[i] ^= 0x01;
		CHECK(update_verify_signature(buf, len, pub, strlen(pub), &e) <
		      0);
		buf[i] ^= 0x01;
	}
	/* A file's byte changed (re-signed): its SHA-256 fails the parse. */
	buf[len - UPDATE_SIG_BYTES - 1] ^= 0x01;
	CHECK(update_parse(buf, len, &ui, &e) < 0);
	free(buf);
	free(priv);
	free(pub);
	free(priv2);
	free(pub2);
}

static void forged_manifests_are_refused(void)
{
	static const char *const bad[] = {
		"file=../etc/shadow 1 "
		"0000000000000000000000000000000000000000000000000000000000000000"
		"\n",
		"file=manifest 1 "
		"0000000000000000000000000000000000000000000000000000000000000000"
		"\n",
		"version=2.0\n",
		"file=vmlinuz 8 "
		"0000000000000000000000000000000000000000000000000000000000000000"
		"\n",
	};
	char *priv, *pub;
	struct update_info ui;
	struct err e;
	size_t len;

	CHECK_EQ(update_keygen(&priv, &pub, &e), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		uint8_t *buf = make(bad[i], priv, &len);
		CHECK_EQ(
			update_verify_signature(buf, len, pub, strlen(pub), &e),
			0);
		CHECK(update_parse(buf, len, &ui, &e) < 0);
		free(buf);
	}
	free(priv);
	free(pub);
}

int main(void)
{
	RUN(a_signed_bundle_reads_back);
	RUN(forged_manifests_are_refused);
	return tap_done();
}
