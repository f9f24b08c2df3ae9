/*
 * http_parse.c: strict HTTP/1.1 heads, chunked framing and target paths
 * (see http_parse.h). Every refusal is a status, never a guess: a proxy
 * that reads a message one way while the service behind it reads it
 * another is how requests get smuggled.
 */
#include <string.h>
#include <strings.h>

#include "common/hex.h"
#include "rhttpproxy/http_parse.h"

static const char *const method_names[] = {
	[HTTP_GET] = "GET",	  [HTTP_HEAD] = "HEAD",
	[HTTP_POST] = "POST",	  [HTTP_PUT] = "PUT",
	[HTTP_DELETE] = "DELETE", [HTTP_OPTIONS] = "OPTIONS",
};

const char *http_method_name(enum http_method m)
{
	return method_names[m];
}

/* RFC 9110 §5.6.2 tchar. */
static int is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A field value's byte: VCHAR, obs-text, SP, HTAB. */
static int is_field_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* A request target's byte in origin-form (RFC 3986 pchar, '/', '?',
 * '%'), visible ASCII only. */
static int is_target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '#' && c != '"' && c != '<' &&
	       c != '>' && c != '\\' && c != '^' && c != '`' && c != '{' &&
	       c != '|' && c != '}';
}

static int name_is(const struct http_header *f, const char *name)
{
	return f->hh_name_len == strlen(name) &&
	       strncasecmp(f->hh_name, name, f->hh_name_len) == 0;
}

static int value_is(const struct http_header *f, const char *v)
{
	return f->hh_value_len == strlen(v) &&
	       strncasecmp(f->hh_value, v, f->hh_value_len) == 0;
}

const char *http_header(const struct http_head *h, const char *name,
			size_t *len)
{
	for (size_t i = 0; i < h->hd_nheaders; i++)
		if (name_is(&h->hd_headers[i], name)) {
			if (len != NULL)
				*len = h->hd_headers[i].hh_value_len;
			return h->hd_headers[i].hh_value;
		}
	return NULL;
}

/* Does the comma-separated list v[n] hold token (any case)? */
static int list_has(const char *v, size_t n, const char *token)
{
	size_t t = strlen(token), i = 0;

	while (i < n) {
		size_t s, e;
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == t && strncasecmp(v + s, token, t) == 0)
			return 1;
	}
	return 0;
}

/* Where the head ends (just past CRLF CRLF), or 0. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 3; i < len; i++)
		if (buf[i] == '\n' && buf[i - 1] == '\r' &&
		    buf[i - 2] == '\n' && buf[i - 3] == '\r')
			return i + 1;
	return 0;
}

/* The header fields from p (just past the first line's CRLF) to end
 * (the head's end); err: the status to refuse with. */
