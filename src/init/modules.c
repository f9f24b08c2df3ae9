/*
 * modules.c: load kernel modules the way modprobe does, from the image's
 * indexes (modules.h). init uses it for coldplug, for the KVM module and
 * as the kernel's /sbin/modprobe (request_module: "fs-vfat",
 * "crypto-crc32c", "net-pf-10"), so the image needs no kmod.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/file.h"
#include "common/fnv.h"
#include "common/log.h"
#include "init/modules.h"

#define MOD_INDEX_MAX_BYTES (8u << 20)
#define MOD_NAME_MAX	    64
#define MOD_DEPTH_MAX	    16 /* dependency chains are a few deep */
#define MOD_COLDPLUG_PASSES 8
#define MODALIAS_MAX_BYTES  512
#define SYS_DEVICES	    "/sys/devices"

static int read_index(struct mod_index *mi, const char *name, char **out,
		      struct err *e)
{
	char path[512];
	size_t len;
	void *data;

	snprintf(path, sizeof(path), "%s/%s", mi->mi_dir, name);
	if (file_read_all(path, MOD_INDEX_MAX_BYTES, &data, &len, e) < 0)
		return -1;
	*out = realloc(data, len + 1);
	if (*out == NULL) {
		free(data);
		return err_set(e, -ENOMEM, "%s: out of memory", path);
	}
	(*out)[len] = '\0';
	return 0;
}

int mod_index_open(struct mod_index *mi, const char *dir, struct err *e)
{
	struct utsname u;

	memset(mi, 0, sizeof(*mi));
	if (dir == NULL) {
		uname(&u);
		snprintf(mi->mi_dir, sizeof(mi->mi_dir), "/lib/modules/%s",
			 u.release);
	} else {
		snprintf(mi->mi_dir, sizeof(mi->mi_dir), "%s", dir);
	}
	if (read_index(mi, "modules.dep", &mi->mi_dep, e) < 0 ||
	    read_index(mi, "modules.alias", &mi->mi_alias, e) < 0 ||
	    read_index(mi, "modules.softdep", &mi->mi_softdep, e) < 0 ||
	    read_index(mi, "modules.builtin", &mi->mi_builtin, e) < 0) {
		mod_index_close(mi);
		return -1;
	}
	return 0;
}

void mod_index_close(struct mod_index *mi)
{
	free(mi->mi_dep);
	free(mi->mi_alias);
	free(mi->mi_softdep);
	free(mi->mi_builtin);
	free(mi->mi_seen);
	mi->mi_dep = mi->mi_alias = mi->mi_softdep = mi->mi_builtin = NULL;
	mi->mi_seen = NULL;
	mi->mi_nseen = mi->mi_capseen = 0;
}

/* A module's name from its path or name: basename, no ".ko...", '_'
 * for '-' (the kernel's own spelling). */
static void norm_name(const char *s, size_t len, char *out, size_t size)
{
	const char *base = s;
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '/')
			base = s + i + 1;
	len -= (size_t)(base - s);
	for (size_t i = 0; i < len && n + 1 < size; i++) {
		if (base[i] == '.' && strncmp(base + i, ".ko", 3) == 0)
			break;
		out[n++] = base[i] == '-' ? '_' : base[i];
	}
	out[n] = '\0';
}

/* The line of text that starts with (or, for modules.dep, names) the
 * module called name: its start, or NULL. */
static const char *dep_line(const struct mod_index *mi, const char *name)
{
	char buf[MOD_NAME_MAX];

	for (const char *p = mi->mi_dep; p != NULL && *p != '\0';) {
		const char *colon = strchr(p, ':');
		const char *nl = strchr(p, '\n');
		if (colon == NULL)
			break;
		if (nl == NULL || colon < nl) {
			norm_name(p, (size_t)(colon - p), buf, sizeof(buf));
			if (strcmp(buf, name) == 0)
				return p;
		}
		p = nl == NULL ? NULL : nl + 1;
	}
	return NULL;
}

static int is_builtin(const struct mod_index *mi, const char *name)
{
	char buf[MOD_NAME_MAX];

	for (const char *p = mi->mi_builtin; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl == NULL ? strlen(p) : (size_t)(nl - p);
		norm_name(p, len, buf, sizeof(buf));
		if (strcmp(buf, name) == 0)
			return 1;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}

static int is_loaded(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", name);
	if (stat(path, &st) == 0)
		return 1;
	/* Built-in modules have /sys/module/NAME without initstate. */
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? 2 : 0;
}

static int probe_depth(struct mod_index *mi, const char *name, int depth,
		       struct err *e);

/* "softdep NAME pre: a b post: c": load the pre ones first. */
static void load_softdeps(struct mod_index *mi, const char *name, int depth)
{
	char line[512], *save, *tok;
	struct err e;

	for (const char *p = mi->mi_softdep; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl == NULL ? strlen(p) : (size_t)(nl - p);
		int pre = 0;
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p = nl == NULL ? p + len : nl + 1;
		tok = strtok_r(line, " \t", &save);
		if (tok == NULL || strcmp(tok, "softdep") != 0)
			continue;
		tok = strtok_r(NULL, " \t", &save);
		char n[MOD_NAME_MAX];
		if (tok == NULL)
			continue;
		norm_name(tok, strlen(tok), n, sizeof(n));
		if (strcmp(n, name) != 0)
			continue;
		while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
			if (strcmp(tok, "pre:") == 0)
				pre = 1;
			else if (strcmp(tok, "post:") == 0)
				pre = 0;
			else if (pre)
				(void)probe_depth(mi, tok, depth + 1, &e);
		}
	}
}

