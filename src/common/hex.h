/*
 * hex.h: one hexadecimal digit's value, for the parsers that read %XX
 * and |XX escapes and chunk sizes.
 */
#ifndef BASALT_COMMON_HEX_H
#define BASALT_COMMON_HEX_H

/* 0..15, or -1 when c is no hex digit (either case). */
static inline int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif
