/*
 * auth.c: the shadow file (standard format, readable by standard tools),
 * hashes by libcrypt: yescrypt ($y$) for new ones, whatever crypt(3)
 * knows for existing ones. No password is ever logged or kept.
 */
#include <crypt.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "common/file.h"
#include "hostd/auth.h"
#include "hostd/hostd.h"

#define SHADOW_MAX_BYTES	 (1u << 20)
#define GENERATED_PASSWORD_CHARS 16

static int shadow_path(struct hostd *h, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/shadow", h->hd_confdir);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The hash field of user's line in the shadow text, copied to buf. */
static int find_hash(const char *text, size_t len, const char *user, char *buf,
		     size_t size)
{
	size_t ulen = strlen(user);
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;
		if ((size_t)(eol - p) > ulen && memcmp(p, user, ulen) == 0 &&
		    p[ulen] == ':') {
			const char *h = p + ulen + 1;
			const char *c = memchr(h, ':', (size_t)(eol - h));
			size_t n = (size_t)((c != NULL ? c : eol) - h);
			if (n >= size)
				return -E2BIG;
			memcpy(buf, h, n);
			buf[n] = '\0';
			return 0;
		}
		p = eol + 1;
	}
	return -ENOENT;
}

int auth_check_password(struct hostd *h, const char *user, const char *password)
{
	char path[PATH_MAX], hash[CRYPT_OUTPUT_SIZE];
	struct crypt_data *cd;
	void *text;
	size_t len;
	int ok = 0;

	if (shadow_path(h, path, sizeof(path)) < 0 ||
	    file_read_all(path, SHADOW_MAX_BYTES, &text, &len, NULL) < 0)
		return 0;
	if (find_hash(text, len, user, hash, sizeof(hash)) == 0 &&
	    hash[0] == '$') { /* "*" and "!" lock the account */
		cd = calloc(1, sizeof(*cd));
		if (cd != NULL) {
			const char *out = crypt_r(password, hash, cd);
			ok = out != NULL && out[0] != '*' &&
			     strcmp(out, hash) == 0;
			explicit_bzero(cd, sizeof(*cd));
			free(cd);
		}
	}
	free(text);
	return ok;
}

static int generate_password(char *buf, size_t size)
{
	static const char set[] = "abcdefghijkmnpqrstuvwxyz"
				  "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	unsigned char rnd[GENERATED_PASSWORD_CHARS];

	if (size <= GENERATED_PASSWORD_CHARS ||
	    getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	for (size_t i = 0; i < sizeof(rnd); i++)
		buf[i] = set[rnd[i] % (sizeof(set) - 1)];
	buf[GENERATED_PASSWORD_CHARS] = '\0';
	return 0;
}

/* old[old_len] (ended by a newline) then line, written atomically. */
static int write_shadow(const char *path, const void *old, size_t old_len,
			const char *line, struct err *e)
{
	size_t len = strlen(line);
	char *buf = malloc(old_len + 1 + len);
	size_t n = 0;
	int rc;

	if (buf == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	if (old_len > 0)
		memcpy(buf, old, old_len);
	n = old_len;
	if (n > 0 && buf[n - 1] != '\n')
		buf[n++] = '\n';
	memcpy(buf + n, line, len);
	rc = file_write_atomic(path, buf, n + len, 0600, e);
	explicit_bzero(buf, n + len);
	free(buf);
	return rc;
}

int auth_init(struct hostd *h, struct err *e)
{
	char path[PATH_MAX], hash[CRYPT_OUTPUT_SIZE], pw[64], line[512];
	const char *given = getenv("BASALT_ROOT_PASSWORD");
	struct crypt_data *cd;
	const char *salt, *out;
	void *text = NULL;
	size_t len = 0;
	int rc;

	if (shadow_path(h, path, sizeof(path)) < 0)
		return err_set(e, -ENAMETOOLONG, "config root too long");
	rc = file_read_all(path, SHADOW_MAX_BYTES, &text, &len, NULL);
	if (rc == 0 && find_hash(text, len, "root", hash, sizeof(hash)) == 0) {
		free(text);
		return 0;
	}
	if (rc < 0 && rc != -ENOENT)
		return err_set(e, rc, "%s: %s", path, strerror(-rc));
	if (rc < 0)
		len = 0;
	if (given != NULL && given[0] != '\0') {
		if (strlen(given) >= sizeof(pw)) {
			free(text);
			return err_set(e, -EINVAL,
				       "BASALT_ROOT_PASSWORD: at most %zu "
				       "characters",
				       sizeof(pw) - 1);
		}
		strcpy(pw, given);
	} else if (generate_password(pw, sizeof(pw)) < 0) {
		free(text);
		return err_set(e, -EIO, "cannot generate a root password");
	}
	cd = calloc(1, sizeof(*cd));
	if (cd == NULL) {
		free(text);
		return err_set(e, -ENOMEM, "out of memory");
	}
	salt = crypt_gensalt_rn("$y$", 0, NULL, 0, hash, sizeof(hash));
	out = salt != NULL ? crypt_r(pw, salt, cd) : NULL;
	if (out == NULL || out[0] == '*') {
		free(cd);
		free(text);
		return err_set(e, -EIO, "libcrypt cannot hash with yescrypt");
	}
	/* name:hash:lastchange:min:max:warn:inactive:expire: after the
	 * entries already there (kept as they are). */
	snprintf(line, sizeof(line), "root:%s:%ld:0:99999:7:::\n", out,
		 (long)(time(NULL) / 86400));
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	rc = write_shadow(path, text, len, line, e);
	free(text);
	if (rc == 0 && (given == NULL || given[0] == '\0'))
		printf("hostd: root password (shown once): %s\n", pw);
	fflush(stdout);
	explicit_bzero(pw, sizeof(pw));
	return rc;
}
