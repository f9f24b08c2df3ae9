/*
 * state_archive.c: the state archive and its slot (state_archive.h).
 * An archive read from disk is untrusted (a torn write, a bad sector, a
 * hostile disk): every length is checked against what is left, every
 * path against escaping its folder, and the SHA-256 before anything is
 * used (fuzz target state_archive_fuzz.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/le.h"
#include "stated/state_archive.h"

#define MAGIC	       "BSTATE2\n"
#define MAGIC_BYTES    8
#define HEAD_BYTES     (MAGIC_BYTES + 8 + 4 + 1) /* then the version */
#define SHA256_BYTES   32
#define FILE_MAX_BYTES STATE_ARCHIVE_MAX_BYTES
#define DEPTH_MAX      8

struct builder {
	uint8_t *b_buf;
	size_t b_len, b_cap;
	uint32_t b_count;
};

static int put(struct builder *b, const void *p, size_t n, struct err *e)
{
	if (b->b_len + n + SHA256_BYTES > STATE_ARCHIVE_MAX_BYTES)
		return err_set(e, -EFBIG, "the state is over %u bytes",
			       STATE_ARCHIVE_MAX_BYTES);
	if (b->b_len + n > b->b_cap) {
		size_t cap = b->b_cap ? b->b_cap : 4096;
		while (cap < b->b_len + n)
			cap *= 2;
		uint8_t *nb = realloc(b->b_buf, cap);
		if (nb == NULL)
			return err_set(e, -ENOMEM, "out of memory");
		b->b_buf = nb;
		b->b_cap = cap;
	}
	memcpy(b->b_buf + b->b_len, p, n);
	b->b_len += n;
	return 0;
}

/* Temporaries and locks of the files' writers are not state. */
static int skipped_name(const char *n)
{
	size_t len = strlen(n);

	return n[0] == '.' || (len > 4 && strcmp(n + len - 4, ".new") == 0) ||
	       (len > 4 && strcmp(n + len - 4, ".tmp") == 0);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Add the files under root/rel (rel "" for root itself), sorted. */
static int add_dir(struct builder *b, const char *root, const char *rel,
		   int depth, struct err *e)
{
	char dir[PATH_MAX];
	struct dirent **names;
	int n, rc = 0;

	if (depth > DEPTH_MAX)
		return err_set(e, -ELOOP, "%s/%s: too deep", root, rel);
	snprintf(dir, sizeof(dir), "%s%s%s", root, rel[0] ? "/" : "", rel);
	n = scandir(dir, &names, NULL, by_name);
	if (n < 0)
		return err_set(e, -errno, "%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char child[STATE_PATH_MAX + 1], path[PATH_MAX];
		struct stat st;
		const char *name = names[i]->d_name;
		if (rc < 0 || skipped_name(name))
			continue;
		if ((size_t)snprintf(child, sizeof(child), "%s%s%s", rel,
				     rel[0] ? "/" : "",
				     name) >= sizeof(child)) {
			rc = err_set(e, -ENAMETOOLONG, "%s/%s: name too long",
				     dir, name);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", root, child);
		if (lstat(path, &st) < 0) {
			rc = err_set(e, -errno, "%s: %s", path,
				     strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = add_dir(b, root, child, depth + 1, e);
		} else if (S_ISREG(st.st_mode)) {
			uint8_t h[10];
			void *data = NULL;
			size_t size = 0;
			if (b->b_count == STATE_ENTRIES_MAX) {
				rc = err_set(e, -EFBIG, "more than %d files",
					     STATE_ENTRIES_MAX);
				continue;
			}
			if (file_read_all(path, FILE_MAX_BYTES, &data, &size,
					  e) < 0) {
				rc = -EIO;
				continue;
			}
			le16_put(h, (uint16_t)strlen(child));
			if ((rc = put(b, h, 2, e)) == 0 &&
			    (rc = put(b, child, strlen(child), e)) == 0) {
				le32_put(h, st.st_mode & 07777);
				le32_put(h + 4, (uint32_t)size);
				if ((rc = put(b, h, 8, e)) == 0)
					rc = put(b, data, size, e);
			}
			free(data);
			b->b_count++;
		}
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static void sha256(const void *p, size_t n, uint8_t out[SHA256_BYTES])
{
	gnutls_hash_fast(GNUTLS_DIG_SHA256, p, n, out);
}

int state_archive_build(const char *dir, uint64_t gen, uint8_t **out,
			size_t *len, struct err *e)
{
	struct builder b = {0};
	uint8_t head[HEAD_BYTES - MAGIC_BYTES], sum[SHA256_BYTES];
	const char *version = BASALT_VERSION;

	_Static_assert(sizeof(BASALT_VERSION) - 1 <= STATE_VERSION_MAX,
		       "the version fits the archive's field");
	le64_put(head, gen);
	le32_put(head + 8, 0);
	head[12] = (uint8_t)strlen(version);
	if (put(&b, MAGIC, MAGIC_BYTES, e) < 0 ||
	    put(&b, head, sizeof(head), e) < 0 ||
	    put(&b, version, strlen(version), e) < 0 ||
	    (dir != NULL && add_dir(&b, dir, "", 0, e) < 0)) {
		free(b.b_buf);
		return -1;
	}
	le32_put(b.b_buf + MAGIC_BYTES + 8, b.b_count);
	sha256(b.b_buf, b.b_len, sum);
	if (b.b_len + SHA256_BYTES > b.b_cap) {
		uint8_t *nb = realloc(b.b_buf, b.b_len + SHA256_BYTES);
		if (nb == NULL) {
			free(b.b_buf);
			return err_set(e, -ENOMEM, "out of memory");
		}
		b.b_buf = nb;
	}
	memcpy(b.b_buf + b.b_len, sum, SHA256_BYTES);
	*out = b.b_buf;
	*len = b.b_len + SHA256_BYTES;
	return 0;
}

/* A relative path that stays inside its folder: components neither
 * empty, "." nor "..", printable characters only. */
static int path_ok(const char *p, size_t n)
{
	size_t comp = 0;

	if (n == 0 || n > STATE_PATH_MAX || p[0] == '/')
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || p[i] == '/') {
			const char *c = p + i - comp;
			if (comp == 0 || (comp == 1 && c[0] == '.') ||
			    (comp == 2 && c[0] == '.' && c[1] == '.'))
				return 0;
			comp = 0;
			continue;
		}
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		comp++;
	}
	return 1;
}

/* state_archive_parse; verify 0 skips the SHA-256 for a second walk
 * over an archive already checked. */
static int walk(const uint8_t *buf, size_t len, int verify,
		struct state_info *info,
		int (*fn)(const struct state_entry *se, void *arg), void *arg,
		struct err *e)
{
	uint8_t sum[SHA256_BYTES];
	char path[STATE_PATH_MAX + 1];
	size_t at, end, vlen;
	uint32_t count;

	if (len < HEAD_BYTES + SHA256_BYTES || len > STATE_ARCHIVE_MAX_BYTES)
		return err_set(e, -EINVAL, "not a state archive (%zu bytes)",
			       len);
	if (memcmp(buf, MAGIC, MAGIC_BYTES) != 0)
		return err_set(e, -EINVAL, "not a state archive (magic)");
	end = len - SHA256_BYTES;
	if (verify)
		sha256(buf, end, sum);
	if (verify && memcmp(sum, buf + end, SHA256_BYTES) != 0)
		return err_set(e, -EBADMSG,
			       "the state archive's SHA-256 is "
			       "wrong (torn or damaged)");
	info->si_gen = le64_get(buf + MAGIC_BYTES);
	count = le32_get(buf + MAGIC_BYTES + 8);
	if (count > STATE_ENTRIES_MAX)
		return err_set(e, -EINVAL, "%u entries", count);
	info->si_count = count;
	vlen = buf[HEAD_BYTES - 1];
	if (vlen == 0 || vlen > STATE_VERSION_MAX || end - HEAD_BYTES < vlen)
		return err_set(e, -EINVAL, "a bad version field");
	for (size_t i = 0; i < vlen; i++)
		if (buf[HEAD_BYTES + i] <= 0x20 || buf[HEAD_BYTES + i] >= 0x7f)
			return err_set(e, -EINVAL, "a bad version field");
	memcpy(info->si_version, buf + HEAD_BYTES, vlen);
	info->si_version[vlen] = '\0';
	at = HEAD_BYTES + vlen;
	if (verify)
		sha256(buf + at, end - at, info->si_content);
	for (uint32_t i = 0; i < count; i++) {
		struct state_entry se;
		size_t plen, size;
		if (end - at < 2)
			return err_set(e, -EINVAL, "entry %u: cut short", i);
		plen = le16_get(buf + at);
		at += 2;
		if (end - at < plen + 8 ||
		    !path_ok((const char *)buf + at, plen))
			return err_set(e, -EINVAL, "entry %u: a bad path", i);
		memcpy(path, buf + at, plen);
		path[plen] = '\0';
		at += plen;
		se.se_mode = le32_get(buf + at) & 0777;
		size = le32_get(buf + at + 4);
		at += 8;
		if (end - at < size)
			return err_set(e, -EINVAL, "entry %u: cut short", i);
		se.se_path = path;
		se.se_data = buf + at;
		se.se_size = size;
		at += size;
		if (fn != NULL) {
			int rc = fn(&se, arg);
			if (rc < 0)
				return rc;
		}
	}
	if (at != end)
		return err_set(e, -EINVAL, "%zu bytes after the last entry",
			       end - at);
	return 0;
}

int state_archive_parse(const uint8_t *buf, size_t len, struct state_info *info,
			int (*fn)(const struct state_entry *se, void *arg),
			void *arg, struct err *e)
{
	return walk(buf, len, 1, info, fn, arg, e);
}

struct extract {
	const char *x_dir;
	struct err *x_err;
};

static int extract_one(const struct state_entry *se, void *arg)
{
	struct extract *x = arg;
	char path[PATH_MAX], *slash;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", x->x_dir,
			     se->se_path) >= sizeof(path))
		return err_set(x->x_err, -ENAMETOOLONG, "%s: too long",
			       se->se_path);
	slash = strrchr(path, '/');
	*slash = '\0';
	int rc = file_mkdirs(path);
	*slash = '/';
	if (rc < 0)
		return err_set(x->x_err, rc, "%s: %s", path, strerror(-rc));
	return file_write_atomic(path, se->se_data, se->se_size, se->se_mode,
				 x->x_err);
}

/* Write an archive already checked whole. */
static int extract_checked(const uint8_t *buf, size_t len, const char *dir,
			   struct err *e)
{
	struct extract x = {dir, e};
	struct state_info info;

	return walk(buf, len, 0, &info, extract_one, &x, e);
}

int state_archive_extract(const uint8_t *buf, size_t len, const char *dir,
			  struct err *e)
{
	struct state_info info;
	int rc;

	/* Whole and sound first: nothing is written from a broken one. */
	if ((rc = state_archive_parse(buf, len, &info, NULL, NULL, e)) < 0)
		return rc;
	return extract_checked(buf, len, dir, e);
}

/* The generations in slot, newest first (at most max). */
static size_t generations(const char *slot, uint64_t *out, size_t max)
{
	DIR *d = opendir(slot);
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		unsigned long long g;
		char tail[8];
		if (sscanf(de->d_name, "state-%llu%7s", &g, tail) == 2 &&
		    strcmp(tail, ".bst") == 0)
			out[n++] = g;
	}
	closedir(d);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && out[j] > out[j - 1]; j--) {
			uint64_t t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	return n;
}