/* The kernel command line's "name.param=value" words for module name,
 * as "param=value ..." (the kernel leaves them to whoever loads the
 * module, as modprobe does). */
static void cmdline_params(const char *name, char *out, size_t size)
{
	char cmdline[4096];
	size_t n = strlen(name), used = 0;
	ssize_t len;
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);

	out[0] = '\0';
	if (fd < 0)
		return;
	len = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	if (len <= 0)
		return;
	cmdline[len] = '\0';
	for (char *save, *w = strtok_r(cmdline, " \t\n", &save); w != NULL;
	     w = strtok_r(NULL, " \t\n", &save)) {
		char wn[MOD_NAME_MAX];
		const char *dot = strchr(w, '.');
		if (dot == NULL || (size_t)(dot - w) != n)
			continue;
		norm_name(w, n, wn, sizeof(wn));
		if (strcmp(wn, name) != 0 || strchr(dot, '=') == NULL)
			continue;
		if (used + strlen(dot + 1) + 2 > size)
			break;
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 used ? " " : "", dot + 1);
	}
}

static int load_file(struct mod_index *mi, const char *rel, const char *name,
		     struct err *e)
{
	char path[512], params[1024];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", mi->mi_dir, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	cmdline_params(name, params, sizeof(params));
	rc = (int)syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	if (rc < 0 && errno != EEXIST)
		return err_set(e, -errno, "module %s: %s", name,
			       strerror(errno));
	if (rc == 0) {
		mi->mi_loaded++;
		log_debug("loaded module %s", name);
	}
	return 1;
}

/* Load module name (a real module) after its dependencies. */
static int load_module(struct mod_index *mi, const char *name, int depth,
		       struct err *e)
{
	const char *line = dep_line(mi, name);
	char rel[256], deps[2048];
	const char *colon, *nl;
	char *tok[64];
	size_t n = 0;

	if (line == NULL)
		return 0;
	if (is_loaded(name))
		return 1;
	load_softdeps(mi, name, depth);
	colon = strchr(line, ':');
	nl = strchr(colon, '\n');
	snprintf(rel, sizeof(rel), "%.*s", (int)(colon - line), line);
	snprintf(deps, sizeof(deps), "%.*s",
		 (int)(nl == NULL ? strlen(colon + 1)
				  : (size_t)(nl - colon - 1)),
		 colon + 1);
	for (char *save, *t = strtok_r(deps, " \t", &save); t != NULL && n < 64;
	     t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	/* modules.dep lists what a module needs deepest last: load from
	 * the end, so each one's own needs are there before it. */
	while (n-- > 0) {
		char dn[MOD_NAME_MAX];
		norm_name(tok[n], strlen(tok[n]), dn, sizeof(dn));
		if (!is_loaded(dn) && load_file(mi, tok[n], dn, e) < 0)
			return -1;
	}
	return load_file(mi, rel, name, e);
}

struct alias_ctx {
	struct mod_index *ac_mi;
	int ac_depth;
	int ac_rc;
	struct err *ac_err;
};

static void load_matched(const char *module, void *arg)
{
	struct alias_ctx *c = arg;
	struct err e;
	int rc = load_module(c->ac_mi, module, c->ac_depth, &e);

	if (rc < 0 && c->ac_rc >= 0) {
		c->ac_rc = rc;
		*c->ac_err = e;
	}
}

size_t mod_match_alias(const struct mod_index *mi, const char *alias,
		       void (*fn)(const char *module, void *arg), void *arg)
{
	char line[1024];
	size_t n = 0;

	for (const char *p = mi->mi_alias; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t len = nl == NULL ? strlen(p) : (size_t)(nl - p);
		char *save, *kw, *pat, *mod;
		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p = nl == NULL ? p + len : nl + 1;
		kw = strtok_r(line, " \t", &save);
		pat = strtok_r(NULL, " \t", &save);
		mod = strtok_r(NULL, " \t", &save);
		if (kw == NULL || pat == NULL || mod == NULL ||
		    strcmp(kw, "alias") != 0 || fnmatch(pat, alias, 0) != 0)
			continue;
		char name[MOD_NAME_MAX];
		norm_name(mod, strlen(mod), name, sizeof(name));
		fn(name, arg);
		n++;
	}
	return n;
}

static int probe_depth(struct mod_index *mi, const char *name, int depth,
		       struct err *e)
{
	char n[MOD_NAME_MAX];
	int rc;

