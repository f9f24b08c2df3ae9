/*
 * host_cert.c: the host's TLS key and certificate, <confdir>/ssl/rui.key
 * and rui.crt as on the reference host. Made on first start (ECDSA
 * P-256, self-signed, ten years, the host's names and addresses as
 * subject alternative names); an administrator's replacement is used as
 * it is.
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdint.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "common/file.h"
#include "common/log.h"
#include "common/host_cert.h"

#define PEM_MAX_BYTES (64u << 10)

static int gt_err(struct err *e, const char *what, int rc)
{
	return err_set(e, -EIO, "TLS certificate: %s: %s", what,
		       gnutls_strerror(rc));
}

/* SANs: the host name, localhost, and every address of the host's
 * interfaces (loopback included, since hosted mode listens there). */
static int add_names(gnutls_x509_crt_t crt, const char *hostname, struct err *e)
{
	struct ifaddrs *ifs = NULL;
	int rc;

	rc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME,
						  hostname, strlen(hostname),
						  GNUTLS_FSAN_APPEND);
	if (rc == 0 && strcmp(hostname, "localhost") != 0)
		rc = gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
			GNUTLS_FSAN_APPEND);
	if (rc < 0)
		return gt_err(e, "subject alternative name", rc);
	if (getifaddrs(&ifs) < 0)
		return 0; /* names only */
	for (struct ifaddrs *i = ifs; i != NULL; i = i->ifa_next) {
		const void *a;
		unsigned len;
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET) {
			a = &((const struct sockaddr_in *)(const void *)
				      i->ifa_addr)
				     ->sin_addr;
			len = 4;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			a = &((const struct sockaddr_in6 *)(const void *)
				      i->ifa_addr)
				     ->sin6_addr;
			len = 16;
		} else {
			continue;
		}
		rc = gnutls_x509_crt_set_subject_alt_name(
			crt, GNUTLS_SAN_IPADDRESS, a, len, GNUTLS_FSAN_APPEND);
		if (rc < 0) {
			freeifaddrs(ifs);
			return gt_err(e, "subject alternative address", rc);
		}
	}
	freeifaddrs(ifs);
	return 0;
}

static int make_cert(const char *hostname, gnutls_x509_privkey_t key,
		     gnutls_x509_crt_t crt, struct err *e)
{
	unsigned char serial[16], id[64];
	size_t idlen = sizeof(id);
	time_t now = time(NULL);
	int rc;

	rc = gnutls_x509_privkey_generate(
		key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (rc < 0)
		return gt_err(e, "key generation", rc);
	if (getrandom(serial, sizeof(serial), 0) != (ssize_t)sizeof(serial))
		return err_set(e, -EIO, "TLS certificate: no random numbers");
	serial[0] &= 0x7f; /* a positive serial number */
	if ((rc = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
	    (rc = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) <
		    0 ||
	    (rc = gnutls_x509_crt_set_activation_time(crt, now - 86400)) < 0 ||
	    (rc = gnutls_x509_crt_set_expiration_time(
		     crt, now + 3650L * 86400)) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(
		     crt, GNUTLS_OID_X520_COMMON_NAME, 0, hostname,
		     (unsigned)strlen(hostname))) < 0 ||
	    (rc = gnutls_x509_crt_set_dn_by_oid(
		     crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "Basalt", 6)) <
		    0 ||
	    (rc = gnutls_x509_crt_set_key(crt, key)) < 0 ||
	    (rc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_usage(
		     crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
	    (rc = gnutls_x509_crt_set_key_purpose_oid(
		     crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
	    (rc = gnutls_x509_crt_get_key_id(crt, 0, id, &idlen)) < 0 ||
	    (rc = gnutls_x509_crt_set_subject_key_id(crt, id, idlen)) < 0)
		return gt_err(e, "certificate fields", rc);
	if (add_names(crt, hostname, e) < 0)
		return -EIO;
	rc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	if (rc < 0)
		return gt_err(e, "signing", rc);
	return 0;
}

static int save_pem(const char *path, const gnutls_datum_t *d, unsigned mode,
		    struct err *e)
{
	return file_write_atomic(path, d->data, d->size, mode, e);
}

/* Generate key and certificate, write the key first (a crash between
 * the two leaves no certificate, so the next start makes both anew). */
static int generate(const char *hostname, const char *keyfile,
		    const char *crtfile, struct host_cert *hc, struct err *e)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t kd = {NULL, 0}, cd = {NULL, 0};
	int rc;

	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0) {
		rc = err_set(e, -ENOMEM, "TLS certificate: out of memory");
		goto out;
	}
	rc = make_cert(hostname, key, crt, e);
	if (rc < 0)
		goto out;
	if ((rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kd)) <
		    0 ||
	    (rc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cd)) < 0) {
		rc = gt_err(e, "export", rc);
		goto out;
	}
	rc = save_pem(keyfile, &kd, 0600, e);
	if (rc == 0)
		rc = save_pem(crtfile, &cd, 0644, e);
	if (rc < 0)
		goto out;
	hc->hc_key = malloc(kd.size + 1);
	hc->hc_crt = malloc(cd.size + 1);
	if (hc->hc_key == NULL || hc->hc_crt == NULL) {
		rc = err_set(e, -ENOMEM, "TLS certificate: out of memory");
		goto out;
	}
	memcpy(hc->hc_key, kd.data, kd.size);
	hc->hc_key[kd.size] = '\0';
	memcpy(hc->hc_crt, cd.data, cd.size);
	hc->hc_crt[cd.size] = '\0';
	log_info("made a TLS key and self-signed certificate for %s: %s",
		 hostname, crtfile);
out:
	if (kd.data != NULL) {
		gnutls_memset(kd.data, 0, kd.size);
		gnutls_free(kd.data);
	}
	gnutls_free(cd.data);
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rc < 0 ? rc : 0;
}

static int load_pem(const char *path, char **out, struct err *e)
{
	void *data;
	size_t len;
	int rc = file_read_all(path, PEM_MAX_BYTES, &data, &len, e);

	if (rc < 0)
		return rc;
	*out = realloc(data, len + 1);
	if (*out == NULL) {
		free(data);
		return err_set(e, -ENOMEM, "%s: out of memory", path);
	}
	(*out)[len] = '\0';
	return 0;
}

static void hex(const unsigned char *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 3 * i, "%02X%s", b[i], i + 1 < n ? ":" : "");
	if (n == 0)
		out[0] = '\0';
}

