/*
 * files_http.h: /folder (datastore files) and /host (config files) over
 * HTTP, beside the VI API in http.c.
 */
#ifndef BASALT_HOSTD_FILES_HTTP_H
#define BASALT_HOSTD_FILES_HTTP_H

#include <stddef.h>

#include <microhttpd.h>

struct hostd;

/* The first int of every per-request context in http.c says whose it
 * is. */
#define FILES_HTTP_KIND 2

/* Is url one of ours? */
int files_http_wants(const char *url);

/* libmicrohttpd's request handler, for our urls. */
enum MHD_Result files_http_request(struct hostd *h, struct MHD_Connection *conn,
				   const char *url, const char *method,
				   const char *data, size_t *data_size,
				   void **ctx, const char *peer);

/* The request ended (ok: completely); frees ctx, and drops an upload
 * that did not finish. */
void files_http_completed(void *ctx, int ok);

#endif
