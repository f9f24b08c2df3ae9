/*
 * bundle.h: Basalt's update bundle (docs/formats/update.md): a boot
 * bank's files and its manifest, signed with the release's ed25519 key.
 * Everything is checked (signature, then every length, name and
 * SHA-256) before any byte is written anywhere.
 */
#ifndef BASALT_UPDATE_BUNDLE_H
#define BASALT_UPDATE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define UPDATE_MAGIC	    "BUPDATE1"
#define UPDATE_MAX_BYTES    (96u << 20)
#define UPDATE_MANIFEST_MAX 8192
#define UPDATE_FILES_MAX    8
#define UPDATE_SIG_BYTES    64
#define UPDATE_FIELD_MAX    64

struct update_file {
	char uf_name[UPDATE_FIELD_MAX];
	uint64_t uf_size;
	uint8_t uf_sha256[32];
	const uint8_t *uf_data; /* inside the bundle */
};

struct update_info {
	char ui_version[UPDATE_FIELD_MAX];
	char ui_build[UPDATE_FIELD_MAX];
	char ui_kernel[UPDATE_FIELD_MAX];
	int ui_nfiles;
	struct update_file ui_files[UPDATE_FILES_MAX];
	const char *ui_manifest; /* inside the bundle, not NUL-ended */
	size_t ui_manifest_len;
};

/* A bank manifest (image/build.py's format): product, version, build,
 * kernel, file lines. 0 or -EINVAL with e. */
int update_manifest_parse(const char *text, size_t len, struct update_info *ui,
			  struct err *e);

/* The bundle's structure, manifest and every file's SHA-256 (not the
 * signature). 0 or a negative errno with e. */
int update_parse(const uint8_t *buf, size_t len, struct update_info *ui,
		 struct err *e);

/* The signature over buf[0, len - 64) against the PEM public key. 0, or
 * -EBADMSG with e when it does not verify. */
int update_verify_signature(const uint8_t *buf, size_t len,
			    const char *pubkey_pem, size_t pem_len,
			    struct err *e);

/* Sign: buf[0, len) gets its signature appended (buf has 64 bytes of
 * room after len). */
int update_sign(uint8_t *buf, size_t len, const char *privkey_pem,
		size_t pem_len, struct err *e);

/* A new ed25519 key pair, PEM (malloc'd, NUL-ended). */
int update_keygen(char **priv_pem, char **pub_pem, struct err *e);

#endif
