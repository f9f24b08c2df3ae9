/*
 * worker.c: one event loop of the proxy: accepts its share of
 * connections (EPOLLEXCLUSIVE on the shared listening sockets), runs
 * each through TLS, the request head, a route, and either an answer of
 * its own or the relay to hostd's socket and back. Level-triggered
 * epoll; every connection has one deadline, checked once a second.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "rhttpproxy/http_parse.h"
#include "rhttpproxy/pages.h"
#include "rhttpproxy/proxy.h"

#define EVENTS_MAX 256

enum conn_state {
	CS_HANDSHAKE, /* TLS */
	CS_HEAD,      /* reading a request head */
	CS_RESPOND,   /* writing an answer of our own */
	CS_RELAY,     /* to hostd and back */
};

struct conn;

/* Where a body ends: after a length, at chunked framing's end (checked
 * as the bytes pass, which go on unchanged), or when its sender closes. */
struct body_frame {
	long long bf_left; /* of a length */
	int bf_chunked;
	int bf_until_close;
	struct http_chunked bf_ch;
};

/* length < 0: none given, the body ends with the connection. */
static void frame_of(struct body_frame *b, int chunked, long long length)
{
	memset(b, 0, sizeof(*b));
	b->bf_chunked = chunked;
	b->bf_until_close = !chunked && length < 0;
	b->bf_left = length < 0 ? 0 : length;
}

/* Has the body ended before any byte (a length of 0)? */
static int frame_empty(const struct body_frame *b)
{
	return !b->bf_chunked && !b->bf_until_close && b->bf_left == 0;
}

/* How many of data[n] are body: n, or fewer where it ends (*done); -400
 * or -413 for chunked framing that does not hold. */
static long frame_take(struct body_frame *b, const char *data, size_t n,
		       int *done)
{
	*done = 0;
	if (b->bf_chunked)
		return http_chunked_feed(&b->bf_ch, data, n, done);
	if (!b->bf_until_close) {
		if ((long long)n > b->bf_left)
			n = (size_t)b->bf_left;
		b->bf_left -= (long long)n;
		*done = b->bf_left == 0;
	}
	return (long)n;
}

/* What an epoll event points at: a connection's client or upstream
 * side, or (conn NULL) a listening socket. */
struct endpoint {
	struct conn *ep_conn;
	int ep_upstream;
	int ep_fd;  /* listening sockets */
	int ep_tls; /* listening: the TLS port */
};

struct conn {
	struct conn *cn_next, *cn_prev;
	struct worker *cn_w;
	int cn_fd;
	gnutls_session_t cn_tls; /* NULL on port 80 */
	struct proxy_creds *cn_creds;
	size_t cn_tls_pending; /* a send to repeat with the same length */
	unsigned char cn_addr[16];
	char cn_peer[INET6_ADDRSTRLEN];
	enum conn_state cn_state;
	time_t cn_deadline;
	struct endpoint cn_ep, cn_up_ep;
	uint32_t cn_ev, cn_up_ev; /* interest registered */
	int cn_dead;
	struct conn *cn_dead_next; /* freed after the event batch */
	/* From the client. */
	char *cn_in;
	size_t cn_in_len, cn_scan;
	/* To the client. */
	char *cn_out;
	size_t cn_out_len, cn_out_off;
	int cn_close_after; /* once cn_out is written */
	/* The request being relayed. */
	enum http_method cn_method;
	int cn_req_close;
	struct body_frame cn_req;
	long long cn_body_max; /* the route's limit */
	int cn_body_done;
	/* hostd's side. */
	int cn_up_fd;
	char *cn_up_out;
	size_t cn_up_out_len, cn_up_out_off;
	char *cn_up_in;
	size_t cn_up_in_len;
	int cn_resp_head; /* the response head was passed on */
	struct body_frame cn_resp;
	int cn_resp_done;
	int cn_up_eof; /* hostd closed its side */
};

struct worker {
	struct proxy *w_px;
	int w_ep;
	struct conn *w_conns;
	struct conn *w_dead; /* ended in this batch of events */
	struct endpoint w_listen[2];
};

static time_t now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

/* ---- buffers ------------------------------------------------------ */

static int ensure(char **buf)
{
	if (*buf == NULL)
		*buf = malloc(PROXY_BUF_BYTES);
	return *buf != NULL ? 0 : -1;
}

/* Append to the client output; -1 when it does not fit. */
static int out_put(struct conn *c, const char *data, size_t n)
{
	if (ensure(&c->cn_out) < 0)
		return -1;
	if (c->cn_out_off > 0 && c->cn_out_len + n > PROXY_BUF_BYTES) {
		memmove(c->cn_out, c->cn_out + c->cn_out_off,
			c->cn_out_len - c->cn_out_off);
		c->cn_out_len -= c->cn_out_off;
		c->cn_out_off = 0;
	}
	if (c->cn_out_len + n > PROXY_BUF_BYTES)
		return -1;
	memcpy(c->cn_out + c->cn_out_len, data, n);
	c->cn_out_len += n;
	return 0;
}

static size_t out_room(struct conn *c)
{
	return PROXY_BUF_BYTES - (c->cn_out_len - c->cn_out_off);
}

/* ---- client I/O (TLS or not) ----------------------------------------- */

