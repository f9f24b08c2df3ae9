/*
 * creds.c: the TLS key and certificate the proxy serves
 * (<confdir>/ssl/rui.key and rui.crt, made on first start by
 * common/host_cert.c), loaded at start and again on SIGHUP: a new pair
 * takes effect for new connections, established ones keep theirs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/host_cert.h"
#include "common/log.h"
#include "rhttpproxy/proxy.h"

struct proxy_creds *proxy_creds_get(struct proxy *px)
{
	struct proxy_creds *c;

	pthread_mutex_lock(&px->px_lock);
	c = px->px_creds;
	c->pc_refs++;
	pthread_mutex_unlock(&px->px_lock);
	return c;
}

void proxy_creds_put(struct proxy *px, struct proxy_creds *c)
{
	int last;

	if (c == NULL)
		return;
	pthread_mutex_lock(&px->px_lock);
	last = --c->pc_refs == 0;
	pthread_mutex_unlock(&px->px_lock);
	if (last) {
		gnutls_certificate_free_credentials(c->pc_cred);
		free(c);
	}
}

int proxy_creds_load(struct proxy *px, struct err *e)
{
	struct host_cert hc = {0};
	struct proxy_creds *c, *old;
	gnutls_datum_t crt, key;
	int rc;

	/* Made on the first load only: later ones, in the sandbox, read. */
	if (host_cert_load(px->px_confdir,
			   px->px_creds == NULL ? px->px_hostname : NULL, &hc,
			   e) < 0)
		return -EIO;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		host_cert_free(&hc);
		return err_set(e, -ENOMEM, "out of memory");
	}
	crt = (gnutls_datum_t){(unsigned char *)hc.hc_crt,
			       (unsigned)strlen(hc.hc_crt)};
	key = (gnutls_datum_t){(unsigned char *)hc.hc_key,
			       (unsigned)strlen(hc.hc_key)};
	rc = gnutls_certificate_allocate_credentials(&c->pc_cred);
	if (rc == 0)
		rc = gnutls_certificate_set_x509_key_mem(c->pc_cred, &crt, &key,
							 GNUTLS_X509_FMT_PEM);
	host_cert_free(&hc);
	if (rc < 0) {
		if (c->pc_cred != NULL)
			gnutls_certificate_free_credentials(c->pc_cred);
		free(c);
		return err_set(e, -EINVAL, "%s/ssl: key and certificate: %s",
			       px->px_confdir, gnutls_strerror(rc));
	}
	c->pc_refs = 1; /* the proxy's own */
	pthread_mutex_lock(&px->px_lock);
	old = px->px_creds;
	px->px_creds = c;
	pthread_mutex_unlock(&px->px_lock);
	proxy_creds_put(px, old);
	return 0;
}
