/*
 * main.c: basalt-update, the host's software update (issue 8). An update
 * bundle (bundle.h) is verified whole against the release key in the
 * image, written into the boot bank that is not running, and marked in
 * GRUB's environment to boot next with one try: the new system marks
 * itself healthy once its agents run (init), else GRUB boots the
 * previous bank again (docs/formats/update.md). Also makes keys and
 * bundles for the image build.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/grubenv.h"
#include "common/le.h"
#include "common/log.h"
#include "update/bundle.h"

#define KEY_PATH    "/usr/share/basalt/update-key.pem"
#define STATUS_PATH "/var/run/basalt/boot.status"
#define GRUBENV	    "/bootpart/grub/grubenv"
#define PEM_MAX	    8192

static const char usage[] =
	"usage: basalt-update apply [--root DIR] [--key PUB] BUNDLE\n"
	"       basalt-update verify [--root DIR] [--key PUB] BUNDLE\n"
	"       basalt-update status [--root DIR]\n"
	"       basalt-update pack --key PRIV --dir DIR [--version V] --out "
	"BUNDLE\n"
	"       basalt-update keygen PRIV PUB\n"
	"apply: verify BUNDLE (signature, every file's SHA-256), write it into\n"
	"the boot bank that is not running and boot it next, once; it stays\n"
	"if it comes up healthy, else the host boots this bank again.\n"
	"The release key is DIR" KEY_PATH " unless --key.\n"
	"Exit status: 0 done, 1 an error, 2 a bad command line, 3 the bundle\n"
	"is refused (nothing written).\n";

static const char *root = "";

static void at_root(char *out, size_t size, const char *path)
{
	snprintf(out, size, "%s%s", root, path);
}

static int read_file(const char *path, size_t max, void **data, size_t *len)
{
	struct err e;

	if (file_read_all(path, max, data, len, &e) < 0) {
		fprintf(stderr, "basalt-update: %s\n", err_msg(&e));
		return -1;
	}
	return 0;
}

/* Read and check a bundle: 0, 1 on an error, 3 refused. */
static int load_bundle(const char *path, const char *key, uint8_t **buf,
		       size_t *len, struct update_info *ui)
{
	char keypath[4096];
	void *pem, *data;
	size_t pem_len;
	struct err e;
	int rc;

	if (key == NULL) {
		at_root(keypath, sizeof(keypath), KEY_PATH);
		key = keypath;
	}
	if (read_file(key, PEM_MAX, &pem, &pem_len) < 0)
		return 1;
	if (read_file(path, UPDATE_MAX_BYTES, &data, len) < 0) {
		free(pem);
		return 1;
	}
	rc = update_verify_signature(data, *len, pem, pem_len, &e);
	free(pem);
	if (rc == 0)
		rc = update_parse(data, *len, ui, &e);
	if (rc < 0) {
		free(data);
		fprintf(stderr, "basalt-update: %s: refused: %s\n", path,
			err_msg(&e));
		return 3;
	}
	*buf = data;
	return 0;
}

static int running_bank(void)
{
	char path[4096], line[64];
	int bank = 0;

	at_root(path, sizeof(path), STATUS_PATH);
	file_read_line(path, line, sizeof(line));
	if (sscanf(line, "bank=%d", &bank) != 1 || (bank != 1 && bank != 2))
		return 0;
	return bank;
}

/* Remove the bank's files the new set does not have (the state slot and
 * lost+found stay). */
static void remove_stale(const char *dir, const struct update_info *ui)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	while (d != NULL && (de = readdir(d)) != NULL) {
		int keep = de->d_name[0] == '.' ||
			   strcmp(de->d_name, "state") == 0 ||
			   strcmp(de->d_name, "lost+found") == 0;
		for (int i = 0; !keep && i < ui->ui_nfiles; i++)
			keep = strcmp(de->d_name, ui->ui_files[i].uf_name) == 0;
		if (!keep && (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
					      de->d_name) < sizeof(path))
			unlink(path);
	}
	if (d != NULL)
		closedir(d);
}

static int apply(const char *path, const char *key)
{
	struct update_info ui;
	struct grubenv env;
	char bankdir[4096], envpath[4096], file[4200], alt[16];
	uint8_t *buf;
	size_t len;
	struct err e;
	int rc, bank = running_bank(), other;

	if ((rc = load_bundle(path, key, &buf, &len, &ui)) != 0)
		return rc;
	if (bank == 0) {
		free(buf);
		fprintf(stderr,
			"basalt-update: no boot bank is running (%s%s): "
			"not the appliance\n",
			root, STATUS_PATH);
		return 1;
	}
	other = 3 - bank;
	snprintf(alt, sizeof(alt), "%d", other);
	at_root(bankdir, sizeof(bankdir), "/altbootbank");
	at_root(envpath, sizeof(envpath), GRUBENV);
	if (grubenv_load(&env, envpath, &e) < 0) {
		free(buf);
		fprintf(stderr, "basalt-update: %s\n", err_msg(&e));
		return 1;
	}
	/* The running system on trial is not yet known good: the other
	 * bank holds the one to fall back to. */
	{
		char mine[16];
		snprintf(mine, sizeof(mine), "%d", bank);
		if (strcmp(grubenv_get(&env, "try_bank"), mine) == 0) {
			free(buf);
			fprintf(stderr,
				"basalt-update: boot bank %d runs an update "
				"on trial: wait until it is healthy (or "
				"reboot into boot bank %d) before another\n",
				bank, other);
			return 1;
		}
	}
	/* A bank being written is never tried. */
	if (strcmp(grubenv_get(&env, "try_bank"), alt) == 0) {
		(void)grubenv_set(&env, "try_bank", NULL);
		(void)grubenv_set(&env, "try_left", NULL);
		if (grubenv_store(&env, envpath, &e) < 0)
			goto fail;
	}
	printf("writing Basalt %s (build %s) into boot bank %d\n",
	       ui.ui_version, ui.ui_build, other);
	remove_stale(bankdir, &ui);
	snprintf(file, sizeof(file), "%s/manifest", bankdir);
	unlink(file);
	for (int i = 0; i < ui.ui_nfiles; i++) {
		const struct update_file *f = &ui.ui_files[i];
		snprintf(file, sizeof(file), "%s/%s", bankdir, f->uf_name);
		if (file_write_atomic(file, f->uf_data, f->uf_size, 0644, &e) <
		    0)
			goto fail;
	}
	/* The manifest last: a bank without one is incomplete. */
	snprintf(file, sizeof(file), "%s/manifest", bankdir);
	if (file_write_atomic(file, ui.ui_manifest, ui.ui_manifest_len, 0644,
			      &e) < 0)
		goto fail;
	sync();
	if (grubenv_set(&env, "try_bank", alt) < 0 ||
	    grubenv_set(&env, "try_left", "1") < 0 ||
	    grubenv_set(&env, "try_version", ui.ui_version) < 0 ||
	    grubenv_set(&env, "fallback_from", NULL) < 0) {
		err_set(&e, -ENOSPC, "%s: no room", envpath);
		goto fail;
	}
	if (grubenv_store(&env, envpath, &e) < 0)
		goto fail;
	free(buf);
	printf("boot bank %d holds Basalt %s and boots next, once: it stays "
	       "if it comes up healthy, else bank %d boots again\n",
	       other, ui.ui_version, bank);
	return 0;
fail:
	free(buf);
	fprintf(stderr, "basalt-update: %s\n", err_msg(&e));
	return 1;
}

static void bank_version(const char *dir, char *out, size_t size)
{
	char path[4096];
	struct update_info ui;
	void *data;
	size_t len;
	struct err e;

	snprintf(out, size, "(none)");
	snprintf(path, sizeof(path), "%s/manifest", dir);
	if (file_read_all(path, UPDATE_MANIFEST_MAX, &data, &len, &e) < 0)
		return;
	if (update_manifest_parse(data, len, &ui, &e) == 0)
		snprintf(out, size, "%s (build %s)", ui.ui_version,
			 ui.ui_build);
	else
		snprintf(out, size, "(a damaged manifest)");
	free(data);
}