/* >0 bytes, 0 nothing now, -1 closed or failed. */
static ssize_t client_read(struct conn *c, char *buf, size_t n)
{
	ssize_t r;

	if (c->cn_tls == NULL) {
		r = recv(c->cn_fd, buf, n, 0);
		if (r > 0)
			return r;
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return -1;
	}
	r = gnutls_record_recv(c->cn_tls, buf, n);
	if (r > 0)
		return r;
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return 0;
	if (r < 0 && !gnutls_error_is_fatal((int)r))
		return 0;
	return -1;
}

static ssize_t client_write(struct conn *c, const char *buf, size_t n)
{
	ssize_t r;

	if (c->cn_tls == NULL) {
		r = send(c->cn_fd, buf, n, MSG_NOSIGNAL);
		if (r >= 0)
			return r;
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	}
	/* After E_AGAIN GnuTLS wants the same length again. */
	if (c->cn_tls_pending > 0 && c->cn_tls_pending <= n)
		n = c->cn_tls_pending;
	r = gnutls_record_send(c->cn_tls, buf, n);
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		c->cn_tls_pending = n;
		return 0;
	}
	c->cn_tls_pending = 0;
	return r >= 0 ? r : -1;
}

/* ---- closing ------------------------------------------------------------ */

static void up_close(struct conn *c)
{
	if (c->cn_up_fd >= 0) {
		epoll_ctl(c->cn_w->w_ep, EPOLL_CTL_DEL, c->cn_up_fd, NULL);
		close(c->cn_up_fd);
	}
	c->cn_up_fd = -1;
	c->cn_up_ev = 0;
	free(c->cn_up_out);
	free(c->cn_up_in);
	c->cn_up_out = c->cn_up_in = NULL;
	c->cn_up_out_len = c->cn_up_out_off = c->cn_up_in_len = 0;
}

static void conn_free(struct conn *c)
{
	struct worker *w = c->cn_w;

	up_close(c);
	if (c->cn_tls != NULL)
		gnutls_deinit(c->cn_tls);
	proxy_creds_put(w->w_px, c->cn_creds);
	epoll_ctl(w->w_ep, EPOLL_CTL_DEL, c->cn_fd, NULL);
	close(c->cn_fd);
	proxy_conn_release(w->w_px, c->cn_addr);
	if (c->cn_prev != NULL)
		c->cn_prev->cn_next = c->cn_next;
	else
		w->w_conns = c->cn_next;
	if (c->cn_next != NULL)
		c->cn_next->cn_prev = c->cn_prev;
	free(c->cn_in);
	free(c->cn_out);
	free(c);
}

/* ---- answers of our own --------------------------------------------- */

/* Queue a whole response; close: end the connection after it. */
static void respond(struct conn *c, int status, const char *type,
		    const char *extra, const char *body, size_t len, int close)
{
	char head[1024];
	int n;

	close |= c->cn_req_close;
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\n%s%s\r\n",
		     status, page_reason(status), type, len,
		     extra != NULL ? extra : "",
		     close ? "Connection: close\r\n" : "");
	if (out_put(c, head, (size_t)n) < 0 ||
	    (c->cn_method != HTTP_HEAD && out_put(c, body, len) < 0)) {
		c->cn_dead = 1;
		return;
	}
	c->cn_close_after = close;
	c->cn_state = CS_RESPOND;
	c->cn_deadline = now_s() + c->cn_w->w_px->px_body_timeout;
}

static void respond_error(struct conn *c, int status, int close)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", status,
			 page_reason(status));

	respond(c, status, "text/plain; charset=utf-8", NULL, body, (size_t)n,
		close);
}

/* ---- routes ---------------------------------------------------------- */

static int has_prefix(const char *path, const char *p)
{
	size_t n = strlen(p);

	return strncmp(path, p, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* The host a redirect names: the request's Host (name or address, port
 * dropped) if it looks like one, else the machine's name. */
static void redirect_host(const struct http_head *h, const char *fallback,
			  char *out, size_t size)
{
	size_t n = h->hd_host_len;
	const char *v = h->hd_host;

	if (v != NULL && n > 0 && v[0] == '[') {
		const char *e = memchr(v, ']', n);
		n = e != NULL ? (size_t)(e - v) + 1 : 0;
	} else if (v != NULL) {
		const char *colon = memchr(v, ':', n);
		if (colon != NULL)
			n = (size_t)(colon - v);
	}
	for (size_t i = 0; v != NULL && i < n; i++) {
		char ch = v[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		      ch == ':' || ch == '[' || ch == ']'))
			n = 0;
	}
	if (v == NULL || n == 0 || n >= size)
		snprintf(out, size, "%s", fallback);
	else
		snprintf(out, size, "%.*s", (int)n, v);
}

static void start_relay(struct conn *c, const struct http_head *h,
			const char *path);