/* Check that the certificate parses and take its thumbprints. */
static int thumbprints(const char *crtfile, struct host_cert *hc, struct err *e)
{
	gnutls_datum_t d = {(unsigned char *)hc->hc_crt,
			    (unsigned)strlen(hc->hc_crt)};
	gnutls_x509_crt_t crt;
	unsigned char fp[32];
	size_t n;
	int rc;

	if (gnutls_x509_crt_init(&crt) < 0)
		return err_set(e, -ENOMEM, "TLS certificate: out of memory");
	rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		gnutls_x509_crt_deinit(crt);
		return err_set(e, -EINVAL, "%s: not a PEM certificate (%s)",
			       crtfile, gnutls_strerror(rc));
	}
	n = 20;
	rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA1, fp, &n);
	if (rc == 0)
		hex(fp, n, hc->hc_sha1);
	n = 32;
	if (rc == 0)
		rc = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
						     &n);
	if (rc == 0)
		hex(fp, n, hc->hc_sha256);
	gnutls_x509_crt_deinit(crt);
	return rc < 0 ? gt_err(e, "thumbprint", rc) : 0;
}

int host_cert_load(const char *confdir, const char *hostname,
		   struct host_cert *hc, struct err *e)
{
	char dir[PATH_MAX], keyfile[PATH_MAX + 16], crtfile[PATH_MAX + 16];
	struct stat st;
	int rc;

	memset(hc, 0, sizeof(*hc));
	snprintf(dir, sizeof(dir), "%s/ssl", confdir);
	snprintf(keyfile, sizeof(keyfile), "%s/rui.key", dir);
	snprintf(crtfile, sizeof(crtfile), "%s/rui.crt", dir);
	if (hostname != NULL && mkdir(dir, 0711) < 0 && errno != EEXIST)
		return err_set(e, -errno, "%s: %s", dir, strerror(errno));
	if (hostname != NULL && stat(crtfile, &st) < 0 && errno == ENOENT)
		rc = generate(hostname, keyfile, crtfile, hc, e);
	else if ((rc = load_pem(keyfile, &hc->hc_key, e)) == 0)
		rc = load_pem(crtfile, &hc->hc_crt, e);
	if (rc == 0)
		rc = thumbprints(crtfile, hc, e);
	if (rc < 0) {
		host_cert_free(hc);
		return rc;
	}
	log_info("TLS certificate %s: SHA-1 thumbprint %s, SHA-256 %s", crtfile,
		 hc->hc_sha1, hc->hc_sha256);
	return 0;
}

