/*
 * firmware.c: backup, restore and reset of the host's configuration
 * (firmware.h). The restore does not touch the running host's files: the
 * bundle waits in the boot bank's slot and stated applies it at the next
 * boot, so a host never runs on half of one configuration and half of
 * another.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "hostd/firmware.h"
#include "hostd/hostd.h"

#define TOKEN_BYTES 16

static void downloads_dir(const struct hostd *h, char *path, size_t size)
{
	snprintf(path, size, "%.*s/downloads", (int)(size - 16), h->hd_rundir);
}

static void slot_dir(const struct hostd *h, char *path, size_t size)
{
	snprintf(path, size, "%.*s/bootbank/state", (int)(size - 16),
		 h->hd_root);
}

static int token_ok(const char *t, size_t n)
{
	if (n != TOKEN_BYTES * 2)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((t[i] >= '0' && t[i] <= '9') ||
		      (t[i] >= 'a' && t[i] <= 'f')))
			return 0;
	return 1;
}

static void remove_download(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[PATH_MAX];

	while (d != NULL && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     de->d_name) < sizeof(path))
			unlink(path);
	if (d != NULL)
		closedir(d);
	rmdir(dir);
}

/* Backups older than their time go (each is a copy of the host's
 * secrets: the shadow file, the TLS key). */
static void prune(const struct hostd *h)
{
	char dir[PATH_MAX], sub[PATH_MAX];
	DIR *d;
	struct dirent *de;
	struct stat st;
	time_t now = time(NULL);

	downloads_dir(h, dir, sizeof(dir));
	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
				     de->d_name) >= sizeof(sub))
			continue;
		if (lstat(sub, &st) == 0 &&
		    now - st.st_mtime > FIRMWARE_DOWNLOAD_TTL_S)
			remove_download(sub);
	}
	closedir(d);
}

int firmware_backup(struct hostd *h, char *url, size_t size, struct err *e)
{
	unsigned char rnd[TOKEN_BYTES];
	char token[TOKEN_BYTES * 2 + 1], dir[PATH_MAX], path[PATH_MAX + 600];
	uint8_t *buf;
	size_t len;
	int rc;

	prune(h);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return err_set(e, -EIO, "no random bytes");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(token + 2 * i, 3, "%02x", rnd[i]);
	if ((rc = state_archive_build(h->hd_confdir, 0, &buf, &len, e)) < 0)
		return rc;
	downloads_dir(h, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, token);
	if ((rc = file_mkdirs(path)) < 0) {
		free(buf);
		return err_set(e, rc, "%s: %s", path, strerror(-rc));
	}
	(void)chmod(dir, 0700);
	snprintf(path, sizeof(path), "%s/%s/configBundle-%s.tgz", dir, token,
		 h->hd_hostname);
	rc = file_write_atomic(path, buf, len, 0600, e);
	free(buf);
	if (rc < 0)
		return rc;
	snprintf(url, size, "/downloads/%s/configBundle-%s.tgz", token,
		 h->hd_hostname);
	log_info("firmware: a configuration backup (%zu bytes) at %s for "
		 "%d s",
		 len, url, FIRMWARE_DOWNLOAD_TTL_S);
	return 0;
}

