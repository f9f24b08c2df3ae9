/*
 * http.h: hostd's HTTP listeners (loopback TCP, plain and TLS; Unix
 * socket).
 */
#ifndef BASALT_HOSTD_HTTP_H
#define BASALT_HOSTD_HTTP_H

#include <limits.h>

#include "common/compiler.h"
#include "common/err.h"

struct hostd;
struct host_cert;
struct MHD_Daemon;

struct http_config {
	const char *hc_address;		 /* loopback, 127.0.0.0/8 */
	int hc_port;			 /* plain HTTP there; 0: none */
	int hc_https_port;		 /* HTTPS there; 0: none */
	const struct host_cert *hc_cert; /* for HTTPS */
	const char *hc_socket;		 /* the Unix socket; NULL: none */
};

struct http {
	struct MHD_Daemon *ht_tcp;
	struct MHD_Daemon *ht_tls;
	struct MHD_Daemon *ht_unix;
	int ht_unix_fd;
	char ht_path[PATH_MAX];
};

/*
 * Listen as cfg says. TCP only on loopback (hosted mode): the public
 * ports are the proxy's.
 */
BASALT_MUST_CHECK int http_start(struct hostd *h, struct http *srv,
				 const struct http_config *cfg, struct err *e);
void http_stop(struct http *srv);

#endif
