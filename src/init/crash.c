/*
 * crash.c: crash dumps on the core-dump partition (crash.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "init/crash.h"

#define PSTORE_DIR "/sys/fs/pstore"
#define RECORD_MAX (1u << 20)

static int is_mount_point(const char *dir)
{
	struct stat a, b;
	char parent[256];

	snprintf(parent, sizeof(parent), "%s/..", dir);
	return stat(dir, &a) == 0 && stat(parent, &b) == 0 &&
	       a.st_dev != b.st_dev;
}

static void write_proc(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		log_warn("%s", path);
	if (fd >= 0)
		close(fd);
}

static int by_mtime_desc(const void *a, const void *b)
{
	const struct {
		char n[256];
		time_t t;
	} *x = a, *y = b;
	return x->t < y->t ? 1 : x->t > y->t ? -1 : strcmp(x->n, y->n);
}

/* Keep the newest CRASH_KEEP files whose names start with prefix. */
static void prune(const char *prefix)
{
	struct {
		char n[256];
		time_t t;
	} f[64];
	size_t n = 0, plen = strlen(prefix);
	DIR *d = opendir(CRASH_DIR);
	struct dirent *de;

	while (d != NULL && (de = readdir(d)) != NULL && n < 64) {
		char path[512];
		struct stat st;
		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		snprintf(path, sizeof(path), CRASH_DIR "/%s", de->d_name);
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		snprintf(f[n].n, sizeof(f[n].n), "%s", de->d_name);
		f[n++].t = st.st_mtime;
	}
	if (d != NULL)
		closedir(d);
	qsort(f, n, sizeof(f[0]), by_mtime_desc);
	for (size_t i = CRASH_KEEP; i < n; i++) {
		char path[512];
		snprintf(path, sizeof(path), CRASH_DIR "/%s", f[i].n);
		unlink(path);
	}
}

/* The line of text that says what happened ("Kernel panic - ..."). */
static void panic_line(const char *text, size_t len, char *out, size_t size)
{
	static const char *const marks[] = {"Kernel panic", "BUG:", "Oops",
					    "general protection"};

	out[0] = '\0';
	for (size_t m = 0; m < sizeof(marks) / sizeof(*marks); m++) {
		const char *p = memmem(text, len, marks[m], strlen(marks[m]));
		if (p != NULL) {
			/* The record is no string: its end bounds the line. */
			const char *nl =
				memchr(p, '\n', (size_t)(text + len - p));
			size_t n = (size_t)((nl ? nl : text + len) - p);
			snprintf(out, size, "%.*s", (int)(n > 160 ? 160 : n),
				 p);
			return;
		}
	}
}

/* What pstore kept of the boot before: to /var/core, then freed. */
static void collect_pstore(void)
{
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (file_mkdirs(PSTORE_DIR) < 0 ||
	    (mount("pstore", PSTORE_DIR, "pstore",
		   MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 &&
	     errno != EBUSY)) {
		log_warn("mount pstore");
		return;
	}
	if ((d = opendir(PSTORE_DIR)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char src[512], dst[600], stamp[32], what[200];
		struct stat st;
		struct tm tm;
		void *data;
		size_t len;
		struct err e;
		if (de->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), PSTORE_DIR "/%s", de->d_name);
		if (stat(src, &st) < 0 || !S_ISREG(st.st_mode) ||
		    file_read_all(src, RECORD_MAX, &data, &len, &e) < 0)
			continue;
		gmtime_r(&st.st_mtime, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(dst, sizeof(dst), CRASH_DIR "/kernel-%s-%s.txt", stamp,
			 de->d_name);
		if (file_write_atomic(dst, data, len, 0640, &e) < 0) {
			log_warnx("%s", err_msg(&e));
			free(data);
			continue;
		}
		panic_line(data, len, what, sizeof(what));
		free(data);
		unlink(src); /* frees the record for the next crash */
		log_warnx("THE KERNEL CRASHED before this boot%s%s: its last "
			  "messages are in %s",
			  what[0] ? ": " : "", what, dst);
		found++;
	}
	closedir(d);
	if (found)
		prune("kernel-");
}

void crash_setup(struct mod_index *mi)
{
	struct err e;

	if (!is_mount_point(CRASH_DIR)) {
		log_warnx("no core-dump partition on %s: crash dumps are not "
			  "kept",
			  CRASH_DIR);
		return;
	}
	/* Cores through a pipe to us: every agent's, whatever its uid. */
	write_proc("/proc/sys/kernel/core_pattern", "|/init core %e %p %s");
	write_proc("/proc/sys/fs/suid_dumpable", "2");
	if (mod_probe(mi, "ramoops", &e) <= 0)
		log_warnx("ramoops: %s; the kernel's last messages before a "
			  "crash are not kept",
			  e.e_code ? err_msg(&e) : "not in the image");
	collect_pstore();
}

int crash_core_main(int argc, char **argv)
{
	char name[80], path[600], tmp[620], msg[800];
	size_t total = 0, kept = 0;
	char buf[65536];
	ssize_t n;
	int fd, kfd;

	if (argc < 5)
		return 2;
	/* The program's name as the kernel gives it (comm): no slashes. */
	snprintf(name, sizeof(name), "%s", argv[2]);
	for (char *p = name; *p; p++)
		if (*p == '/' || *p == '.' || (unsigned char)*p < 0x20)
			*p = '_';
	snprintf(path, sizeof(path), CRASH_DIR "/%s-%s.core", name, argv[3]);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	while ((n = read(0, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		total += (size_t)n;
		/* Past the cap the rest is read and dropped: the kernel
		 * waits for the pipe to be drained. */
		if (fd >= 0 && kept + (size_t)n <= CRASH_CORE_MAX_BYTES &&
		    write(fd, buf, (size_t)n) == n)
			kept += (size_t)n;
	}
	if (fd >= 0) {
		if (fsync(fd) < 0 || close(fd) < 0 || rename(tmp, path) < 0)
			unlink(tmp);
		else
			prune(name);
	}
	snprintf(msg, sizeof(msg),
		 "<3>basalt: core dump of %s (pid %s, signal %s): %s (%zu of "
		 "%zu bytes)\n",
		 name, argv[3], argv[4], fd >= 0 ? path : "not kept", kept,
		 total);
	kfd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (kfd >= 0) {
		(void)write(kfd, msg, strlen(msg));
		close(kfd);
	}
	return 0;
}