/* A whole request head is in cn_in: answer it or start the relay. */
static void route(struct conn *c, const struct http_head *h)
{
	struct proxy *px = c->cn_w->w_px;
	char path[HTTP_LINE_MAX_BYTES + 1], page[2048];
	int has_body = h->hd_chunked || h->hd_content_length > 0;
	int n;

	c->cn_method = h->hd_method;
	c->cn_req_close = h->hd_close;
	if (http_path_decode(h->hd_target, h->hd_target_len, path,
			     sizeof(path)) < 0) {
		log_info("%s: %s %.*s: refused path", c->cn_peer,
			 http_method_name(h->hd_method),
			 (int)(h->hd_target_len > 200 ? 200 : h->hd_target_len),
			 h->hd_target);
		respond_error(c, 400, 1);
		return;
	}
	if (c->cn_tls == NULL) {
		/* Port 80: the welcome page, else to the same on TLS. */
		char host[300], loc[HTTP_LINE_MAX_BYTES + 400];
		if (strcmp(path, "/") == 0 &&
		    (h->hd_method == HTTP_GET || h->hd_method == HTTP_HEAD)) {
			n = page_welcome(page, sizeof(page), px->px_hostname,
					 px->px_https_port);
			respond(c, 200, "text/html; charset=utf-8", NULL, page,
				(size_t)n, has_body);
			return;
		}
		redirect_host(h, px->px_hostname, host, sizeof(host));
		if (px->px_https_port == 443)
			n = snprintf(loc, sizeof(loc),
				     "Location: https://%s%.*s\r\n", host,
				     (int)h->hd_target_len, h->hd_target);
		else
			n = snprintf(loc, sizeof(loc),
				     "Location: https://%s:%d%.*s\r\n", host,
				     px->px_https_port, (int)h->hd_target_len,
				     h->hd_target);
		(void)n;
		respond(c, 301, "text/plain; charset=utf-8", loc,
			"Moved to https\n", 15, has_body);
		return;
	}
	if (has_prefix(path, "/sdk") || has_prefix(path, "/folder") ||
	    has_prefix(path, "/host") || has_prefix(path, "/downloads") ||
	    strcmp(path, PROXY_BUNDLE_PATH) == 0) {
		long long max =
			has_prefix(path, "/sdk")      ? PROXY_SDK_BODY_MAX_BYTES
			: has_prefix(path, "/folder") ? HTTP_BODY_MAX_BYTES
			: strcmp(path, PROXY_BUNDLE_PATH) == 0
				? PROXY_BUNDLE_BODY_MAX_BYTES
				: 0;
		if (h->hd_content_length > max) {
			log_info("%s: %s %s: a body of %lld bytes refused",
				 c->cn_peer, http_method_name(h->hd_method),
				 path, h->hd_content_length);
			respond_error(c, 413, 1);
			return;
		}
		c->cn_body_max = max;
		start_relay(c, h, path);
		return;
	}
	if (h->hd_method != HTTP_GET && h->hd_method != HTTP_HEAD) {
		respond(c, 405, "text/plain; charset=utf-8",
			"Allow: GET, HEAD\r\n", "405 Method Not Allowed\n", 23,
			has_body);
		return;
	}
	if (strcmp(path, "/") == 0) {
		n = page_welcome(page, sizeof(page), px->px_hostname,
				 px->px_https_port);
		respond(c, 200, "text/html; charset=utf-8", NULL, page,
			(size_t)n, has_body);
	} else if (has_prefix(path, "/ui")) {
		n = page_ui(page, sizeof(page), px->px_hostname);
		respond(c, 200, "text/html; charset=utf-8", NULL, page,
			(size_t)n, has_body);
	} else {
		respond_error(c, 404, has_body);
	}
}

/* ---- the relay to hostd ------------------------------------------------ */

