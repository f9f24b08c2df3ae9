/*
 * http.h: hostd's HTTP listeners (loopback TCP, plain and TLS; the Unix
 * socket the proxy forwards to; the console's Unix socket).
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
	const char *hc_console_socket;	 /* the console's; NULL: none */
};

/* What a listener's requests are handled with. */
struct http_listener {
	struct hostd *hl_hostd;
	int hl_console; /* the console socket */
};

struct http {
	struct MHD_Daemon *ht_tcp;
	struct MHD_Daemon *ht_tls;
	struct MHD_Daemon *ht_unix;
	struct MHD_Daemon *ht_console;
	struct http_listener ht_listen, ht_listen_console;
	char ht_path[PATH_MAX];
	char ht_console_path[PATH_MAX];
};

/*
 * Listen as cfg says. TCP only on loopback (hosted mode): the public
 * ports are the proxy's.
 */
BASALT_MUST_CHECK int http_start(struct hostd *h, struct http *srv,
				 const struct http_config *cfg, struct err *e);
void http_stop(struct http *srv);

#endif
