/*
 * bundle.c: the update bundle (bundle.h). A bundle comes from outside
 * (an upload, a USB stick): its parser trusts nothing, signature or not
 * (fuzz target bundle_fuzz.c).
 */
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hex.h"
#include "common/le.h"
#include "update/bundle.h"

#define HEAD_BYTES 12

/* Printable, no spaces: a version, a build id, a kernel release. */
static int word_ok(const char *s, size_t n)
{
	if (n == 0 || n >= UPDATE_FIELD_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* A bank file's name: [a-z0-9._-], not hidden, not the manifest nor the
 * state slot. */
static int name_ok(const char *s, size_t n)
{
	if (n == 0 || n >= UPDATE_FIELD_MAX || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '_' || s[i] == '-'))
			return 0;
	return !(n == 8 && memcmp(s, "manifest", 8) == 0) &&
	       !(n == 5 && memcmp(s, "state", 5) == 0) &&
	       !(n == 10 && memcmp(s, "lost+found", 10) == 0);
}

static void copy_word(char *dst, const char *s, size_t n)
{
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int file_line(struct update_info *ui, const char *v, size_t n,
		     struct err *e)
{
	const char *sp1 = memchr(v, ' ', n), *sp2;
	struct update_file *f;
	unsigned long long size = 0;

	if (ui->ui_nfiles == UPDATE_FILES_MAX)
		return err_set(e, -EINVAL, "over %d files", UPDATE_FILES_MAX);
	f = &ui->ui_files[ui->ui_nfiles];
	if (sp1 == NULL || !name_ok(v, (size_t)(sp1 - v)))
		return err_set(e, -EINVAL, "a bad file name");
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - v));
	if (sp2 == NULL || sp2 == sp1 + 1 || sp2 - sp1 - 1 > 12 ||
	    (size_t)(v + n - sp2 - 1) != 64)
		return err_set(e, -EINVAL, "a bad file line");
	for (const char *p = sp1 + 1; p < sp2; p++) {
		if (*p < '0' || *p > '9')
			return err_set(e, -EINVAL, "a bad file size");
		size = size * 10 + (unsigned)(*p - '0');
	}
	for (int i = 0; i < 32; i++) {
		int hi = hex_value(sp2[1 + 2 * i]),
		    lo = hex_value(sp2[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return err_set(e, -EINVAL, "a bad SHA-256");
		f->uf_sha256[i] = (uint8_t)(hi << 4 | lo);
	}
	copy_word(f->uf_name, v, (size_t)(sp1 - v));
	for (int i = 0; i < ui->ui_nfiles; i++)
		if (strcmp(ui->ui_files[i].uf_name, f->uf_name) == 0)
			return err_set(e, -EINVAL, "%s twice", f->uf_name);
	f->uf_size = size;
	f->uf_data = NULL;
	ui->ui_nfiles++;
	return 0;
}

int update_manifest_parse(const char *text, size_t len, struct update_info *ui,
			  struct err *e)
{
	int product = 0, kernel = 0, initrd = 0;
	size_t at = 0;

	memset(ui, 0, sizeof(*ui));
	while (at < len) {
		const char *line = text + at,
			   *nl = memchr(line, '\n', len - at);
		size_t n = nl != NULL ? (size_t)(nl - line) : len - at;
		const char *eq = memchr(line, '=', n);
		size_t kn, vn;
		int rc = 0;
		at += n + 1;
		if (n == 0 || line[0] == '#')
			continue;
		if (eq == NULL)
			return err_set(e, -EINVAL,
				       "manifest: a line without "
				       "'='");
		kn = (size_t)(eq - line);
		vn = n - kn - 1;
#define KEY(k) (kn == sizeof(k) - 1 && memcmp(line, k, kn) == 0)
		if (KEY("product")) {
			product = vn == 6 && memcmp(eq + 1, "Basalt", 6) == 0;
		} else if (KEY("version") || KEY("build") || KEY("kernel")) {
			char *dst = KEY("version") ? ui->ui_version
				    : KEY("build") ? ui->ui_build
						   : ui->ui_kernel;
			if (!word_ok(eq + 1, vn) || dst[0] != '\0')
				return err_set(e, -EINVAL,
					       "manifest: a bad or repeated "
					       "%.*s",
					       (int)kn, line);
			copy_word(dst, eq + 1, vn);
		} else if (KEY("file")) {
			rc = file_line(ui, eq + 1, vn, e);
		}
#undef KEY
		/* Other keys: for later versions; ignored. */
		if (rc < 0)
			return rc;
	}
	for (int i = 0; i < ui->ui_nfiles; i++) {
		kernel |= strcmp(ui->ui_files[i].uf_name, "vmlinuz") == 0;
		initrd |= strcmp(ui->ui_files[i].uf_name, "basalt.zst") == 0;
	}
	if (!product)
		return err_set(e, -EINVAL, "manifest: not Basalt's");
	if (ui->ui_version[0] == '\0' || !kernel || !initrd)
		return err_set(e, -EINVAL,
			       "manifest: no version, kernel or initramfs");
	return 0;
}

int update_parse(const uint8_t *buf, size_t len, struct update_info *ui,
		 struct err *e)
{
	size_t mlen, at, end;
	int rc;

	if (len < HEAD_BYTES + UPDATE_SIG_BYTES || len > UPDATE_MAX_BYTES)
		return err_set(e, -EINVAL, "not an update bundle (%zu bytes)",
			       len);
	if (memcmp(buf, UPDATE_MAGIC, 8) != 0)
		return err_set(e, -EINVAL, "not an update bundle (magic)");
	mlen = le32_get(buf + 8);
	end = len - UPDATE_SIG_BYTES;
	if (mlen == 0 || mlen > UPDATE_MANIFEST_MAX || mlen > end - HEAD_BYTES)
		return err_set(e, -EINVAL, "a bad manifest length");
	if ((rc = update_manifest_parse((const char *)buf + HEAD_BYTES, mlen,
					ui, e)) < 0)
		return rc;
	ui->ui_manifest = (const char *)buf + HEAD_BYTES;
	ui->ui_manifest_len = mlen;
	at = HEAD_BYTES + mlen;
	for (int i = 0; i < ui->ui_nfiles; i++) {
		struct update_file *f = &ui->ui_files[i];
		uint8_t sum[32];
		if (f->uf_size > end - at)
			return err_set(e, -EINVAL, "%s: cut short", f->uf_name);
		f->uf_data = buf + at;
		gnutls_hash_fast(GNUTLS_DIG_SHA256, f->uf_data, f->uf_size,
				 sum);
		if (memcmp(sum, f->uf_sha256, 32) != 0)
			return err_set(e, -EBADMSG,
				       "%s: its SHA-256 is not the manifest's",
				       f->uf_name);
		at += f->uf_size;
	}
	if (at != end)
		return err_set(e, -EINVAL, "%zu bytes after the files",
			       end - at);
	return 0;
}

int update_verify_signature(const uint8_t *buf, size_t len,
			    const char *pubkey_pem, size_t pem_len,
			    struct err *e)
{
	gnutls_pubkey_t pub;
	gnutls_datum_t key = {(unsigned char *)(uintptr_t)pubkey_pem,
			      (unsigned)pem_len};
	gnutls_datum_t data, sig;
	int rc;

	if (len < UPDATE_SIG_BYTES || len - UPDATE_SIG_BYTES > 0xffffffffu)
		return err_set(e, -EBADMSG, "no signature");
	data.data = (unsigned char *)(uintptr_t)buf;
	data.size = (unsigned)(len - UPDATE_SIG_BYTES);
	sig.data = (unsigned char *)(uintptr_t)(buf + len - UPDATE_SIG_BYTES);
	sig.size = UPDATE_SIG_BYTES;
	if (gnutls_pubkey_init(&pub) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	if ((rc = gnutls_pubkey_import(pub, &key, GNUTLS_X509_FMT_PEM)) < 0) {
		gnutls_pubkey_deinit(pub);
		return err_set(e, -EINVAL, "the release key: %s",
			       gnutls_strerror(rc));
	}
	rc = gnutls_pubkey_verify_data2(pub, GNUTLS_SIGN_EDDSA_ED25519, 0,
					&data, &sig);
	gnutls_pubkey_deinit(pub);
	if (rc < 0)
		return err_set(e, -EBADMSG,
			       "the signature does not verify against the "
			       "release key (%s)",
			       gnutls_strerror(rc));
	return 0;
}

static int load_privkey(gnutls_privkey_t *key, const char *pem, size_t pem_len,
			struct err *e)
{
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)pem, (unsigned)pem_len};
	int rc;

	if (gnutls_privkey_init(key) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	rc = gnutls_privkey_import_x509_raw(*key, &d, GNUTLS_X509_FMT_PEM, NULL,
					    0);
	if (rc < 0) {
		gnutls_privkey_deinit(*key);
		return err_set(e, -EINVAL, "the signing key: %s",
			       gnutls_strerror(rc));
	}
	return 0;
}

int update_sign(uint8_t *buf, size_t len, const char *privkey_pem,
		size_t pem_len, struct err *e)
{
	gnutls_privkey_t key;
	gnutls_datum_t data = {buf, (unsigned)len}, sig = {NULL, 0};
	int rc;

	if ((rc = load_privkey(&key, privkey_pem, pem_len, e)) < 0)
		return rc;
	rc = gnutls_privkey_sign_data2(key, GNUTLS_SIGN_EDDSA_ED25519, 0, &data,
				       &sig);
	gnutls_privkey_deinit(key);
	if (rc < 0 || sig.size != UPDATE_SIG_BYTES) {
		gnutls_free(sig.data);
		return err_set(e, -EINVAL, "signing: %s",
			       rc < 0 ? gnutls_strerror(rc) : "not ed25519");
	}
	memcpy(buf + len, sig.data, UPDATE_SIG_BYTES);
	gnutls_free(sig.data);
	return 0;
}

static char *datum_str(gnutls_datum_t *d)
{
	char *s = malloc(d->size + 1);

	if (s != NULL) {
		memcpy(s, d->data, d->size);
		s[d->size] = '\0';
	}
	gnutls_free(d->data);
	return s;
}

int update_keygen(char **priv_pem, char **pub_pem, struct err *e)
{
	gnutls_x509_privkey_t x;
	gnutls_privkey_t key;
	gnutls_pubkey_t pub;
	gnutls_datum_t d;
	int rc;

	*priv_pem = *pub_pem = NULL;
	if (gnutls_x509_privkey_init(&x) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	rc = gnutls_x509_privkey_generate(x, GNUTLS_PK_EDDSA_ED25519, 256, 0);
	if (rc >= 0 &&
	    (rc = gnutls_x509_privkey_export2_pkcs8(
		     x, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &d)) >= 0)
		*priv_pem = datum_str(&d);
	if (rc >= 0 && (rc = gnutls_privkey_init(&key)) >= 0) {
		rc = gnutls_privkey_import_x509(key, x, 0);
		if (rc >= 0 && (rc = gnutls_pubkey_init(&pub)) >= 0) {
			rc = gnutls_pubkey_import_privkey(pub, key, 0, 0);
			if (rc >= 0 &&
			    (rc = gnutls_pubkey_export2(
				     pub, GNUTLS_X509_FMT_PEM, &d)) >= 0)
				*pub_pem = datum_str(&d);
			gnutls_pubkey_deinit(pub);
		}
		gnutls_privkey_deinit(key);
	}
	gnutls_x509_privkey_deinit(x);
	if (rc < 0 || *priv_pem == NULL || *pub_pem == NULL) {
		free(*priv_pem);
		free(*pub_pem);
		*priv_pem = *pub_pem = NULL;
		return err_set(e, -EIO, "key generation: %s",
			       rc < 0 ? gnutls_strerror(rc) : "out of memory");
	}
	return 0;
}
