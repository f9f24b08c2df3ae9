/*
 * files.h: the local log files, one per source under the log folder
 * (hostd.log, rhttpproxy.log, vmkernel.log, auth.log, audit.log, and
 * syslog.log for the rest), each rotated by size: NAME.log becomes
 * NAME.1.log, NAME.1.log NAME.2.log, ... and the oldest beyond the
 * number kept goes.
 */
#ifndef BASALT_SYSLOGD_FILES_H
#define BASALT_SYSLOGD_FILES_H

#include <limits.h>
#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"
#include "syslogd/record.h"

#define FILES_MAX 16

struct logfile {
	char lf_name[32]; /* "hostd" */
	int lf_fd;	  /* -1 until first written */
	long long lf_size;
};

struct logfiles {
	char lf_dir[PATH_MAX];
	long long lf_rotate_bytes; /* a file rotates past this */
	int lf_keep;		   /* rotated files kept */
	struct logfile lf_files[FILES_MAX];
	int lf_count;
	unsigned long lf_errors; /* writes that failed (disk full) */
};

/* The files in dir (made if missing). */
BASALT_MUST_CHECK int files_open(struct logfiles *f, const char *dir,
				 long long rotate_bytes, int keep,
				 struct err *e);
void files_close(struct logfiles *f);
/* Open each file again on its next write (rotated from outside). */
void files_reopen(struct logfiles *f);

/* The file a record goes to (its name without ".log"). */
const char *files_route(const struct record *r);

/* Write line[len] to the record's file, rotating first when it would
 * pass the size. 0, or -errno (counted in lf_errors). */
int files_write(struct logfiles *f, const struct record *r, const char *line,
		size_t len);

/* A new folder, size or count: files are reopened there on next write. */
void files_reconfigure(struct logfiles *f, const char *dir,
		       long long rotate_bytes, int keep);

#endif
