/*
 * http_parse_fuzz.c: libFuzzer target for the proxy's HTTP parser: the
 * input as a request head (then its body, chunked), as a response head,
 * and its target as a path. Whatever is taken must point inside the
 * input, and a decoded path must hold no "." or ".." segment.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rhttpproxy/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const char *p, size_t n, const char *buf, size_t size)
{
	if (p < buf || p + n > buf + size)
		abort();
}

static void check_head(const struct http_head *h, const char *buf, size_t size)
{
	if (h->hd_len > size || h->hd_nheaders > HTTP_HEADERS_MAX)
		abort();
	for (size_t i = 0; i < h->hd_nheaders; i++) {
		inside(h->hd_headers[i].hh_name, h->hd_headers[i].hh_name_len,
		       buf, h->hd_len);
		inside(h->hd_headers[i].hh_value, h->hd_headers[i].hh_value_len,
		       buf, h->hd_len);
		if (memchr(h->hd_headers[i].hh_value, '\n',
			   h->hd_headers[i].hh_value_len) != NULL)
			abort();
	}
	if (h->hd_chunked && h->hd_content_length >= 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_head h;
	long n = http_parse_request(buf, size, &h);

	if (n > 0) {
		char path[HTTP_LINE_MAX_BYTES + 1];
		check_head(&h, buf, size);
		inside(h.hd_target, h.hd_target_len, buf, (size_t)n);
		if (http_path_decode(h.hd_target, h.hd_target_len, path,
				     sizeof(path)) == 0 &&
		    (strstr(path, "/../") != NULL ||
		     strstr(path, "/./") != NULL ||
		     strstr(path, "//") != NULL || path[0] != '/'))
			abort();
		if (h.hd_chunked) {
			struct http_chunked c = {0};
			int done = 0;
			long r = http_chunked_feed(&c, buf + n,
						   size - (size_t)n, &done);
			if (r > (long)(size - (size_t)n))
				abort();
		}
	}
	if (http_parse_response(buf, size, &h) > 0)
		check_head(&h, buf, size);
	return 0;
}
