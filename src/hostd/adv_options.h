/*
 * adv_options.h: the host's advanced settings (OptionManager
 * ha-adv-options), a fixed table of known keys with types, ranges and
 * defaults; the values set are kept in <confdir>/advanced.conf
 * (docs/formats/advanced.md).
 */
#ifndef BASALT_HOSTD_ADV_OPTIONS_H
#define BASALT_HOSTD_ADV_OPTIONS_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

#define ADV_VALUE_MAX	1024
#define ADV_OPTIONS_MAX 64 /* room in struct hostd */

enum adv_type { ADV_LONG, ADV_BOOL, ADV_STRING };

struct adv_def {
	const char *ad_key; /* "Security.AccountLockFailures" */
	enum adv_type ad_type;
	const char *ad_default;	  /* as text: "5", "false", "" */
	long long ad_min, ad_max; /* ADV_LONG */
	const char *ad_summary;
	/* More checks on a value beyond its type (NULL: none). */
	int (*ad_valid)(const char *text, struct err *e);
};

extern const struct adv_def adv_defs[];
extern const size_t adv_count;

struct hostd;

/* Read advanced.conf (missing: every default). A syntax error fails; an
 * unknown key or a bad value is logged and left at its default. */
BASALT_MUST_CHECK int adv_load(struct hostd *h, struct err *e);

/* The definition of key (exact, case-sensitive as on the reference
 * host), or NULL; its index in adv_defs in *index. */
const struct adv_def *adv_find(const char *key, size_t *index);

/* The current value of option i, as text. */
const char *adv_get(const struct hostd *h, size_t i);

/* Check text as a value of def: 0, or -EINVAL with why in e. */
int adv_check(const struct adv_def *def, const char *text, struct err *e);

/* Set n values at once (already checked) and save the file; on a write
 * failure nothing changes. */
BASALT_MUST_CHECK int adv_set(struct hostd *h, const size_t *index,
			      const char *const *text, size_t n, struct err *e);

#endif