/* Hop-by-hop headers, and those the proxy sets itself. */
static int dropped_header(const struct http_header *f)
{
	static const char *const names[] = {
		"Connection",
		"Keep-Alive",
		"Proxy-Connection",
		"TE",
		"Trailer",
		"Upgrade",
		"Transfer-Encoding",
		"Content-Length",
		"Expect",
		"X-Forwarded-For",
		"X-Forwarded-Proto",
		"X-Forwarded-Host",
		"Forwarded",
		"Proxy-Authorization",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (f->hh_name_len == strlen(names[i]) &&
		    strncasecmp(f->hh_name, names[i], f->hh_name_len) == 0)
			return 1;
	return 0;
}

static int up_put(struct conn *c, const char *data, size_t n)
{
	if (c->cn_up_out_len + n > PROXY_BUF_BYTES)
		return -1;
	memcpy(c->cn_up_out + c->cn_up_out_len, data, n);
	c->cn_up_out_len += n;
	return 0;
}

static void start_relay(struct conn *c, const struct http_head *h,
			const char *path)
{
	struct proxy *px = c->cn_w->w_px;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char line[HTTP_LINE_MAX_BYTES + 64];
	int n, fd;

	(void)path;
	if (ensure(&c->cn_up_out) < 0 || ensure(&c->cn_up_in) < 0) {
		respond_error(c, 503, 1);
		return;
	}
	/* The head hostd gets: rebuilt from what was parsed, hop-by-hop
	 * fields and anything a client could forge about itself left
	 * out, the client's address added. */
	n = snprintf(line, sizeof(line), "%s %.*s HTTP/1.1\r\n",
		     http_method_name(h->hd_method), (int)h->hd_target_len,
		     h->hd_target);
	if (up_put(c, line, (size_t)n) < 0) {
		respond_error(c, 414, 1);
		return;
	}
	for (size_t i = 0; i < h->hd_nheaders; i++) {
		const struct http_header *f = &h->hd_headers[i];
		if (dropped_header(f))
			continue;
		if (up_put(c, f->hh_name, f->hh_name_len) < 0 ||
		    up_put(c, ": ", 2) < 0 ||
		    up_put(c, f->hh_value, f->hh_value_len) < 0 ||
		    up_put(c, "\r\n", 2) < 0) {
			respond_error(c, 431, 1);
			return;
		}
	}
	if (h->hd_chunked)
		n = snprintf(line, sizeof(line),
			     "Transfer-Encoding: chunked\r\n");
	else if (h->hd_content_length >= 0)
		n = snprintf(line, sizeof(line), "Content-Length: %lld\r\n",
			     h->hd_content_length);
	else
		n = 0;
	n += snprintf(line + n, sizeof(line) - (size_t)n,
		      "X-Forwarded-For: %s\r\nX-Forwarded-Proto: https\r\n"
		      "Connection: close\r\n\r\n",
		      c->cn_peer);
	if (up_put(c, line, (size_t)n) < 0) {
		respond_error(c, 431, 1);
		return;
	}
	/* A request without a length has no body. */
	frame_of(&c->cn_req, h->hd_chunked,
		 h->hd_content_length > 0 ? h->hd_content_length : 0);
	c->cn_body_done = frame_empty(&c->cn_req);
	c->cn_resp_head = c->cn_resp_done = c->cn_up_eof = 0;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* main checked that the path fits. */
	memcpy(sun.sun_path, px->px_upstream,
	       strnlen(px->px_upstream, sizeof(sun.sun_path) - 1));
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		log_warn("%s: %s", c->cn_peer, px->px_upstream);
		if (fd >= 0)
			close(fd);
		respond_error(c, 503, 1);
		return;
	}
	c->cn_up_fd = fd;
	c->cn_up_ep = (struct endpoint){.ep_conn = c, .ep_upstream = 1};
	c->cn_up_ev = 0;
	if (epoll_ctl(c->cn_w->w_ep, EPOLL_CTL_ADD, fd,
		      &(struct epoll_event){.events = 0,
					    .data.ptr = &c->cn_up_ep}) < 0) {
		up_close(c);
		respond_error(c, 503, 1);
		return;
	}
	/* The proxy answers "100 Continue" itself: hostd never sees an
	 * Expect. */
	if (h->hd_expect_continue && !c->cn_body_done)
		(void)out_put(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	c->cn_state = CS_RELAY;
	c->cn_deadline =
		now_s() + (c->cn_body_done ? PROXY_UPSTREAM_TIMEOUT_S
					   : c->cn_w->w_px->px_body_timeout);
}

/* Move request body bytes from cn_in to hostd's buffer. -1: the body is
 * malformed, -2: past the route's limit (the caller answers). */
static int pump_request_body(struct conn *c)
{
	size_t room = PROXY_BUF_BYTES - c->cn_up_out_len, take = c->cn_in_len;
	long r;
	int done = 0;

	if (c->cn_body_done || take == 0 || room == 0)
		return 0;
	if (take > room)
		take = room;
	r = frame_take(&c->cn_req, c->cn_in, take, &done);
	if (r < 0 || c->cn_req.bf_ch.hc_total > c->cn_body_max) {
		log_info("%s: %s chunked body", c->cn_peer,
			 r < 0 ? "bad" : "too long a");
		return r == -400 ? -1 : -2;
	}
	take = (size_t)r;
	memcpy(c->cn_up_out + c->cn_up_out_len, c->cn_in, take);
	c->cn_up_out_len += take;
	memmove(c->cn_in, c->cn_in + take, c->cn_in_len - take);
	c->cn_in_len -= take;
	c->cn_body_done = done;
	return 0;
}

/* The response head from hostd, rewritten for the client. */
static int pass_response_head(struct conn *c)
{
	struct http_head h;
	char line[HTTP_LINE_MAX_BYTES + 64];
	long end = http_parse_response(c->cn_up_in, c->cn_up_in_len, &h);
	int n, no_body;

	if (end == 0)
		return 0;
	if (end < 0 || h.hd_status < 200) {
		log_warnx("%s: hostd's answer does not parse", c->cn_peer);
		return -1;
	}
	no_body = c->cn_method == HTTP_HEAD || h.hd_status == 204 ||
		  h.hd_status == 304;
	if (no_body)
		frame_of(&c->cn_resp, 0, 0);
	else
		frame_of(&c->cn_resp, h.hd_chunked, h.hd_content_length);
	/* Ending when hostd closes, it ends for the client the same way. */
	if (c->cn_resp.bf_until_close)
		c->cn_req_close = 1;
	{
		/* The status code and reason as hostd wrote them. */
		const char *cr = memchr(c->cn_up_in, '\r', (size_t)end);
		n = snprintf(line, sizeof(line), "HTTP/1.1 %.*s\r\n",
			     (int)(cr - (c->cn_up_in + 9)), c->cn_up_in + 9);
	}
	if (out_put(c, line, (size_t)n) < 0)
		return -1;
	for (size_t i = 0; i < h.hd_nheaders; i++) {
		const struct http_header *f = &h.hd_headers[i];
		if (dropped_header(f) &&
		    !(f->hh_name_len == 14 &&
		      strncasecmp(f->hh_name, "Content-Length", 14) == 0))
			continue;
		if (out_put(c, f->hh_name, f->hh_name_len) < 0 ||
		    out_put(c, ": ", 2) < 0 ||
		    out_put(c, f->hh_value, f->hh_value_len) < 0 ||
		    out_put(c, "\r\n", 2) < 0)
			return -1;
	}
	n = snprintf(line, sizeof(line), "%s%s\r\n",
		     h.hd_chunked && !no_body ? "Transfer-Encoding: chunked\r\n"
					      : "",
		     c->cn_req_close ? "Connection: close\r\n" : "");
	if (out_put(c, line, (size_t)n) < 0)
		return -1;
	c->cn_resp_head = 1;
	c->cn_resp_done = frame_empty(&c->cn_resp);
	memmove(c->cn_up_in, c->cn_up_in + end, c->cn_up_in_len - (size_t)end);
	c->cn_up_in_len -= (size_t)end;
	return 0;
}

/* Move response body bytes from hostd's buffer to the client's. */
static int pump_response_body(struct conn *c)
{
	size_t take = c->cn_up_in_len, room = out_room(c);
	int done = 0;
	long r;

	if (c->cn_resp_done || take == 0 || room == 0)
		return 0;
	if (take > room)
		take = room;
	r = frame_take(&c->cn_resp, c->cn_up_in, take, &done);
	if (r < 0)
		return -1;
	take = (size_t)r;
	if (out_put(c, c->cn_up_in, take) < 0)
		return -1;
	memmove(c->cn_up_in, c->cn_up_in + take, c->cn_up_in_len - take);
	c->cn_up_in_len -= take;
	c->cn_resp_done = done;
	return 0;
}

/*
 * Read from hostd. Once the response head is passed on and nothing is
 * left over, the body is read straight into the client's buffer and
 * checked where it lies (one copy less on a large download). 1: moved
 * something (or hostd closed: cn_up_eof), 0: nothing now, -1: a body
 * that does not frame.
 */
static size_t direct_room(const struct conn *c)
{
	if (c->cn_out_off == c->cn_out_len)
		return PROXY_BUF_BYTES;
	if (c->cn_out_off > PROXY_BUF_BYTES / 2) /* up_read moves it */
		return PROXY_BUF_BYTES - (c->cn_out_len - c->cn_out_off);
	return PROXY_BUF_BYTES - c->cn_out_len;
}

static int up_read(struct conn *c)
{
	ssize_t r;

	if (c->cn_resp_head && c->cn_up_in_len == 0) {
		size_t room;
		int done = 0;
		long k;
		if (ensure(&c->cn_out) < 0)
			return -1;
		if (c->cn_out_off == c->cn_out_len)
			c->cn_out_off = c->cn_out_len = 0;
		else if (c->cn_out_off > PROXY_BUF_BYTES / 2) {
			memmove(c->cn_out, c->cn_out + c->cn_out_off,
				c->cn_out_len - c->cn_out_off);
			c->cn_out_len -= c->cn_out_off;
			c->cn_out_off = 0;
		}
		room = PROXY_BUF_BYTES - c->cn_out_len;
		if (room == 0)
			return 0;
		r = recv(c->cn_up_fd, c->cn_out + c->cn_out_len, room, 0);
		if (r <= 0)
			goto none;
		k = frame_take(&c->cn_resp, c->cn_out + c->cn_out_len,
			       (size_t)r, &done);
		if (k < 0)
			return -1;
		c->cn_out_len += (size_t)k; /* past the end: dropped */
		c->cn_resp_done = done;
		return 1;
	}
	if (c->cn_up_in_len == PROXY_BUF_BYTES)
		return 0;
	r = recv(c->cn_up_fd, c->cn_up_in + c->cn_up_in_len,
		 PROXY_BUF_BYTES - c->cn_up_in_len, 0);
	if (r > 0) {
		c->cn_up_in_len += (size_t)r;
		return 1;
	}
none:
	if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
		/* What hostd sent before it closed is still passed on. */
		c->cn_up_eof = 1;
		return 1;
	}
	return 0;
}