int firmware_download_path(struct hostd *h, const char *rel, char *path,
			   size_t size)
{
	const char *slash = strchr(rel, '/');
	char dir[PATH_MAX];
	struct stat st;

	prune(h);
	if (slash == NULL || !token_ok(rel, (size_t)(slash - rel)) ||
	    strchr(slash + 1, '/') != NULL || slash[1] == '\0' ||
	    slash[1] == '.')
		return -ENOENT;
	downloads_dir(h, dir, sizeof(dir));
	if ((size_t)snprintf(path, size, "%s/%s", dir, rel) >= size ||
	    lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return -ENOENT;
	return 0;
}

void firmware_upload_path(const struct hostd *h, char *path, size_t size)
{
	snprintf(path, size, "%.*s/upload/configBundle.tgz", (int)(size - 32),
		 h->hd_rundir);
}

#define TREE_DEPTH_MAX 8

/* rm -r, bounded. */
static void remove_tree(const char *path, int depth)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return;
	if (S_ISDIR(st.st_mode) && depth < TREE_DEPTH_MAX) {
		DIR *d = opendir(path);
		struct dirent *de;
		char sub[PATH_MAX];
		while (d != NULL && (de = readdir(d)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0 &&
			    (size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
					     de->d_name) < sizeof(sub))
				remove_tree(sub, depth + 1);
		if (d != NULL)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

/* cp -r of regular files and folders (modes kept), bounded. */
static int copy_tree(const char *from, const char *to, int depth, struct err *e)
{
	struct stat st;
	int rc = 0;

	if (lstat(from, &st) < 0)
		return 0; /* nothing of it here: nothing kept */
	if (S_ISREG(st.st_mode)) {
		void *data;
		size_t len;
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), "%s", to);
		*strrchr(dir, '/') = '\0';
		if ((rc = file_mkdirs(dir)) < 0)
			return err_set(e, rc, "%s: %s", dir, strerror(-rc));
		if ((rc = file_read_all(from, STATE_ARCHIVE_MAX_BYTES, &data,
					&len, e)) < 0)
			return rc;
		rc = file_write_atomic(to, data, len, st.st_mode & 07777, e);
		free(data);
		return rc;
	}
	if (S_ISDIR(st.st_mode) && depth < TREE_DEPTH_MAX) {
		DIR *d = opendir(from);
		struct dirent *de;
		char a[PATH_MAX], b[PATH_MAX];
		while (rc == 0 && d != NULL && (de = readdir(d)) != NULL)
			if (de->d_name[0] != '.' &&
			    (size_t)snprintf(a, sizeof(a), "%s/%s", from,
					     de->d_name) < sizeof(a) &&
			    (size_t)snprintf(b, sizeof(b), "%s/%s", to,
					     de->d_name) < sizeof(b))
				rc = copy_tree(a, b, depth + 1, e);
		if (d != NULL)
			closedir(d);
	}
	return rc;
}

/*
 * The bundle with what UserVars.ConfigRestoreKeep names taken from this
 * host instead: unpacked into a private folder, the kept paths replaced,
 * packed again. *out malloc'd.
 */
static int keep_own(struct hostd *h, const char *keep, const void *bundle,
		    size_t len, uint8_t **out, size_t *outlen, struct err *e)
{
	char tmp[PATH_MAX], list[ADV_VALUE_MAX];
	int rc;

	snprintf(tmp, sizeof(tmp), "%.*s/restore-merge", PATH_MAX - 32,
		 h->hd_rundir);
	remove_tree(tmp, 0);
	if (mkdir(tmp, 0700) < 0)
		return err_set(e, -errno, "%s: %s", tmp, strerror(errno));
	rc = state_archive_extract(bundle, len, tmp, e);
	snprintf(list, sizeof(list), "%s", keep);
	for (char *save, *k = strtok_r(list, ",", &save); rc == 0 && k;
	     k = strtok_r(NULL, ",", &save)) {
		char a[PATH_MAX + ADV_VALUE_MAX], b[PATH_MAX + ADV_VALUE_MAX];
		snprintf(a, sizeof(a), "%s/%s", h->hd_confdir, k);
		snprintf(b, sizeof(b), "%s/%s", tmp, k);
		remove_tree(b, 0);
		rc = copy_tree(a, b, 0, e);
		log_info("firmware: the restore keeps this host's %s", k);
	}
	if (rc == 0)
		rc = state_archive_build(tmp, 0, out, outlen, e);
	remove_tree(tmp, 0);
	return rc;
}

int firmware_restore(struct hostd *h, int force, struct state_info *info,
		     struct err *e)
{
	char path[PATH_MAX], slot[PATH_MAX];
	void *data;
	size_t len;
	int rc;

	firmware_upload_path(h, path, sizeof(path));
	if (access(path, F_OK) != 0)
		return err_set(e, -ENOENT,
			       "no configuration bundle was uploaded to %s",
			       FIRMWARE_UPLOAD_URL);
	if ((rc = file_read_all(path, FIRMWARE_UPLOAD_MAX, &data, &len, e)) < 0)
		return rc == -EFBIG ? err_set(e, -EINVAL,
					      "the bundle is over %u bytes",
					      FIRMWARE_UPLOAD_MAX)
				    : rc;
	if ((rc = state_archive_parse(data, len, info, NULL, NULL, e)) < 0) {
		free(data);
		return rc == -EBADMSG ? rc : -EINVAL;
	}
	if (!force && strcmp(info->si_version, BASALT_VERSION) != 0) {
		free(data);
		return err_set(e, -ESTALE,
			       "the bundle was made by Basalt %s; this host "
			       "runs %s (force=true applies it anyway)",
			       info->si_version, BASALT_VERSION);
	}
	/* What the operator keeps of this host's own (the option's value
	 * was checked when it was set). */
	{
		size_t i;
		const char *keep = adv_find("UserVars.ConfigRestoreKeep", &i)
					   ? adv_get(h, i)
					   : "";
		if (keep[0] != '\0') {
			uint8_t *merged;
			size_t mlen;
			if ((rc = keep_own(h, keep, data, len, &merged, &mlen,
					   e)) < 0) {
				free(data);
				return rc;
			}
			free(data);
			data = merged;
			len = mlen;
		}
	}
	slot_dir(h, slot, sizeof(slot));
	rc = state_slot_set_pending(slot, data, len, e);
	free(data);
	if (rc == 0)
		unlink(path);
	return rc;
}

int firmware_reset(struct hostd *h, struct err *e)
{
	char slot[PATH_MAX];
	uint8_t *buf;
	size_t len;
	int rc;

	if ((rc = state_archive_build(NULL, 0, &buf, &len, e)) < 0)
		return rc;
	slot_dir(h, slot, sizeof(slot));
	rc = state_slot_set_pending(slot, buf, len, e);
	free(buf);
	return rc;
}
