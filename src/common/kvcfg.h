/*
 * kvcfg.h: the `key = "value"` configuration format of .vmx files (and
 * later /etc/basalt), as VMware writes it: one entry per line, '#'
 * comments, keys case-insensitive and made of letters, digits and
 * "._:-", values double-quoted with VMware's |XX hex escapes for bytes
 * that cannot appear raw (|22 is '"', |7C is '|'). Format details and
 * limits: docs/formats/vmx.md.
 */
#ifndef BASALT_COMMON_KVCFG_H
#define BASALT_COMMON_KVCFG_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

#define KVCFG_FILE_MAX_BYTES (1u << 20)
#define KVCFG_LINE_MAX_BYTES 4096
#define KVCFG_ENTRIES_MAX    2048

struct kvcfg_entry {
	char *ke_key;	/* as written */
	char *ke_value; /* unescaped */
	int ke_line;
	int ke_used; /* set by readers that consumed it */
};

struct kvcfg {
	char kc_name[256]; /* file name, for messages */
	struct kvcfg_entry *kc_entries;
	int kc_count;
};

/*
 * Parse text[len]. On error nothing is kept and e says "name:line: what"
 * (a missing quote, a bad key, a duplicate key, a bad escape, a line or
 * file too long).
 */
BASALT_MUST_CHECK int kvcfg_parse(struct kvcfg *cfg, const char *name,
				  const char *text, size_t len, struct err *e);

/* Read and parse a file (at most KVCFG_FILE_MAX_BYTES). */
BASALT_MUST_CHECK int kvcfg_load(struct kvcfg *cfg, const char *path,
				 struct err *e);

void kvcfg_free(struct kvcfg *cfg);

/* The entry for key (case-insensitive), or NULL. */
struct kvcfg_entry *kvcfg_find(struct kvcfg *cfg, const char *key);

/* Write value with |XX escapes into out[cap]; -1 if it does not fit. */
int kvcfg_escape(const char *value, char *out, size_t cap);

#endif