	if (depth > MOD_DEPTH_MAX)
		return err_set(e, -ELOOP, "%s: dependencies too deep", name);
	norm_name(name, strlen(name), n, sizeof(n));
	rc = load_module(mi, n, depth, e);
	if (rc != 0)
		return rc;
	if (is_builtin(mi, n))
		return 1;
	struct alias_ctx c = {mi, depth + 1, 0, e};
	if (mod_match_alias(mi, name, load_matched, &c) == 0)
		return 0;
	return c.ac_rc < 0 ? c.ac_rc : 1;
}

int mod_probe(struct mod_index *mi, const char *name, struct err *e)
{
	err_clear(e);
	if (mi->mi_dep == NULL)
		return err_set(e, -ENOENT, "%s: no module index", name);
	return probe_depth(mi, name, 0, e);
}

/* Whether coldplug handled alias already; remembers it if not. Devices
 * with one modalias need one driver, probed once. */
static int seen_before(struct mod_index *mi, const char *alias)
{
	uint64_t h = fnv1a64(alias);

	for (size_t i = 0; i < mi->mi_nseen; i++)
		if (mi->mi_seen[i] == h)
			return 1;
	if (mi->mi_nseen == mi->mi_capseen) {
		size_t cap = mi->mi_capseen ? 2 * mi->mi_capseen : 256;
		uint64_t *n = realloc(mi->mi_seen, cap * sizeof(*n));
		if (n == NULL)
			return 0; /* probe it again rather than never */
		mi->mi_seen = n;
		mi->mi_capseen = cap;
	}
	mi->mi_seen[mi->mi_nseen++] = h;
	return 0;
}

/* Every modalias file under dir (not following links: /sys/devices is a
 * tree, the links point across it). */
static void coldplug_dir(struct mod_index *mi, int dfd, int depth)
{
	DIR *d;
	struct dirent *de;

	if (depth > 32)
		return;
	d = fdopendir(dfd);
	if (d == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (de->d_type == DT_DIR) {
			int fd = openat(dfd, de->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						O_CLOEXEC);
			if (fd >= 0)
				coldplug_dir(mi, fd, depth + 1);
		} else if (de->d_type == DT_REG &&
			   strcmp(de->d_name, "modalias") == 0) {
			char alias[MODALIAS_MAX_BYTES];
			struct err e;
			int fd = openat(dfd, "modalias", O_RDONLY | O_CLOEXEC);
			ssize_t n = fd < 0 ? -1
					   : read(fd, alias, sizeof(alias) - 1);
			if (fd >= 0)
				close(fd);
			if (n <= 0)
				continue;
			alias[n] = '\0';
			alias[strcspn(alias, "\n")] = '\0';
			if (seen_before(mi, alias))
				continue;
			if (mod_probe(mi, alias, &e) < 0)
				log_warnx("driver for %s: %s", alias,
					  err_msg(&e));
		}
	}
	closedir(d);
}

unsigned mod_coldplug(struct mod_index *mi)
{
	unsigned before = mi->mi_loaded;

	for (int pass = 0; pass < MOD_COLDPLUG_PASSES; pass++) {
		unsigned start = mi->mi_loaded;
		int fd = open(SYS_DEVICES, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			break;
		coldplug_dir(mi, fd, 0);
		if (mi->mi_loaded == start)
			break;
	}
	return mi->mi_loaded - before;
}

/*
 * What the kernel runs: "modprobe -q -- NAME". Quiet by design (the
 * kernel asks for aliases that may not exist); status 1 if none loaded.
 */
int mod_modprobe_main(int argc, char **argv)
{
	struct mod_index mi;
	struct err e;
	int rc = 1, quiet = 0;

	log_procinit("modprobe");
	if (mod_index_open(&mi, NULL, &e) < 0) {
		fprintf(stderr, "modprobe: %s\n", err_msg(&e));
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0) {
			quiet = 1;
			continue;
		}
		if (argv[i][0] == '-' && strcmp(argv[i], "--") != 0)
			continue;
		if (strcmp(argv[i], "--") == 0)
			continue;
		int r = mod_probe(&mi, argv[i], &e);
		if (r > 0)
			rc = 0;
		else if (!quiet)
			fprintf(stderr, "modprobe: %s: %s\n", argv[i],
				r < 0 ? err_msg(&e) : "no such module");
	}
	mod_index_close(&mi);
	return rc;
}
