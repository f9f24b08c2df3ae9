/*
 * xmlout.c: the answer buffer. Writers never check each call: a failed
 * allocation sets xo_oom and the caller answers with a fault instead.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostd/soap/xmlout.h"

void xmlout_init(struct xmlout *xo)
{
	memset(xo, 0, sizeof(*xo));
}

void xmlout_free(struct xmlout *xo)
{
	free(xo->xo_data);
	xmlout_init(xo);
}

char *xmlout_take(struct xmlout *xo, size_t *lenp)
{
	char *d = xo->xo_data;

	if (d == NULL)
		d = strdup("");
	*lenp = xo->xo_len;
	xmlout_init(xo);
	return d;
}

static int reserve(struct xmlout *xo, size_t more)
{
	size_t cap;
	char *d;

	if (xo->xo_oom)
		return -1;
	if (xo->xo_len + more + 1 <= xo->xo_cap)
		return 0;
	cap = xo->xo_cap ? xo->xo_cap : 4096;
	while (cap < xo->xo_len + more + 1)
		cap *= 2;
	d = realloc(xo->xo_data, cap);
	if (d == NULL) {
		xo->xo_oom = 1;
		return -1;
	}
	xo->xo_data = d;
	xo->xo_cap = cap;
	return 0;
}

static void put(struct xmlout *xo, const char *s, size_t n)
{
	if (reserve(xo, n) < 0)
		return;
	memcpy(xo->xo_data + xo->xo_len, s, n);
	xo->xo_len += n;
	xo->xo_data[xo->xo_len] = '\0';
}

void xmlout_raw(struct xmlout *xo, const char *s)
{
	put(xo, s, strlen(s));
}

void xmlout_printf(struct xmlout *xo, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || reserve(xo, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(xo->xo_data + xo->xo_len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	xo->xo_len += (size_t)n;
}

void xmlout_text(struct xmlout *xo, const char *s)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		const char *rep;
		switch (*s) {
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '&':
			rep = "&amp;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\r':
			rep = "&#13;"; /* a parser would fold it away */
			break;
		default:
			continue;
		}
		put(xo, run, (size_t)(s - run));
		xmlout_raw(xo, rep);
		run = s + 1;
	}
	put(xo, run, (size_t)(s - run));
}

void xmlout_elem(struct xmlout *xo, const char *name, const char *text)
{
	xmlout_printf(xo, "<%s>", name);
	xmlout_text(xo, text);
	xmlout_printf(xo, "</%s>", name);
}

void xmlout_moref(struct xmlout *xo, const char *name, const char *type,
		  const char *id)
{
	xmlout_printf(xo, "<%s type=\"%s\">", name, type);
	xmlout_text(xo, id);
	xmlout_printf(xo, "</%s>", name);
}