#define GENERATIONS_MAX 64

int state_slot_save(const char *slot, const uint8_t *buf, size_t len,
		    uint64_t gen, struct err *e)
{
	char path[PATH_MAX];
	uint64_t gens[GENERATIONS_MAX];
	size_t n;
	int rc;

	if ((rc = file_mkdirs(slot)) < 0)
		return err_set(e, rc, "%s: %s", slot, strerror(-rc));
	snprintf(path, sizeof(path), "%s/state-%llu.bst", slot,
		 (unsigned long long)gen);
	if ((rc = file_write_atomic(path, buf, len, 0600, e)) < 0)
		return rc;
	/* Keep this one and the one before it. */
	n = generations(slot, gens, GENERATIONS_MAX);
	for (size_t i = 2; i < n; i++) {
		snprintf(path, sizeof(path), "%s/state-%llu.bst", slot,
			 (unsigned long long)gens[i]);
		unlink(path);
	}
	return 0;
}

uint64_t state_slot_next(const char *slot)
{
	uint64_t gens[GENERATIONS_MAX];

	return generations(slot, gens, GENERATIONS_MAX) > 0 ? gens[0] + 1 : 1;
}

/* The newest generation in slot that checks out (its file name
 * matching its generation): 1 with it in *data (malloc'd), 0 if none;
 * *skipped counts the newer broken ones. */
