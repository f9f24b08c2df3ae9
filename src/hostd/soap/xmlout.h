/*
 * xmlout.h: a growing buffer that SOAP answers are written into, with the
 * escaping XML text and attribute values need.
 */
#ifndef BASALT_HOSTD_XMLOUT_H
#define BASALT_HOSTD_XMLOUT_H

#include <stddef.h>

#include "common/compiler.h"

struct xmlout {
	char *xo_data;
	size_t xo_len;
	size_t xo_cap;
	int xo_oom; /* an allocation failed: the answer is lost, say so */
};

void xmlout_init(struct xmlout *xo);
void xmlout_free(struct xmlout *xo);
/* Hand the text over (NUL-terminated); the buffer is empty afterwards. */
char *xmlout_take(struct xmlout *xo, size_t *lenp);

void xmlout_raw(struct xmlout *xo, const char *s);
void xmlout_printf(struct xmlout *xo, const char *fmt, ...) BASALT_PRINTF(2, 3);
/* s as XML character data (also safe inside double-quoted attributes). */
void xmlout_text(struct xmlout *xo, const char *s);
/* <name>text</name> */
void xmlout_elem(struct xmlout *xo, const char *name, const char *text);
/* <name type="type">id</name>: a managed object reference. */
void xmlout_moref(struct xmlout *xo, const char *name, const char *type,
		  const char *id);

#endif
