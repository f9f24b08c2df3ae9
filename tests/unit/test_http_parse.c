/*
 * test_http_parse.c: the proxy's HTTP parser (rhttpproxy/http_parse.c):
 * what it takes, and each thing it refuses with the status it refuses
 * it with (RFC 9112's smuggling cases among them).
 */
#include <stdio.h>
#include <string.h>

#include "lib/tap.h"
#include "rhttpproxy/http_parse.h"

static long req(const char *text, struct http_head *h)
{
	return http_parse_request(text, strlen(text), h);
}

static void a_plain_request(void)
{
	struct http_head h;
	const char *t = "POST /sdk?a=b HTTP/1.1\r\nHost: esx\r\n"
			"Content-Length: 12\r\nCookie:  x=1 \r\n\r\nbody";
	size_t n;

	CHECK_EQ(req(t, &h), (long)strlen(t) - 4);
	CHECK_EQ(h.hd_method, HTTP_POST);
	CHECK_EQ(h.hd_target_len, 8);
	CHECK(strncmp(h.hd_target, "/sdk?a=b", 8) == 0);
	CHECK_EQ(h.hd_minor, 1);
	CHECK_EQ(h.hd_content_length, 12);
	CHECK_EQ(h.hd_close, 0);
	CHECK(strncmp(http_header(&h, "cookie", &n), "x=1", 3) == 0);
	CHECK_EQ(n, 3); /* blanks around a value trimmed */
}

static void incomplete_heads_wait(void)
{
	struct http_head h;

	CHECK_EQ(req("GET / HTTP/1.1\r\nHost: x\r\n", &h), 0);
	CHECK_EQ(req("GE", &h), 0);
	CHECK_EQ(req("", &h), 0);
}

static void smuggling_and_malformed_heads_are_refused(void)
{
	static const struct {
		const char *text;
		long want;
	} cases[] = {
		/* CL and TE together; two CLs; a bad CL; TE not chunked */
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
		 -400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
		 "Content-Length: 3\r\n\r\n",
		 -400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\n",
		 -400},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3 3\r\n\r\n",
		 -400},
		{"POST / HTTP/1.1\r\nHost: x\r\n"
		 "Transfer-Encoding: gzip, chunked\r\n\r\n",
		 -501},
		{"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
		 "Transfer-Encoding: chunked\r\n\r\n",
		 -400},
		/* whitespace before the colon; obs-fold; bare LF; NUL */
		{"GET / HTTP/1.1\r\nHost : x\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", -400},
		{"GET / HTTP/1.1\nHost: x\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: x\ny\r\n\r\n", -400},
		/* no Host in 1.1, two Hosts */
		{"GET / HTTP/1.1\r\n\r\n", -400},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", -400},
		/* request line */
		{"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", -400},
		{"GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n", -400},
		{"GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", -400},
		{"GET /a#b HTTP/1.1\r\nHost: x\r\n\r\n", -400},
		{"BREW / HTTP/1.1\r\nHost: x\r\n\r\n", -501},
		{"GET / HTTP/2.0\r\nHost: x\r\n\r\n", -505},
		{"GET / FTP/1.0\r\nHost: x\r\n\r\n", -400},
		{"POST / HTTP/1.1\r\nHost: x\r\nExpect: 200-ok\r\n\r\n", -417},
		/* binary junk (a TLS hello on port 80) at once */
		{"\x16\x03\x01\x02", -400},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct http_head h;
		long got = req(cases[i].text, &h);
		if (got != cases[i].want) {
			tap_fail(__FILE__, __LINE__, "case %zu: %ld, not %ld",
				 i, got, cases[i].want);
			return;
		}
	}
}

static void limits(void)
{
	static char buf[HTTP_HEAD_MAX_BYTES + 4096];
	struct http_head h;
	size_t n;

	/* A request line past HTTP_LINE_MAX_BYTES: 414. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET /");
	memset(buf + n, 'a', HTTP_LINE_MAX_BYTES + 10);
	n += HTTP_LINE_MAX_BYTES + 10;
	CHECK_EQ(http_parse_request(buf, n, &h), -414);
	/* More than HTTP_HEADERS_MAX fields: 431. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < HTTP_HEADERS_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X-%d: y\r\n",
				      i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\r\n");
	CHECK_EQ(http_parse_request(buf, n, &h), -431);
	/* A head that never ends: 431 at the limit. */
	n = (size_t)snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\n");
	while (n + 12 < HTTP_HEAD_MAX_BYTES + 100)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				      "X-a: bbbb\r\n");
	CHECK_EQ(http_parse_request(buf, n, &h), -431);
}