/* ---- the state machine ------------------------------------------------ */

/* Begin (or go back to) waiting for a request. */
static void to_head(struct conn *c)
{
	c->cn_state = CS_HEAD;
	c->cn_scan = 0;
	c->cn_req_close = 0;
	c->cn_method = HTTP_GET;
	c->cn_deadline = now_s() + (c->cn_in_len > 0 ? PROXY_HEAD_TIMEOUT_S
						     : PROXY_IDLE_TIMEOUT_S);
}

/* The head's end in cn_in, searched from where the last search ended
 * (a head that trickles in costs its length once, not its square). */
static int head_complete(struct conn *c)
{
	size_t i = c->cn_scan < 3 ? 3 : c->cn_scan;

	for (; i < c->cn_in_len; i++)
		if (c->cn_in[i] == '\n' && c->cn_in[i - 1] == '\r' &&
		    c->cn_in[i - 2] == '\n' && c->cn_in[i - 3] == '\r') {
			c->cn_scan = i;
			return 1;
		}
	c->cn_scan = c->cn_in_len;
	return 0;
}

static void on_head(struct conn *c)
{
	struct http_head h;
	long end;

	if (c->cn_in_len == 0)
		return;
	if (!head_complete(c)) {
		/* Junk, or a line or head too long, is refused at once. */
		end = http_parse_request(
			c->cn_in, c->cn_in_len < 16 ? c->cn_in_len : 16, &h);
		if (end < 0 && end != -414 && end != -431)
			respond_error(c, (int)-end, 1);
		else if (c->cn_in_len >= HTTP_HEAD_MAX_BYTES)
			respond_error(c, 431, 1);
		else if (memchr(c->cn_in, '\n', c->cn_in_len) == NULL &&
			 c->cn_in_len > HTTP_LINE_MAX_BYTES)
			respond_error(c, 414, 1);
		return;
	}
	end = http_parse_request(c->cn_in, c->cn_in_len, &h);
	if (end <= 0) {
		log_info("%s: request refused (%ld)", c->cn_peer, -end);
		respond_error(c, end < 0 ? (int)-end : 400, 1);
		return;
	}
	route(c, &h);
	/* The head is used up; what follows is body or the next request.
	 * (route copied what it needed.) */
	memmove(c->cn_in, c->cn_in + end, c->cn_in_len - (size_t)end);
	c->cn_in_len -= (size_t)end;
	c->cn_scan = 0;
	/* An answer of our own to a request with a body: the body is not
	 * read; respond() closed the connection after the answer. */
}

