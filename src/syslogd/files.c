/*
 * files.c: log files by source, rotated by size (files.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "syslogd/files.h"

/* Which file: by the sending program, then the facility. */
static const struct {
	const char *app, *file;
} by_app[] = {
	{"hostd", "hostd"},	  {"rhttpproxy", "rhttpproxy"},
	{"vmkernel", "vmkernel"}, {"kernel", "vmkernel"},
	{"init", "init"},	  {"stated", "stated"},
	{"dcui", "dcui"},	  {"syslogd", "syslog"},
	{"shell", "shell"},
};

const char *files_route(const struct record *r)
{
	if (strcmp(r->rc_msgid, "audit") == 0)
		return "audit";
	if (r->rc_facility == RECORD_FAC_KERN && !r->rc_raw)
		return "vmkernel";
	for (size_t i = 0; i < sizeof(by_app) / sizeof(*by_app); i++)
		if (strcmp(r->rc_app, by_app[i].app) == 0)
			return by_app[i].file;
	if (r->rc_facility == RECORD_FAC_AUTH ||
	    r->rc_facility == RECORD_FAC_AUTHPRIV)
		return "auth";
	return "syslog";
}

static void path_of(const struct logfiles *f, const char *name, int n,
		    char *out, size_t size)
{
	if (n == 0)
		snprintf(out, size, "%.*s/%s.log", PATH_MAX - 64, f->lf_dir,
			 name);
	else
		snprintf(out, size, "%.*s/%s.%d.log", PATH_MAX - 64, f->lf_dir,
			 name, n);
}

int files_open(struct logfiles *f, const char *dir, long long rotate_bytes,
	       int keep, struct err *e)
{
	memset(f, 0, sizeof(*f));
	files_reconfigure(f, dir, rotate_bytes, keep);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return err_set(e, -errno, "%s: %s", dir, strerror(errno));
	return 0;
}

static void close_all(struct logfiles *f)
{
	for (int i = 0; i < f->lf_count; i++)
		if (f->lf_files[i].lf_fd >= 0)
			close(f->lf_files[i].lf_fd);
	f->lf_count = 0;
}

void files_close(struct logfiles *f)
{
	close_all(f);
}

void files_reopen(struct logfiles *f)
{
	close_all(f);
}

void files_reconfigure(struct logfiles *f, const char *dir,
		       long long rotate_bytes, int keep)
{
	if (strcmp(dir, f->lf_dir) != 0) {
		close_all(f);
		snprintf(f->lf_dir, sizeof(f->lf_dir), "%s", dir);
		(void)mkdir(dir, 0755);
	}
	f->lf_rotate_bytes = rotate_bytes;
	f->lf_keep = keep;
}

static struct logfile *file_for(struct logfiles *f, const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	struct logfile *lf = NULL;

	for (int i = 0; i < f->lf_count; i++)
		if (strcmp(f->lf_files[i].lf_name, name) == 0)
			lf = &f->lf_files[i];
	if (lf == NULL) {
		if (f->lf_count == FILES_MAX)
			return NULL;
		lf = &f->lf_files[f->lf_count++];
		snprintf(lf->lf_name, sizeof(lf->lf_name), "%s", name);
		lf->lf_fd = -1;
	}
	if (lf->lf_fd < 0) {
		path_of(f, name, 0, path, sizeof(path));
		lf->lf_fd = open(path,
				 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
					 O_NOFOLLOW,
				 0640);
		if (lf->lf_fd < 0)
			return NULL;
		lf->lf_size = fstat(lf->lf_fd, &st) == 0 ? st.st_size : 0;
	}
	return lf;
}

/* NAME.log to NAME.1.log and so on; the oldest kept is overwritten. */
static void rotate(struct logfiles *f, struct logfile *lf)
{
	char from[PATH_MAX], to[PATH_MAX];

	close(lf->lf_fd);
	lf->lf_fd = -1;
	if (f->lf_keep < 1) {
		path_of(f, lf->lf_name, 0, from, sizeof(from));
		(void)unlink(from);
		return;
	}
	for (int n = f->lf_keep - 1; n >= 0; n--) {
		path_of(f, lf->lf_name, n, from, sizeof(from));
		path_of(f, lf->lf_name, n + 1, to, sizeof(to));
		if (rename(from, to) < 0 && errno != ENOENT)
			log_warn("rotating %s", from);
	}
}

int files_write(struct logfiles *f, const struct record *r, const char *line,
		size_t len)
{
	struct logfile *lf = file_for(f, files_route(r));
	ssize_t n;

	if (lf != NULL && lf->lf_size > 0 &&
	    lf->lf_size + (long long)len > f->lf_rotate_bytes) {
		rotate(f, lf);
		lf = file_for(f, lf->lf_name);
	}
	if (lf == NULL) {
		f->lf_errors++;
		return -errno;
	}
	n = write(lf->lf_fd, line, len);
	if (n < 0 || (size_t)n != len) {
		f->lf_errors++;
		return n < 0 ? -errno : -ENOSPC;
	}
	lf->lf_size += n;
	return 0;
}