void host_cert_free(struct host_cert *hc)
{
	if (hc->hc_key != NULL) {
		memset(hc->hc_key, 0, strlen(hc->hc_key));
		free(hc->hc_key);
	}
	free(hc->hc_crt);
	hc->hc_key = NULL;
	hc->hc_crt = NULL;
}

const char host_tls_priorities[] =
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-AES-256-CBC:"
	"-AES-128-CBC:-CAMELLIA-256-CBC:-CAMELLIA-128-CBC:-RSA";

/* ---- replacing them through the API (HostCertificateManager) ------- */

static void ssl_paths(const char *confdir, char *key, char *crt, char *pending,
		      size_t size)
{
	snprintf(key, size, "%.*s/ssl/rui.key", (int)(size - 16), confdir);
	snprintf(crt, size, "%.*s/ssl/rui.crt", (int)(size - 16), confdir);
	snprintf(pending, size, "%.*s/ssl/rui.key.pending", (int)(size - 24),
		 confdir);
}

int host_cert_csr(const char *confdir, const char *hostname, const char *cn,
		  const char *dn, char **csr_pem, struct err *e)
{
	char key_path[PATH_MAX], crt_path[PATH_MAX], pending[PATH_MAX];
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crq_t crq = NULL;
	gnutls_datum_t kd = {NULL, 0}, cd = {NULL, 0};
	const char *bad = NULL;
	int rc;

	*csr_pem = NULL;
	ssl_paths(confdir, key_path, crt_path, pending, sizeof(key_path));
	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_crq_init(&crq) < 0) {
		rc = err_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	rc = gnutls_x509_privkey_generate(
		key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (rc == 0)
		rc = gnutls_x509_crq_set_version(crq, 1);
	if (rc == 0 && dn != NULL) {
		rc = gnutls_x509_crq_set_dn(crq, dn, &bad);
		if (rc < 0) {
			rc = err_set(e, -EINVAL,
				     "'%s' is no distinguished name (at "
				     "'%.32s')",
				     dn, bad != NULL ? bad : "");
			goto out;
		}
	} else if (rc == 0) {
		rc = gnutls_x509_crq_set_dn_by_oid(crq,
						   GNUTLS_OID_X520_COMMON_NAME,
						   0, cn, (unsigned)strlen(cn));
		if (rc == 0)
			rc = gnutls_x509_crq_set_dn_by_oid(
				crq, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
				"Basalt", 6);
	}
	if (rc == 0)
		rc = gnutls_x509_crq_set_subject_alt_name(
			crq, GNUTLS_SAN_DNSNAME, hostname,
			(unsigned)strlen(hostname), GNUTLS_FSAN_APPEND);
	if (rc == 0)
		rc = gnutls_x509_crq_set_key(crq, key);
	if (rc == 0)
		rc = gnutls_x509_crq_sign2(crq, key, GNUTLS_DIG_SHA256, 0);
	if (rc == 0)
		rc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kd);
	if (rc == 0)
		rc = gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, &cd);
	if (rc < 0) {
		rc = gt_err(e, "signing request", rc);
		goto out;
	}
	/* The new key waits beside the one in use until its certificate
	 * comes (a later request replaces it). */
	rc = save_pem(pending, &kd, 0600, e);
	if (rc < 0)
		goto out;
	*csr_pem = malloc(cd.size + 1);
	if (*csr_pem == NULL) {
		rc = err_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*csr_pem, cd.data, cd.size);
	(*csr_pem)[cd.size] = '\0';
out:
	if (kd.data != NULL) {
		gnutls_memset(kd.data, 0, kd.size);
		gnutls_free(kd.data);
	}
	gnutls_free(cd.data);
	if (crq != NULL)
		gnutls_x509_crq_deinit(crq);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return rc < 0 ? rc : 0;
}