/* One request is over, its answer written: keep the connection or end
 * it. */
static void request_done(struct conn *c)
{
	up_close(c);
	if (c->cn_close_after || c->cn_req_close) {
		c->cn_dead = 1;
		return;
	}
	free(c->cn_out);
	c->cn_out = NULL;
	c->cn_out_len = c->cn_out_off = 0;
	to_head(c);
}

/* Do everything that can be done now. */
static void run(struct conn *c)
{
	int progress = 1;

	while (progress && !c->cn_dead) {
		ssize_t r;
		progress = 0;
		if (c->cn_state == CS_HANDSHAKE) {
			int rc = gnutls_handshake(c->cn_tls);
			if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
				break;
			if (rc < 0) {
				log_debug("%s: TLS handshake: %s", c->cn_peer,
					  gnutls_strerror(rc));
				c->cn_dead = 1;
				break;
			}
			to_head(c);
			c->cn_deadline = now_s() + PROXY_HEAD_TIMEOUT_S;
			progress = 1;
			continue;
		}
		/* Read from the client: a head, or a body to relay. */
		if (c->cn_state == CS_HEAD ||
		    (c->cn_state == CS_RELAY && !c->cn_body_done)) {
			size_t cap = c->cn_state == CS_HEAD
					     ? HTTP_HEAD_MAX_BYTES
					     : PROXY_BUF_BYTES;
			if (ensure(&c->cn_in) < 0) {
				c->cn_dead = 1;
				break;
			}
			if (c->cn_in_len < cap) {
				r = client_read(c, c->cn_in + c->cn_in_len,
						cap - c->cn_in_len);
				if (r < 0) {
					c->cn_dead = 1;
					break;
				}
				if (r > 0) {
					if (c->cn_state == CS_HEAD &&
					    c->cn_in_len == 0)
						c->cn_deadline =
							now_s() +
							PROXY_HEAD_TIMEOUT_S;
					c->cn_in_len += (size_t)r;
					progress = 1;
				}
			}
		}
		if (c->cn_state == CS_HEAD) {
			size_t before = c->cn_in_len;
			enum conn_state s = c->cn_state;
			on_head(c);
			if (c->cn_state != s || c->cn_in_len != before)
				progress = 1;
		}
		if (c->cn_state == CS_RELAY) {
			size_t before = c->cn_in_len;
			int rb;
			rb = pump_request_body(c);
			if (rb < 0) {
				up_close(c);
				c->cn_out_len = c->cn_out_off = 0;
				respond_error(c, rb == -1 ? 400 : 413, 1);
				continue;
			}
			if (c->cn_in_len != before)
				progress = 1;
			if (c->cn_up_out_off < c->cn_up_out_len) {
				r = send(c->cn_up_fd,
					 c->cn_up_out + c->cn_up_out_off,
					 c->cn_up_out_len - c->cn_up_out_off,
					 MSG_NOSIGNAL);
				if (r < 0 && errno != EAGAIN &&
				    errno != EINTR) {
					/* hostd went away mid-request. */
					if (!c->cn_resp_head) {
						up_close(c);
						respond_error(c, 502, 1);
					} else {
						c->cn_dead = 1;
					}
					continue;
				}
				if (r > 0) {
					c->cn_up_out_off += (size_t)r;
					if (c->cn_up_out_off ==
					    c->cn_up_out_len)
						c->cn_up_out_off =
							c->cn_up_out_len = 0;
					progress = 1;
				}
			}
			if (!c->cn_resp_done && !c->cn_up_eof) {
				r = up_read(c);
				if (r < 0) {
					c->cn_dead = 1;
					continue;
				}
				if (r > 0)
					progress = 1;
			}
			if (!c->cn_resp_head && c->cn_up_in_len > 0) {
				if (pass_response_head(c) < 0) {
					up_close(c);
					c->cn_out_len = c->cn_out_off = 0;
					respond_error(c, 502, 1);
					continue;
				}
				if (c->cn_resp_head)
					progress = 1;
			}
			if (c->cn_resp_head) {
				size_t b = c->cn_up_in_len;
				if (pump_response_body(c) < 0) {
					c->cn_dead = 1;
					continue;
				}
				if (c->cn_up_in_len != b)
					progress = 1;
			}
			/* hostd closed and all it sent is passed on: the
			 * end of a body framed by its close, else a
			 * failure. */
			if (c->cn_up_eof && c->cn_up_in_len == 0 &&
			    !c->cn_resp_done) {
				if (!c->cn_resp_head) {
					up_close(c);
					c->cn_out_len = c->cn_out_off = 0;
					respond_error(c, 502, 1);
					continue;
				}
				if (!c->cn_resp.bf_until_close) {
					log_info("%s: hostd's answer ended "
						 "early",
						 c->cn_peer);
					c->cn_dead = 1;
					continue;
				}
				c->cn_resp_done = 1;
				progress = 1;
			}
			/* A body moving either way has px_body_timeout for its
			 * next byte; only hostd thinking (a long property wait)
			 * gets the long deadline. */
			if (progress)
				c->cn_deadline =
					now_s() +
					(c->cn_resp_head || !c->cn_body_done
						 ? c->cn_w->w_px
							   ->px_body_timeout
						 : PROXY_UPSTREAM_TIMEOUT_S);
		}
		/* Write to the client. */
		if (c->cn_out_off < c->cn_out_len) {
			r = client_write(c, c->cn_out + c->cn_out_off,
					 c->cn_out_len - c->cn_out_off);
			if (r < 0) {
				c->cn_dead = 1;
				break;
			}
			if (r > 0) {
				c->cn_out_off += (size_t)r;
				if (c->cn_out_off == c->cn_out_len)
					c->cn_out_off = c->cn_out_len = 0;
				progress = 1;
			}
		}
		if (c->cn_out_len == 0) {
			if (c->cn_state == CS_RESPOND) {
				request_done(c);
				progress = !c->cn_dead;
			} else if (c->cn_state == CS_RELAY && c->cn_resp_done) {
				/* A response that ended before its request's
				 * body did: the rest is not read. */
				if (!c->cn_body_done)
					c->cn_req_close = 1;
				request_done(c);
				progress = !c->cn_dead;
			}
		}
	}
}