static int status(void)
{
	char path[4096], v[160];
	struct grubenv env;
	struct err e;
	int bank = running_bank();

	if (bank == 0) {
		fprintf(stderr, "basalt-update: no boot bank is running\n");
		return 1;
	}
	at_root(path, sizeof(path), "/bootbank");
	bank_version(path, v, sizeof(v));
	printf("running: boot bank %d, Basalt %s\n", bank, v);
	at_root(path, sizeof(path), "/altbootbank");
	bank_version(path, v, sizeof(v));
	printf("other:   boot bank %d, Basalt %s\n", 3 - bank, v);
	at_root(path, sizeof(path), GRUBENV);
	if (grubenv_load(&env, path, &e) < 0) {
		printf("grubenv: %s\n", err_msg(&e));
		return 1;
	}
	printf("default: boot bank %s\n", grubenv_get(&env, "bank"));
	{
		char st[4096], line[300];
		const char *f;
		at_root(st, sizeof(st), STATUS_PATH);
		void *data;
		size_t len;
		if (file_read_all(st, 4096, &data, &len, &e) == 0) {
			snprintf(line, sizeof(line), "%.*s", (int)len,
				 (const char *)data);
			free(data);
			if ((f = strstr(line, "fallback=")) != NULL)
				printf("this boot: %.*s\n",
				       (int)strcspn(f + 9, "\n"), f + 9);
		}
	}
	if (grubenv_get(&env, "try_bank")[0] != '\0')
		printf("next:    boot bank %s (Basalt %s), tries left %s\n",
		       grubenv_get(&env, "try_bank"),
		       grubenv_get(&env, "try_version"),
		       grubenv_get(&env, "try_left"));
	return 0;
}

static int pack(const char *key, const char *dir, const char *version,
		const char *out)
{
	char path[4096], *manifest = NULL, line[256];
	struct update_info ui;
	size_t mlen = 0, total;
	void *pem, *text;
	size_t pem_len, tlen;
	uint8_t *buf;
	struct err e;
	int rc = 1;

	snprintf(path, sizeof(path), "%s/manifest", dir);
	if (read_file(key, PEM_MAX, &pem, &pem_len) < 0)
		return 1;
	if (read_file(path, UPDATE_MANIFEST_MAX, &text, &tlen) < 0) {
		free(pem);
		return 1;
	}
	/* The manifest, with another version if asked. */
	manifest = malloc(tlen + 256);
	for (size_t at = 0; manifest != NULL && at < tlen;) {
		const char *l = (const char *)text + at;
		const char *nl = memchr(l, '\n', tlen - at);
		size_t n = nl ? (size_t)(nl - l) : tlen - at;
		if (version != NULL && n >= 8 &&
		    memcmp(l, "version=", 8) == 0) {
			int w = snprintf(line, sizeof(line), "version=%s",
					 version);
			memcpy(manifest + mlen, line, (size_t)w);
			mlen += (size_t)w;
		} else {
			memcpy(manifest + mlen, l, n);
			mlen += n;
		}
		manifest[mlen++] = '\n';
		at += n + 1;
	}
	free(text);
	if (manifest == NULL ||
	    update_manifest_parse(manifest, mlen, &ui, &e) < 0) {
		fprintf(stderr, "basalt-update: %s: %s\n", path,
			manifest ? err_msg(&e) : "out of memory");
		goto out;
	}
	total = 12 + mlen + UPDATE_SIG_BYTES;
	for (int i = 0; i < ui.ui_nfiles; i++)
		total += ui.ui_files[i].uf_size;
	if (total > UPDATE_MAX_BYTES || (buf = malloc(total)) == NULL) {
		fprintf(stderr, "basalt-update: a bundle of %zu bytes\n",
			total);
		goto out;
	}
	memcpy(buf, UPDATE_MAGIC, 8);
	le32_put(buf + 8, (uint32_t)mlen);
	memcpy(buf + 12, manifest, mlen);
	size_t at = 12 + mlen;
	for (int i = 0; i < ui.ui_nfiles; i++) {
		void *data;
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", dir,
			 ui.ui_files[i].uf_name);
		if (read_file(path, UPDATE_MAX_BYTES, &data, &len) < 0) {
			free(buf);
			goto out;
		}
		if (len != ui.ui_files[i].uf_size) {
			fprintf(stderr,
				"basalt-update: %s: %zu bytes, the "
				"manifest says %llu\n",
				path, len,
				(unsigned long long)ui.ui_files[i].uf_size);
			free(data);
			free(buf);
			goto out;
		}
		memcpy(buf + at, data, len);
		at += len;
		free(data);
	}
	if (update_sign(buf, at, pem, pem_len, &e) < 0 ||
	    update_parse(buf, total, &ui, &e) < 0 ||
	    file_write_atomic(out, buf, total, 0644, &e) < 0) {
		fprintf(stderr, "basalt-update: %s\n", err_msg(&e));
		free(buf);
		goto out;
	}
	free(buf);
	printf("%s: Basalt %s, %d files, %zu bytes, signed\n", out,
	       ui.ui_version, ui.ui_nfiles, total);
	rc = 0;
