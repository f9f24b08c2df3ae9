/*
 * fnv.h: the 64-bit FNV-1a hash of a string, for ids that must not
 * change between runs (datastore ids) and small sets of seen strings.
 * Not for anything an adversary may choose to collide.
 */
#ifndef BASALT_COMMON_FNV_H
#define BASALT_COMMON_FNV_H

#include <stdint.h>

static inline uint64_t fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return h;
}

#endif