static long parse_fields(const char *p, const char *end, struct http_head *h,
			 int err)
{
	int seen_cl = 0, seen_te = 0;

	h->hd_nheaders = 0;
	h->hd_content_length = -1;
	while (!(p + 2 <= end && p[0] == '\r' && p[1] == '\n')) {
		const char *name = p, *colon, *v, *ve, *eol;
		struct http_header *f;
		while (p < end && is_tchar((unsigned char)*p))
			p++;
		colon = p;
		/* No name, or anything but ':' right after it (a space
		 * before the colon, an obs-fold line) is malformed. */
		if (colon == name || p >= end || *p != ':')
			return -err;
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		v = p;
		while (p < end && is_field_char((unsigned char)*p))
			p++;
		if (p + 1 >= end || p[0] != '\r' || p[1] != '\n')
			return -err; /* a bare LF, CR, NUL, DEL */
		eol = p;
		ve = eol;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		p = eol + 2;
		if (h->hd_nheaders == HTTP_HEADERS_MAX)
			return err == 400 ? -431 : -err;
		f = &h->hd_headers[h->hd_nheaders++];
		*f = (struct http_header){name, v, (size_t)(colon - name),
					  (size_t)(ve - v)};
		if (name_is(f, "Content-Length")) {
			long long n = 0;
			if (seen_cl++ || f->hh_value_len == 0 ||
			    f->hh_value_len > 15)
				return -err;
			for (size_t i = 0; i < f->hh_value_len; i++) {
				if (v[i] < '0' || v[i] > '9')
					return -err;
				n = n * 10 + (v[i] - '0');
			}
			h->hd_content_length = n;
		} else if (name_is(f, "Transfer-Encoding")) {
			/* chunked, alone: the only coding the services
			 * and we agree on. */
			if (seen_te++)
				return -err;
			if (!value_is(f, "chunked"))
				return err == 400 ? -501 : -err;
			h->hd_chunked = 1;
		} else if (name_is(f, "Connection")) {
			if (list_has(v, f->hh_value_len, "close"))
				h->hd_close = 1;
			else if (list_has(v, f->hh_value_len, "keep-alive"))
				h->hd_close = 0;
		} else if (name_is(f, "Host")) {
			if (h->hd_host != NULL)
				return -err;
			h->hd_host = v;
			h->hd_host_len = f->hh_value_len;
		} else if (name_is(f, "Expect")) {
			if (!value_is(f, "100-continue"))
				return err == 400 ? -417 : -err;
			h->hd_expect_continue = 1;
		}
	}
	if (seen_cl && seen_te)
		return -err; /* RFC 9112 §6.1: a smuggling attempt */
	if (h->hd_content_length > HTTP_BODY_MAX_BYTES)
		return err == 400 ? -413 : -err;
	return 0;
}

/* "HTTP/1.x": the minor version, or -1. */
static int version(const char *p, const char *end)
{
	if (end - p != 8 || memcmp(p, "HTTP/1.", 7) != 0)
		return -1;
	if (p[7] == '0' || p[7] == '1')
		return p[7] - '0';
	return -1;
}

long http_parse_request(const char *buf, size_t len, struct http_head *h)
{
	size_t n = len < HTTP_HEAD_MAX_BYTES ? len : HTTP_HEAD_MAX_BYTES;
	size_t end = head_end(buf, n);
	const char *p = buf, *sp, *eol, *line_end;
	long rc;
	int m = -1;

	memset(h, 0, sizeof(*h));
	eol = memchr(buf, '\n', n);
	if (eol == NULL && n > HTTP_LINE_MAX_BYTES)
		return -414;
	if (end == 0) {
		/* Junk is refused as soon as it shows, not after 32 KiB. */
		for (size_t i = 0; i < n && i < 8 && buf[i] != ' '; i++)
			if (!is_tchar((unsigned char)buf[i]))
				return -400;
		return len >= HTTP_HEAD_MAX_BYTES ? -431 : 0;
	}
	line_end = eol - 1; /* the CR */
	if (eol == buf || *line_end != '\r')
		return -400;
	if (line_end - buf > HTTP_LINE_MAX_BYTES)
		return -414;
	/* method SP request-target SP HTTP-version CRLF */
	sp = memchr(p, ' ', (size_t)(line_end - p));
	if (sp == NULL || sp == p)
		return -400;
	for (const char *q = p; q < sp; q++)
		if (!is_tchar((unsigned char)*q))
			return -400;
	for (size_t i = 0; i < sizeof(method_names) / sizeof(*method_names);
	     i++)
		if ((size_t)(sp - p) == strlen(method_names[i]) &&
		    memcmp(p, method_names[i], (size_t)(sp - p)) == 0)
			m = (int)i;
	if (m < 0)
		return -501;
	h->hd_method = (enum http_method)m;
	p = sp + 1;
	sp = memchr(p, ' ', (size_t)(line_end - p));
	if (sp == NULL || sp == p)
		return -400;
	h->hd_target = p;
	h->hd_target_len = (size_t)(sp - p);
	/* origin-form only ("*" for OPTIONS); no absolute-form: we are no
	 * forward proxy. */
	if (!(h->hd_target_len == 1 && *p == '*' && m == HTTP_OPTIONS) &&
	    *p != '/')
		return -400;
	for (const char *q = p; q < sp; q++)
		if (!is_target_char((unsigned char)*q))
			return -400;
	h->hd_minor = version(sp + 1, line_end);
	if (h->hd_minor < 0)
		return line_end - (sp + 1) >= 5 &&
				       memcmp(sp + 1, "HTTP/", 5) == 0
			       ? -505
			       : -400;
	h->hd_close = h->hd_minor == 0; /* 1.0: unless keep-alive */
	rc = parse_fields(eol + 1, buf + end, h, 400);
	if (rc < 0)
		return rc;
	if (h->hd_minor == 1 && h->hd_host == NULL)
		return -400; /* RFC 9112 §3.2 */
	h->hd_len = end;
	return (long)end;
}