static int load_newest(const char *slot, void **data, size_t *len,
		       struct state_info *info, unsigned *skipped)
{
	uint64_t gens[GENERATIONS_MAX];
	size_t n = generations(slot, gens, GENERATIONS_MAX);
	struct err e;

	*skipped = 0;
	*data = NULL;
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/state-%llu.bst", slot,
			 (unsigned long long)gens[i]);
		if (file_read_all(path, STATE_ARCHIVE_MAX_BYTES, data, len,
				  &e) == 0 &&
		    state_archive_parse(*data, *len, info, NULL, NULL, &e) ==
			    0 &&
		    info->si_gen == gens[i])
			return 1;
		free(*data);
		*data = NULL;
		(*skipped)++;
	}
	return 0;
}

int state_slot_newest(const char *slot, struct state_info *info,
		      unsigned *skipped)
{
	void *data;
	size_t len;
	int rc = load_newest(slot, &data, &len, info, skipped);

	free(data);
	return rc;
}

int state_slot_restore(const char *slot, const char *dir,
		       struct state_info *info, unsigned *skipped,
		       struct err *e)
{
	void *data;
	size_t len;
	int rc;

	if (load_newest(slot, &data, &len, info, skipped) == 0)
		return 0;
	rc = extract_checked(data, len, dir, e);
	free(data);
	return rc < 0 ? rc : 1;
}

/* Give a sound archive another generation: the field and the checksum. */
static void set_generation(uint8_t *buf, size_t len, uint64_t gen)
{
	le64_put(buf + MAGIC_BYTES, gen);
	sha256(buf, len - SHA256_BYTES, buf + len - SHA256_BYTES);
}

int state_slot_set_pending(const char *slot, const uint8_t *buf, size_t len,
			   struct err *e)
{
	struct state_info info;
	char path[PATH_MAX];
	int rc;

	if ((rc = state_archive_parse(buf, len, &info, NULL, NULL, e)) < 0)
		return rc;
	if ((rc = file_mkdirs(slot)) < 0)
		return err_set(e, rc, "%s: %s", slot, strerror(-rc));
	snprintf(path, sizeof(path), "%s/%s", slot, STATE_PENDING_NAME);
	return file_write_atomic(path, buf, len, 0600, e);
}

int state_slot_pending(const char *slot)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", slot, STATE_PENDING_NAME);
	return access(path, F_OK) == 0;
}

int state_slot_apply_pending(const char *slot, uint64_t gen,
			     struct state_info *info, struct err *e)
{
	char path[PATH_MAX];
	void *data = NULL;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", slot, STATE_PENDING_NAME);
	if (access(path, F_OK) != 0)
		return 0;
	if ((rc = file_read_all(path, STATE_ARCHIVE_MAX_BYTES, &data, &len,
				e)) == 0 &&
	    (rc = state_archive_parse(data, len, info, NULL, NULL, e)) == 0) {
		set_generation(data, len, gen);
		info->si_gen = gen;
		rc = state_slot_save(slot, data, len, gen, e);
	}
	free(data);
	/* Applied, or never will be (damaged): it goes. A failed write
	 * leaves it for the next boot. */
	if (rc == 0 || rc == -EINVAL || rc == -EBADMSG || rc == -EFBIG)
		unlink(path);
	return rc < 0 ? rc : 1;
}
