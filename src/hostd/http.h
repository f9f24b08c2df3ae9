/*
 * http.h: hostd's HTTP listeners (loopback TCP, Unix socket).
 */
#ifndef BASALT_HOSTD_HTTP_H
#define BASALT_HOSTD_HTTP_H

#include <limits.h>

#include "common/compiler.h"
#include "common/err.h"

struct hostd;
struct MHD_Daemon;

struct http {
	struct MHD_Daemon *ht_tcp;
	struct MHD_Daemon *ht_unix;
	int ht_unix_fd;
	char ht_path[PATH_MAX];
};

/*
 * Listen on addr:port, addr a loopback address (127.0.0.0/8; port 0: not
 * at all: the public ports are the proxy's), and on socket_path (NULL:
 * not).
 */
BASALT_MUST_CHECK int http_start(struct hostd *h, struct http *srv,
				 const char *addr, int port,
				 const char *socket_path, struct err *e);
void http_stop(struct http *srv);

#endif