long http_parse_response(const char *buf, size_t len, struct http_head *h)
{
	size_t n = len < HTTP_HEAD_MAX_BYTES ? len : HTTP_HEAD_MAX_BYTES;
	size_t end = head_end(buf, n);
	const char *eol, *line_end;
	int status = 0;
	long rc;

	memset(h, 0, sizeof(*h));
	if (end == 0)
		return len >= HTTP_HEAD_MAX_BYTES ? -502 : 0;
	eol = memchr(buf, '\n', end);
	line_end = eol - 1;
	if (eol == buf || *line_end != '\r' || line_end - buf < 12 ||
	    line_end - buf > HTTP_LINE_MAX_BYTES)
		return -502;
	/* HTTP/1.x SP 3DIGIT SP reason */
	h->hd_minor = version(buf, buf + 8);
	if (h->hd_minor < 0 || buf[8] != ' ' || buf[12] != ' ')
		return -502;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -502;
		status = status * 10 + (buf[i] - '0');
	}
	if (status < 100)
		return -502;
	for (const char *q = buf + 13; q < line_end; q++)
		if (!is_field_char((unsigned char)*q))
			return -502;
	h->hd_status = status;
	h->hd_close = h->hd_minor == 0;
	rc = parse_fields(eol + 1, buf + end, h, 502);
	if (rc < 0)
		return rc;
	h->hd_len = end;
	return (long)end;
}

enum {
	CH_SIZE,    /* hex digits */
	CH_EXT,	    /* ";ext" up to CR */
	CH_SIZE_LF, /* the LF after the size line's CR */
	CH_DATA,    /* hc_left bytes */
	CH_DATA_CR, /* CRLF after the data */
	CH_DATA_LF,
	CH_TRAILER, /* a trailer line, or the final CRLF */
	CH_TRAILER_LINE,
	CH_TRAILER_LF,
	CH_END_LF,
	CH_DONE,
};