static void http_1_0_closes_unless_kept(void)
{
	struct http_head h;

	CHECK(req("GET / HTTP/1.0\r\n\r\n", &h) > 0);
	CHECK_EQ(h.hd_close, 1);
	CHECK(req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h) > 0);
	CHECK_EQ(h.hd_close, 0);
	CHECK(req("GET / HTTP/1.1\r\nHost: x\r\nConnection: te, close\r\n\r\n",
		  &h) > 0);
	CHECK_EQ(h.hd_close, 1);
}

static long feed_all(const char *body, int *done)
{
	struct http_chunked c = {0};

	return http_chunked_feed(&c, body, strlen(body), done);
}

static void chunked_bodies(void)
{
	struct http_chunked c = {0};
	const char *ok =
		"4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-T: 1\r\n\r\nNEXT";
	int done = 0;

	CHECK_EQ(feed_all(ok, &done), (long)strlen(ok) - 4);
	CHECK_EQ(done, 1);
	/* Byte by byte, the same. */
	for (size_t i = 0; i < strlen(ok) - 4; i++) {
		CHECK_EQ(done && i > 0 ? 0 : 1, 1);
		CHECK_EQ(http_chunked_feed(&c, ok + i, 1, &done), 1);
	}
	CHECK_EQ(done, 1);
	CHECK_EQ(c.hc_total, 9);
	CHECK_EQ(feed_all("x\r\n", &done), -400);
	CHECK_EQ(feed_all("4\r\nWikiX\r\n", &done), -400);
	CHECK_EQ(feed_all("4\nWiki\r\n", &done), -400);
	CHECK_EQ(feed_all("fffffffffffffffff\r\n", &done), -413);
	CHECK_EQ(feed_all("0\r\nbad trailer\r\n\r\n", &done), -400);
}

static void paths(void)
{
	static const char *const bad[] = {
		"/folder/../etc", "/folder/%2e%2e/x", "/folder/%2E./x",
		"/folder/.%2e",	  "/a/./b",	      "/a//b",
		"/a/%00b",	  "/a/%zz",	      "/a/%2",
		"/a\\b",	  "/a/%5c",	      "relative",
		"/a/%2f..%2fb",
	};
	char out[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (http_path_decode(bad[i], strlen(bad[i]), out,
				     sizeof(out)) == 0) {
			tap_fail(__FILE__, __LINE__, "%s was taken", bad[i]);
			return;
		}
	CHECK_EQ(http_path_decode("/folder/my%20vm/a.vmx?dsName=x", 30, out,
				  sizeof(out)),
		 0);
	CHECK_STR(out, "/folder/my vm/a.vmx");
	CHECK_EQ(http_path_decode("/folder/dir/", 12, out, sizeof(out)), 0);
	CHECK_STR(out, "/folder/dir/");
	CHECK_EQ(http_path_decode("/", 1, out, sizeof(out)), 0);
	CHECK_EQ(http_path_decode("/abcdef", 7, out, 4), -1); /* too long */
}

static void responses(void)
{
	struct http_head h;
	const char *ok = "HTTP/1.1 500 Internal Server Error\r\n"
			 "Content-Length: 5\r\nSet-Cookie: a=b\r\n\r\n";

	CHECK_EQ(http_parse_response(ok, strlen(ok), &h), (long)strlen(ok));
	CHECK_EQ(h.hd_status, 500);
	CHECK_EQ(h.hd_content_length, 5);
	CHECK_EQ(http_parse_response("HTTP/1.1 20 OK\r\n\r\n", 18, &h), -502);
	CHECK_EQ(http_parse_response("HTTP/1.1 200 OK\r\nA b: c\r\n\r\n", 27,
				     &h),
		 -502);
}

int main(void)
{
	RUN(a_plain_request);
	RUN(incomplete_heads_wait);
	RUN(smuggling_and_malformed_heads_are_refused);
	RUN(limits);
	RUN(http_1_0_closes_unless_kept);
	RUN(chunked_bodies);
	RUN(paths);
	RUN(responses);
	return tap_done();
}