/* The epoll interest each side needs now. */
static void update_interest(struct conn *c)
{
	uint32_t ev = EPOLLRDHUP, up = 0;
	int dir =
		c->cn_tls != NULL ? gnutls_record_get_direction(c->cn_tls) : 0;

	switch (c->cn_state) {
	case CS_HANDSHAKE:
		ev |= dir ? EPOLLOUT : EPOLLIN;
		break;
	case CS_HEAD:
		ev |= EPOLLIN;
		break;
	case CS_RESPOND:
		break;
	case CS_RELAY:
		if (!c->cn_body_done && c->cn_in_len < PROXY_BUF_BYTES)
			ev |= EPOLLIN;
		if (c->cn_up_out_off < c->cn_up_out_len)
			up |= EPOLLOUT;
		if (!c->cn_resp_done && !c->cn_up_eof &&
		    (c->cn_resp_head && c->cn_up_in_len == 0
			     ? direct_room(c) > 0
			     : c->cn_up_in_len < PROXY_BUF_BYTES))
			up |= EPOLLIN;
		break;
	}
	if (c->cn_out_off < c->cn_out_len || c->cn_tls_pending > 0)
		ev |= EPOLLOUT;
	if (c->cn_tls != NULL && c->cn_tls_pending > 0 && dir == 0)
		ev |= EPOLLIN;
	if (ev != c->cn_ev) {
		epoll_ctl(c->cn_w->w_ep, EPOLL_CTL_MOD, c->cn_fd,
			  &(struct epoll_event){.events = ev,
						.data.ptr = &c->cn_ep});
		c->cn_ev = ev;
	}
	if (c->cn_up_fd >= 0 && up != c->cn_up_ev) {
		epoll_ctl(c->cn_w->w_ep, EPOLL_CTL_MOD, c->cn_up_fd,
			  &(struct epoll_event){.events = up,
						.data.ptr = &c->cn_up_ep});
		c->cn_up_ev = up;
	}
}