long http_chunked_feed(struct http_chunked *c, const char *in, size_t len,
		       int *done)
{
	size_t i = 0;

	*done = c->hc_state == CH_DONE;
	while (i < len && c->hc_state != CH_DONE) {
		char ch = in[i];
		switch (c->hc_state) {
		case CH_SIZE:
			if (hex_value(ch) >= 0) {
				/* 15 hex digits: past any body we take. */
				if (++c->hc_digits > 15)
					return -413;
				c->hc_left = c->hc_left * 16 +
					     (unsigned long long)hex_value(ch);
				i++;
				break;
			}
			if (c->hc_digits == 0)
				return -400;
			if (c->hc_total + (long long)c->hc_left >
			    HTTP_BODY_MAX_BYTES)
				return -413;
			if (ch == ';') {
				c->hc_state = CH_EXT;
				c->hc_ext = 0;
			} else if (ch == '\r') {
				c->hc_state = CH_SIZE_LF;
			} else {
				return -400;
			}
			i++;
			break;
		case CH_EXT:
			if (ch == '\r')
				c->hc_state = CH_SIZE_LF;
			else if (!is_field_char((unsigned char)ch) ||
				 ++c->hc_ext > HTTP_CHUNK_EXT_MAX_BYTES)
				return -400;
			i++;
			break;
		case CH_SIZE_LF:
			if (ch != '\n')
				return -400;
			i++;
			c->hc_digits = 0;
			if (c->hc_left == 0) {
				c->hc_state = CH_TRAILER;
				c->hc_ext = 0;
			} else {
				c->hc_state = CH_DATA;
			}
			break;
		case CH_DATA: {
			size_t take = len - i;
			if (take > c->hc_left)
				take = (size_t)c->hc_left;
			c->hc_left -= take;
			c->hc_total += (long long)take;
			i += take;
			if (c->hc_left == 0)
				c->hc_state = CH_DATA_CR;
			break;
		}
		case CH_DATA_CR:
			if (ch != '\r')
				return -400;
			c->hc_state = CH_DATA_LF;
			i++;
			break;
		case CH_DATA_LF:
			if (ch != '\n')
				return -400;
			c->hc_state = CH_SIZE;
			i++;
			break;
		case CH_TRAILER:
			/* CRLF: the end; else a trailer field line. */
			if (ch == '\r') {
				c->hc_state = CH_END_LF;
			} else if (is_tchar((unsigned char)ch)) {
				c->hc_state = CH_TRAILER_LINE;
				c->hc_digits = 0; /* no colon yet */
			} else {
				return -400;
			}
			i++;
			break;
		case CH_TRAILER_LINE:
			/* name ":" value, as a header field */
			if (++c->hc_ext > HTTP_CHUNK_EXT_MAX_BYTES)
				return -400;
			if (ch == '\r' && c->hc_digits)
				c->hc_state = CH_TRAILER_LF;
			else if (!c->hc_digits && ch == ':')
				c->hc_digits = 1;
			else if (c->hc_digits
					 ? !is_field_char((unsigned char)ch)
					 : !is_tchar((unsigned char)ch))
				return -400;
			i++;
			break;
		case CH_TRAILER_LF:
			if (ch != '\n')
				return -400;
			c->hc_state = CH_TRAILER;
			i++;
			break;
		case CH_END_LF:
			if (ch != '\n')
				return -400;
			c->hc_state = CH_DONE;
			i++;
			break;
		}
	}
	*done = c->hc_state == CH_DONE;
	return (long)i;
}

int http_path_decode(const char *target, size_t len, char *out, size_t size)
{
	size_t n = 0, seg = 0;

	for (size_t i = 0; i < len && target[i] != '?'; i++) {
		char ch = target[i];
		if (ch == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return -1;
			hi = hex_value(target[i + 1]);
			lo = hex_value(target[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			ch = (char)(hi * 16 + lo);
			i += 2;
			if (ch == '\0')
				return -1;
		}
		if (ch == '\\')
			return -1;
		if (n + 1 >= size)
			return -1;
		if (ch == '/') {
			/* The segment just ended: "", "." and ".." are
			 * refused (the first '/' starts the path). */
			size_t sl = n - seg;
			if (n > 0 && (sl == 0 || (sl == 1 && out[seg] == '.') ||
				      (sl == 2 && out[seg] == '.' &&
				       out[seg + 1] == '.')))
				return -1;
			out[n++] = '/';
			seg = n;
			continue;
		}
		out[n++] = ch;
	}
	if (n == 0 || out[0] != '/')
		return -1;
	{
		size_t sl = n - seg;
		if ((sl == 1 && out[seg] == '.') ||
		    (sl == 2 && out[seg] == '.' && out[seg + 1] == '.'))
			return -1;
	}
	out[n] = '\0';
	return 0;
}
