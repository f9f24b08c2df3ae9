/*
 * syslogd.h: the daemon's state: its inputs (the /dev/log datagram
 * socket, a stream socket beside it, the kernel's ring buffer), the log
 * files and the remote targets, all on one epoll loop.
 */
#ifndef BASALT_SYSLOGD_SYSLOGD_H
#define BASALT_SYSLOGD_SYSLOGD_H

#include <limits.h>

#include "common/syslogcfg.h"
#include "syslogd/files.h"
#include "syslogd/forward.h"

#define SYSLOGD_STREAMS_MAX 64	       /* stream clients at once */
#define SYSLOGD_FRAME_MAX   (64 << 10) /* a stream message, at most */
#define SYSLOGD_DGRAM_BATCH 256	       /* datagrams per wakeup */
#define SYSLOGD_TICK_MS	    100

struct stream_conn {
	int sc_fd;
	size_t sc_len;
	char sc_buf[SYSLOGD_FRAME_MAX + 16];
};

struct syslogd {
	char sd_hostname[256];
	char sd_root[PATH_MAX];	     /* "" for "/" */
	char sd_logdir[PATH_MAX];    /* --log-dir: the default folder */
	char sd_conf_path[PATH_MAX]; /* advanced.conf */
	char sd_conf_dir[PATH_MAX];
	int sd_ep;
	int sd_dgram_fd, sd_stream_fd, sd_kmsg_fd;
	int sd_signal_fd, sd_timer_fd, sd_inotify_fd;
	struct stream_conn *sd_streams[SYSLOGD_STREAMS_MAX];
	struct logfiles sd_files;
	struct syslogcfg sd_cfg;
	struct target sd_targets[SYSLOGCFG_TARGETS_MAX];
	struct target_shared sd_shared;
	int sd_ntargets;
	unsigned long long sd_received;
	long long sd_boot_wall_us; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	int sd_stop;
};

/* One message from an input: parsed, written, forwarded. */
void syslogd_take(struct syslogd *s, const char *data, size_t len);

#endif