static void handle(struct conn *c, uint32_t events, int upstream)
{
	if (c->cn_dead)
		return; /* ended earlier in this batch */
	/* The client hung up while hostd still works on its request (a
	 * long WaitForUpdates): nobody is left to answer. */
	if (!upstream && (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    c->cn_state == CS_RELAY && !c->cn_resp_head && !(events & EPOLLIN))
		c->cn_dead = 1;
	if (!c->cn_dead)
		run(c);
	if (c->cn_dead) {
		/* Freed after the batch: a later event in it may still
		 * point here. */
		c->cn_dead_next = c->cn_w->w_dead;
		c->cn_w->w_dead = c;
	} else {
		update_interest(c);
	}
}

/* ---- accepting ---------------------------------------------------------- */

static void accept_all(struct worker *w, const struct endpoint *l)
{
	struct proxy *px = w->w_px;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		unsigned char addr[16] = {0};
		struct conn *c;
		int fd = accept4(l->ep_fd, (struct sockaddr *)&ss, &sl,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		char peer[INET6_ADDRSTRLEN] = "?";

		if (fd < 0)
			return; /* EAGAIN, or try again on the next event */
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *s4 = (void *)&ss;
			addr[10] = addr[11] = 0xff;
			memcpy(addr + 12, &s4->sin_addr, 4);
			inet_ntop(AF_INET, &s4->sin_addr, peer, sizeof(peer));
		} else if (ss.ss_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (void *)&ss;
			memcpy(addr, &s6->sin6_addr, 16);
			inet_ntop(AF_INET6, &s6->sin6_addr, peer, sizeof(peer));
		}
		if (proxy_conn_admit(px, addr) < 0) {
			static const char busy[] =
				"HTTP/1.1 503 Service Unavailable\r\n"
				"Content-Length: 0\r\nConnection: close\r\n\r\n";
			log_info("%s: refused: too many connections", peer);
			if (!l->ep_tls)
				(void)send(fd, busy, sizeof(busy) - 1,
					   MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			proxy_conn_release(px, addr);
			close(fd);
			continue;
		}
		c->cn_w = w;
		c->cn_fd = fd;
		c->cn_up_fd = -1;
		memcpy(c->cn_addr, addr, 16);
		snprintf(c->cn_peer, sizeof(c->cn_peer), "%s", peer);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1},
			   sizeof(int));
		c->cn_ep = (struct endpoint){.ep_conn = c};
		if (l->ep_tls) {
			c->cn_creds = proxy_creds_get(px);
			if (gnutls_init(&c->cn_tls,
					GNUTLS_SERVER | GNUTLS_NONBLOCK) < 0 ||
			    gnutls_priority_set(c->cn_tls, px->px_priority) <
				    0 ||
			    gnutls_credentials_set(c->cn_tls,
						   GNUTLS_CRD_CERTIFICATE,
						   c->cn_creds->pc_cred) < 0) {
				if (c->cn_tls != NULL)
					gnutls_deinit(c->cn_tls);
				proxy_creds_put(px, c->cn_creds);
				proxy_conn_release(px, addr);
				close(fd);
				free(c);
				continue;
			}
			gnutls_transport_set_int(c->cn_tls, fd);
			c->cn_state = CS_HANDSHAKE;
			c->cn_deadline = now_s() + PROXY_HEAD_TIMEOUT_S;
		} else {
			to_head(c);
		}
		c->cn_next = w->w_conns;
		if (w->w_conns != NULL)
			w->w_conns->cn_prev = c;
		w->w_conns = c;
		c->cn_ev = EPOLLIN | EPOLLRDHUP;
		if (epoll_ctl(w->w_ep, EPOLL_CTL_ADD, fd,
			      &(struct epoll_event){.events = c->cn_ev,
						    .data.ptr = &c->cn_ep}) <
		    0) {
			conn_free(c);
			continue;
		}
	}
}

static void sweep(struct worker *w, time_t now)
{
	struct conn *c = w->w_conns, *next;

	for (; c != NULL; c = next) {
		next = c->cn_next;
		if (now < c->cn_deadline)
			continue;
		if (c->cn_state == CS_HEAD && c->cn_in_len > 0) {
			/* A head that never finished: say so, briefly. */
			log_info("%s: request head timed out", c->cn_peer);
			respond_error(c, 408, 1);
			c->cn_deadline = now + 2;
			run(c);
			if (!c->cn_dead) {
				update_interest(c);
				continue;
			}
		}
		conn_free(c);
	}
}

void *proxy_worker(void *arg)
{
	struct proxy_worker_arg *wa = arg;
	struct worker w = {.w_px = wa->wa_px};
	struct epoll_event ev[EVENTS_MAX];
	time_t last = now_s();

	w.w_ep = epoll_create1(EPOLL_CLOEXEC);
	if (w.w_ep < 0)
		fatal("epoll_create1");
	w.w_listen[0] = (struct endpoint){.ep_fd = w.w_px->px_http_fd};
	w.w_listen[1] =
		(struct endpoint){.ep_fd = w.w_px->px_https_fd, .ep_tls = 1};
	for (int i = 0; i < 2; i++)
		if (w.w_listen[i].ep_fd >= 0 &&
		    epoll_ctl(w.w_ep, EPOLL_CTL_ADD, w.w_listen[i].ep_fd,
			      &(struct epoll_event){
				      .events = EPOLLIN | EPOLLEXCLUSIVE,
				      .data.ptr = &w.w_listen[i]}) < 0)
			fatal("epoll_ctl listen");
	while (!w.w_px->px_stop) {
		int n = epoll_wait(w.w_ep, ev, EVENTS_MAX, 1000);
		time_t now;
		for (int i = 0; i < n; i++) {
			struct endpoint *e = ev[i].data.ptr;
			if (e->ep_conn == NULL)
				accept_all(&w, e);
			else
				handle(e->ep_conn, ev[i].events,
				       e->ep_upstream);
		}
		while (w.w_dead != NULL) {
			struct conn *c = w.w_dead;
			w.w_dead = c->cn_dead_next;
			conn_free(c);
		}
		now = now_s();
		if (now != last) {
			sweep(&w, now);
			last = now;
		}
	}
	while (w.w_conns != NULL)
		conn_free(w.w_conns);
	close(w.w_ep);
	return NULL;
}