out:
	free(manifest);
	free(pem);
	return rc;
}

static int keygen(const char *priv, const char *pub)
{
	char *a, *b;
	struct err e;
	int rc;

	if (update_keygen(&a, &b, &e) < 0) {
		fprintf(stderr, "basalt-update: %s\n", err_msg(&e));
		return 1;
	}
	rc = file_write_atomic(priv, a, strlen(a), 0600, &e) < 0 ||
	     file_write_atomic(pub, b, strlen(b), 0644, &e) < 0;
	if (rc)
		fprintf(stderr, "basalt-update: %s\n", err_msg(&e));
	explicit_bzero(a, strlen(a));
	free(a);
	free(b);
	return rc;
}

int main(int argc, char **argv)
{
	const char *key = NULL, *dir = NULL, *out = NULL, *version = NULL;
	const char *args[3] = {NULL, NULL, NULL};
	int nargs = 0;

	log_procinit("basalt-update");
	if (argc < 2) {
		fputs(usage, stderr);
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (a[0] == '-' && a[1] == '-' && i + 1 < argc) {
			const char *v = argv[++i];
			if (strcmp(a, "--root") == 0)
				root = strcmp(v, "/") == 0 ? "" : v;
			else if (strcmp(a, "--key") == 0)
				key = v;
			else if (strcmp(a, "--dir") == 0)
				dir = v;
			else if (strcmp(a, "--out") == 0)
				out = v;
			else if (strcmp(a, "--version") == 0)
				version = v;
			else
				goto bad;
		} else if (a[0] != '-' && nargs < 2) {
			args[nargs++] = a;
		} else {
			goto bad;
		}
	}
	if (strcmp(argv[1], "apply") == 0 && nargs == 1)
		return apply(args[0], key);
	if (strcmp(argv[1], "verify") == 0 && nargs == 1) {
		struct update_info ui;
		uint8_t *buf;
		size_t len;
		int rc = load_bundle(args[0], key, &buf, &len, &ui);
		if (rc == 0) {
			printf("%s: Basalt %s (build %s, kernel %s), %d files, "
			       "signature and checksums good\n",
			       args[0], ui.ui_version, ui.ui_build,
			       ui.ui_kernel, ui.ui_nfiles);
			free(buf);
		}
		return rc;
	}
	if (strcmp(argv[1], "status") == 0 && nargs == 0)
		return status();
	if (strcmp(argv[1], "pack") == 0 && nargs == 0 && key && dir && out)
		return pack(key, dir, version, out);
	if (strcmp(argv[1], "keygen") == 0 && nargs == 2)
		return keygen(args[0], args[1]);
bad:
	fputs(usage, stderr);
	return 2;
}
