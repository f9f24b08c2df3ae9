/*
 * http_parse.h: strict HTTP/1.1 message heads (RFC 9112), the proxy's
 * first line of defence. Requests from clients and responses from the
 * local services are parsed alike: CRLF line ends only, no obs-fold, no
 * whitespace before a colon, one Content-Length or one
 * "Transfer-Encoding: chunked" and never both, named limits on every
 * size. Nothing is copied: the parsed fields point into the buffer.
 */
#ifndef BASALT_RHTTPPROXY_HTTP_PARSE_H
#define BASALT_RHTTPPROXY_HTTP_PARSE_H

#include <stddef.h>

#define HTTP_LINE_MAX_BYTES	 8192  /* request or status line */
#define HTTP_HEAD_MAX_BYTES	 32768 /* the whole head */
#define HTTP_HEADERS_MAX	 64
#define HTTP_BODY_MAX_BYTES	 (1LL << 42) /* 4 TiB: a disk image fits */
#define HTTP_CHUNK_EXT_MAX_BYTES 256	     /* chunk extensions, trailers */

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_DELETE,
	HTTP_OPTIONS,
};

struct http_header {
	const char *hh_name, *hh_value;
	size_t hh_name_len, hh_value_len;
};

struct http_head {
	/* Requests. */
	enum http_method hd_method;
	const char *hd_target; /* origin-form: "/sdk?x" */
	size_t hd_target_len;
	/* Responses. */
	int hd_status;
	/* Both. */
	int hd_minor; /* HTTP/1.minor: 0 or 1 */
	struct http_header hd_headers[HTTP_HEADERS_MAX];
	size_t hd_nheaders;
	long long hd_content_length; /* -1: none */
	int hd_chunked;
	int hd_close;		/* the connection ends after this message */
	int hd_expect_continue; /* "Expect: 100-continue" */
	const char *hd_host;	/* requests: the Host header */
	size_t hd_host_len;
	size_t hd_len; /* bytes of the head, the final CRLF included */
};

/*
 * Parse a request head at buf[len]. Returns the head's length when it
 * is complete, 0 when more bytes are needed, or the negated HTTP status
 * to refuse it with: -400 (malformed), -414 (request line too long),
 * -431 (head too long, too many headers), -501 (method or transfer
 * coding not served), -505 (not HTTP/1.x).
 */
long http_parse_request(const char *buf, size_t len, struct http_head *h);

/* The same for a response head (status line "HTTP/1.1 200 OK"); errors
 * are -502. */
long http_parse_response(const char *buf, size_t len, struct http_head *h);

/* The value of header name (case-insensitive), or NULL; *len its
 * length. */
const char *http_header(const struct http_head *h, const char *name,
			size_t *len);

const char *http_method_name(enum http_method m);

/*
 * A chunked body, checked as it streams by (RFC 9112 §7.1): sizes in
 * hex, extensions and trailers bounded, CRLF where they belong. The
 * bytes themselves are passed on unchanged.
 */
struct http_chunked {
	int hc_state;
	unsigned long long hc_left; /* data bytes left in this chunk */
	unsigned hc_digits;	    /* hex digits of the size read */
	unsigned hc_ext;	    /* extension or trailer bytes read */
	long long hc_total;	    /* data bytes so far */
};

/*
 * Feed in[len]. Returns how many bytes belong to the body (all of len
 * unless the body ended inside it), or -400 when the framing is bad, or
 * -413 when the body passes HTTP_BODY_MAX_BYTES. *done is set when the
 * final chunk and trailers have been read.
 */
long http_chunked_feed(struct http_chunked *c, const char *in, size_t len,
		       int *done);

/*
 * Decode the path of a request target (up to '?') into out[size]:
 * %XX escapes decoded, the query left out. Refuses (-1) an escape that
 * is not two hex digits, a decoded NUL, '\', a "." or ".." segment (in
 * any encoding), an empty segment ("//"), and anything that does not
 * fit.
 */
int http_path_decode(const char *target, size_t len, char *out, size_t size);

#endif
