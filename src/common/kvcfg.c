/*
 * kvcfg.c: `key = "value"` parser (see kvcfg.h). Input is untrusted (a
 * .vmx can come from anywhere): every line is bounded, every byte is
 * classified, and an error names file, line and what was expected.
 */
#include "common/kvcfg.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/file.h"
#include "common/hex.h"

static int key_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == ':' ||
	       c == '-';
}

void kvcfg_free(struct kvcfg *cfg)
{
	for (int i = 0; i < cfg->kc_count; i++) {
		free(cfg->kc_entries[i].ke_key);
		free(cfg->kc_entries[i].ke_value);
	}
	free(cfg->kc_entries);
	cfg->kc_entries = NULL;
	cfg->kc_count = 0;
}

struct kvcfg_entry *kvcfg_find(struct kvcfg *cfg, const char *key)
{
	for (int i = 0; i < cfg->kc_count; i++)
		if (strcasecmp(cfg->kc_entries[i].ke_key, key) == 0)
			return &cfg->kc_entries[i];
	return NULL;
}

/* Parse one line (no newline); appends to cfg. */
static int parse_line(struct kvcfg *cfg, const char *s, size_t n, int lineno,
		      struct err *e)
{
	const char *end = s + n, *k0, *k1;
	char *value, *key;
	size_t vlen = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || *s == '#')
		return 0;
	k0 = s;
	while (s < end && key_char(*s))
		s++;
	k1 = s;
	if (k1 == k0)
		return err_set(e, -EINVAL,
			       "%s:%d: expected a key (letters, digits and "
			       "\"._:-\")",
			       cfg->kc_name, lineno);
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || *s != '=')
		return err_set(e, -EINVAL,
			       "%s:%d: %.*s: expected '=' after "
			       "the key",
			       cfg->kc_name, lineno, (int)(k1 - k0), k0);
	s++;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || *s != '"')
		return err_set(e, -EINVAL,
			       "%s:%d: %.*s: expected a value in double "
			       "quotes",
			       cfg->kc_name, lineno, (int)(k1 - k0), k0);
	s++;
	value = malloc((size_t)(end - s) + 1);
	if (value == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	for (;;) {
		if (s == end) {
			free(value);
			return err_set(e, -EINVAL,
				       "%s:%d: %.*s: missing closing quote",
				       cfg->kc_name, lineno, (int)(k1 - k0),
				       k0);
		}
		if (*s == '"')
			break;
		if (*s == '|') {
			int hi = s + 2 < end ? hex_value(s[1]) : -1;
			int lo = s + 2 < end ? hex_value(s[2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				free(value);
				return err_set(e, -EINVAL,
					       "%s:%d: %.*s: bad escape (|XX "
					       "with two hex digits, not |00)",
					       cfg->kc_name, lineno,
					       (int)(k1 - k0), k0);
			}
			value[vlen++] = (char)(hi << 4 | lo);
			s += 3;
			continue;
		}
		if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			free(value);
			return err_set(e, -EINVAL,
				       "%s:%d: %.*s: control character in the "
				       "value",
				       cfg->kc_name, lineno, (int)(k1 - k0),
				       k0);
		}
		value[vlen++] = *s++;
	}
	value[vlen] = '\0';
	s++;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s != end && *s != '#') {
		free(value);
		return err_set(e, -EINVAL,
			       "%s:%d: %.*s: unexpected text after the value",
			       cfg->kc_name, lineno, (int)(k1 - k0), k0);
	}
	key = strndup(k0, (size_t)(k1 - k0));
	if (key == NULL) {
		free(value);
		return err_set(e, -ENOMEM, "out of memory");
	}
	if (kvcfg_find(cfg, key) != NULL) {
		int first = kvcfg_find(cfg, key)->ke_line;
		err_set(e, -EINVAL,
			"%s:%d: %s: duplicate key (first on line %d)",
			cfg->kc_name, lineno, key, first);
		free(key);
		free(value);
		return -EINVAL;
	}
	if (cfg->kc_count >= KVCFG_ENTRIES_MAX) {
		free(key);
		free(value);
		return err_set(e, -E2BIG, "%s:%d: more than %d entries",
			       cfg->kc_name, lineno, KVCFG_ENTRIES_MAX);
	}
	cfg->kc_entries[cfg->kc_count++] =
		(struct kvcfg_entry){key, value, lineno, 0};
	return 0;
}

int kvcfg_parse(struct kvcfg *cfg, const char *name, const char *text,
		size_t len, struct err *e)
{
	const char *p = text, *end = text + len;
	int lineno = 0, rc;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->kc_name, sizeof(cfg->kc_name), "%s", name);
	if (len > KVCFG_FILE_MAX_BYTES)
		return err_set(e, -E2BIG, "%s: larger than %u bytes", name,
			       KVCFG_FILE_MAX_BYTES);
	if (memchr(text, '\0', len) != NULL)
		return err_set(e, -EINVAL,
			       "%s: contains a NUL byte (not a "
			       "text file?)",
			       name);
	cfg->kc_entries = calloc(KVCFG_ENTRIES_MAX, sizeof(*cfg->kc_entries));
	if (cfg->kc_entries == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		if (n > KVCFG_LINE_MAX_BYTES) {
			rc = err_set(e, -E2BIG,
				     "%s:%d: line longer than %d "
				     "bytes",
				     name, lineno, KVCFG_LINE_MAX_BYTES);
			goto fail;
		}
		if (n > 0 && p[n - 1] == '\r')
			n--; /* files edited on Windows */
		rc = parse_line(cfg, p, n, lineno, e);
		if (rc < 0)
			goto fail;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
fail:
	kvcfg_free(cfg);
	return rc;
}

int kvcfg_load(struct kvcfg *cfg, const char *path, struct err *e)
{
	void *data;
	size_t len;
	int rc;

	rc = file_read_all(path, KVCFG_FILE_MAX_BYTES, &data, &len, e);
	if (rc < 0)
		return rc;
	rc = kvcfg_parse(cfg, path, data, len, e);
	free(data);
	return rc;
}

int kvcfg_escape(const char *value, char *out, size_t cap)
{
	size_t n = 0;

	for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
		if (*v == '"' || *v == '|' || *v < 0x20 || *v == 0x7f) {
			if (n + 3 >= cap)
				return -1;
			n += (size_t)snprintf(out + n, cap - n, "|%02X", *v);
		} else {
			if (n + 1 >= cap)
				return -1;
			out[n++] = (char)*v;
		}
	}
	if (n >= cap)
		return -1;
	out[n] = '\0';
	return 0;
}
