/*
 * syslogcfg.h: the syslog daemon's settings, kept as the host's advanced
 * options (etc/basalt/advanced.conf, docs/formats/advanced.md) as the
 * reference host keeps them: Syslog.global.logHost (targets,
 * comma-separated: udp://host:514, tcp://host:514, ssl://host:1514; a
 * bare host is udp on 514), .defaultRotate, .defaultSize, and the queue's
 * bounds. hostd checks a value with these before it takes it; syslogd
 * reads the file.
 */
#ifndef BASALT_COMMON_SYSLOGCFG_H
#define BASALT_COMMON_SYSLOGCFG_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

#define SYSLOGCFG_TARGETS_MAX 8

enum syslog_proto { SYSLOG_UDP, SYSLOG_TCP, SYSLOG_TLS };

struct syslog_target {
	enum syslog_proto st_proto;
	char st_host[256]; /* a name or an address (IPv6 without []) */
	char st_port[8];
	char st_url[300]; /* as configured, for messages */
};

#define SYSLOGCFG_LOGDIR_DEFAULT "[] /scratch/log"

struct syslogcfg {
	struct syslog_target sc_targets[SYSLOGCFG_TARGETS_MAX];
	int sc_ntargets;
	/* Syslog.global.logDir as a path ("" for the default, the log
	 * folder syslogd was started with). */
	char sc_logdir[1024];
	long sc_rotate;	    /* Syslog.global.defaultRotate: files kept */
	long sc_size_kib;   /* Syslog.global.defaultSize: rotate past */
	long sc_queue_msgs; /* Syslog.global.queue.memoryMessages */
	long sc_queue_mib;  /* Syslog.global.queue.fileSize, MiB on disk */
	int sc_check_certs; /* Syslog.global.certificate.checkSSLCerts */
};

/* The defaults: no target, 8 files of 1 MiB, a queue of 10,000 messages
 * in memory and 64 MiB on disk, certificates checked. */
void syslogcfg_defaults(struct syslogcfg *c);

/* Parse a logHost value into targets[]: how many, or -1 with e saying
 * which part is wrong. */
BASALT_MUST_CHECK int syslogcfg_targets(const char *value,
					struct syslog_target *out, int max,
					struct err *e);

/* A logDir value ("[datastore] path" or "[] /absolute/path") as the
 * path it means (a datastore's under /vmfs/volumes; "" for the
 * default): 0, or -1 with e. No "..", no control characters. */
BASALT_MUST_CHECK int syslogcfg_logdir(const char *value, char *out,
				       size_t size, struct err *e);

/* Read the Syslog.* keys of advanced.conf at path (missing: defaults).
 * A value that does not parse keeps its default and is said in e (the
 * rest still applies); -1 only when the file cannot be read or parsed. */
int syslogcfg_load(const char *path, struct syslogcfg *c, struct err *e);

#endif
