/*
 * cert.h: the host's TLS key and certificate (<confdir>/ssl/rui.key,
 * rui.crt), made on first start.
 */
#ifndef BASALT_HOSTD_CERT_H
#define BASALT_HOSTD_CERT_H

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

#endif
