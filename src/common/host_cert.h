/*
 * host_cert.h: the host's TLS key and certificate (<confdir>/ssl/rui.key,
 * rui.crt), made on first start; shared by the proxy (which serves them)
 * and hostd (hosted mode's own HTTPS). GnuTLS, the one TLS library of
 * the product (docs/dependencies.md).
 */
#ifndef BASALT_COMMON_HOST_CERT_H
#define BASALT_COMMON_HOST_CERT_H

#include "common/compiler.h"
#include "common/err.h"

struct host_cert {
	char *hc_key; /* PEM, NUL-terminated */
	char *hc_crt;
	char hc_sha1[20 * 3];	/* "AB:CD:..." */
	char hc_sha256[32 * 3]; /* as clients pin them */
};

/* Load key and certificate, or make both when there is no certificate
 * yet; the thumbprints are logged. */
BASALT_MUST_CHECK int host_cert_load(const char *confdir, const char *hostname,
				     struct host_cert *hc, struct err *e);
void host_cert_free(struct host_cert *hc);

/* GnuTLS priorities for every TLS listener: TLS 1.2 and 1.3, AEAD
 * ciphers with forward secrecy only. */
extern const char host_tls_priorities[];

#endif