/* Is the key in PEM text the certificate's? */
static int key_matches(gnutls_x509_crt_t crt, const char *key_pem)
{
	gnutls_x509_privkey_t key;
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)key_pem,
			    (unsigned)strlen(key_pem)};
	unsigned char a[64], b[64];
	size_t an = sizeof(a), bn = sizeof(b);
	int ok = 0;

	if (gnutls_x509_privkey_init(&key) < 0)
		return 0;
	if (gnutls_x509_privkey_import(key, &d, GNUTLS_X509_FMT_PEM) == 0 &&
	    gnutls_x509_privkey_get_key_id(key, 0, a, &an) == 0 &&
	    gnutls_x509_crt_get_key_id(crt, 0, b, &bn) == 0)
		ok = an == bn && memcmp(a, b, an) == 0;
	gnutls_x509_privkey_deinit(key);
	return ok;
}

int host_cert_install(const char *confdir, const char *cert_pem, struct err *e)
{
	char key_path[PATH_MAX], crt_path[PATH_MAX], pending[PATH_MAX];
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)(uintptr_t)cert_pem,
			    (unsigned)strlen(cert_pem)};
	char *key = NULL;
	int rc, from_pending = 0;
	time_t now = time(NULL);

	ssl_paths(confdir, key_path, crt_path, pending, sizeof(key_path));
	if (gnutls_x509_crt_init(&crt) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		gnutls_x509_crt_deinit(crt);
		return err_set(e, -EINVAL, "not a PEM certificate (%s)",
			       gnutls_strerror(rc));
	}
	if (gnutls_x509_crt_get_expiration_time(crt) <= now ||
	    gnutls_x509_crt_get_activation_time(crt) > now + 86400) {
		gnutls_x509_crt_deinit(crt);
		return err_set(e, -EINVAL,
			       "the certificate is not valid now (expired, "
			       "or not yet valid)");
	}
	/* The key it is for: the one a signing request made, or the one in
	 * use (a new certificate for the same key). */
	if (load_pem(pending, &key, NULL) == 0 && key_matches(crt, key)) {
		from_pending = 1;
	} else {
		free(key);
		key = NULL;
		if (load_pem(key_path, &key, NULL) < 0 ||
		    !key_matches(crt, key)) {
			free(key);
			gnutls_x509_crt_deinit(crt);
			return err_set(e, -EINVAL,
				       "the certificate is for none of the "
				       "host's keys (make a signing request "
				       "first)");
		}
	}
	gnutls_x509_crt_deinit(crt);
	/* Key first, then the certificate: the proxy reloads on the
	 * certificate. The key is 0640 with the owner's group (in the
	 * appliance the proxy's, set by the proxy), which the proxy, no
	 * longer root, must read; the folder lets others pass (0711, in the
	 * appliance 02751) so that the console reads the certificate. A
	 * key with the old certificate fails to load
	 * (the old pair stays in use) rather than mixing. */
	rc = 0;
	if (from_pending)
		rc = file_write_atomic(key_path, key, strlen(key), 0640, e);
	if (rc == 0)
		rc = file_write_atomic(crt_path, cert_pem, strlen(cert_pem),
				       0644, e);
	if (rc == 0 && from_pending)
		unlink(pending);
	explicit_bzero(key, strlen(key));
	free(key);
	return rc;
}

int host_cert_describe(const char *confdir, struct host_cert_info *out,
		       struct err *e)
{
	char key_path[PATH_MAX], crt_path[PATH_MAX], pending[PATH_MAX];
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	char *pem = NULL;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	ssl_paths(confdir, key_path, crt_path, pending, sizeof(key_path));
	if (load_pem(crt_path, &pem, e) < 0)
		return -ENOENT;
	d = (gnutls_datum_t){(unsigned char *)pem, (unsigned)strlen(pem)};
	if (gnutls_x509_crt_init(&crt) < 0) {
		free(pem);
		return err_set(e, -ENOMEM, "out of memory");
	}
	rc = gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM);
	free(pem);
	if (rc == 0) {
		n = sizeof(out->ci_subject);
		if (gnutls_x509_crt_get_dn(crt, out->ci_subject, &n) < 0)
			out->ci_subject[0] = '\0';
		n = sizeof(out->ci_issuer);
		if (gnutls_x509_crt_get_issuer_dn(crt, out->ci_issuer, &n) < 0)
			out->ci_issuer[0] = '\0';
		out->ci_not_before = gnutls_x509_crt_get_activation_time(crt);
		out->ci_not_after = gnutls_x509_crt_get_expiration_time(crt);
	}
	gnutls_x509_crt_deinit(crt);
	return rc < 0 ? err_set(e, -EINVAL, "rui.crt: %s", gnutls_strerror(rc))
		      : 0;
}
