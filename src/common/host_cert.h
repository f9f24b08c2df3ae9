/*
 * host_cert.h: the host's TLS key and certificate (<confdir>/ssl/rui.key,
 * rui.crt), made on first start; shared by the proxy (which serves them)
 * and hostd (hosted mode's own HTTPS). GnuTLS, the one TLS library of
 * the product (docs/dependencies.md).
 */
#ifndef BASALT_COMMON_HOST_CERT_H
#define BASALT_COMMON_HOST_CERT_H

#include <time.h>

#include "common/compiler.h"
#include "common/err.h"

struct host_cert {
	char *hc_key; /* PEM, NUL-terminated */
	char *hc_crt;
	char hc_sha1[20 * 3];	/* "AB:CD:..." */
	char hc_sha256[32 * 3]; /* as clients pin them */
};

/* Load key and certificate, or make both when there is no certificate
 * yet (hostname NULL: only load, touching nothing); the thumbprints are
 * logged. */
BASALT_MUST_CHECK int host_cert_load(const char *confdir, const char *hostname,
				     struct host_cert *hc, struct err *e);
void host_cert_free(struct host_cert *hc);

/* A new key (kept in <confdir>/ssl/rui.key.pending until its
 * certificate comes) and a signing request for it, PEM in *csr_pem
 * (malloc'd): subject CN=cn, O=Basalt, or the distinguished name dn
 * when not NULL ("CN=esx1,O=Example"). */
BASALT_MUST_CHECK int host_cert_csr(const char *confdir, const char *hostname,
				    const char *cn, const char *dn,
				    char **csr_pem, struct err *e);

/* Install cert_pem (valid now, for the pending key or the key in use)
 * as the host's certificate: key, then certificate, each written
 * atomically. -EINVAL with why when it does not fit. */
BASALT_MUST_CHECK int host_cert_install(const char *confdir,
					const char *cert_pem, struct err *e);

struct host_cert_info {
	char ci_subject[512], ci_issuer[512];
	time_t ci_not_before, ci_not_after;
};

/* What the installed certificate says of itself. */
BASALT_MUST_CHECK int host_cert_describe(const char *confdir,
					 struct host_cert_info *out,
					 struct err *e);

/* GnuTLS priorities for every TLS listener: TLS 1.2 and 1.3, AEAD
 * ciphers with forward secrecy only. */
extern const char host_tls_priorities[];

#endif
