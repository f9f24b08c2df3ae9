/*
 * main.c: syslogd, the host's syslog daemon (issue 10): /dev/log
 * (datagrams), a stream socket beside it and the kernel's ring buffer
 * in; files under the log folder and remote targets out (syslogd.h).
 * Its settings are the host's advanced options, read again whenever
 * advanced.conf changes: nothing restarts, no queue is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "syslogd/record.h"
#include "syslogd/syslogd.h"

#define DROP_REPORT_MS 10000 /* while drops go on */
#define DROP_QUIET_MS  1000  /* once they stopped */
#define STOP_FLUSH_MS  2000

static const char usage[] =
	"usage: syslogd [--root DIR] [--socket PATH] [--stream-socket PATH]\n"
	"               [--kmsg PATH|none] [--log-dir DIR] [--ready-file PATH]"
	" [-v]\n"
	"The host's syslog daemon: messages (RFC 5424, RFC 3164, or any text,\n"
	"kept raw) from a datagram socket, a stream socket (octet-counted or\n"
	"one per line) and the kernel's ring buffer go to files by source\n"
	"under the log folder, rotated by size, and to the remote targets of\n"
	"Syslog.global.logHost (DIR/etc/basalt/advanced.conf, read again on\n"
	"every change).\n"
	"  --root DIR          the host's root (default /)\n"
	"  --socket PATH       datagrams (default DIR/dev/log)\n"
	"  --stream-socket PATH  streams (default DIR/dev/log-stream)\n"
	"  --kmsg PATH|none    the kernel's messages (default /dev/kmsg when\n"
	"                      DIR is /, else none)\n"
	"  --log-dir DIR2      the files (default DIR/var/log)\n"
	"  --ready-file PATH   made once listening\n"
	"SIGHUP reopens the files and reads the settings again; SIGTERM\n"
	"stops after up to 2 s of sending what is queued. Exit status 0 after\n"
	"SIGTERM/SIGINT, 1 on an error, 2 on a bad command line.\n";

static long long now_ms(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int add_fd(struct syslogd *s, int fd, unsigned events)
{
	struct epoll_event ev = {.events = events};

	ev.data.u64 = (unsigned)fd; /* targets set bit 32 (targets_poll) */
	return epoll_ctl(s->sd_ep, EPOLL_CTL_ADD, fd, &ev);
}

/* A socket of type at path, for every local user to write to. */
static int listen_unix(const char *path, int type, struct err *e)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(a.sun_path))
		return err_set(e, -ENAMETOOLONG, "%s: too long for a socket",
			       path);
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    chmod(path, 0666) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int rc = err_set(e, -errno, "%s: %s", path, strerror(errno));
		close(fd);
		return rc;
	}
	if (type == SOCK_DGRAM) {
		/* Room for a burst while the loop writes files. */
		int size = 4 << 20;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size,
				 sizeof(size));
	}
	return fd;
}

/* Write a record to its file and queue it for every target. */
static void deliver(struct syslogd *s, const struct record *r, int always)
{
	static char line[RECORD_LINE_MAX];
	size_t n;

	n = record_format_file(r, s->sd_hostname, line, sizeof(line));
	(void)files_write(&s->sd_files, r, line, n);
	if (s->sd_ntargets == 0)
		return;
	n = record_format_5424(r, s->sd_hostname, line, sizeof(line));
	for (int i = 0; i < s->sd_ntargets; i++)
		(void)target_push(&s->sd_targets[i], line, n, always);
}

void syslogd_take(struct syslogd *s, const char *data, size_t len)
{
	static struct record r;
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	record_parse(&r, data, len, &now);
	s->sd_received++;
	deliver(s, &r, 0);
}

/* A message of syslogd's own (app "syslogd"), beyond any queue bound. */
static void say(struct syslogd *s, int severity, const char *fmt, ...)
	BASALT_PRINTF(3, 4);
static void say(struct syslogd *s, int severity, const char *fmt, ...)
{
	static struct record r;
	va_list ap;

	memset(&r, 0, sizeof(r));
	clock_gettime(CLOCK_REALTIME, &r.rc_time);
	r.rc_facility = 5; /* syslog */
	r.rc_severity = severity;
	snprintf(r.rc_app, sizeof(r.rc_app), "syslogd");
	snprintf(r.rc_procid, sizeof(r.rc_procid), "%d", (int)getpid());
	va_start(ap, fmt);
	vsnprintf(r.rc_msg, sizeof(r.rc_msg), fmt, ap);
	va_end(ap);
	r.rc_msg_len = strlen(r.rc_msg);
	log_info("%s", r.rc_msg);
	deliver(s, &r, 1); /* a report of drops is never dropped itself */
}

/* -- inputs ----------------------------------------------------------- */

static void read_dgrams(struct syslogd *s)
{
	static char buf[65536];

	for (int i = 0; i < SYSLOGD_DGRAM_BATCH; i++) {
		ssize_t n = recv(s->sd_dgram_fd, buf, sizeof(buf), 0);
		if (n < 0)
			return;
		syslogd_take(s, buf, (size_t)n);
	}
}

static void stream_close(struct syslogd *s, int i)
{
	struct stream_conn *c = s->sd_streams[i];

	if (c->sc_len > 0) /* a last message without its end */
		syslogd_take(s, c->sc_buf, c->sc_len);
	close(c->sc_fd);
	free(c);
	s->sd_streams[i] = NULL;
}

/* Messages in c's buffer: "LEN SP MSG" (RFC 6587 octet counting) or one
 * per line (or NUL); what is left stays for the next read. */
static void stream_frames(struct syslogd *s, struct stream_conn *c)
{
	size_t at = 0;

	while (at < c->sc_len) {
		const char *p = c->sc_buf + at;
		size_t avail = c->sc_len - at, k = 0, len = 0;
		if (p[0] >= '1' && p[0] <= '9') {
			while (k < avail && k < 7 && p[k] >= '0' && p[k] <= '9')
				len = len * 10 + (size_t)(p[k++] - '0');
			if (k < avail && p[k] == ' ' &&
			    len <= SYSLOGD_FRAME_MAX) {
				if (avail < k + 1 + len)
					break; /* the rest to come */
				syslogd_take(s, p + k + 1, len);
				at += k + 1 + len;
				continue;
			}
			if (k == avail)
				break; /* the count's end to come */
		}
		/* Not a count: up to the end of the line. */
		for (k = 0; k < avail && p[k] != '\n' && p[k] != '\0'; k++)
			;
		if (k == avail) {
			if (avail < SYSLOGD_FRAME_MAX)
				break;
			k = SYSLOGD_FRAME_MAX; /* too long: cut here */
			syslogd_take(s, p, k);
			at += k;
			continue;
		}
		if (k > 0)
			syslogd_take(s, p, k);
		at += k + 1;
	}
	memmove(c->sc_buf, c->sc_buf + at, c->sc_len - at);
	c->sc_len -= at;
}

static void read_stream(struct syslogd *s, int i)
{
	struct stream_conn *c = s->sd_streams[i];
	ssize_t n = recv(c->sc_fd, c->sc_buf + c->sc_len,
			 sizeof(c->sc_buf) - c->sc_len, 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		stream_close(s, i);
		return;
	}
	if (n < 0)
		return;
	c->sc_len += (size_t)n;
	stream_frames(s, c);
}

static void accept_stream(struct syslogd *s)
{
	int fd = accept4(s->sd_stream_fd, NULL, NULL,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct stream_conn *c;
	int i;

	if (fd < 0)
		return;
	for (i = 0; i < SYSLOGD_STREAMS_MAX && s->sd_streams[i] != NULL; i++)
		;
	if (i == SYSLOGD_STREAMS_MAX || (c = malloc(sizeof(*c))) == NULL) {
		log_warnx("a stream client refused: %d are connected",
			  SYSLOGD_STREAMS_MAX);
		close(fd);
		return;
	}
	c->sc_fd = fd;
	c->sc_len = 0;
	s->sd_streams[i] = c;
	if (add_fd(s, fd, EPOLLIN) < 0)
		stream_close(s, i);
}

/* /dev/kmsg records: "PRI,SEQ,USEC,FLAGS;TEXT\n" and continuation
 * lines; one read each. */
static void read_kmsg(struct syslogd *s)
{
	static char rec[8192];
	static struct record r;

	for (int i = 0; i < SYSLOGD_DGRAM_BATCH; i++) {
		ssize_t n = read(s->sd_kmsg_fd, rec, sizeof(rec) - 1);
		unsigned long long usec;
		unsigned pri;
		char *semi, *nl;
		struct timespec ts;
		long long us;
		if (n < 0 && errno == EPIPE)
			continue; /* overwritten before we read it */
		if (n <= 0)
			return;
		rec[n] = '\0';
		semi = strchr(rec, ';');
		if (semi == NULL ||
		    sscanf(rec, "%u,%*u,%llu", &pri, &usec) != 2)
			continue;
		if ((nl = strchr(semi + 1, '\n')) != NULL)
			*nl = '\0';
		us = s->sd_boot_wall_us + (long long)usec;
		ts.tv_sec = us / 1000000;
		ts.tv_nsec = (us % 1000000) * 1000;
		/* The text is the message, whatever it looks like: parsed
		 * as raw text for its escapes, then given the kernel's. */
		record_parse(&r, semi + 1, strlen(semi + 1), &ts);
		r.rc_time = ts;
		r.rc_raw = 0;
		r.rc_facility = (int)(pri >> 3) & 23;
		r.rc_severity = (int)(pri & 7);
		snprintf(r.rc_app, sizeof(r.rc_app), "vmkernel");
		r.rc_host[0] = r.rc_procid[0] = r.rc_msgid[0] = r.rc_sd[0] =
			'\0';
		s->sd_received++;
		deliver(s, &r, 0);
	}
}

/* -- settings ----------------------------------------------------------- */

static void configure(struct syslogd *s, int first)
{
	struct syslogcfg c;
	struct target old[SYSLOGCFG_TARGETS_MAX];
	int nold = s->sd_ntargets;
	struct err e = {0};

	if (syslogcfg_load(s->sd_conf_path, &c, &e) < 0 || e.e_code != 0)
		say(s, 4, "%s: %s", s->sd_conf_path, err_msg(&e));
	/* Syslog.global.logDir: a folder of its own, made when missing;
	 * one that cannot be made keeps the logs where they are. */
	if (first || strcmp(c.sc_logdir, s->sd_cfg.sc_logdir) != 0) {
		char dir[PATH_MAX * 2], was[PATH_MAX];
		int rc = 0;
		snprintf(dir, sizeof(dir), "%s%s",
			 c.sc_logdir[0] ? s->sd_root : "",
			 c.sc_logdir[0] ? c.sc_logdir : s->sd_logdir);
		snprintf(was, sizeof(was), "%s", s->sd_files.lf_dir);
		if (strlen(dir) >= sizeof(s->sd_files.lf_dir))
			rc = -ENAMETOOLONG;
		else if (c.sc_logdir[0] != '\0')
			rc = file_mkdirs(dir);
		if (rc < 0) {
			say(s, 3,
			    "Syslog.global.logDir %s: %s; the logs stay "
			    "in %s",
			    dir, strerror(-rc), was);
			snprintf(c.sc_logdir, sizeof(c.sc_logdir), "%s",
				 s->sd_cfg.sc_logdir);
		} else if (strcmp(dir, was) != 0) {
			if (!first)
				say(s, 5, "the logs move to %s", dir);
			files_reconfigure(&s->sd_files, dir,
					  c.sc_size_kib * 1024,
					  (int)c.sc_rotate);
			if (!first)
				say(s, 5, "the logs moved here from %s", was);
		}
	}
	files_reconfigure(&s->sd_files, s->sd_files.lf_dir,
			  c.sc_size_kib * 1024, (int)c.sc_rotate);
	s->sd_shared.tt_check = c.sc_check_certs;
	s->sd_shared.tt_spill_max = (long long)c.sc_queue_mib << 20;
	/* A target that stays keeps its queue and connection. */
	memcpy(old, s->sd_targets, sizeof(old));
	s->sd_ntargets = 0;
	for (int i = 0; i < c.sc_ntargets; i++) {
		struct target *t = &s->sd_targets[s->sd_ntargets++];
		int k;
		for (k = 0; k < nold; k++)
			if (old[k].t_conf.st_url[0] != '\0' &&
			    strcmp(old[k].t_conf.st_url,
				   c.sc_targets[i].st_url) == 0)
				break;
		if (k < nold) {
			*t = old[k];
			target_moved(t);
			t->t_max = c.sc_queue_msgs;
			old[k].t_conf.st_url[0] = '\0';
		} else {
			target_init(t, &c.sc_targets[i], c.sc_queue_msgs,
				    &s->sd_shared);
		}
	}
	for (int k = 0; k < nold; k++) {
		if (old[k].t_conf.st_url[0] == '\0')
			continue;
		if (old[k].t_fd >= 0)
			(void)epoll_ctl(s->sd_ep, EPOLL_CTL_DEL, old[k].t_fd,
					NULL);
		if (old[k].t_count > 0)
			say(s, 4,
			    "%s is no longer a target: %ld queued "
			    "message(s) for it dropped",
			    old[k].t_conf.st_url, old[k].t_count);
		target_free(&old[k]);
	}
	s->sd_cfg = c;
	if (!first)
		say(s, 6, "settings read again: %d remote target(s)",
		    s->sd_ntargets);
}

static void read_inotify(struct syslogd *s)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n = read(s->sd_inotify_fd, buf, sizeof(buf));
	int changed = 0;

	for (ssize_t at = 0; n > 0 && at < n;) {
		const struct inotify_event *ev = (const void *)(buf + at);
		if (ev->len > 0 && strcmp(ev->name, "advanced.conf") == 0)
			changed = 1;
		at += (ssize_t)sizeof(*ev) + ev->len;
	}
	if (changed)
		configure(s, 0);
}

/* -- the loop ------------------------------------------------------------ */

/* The targets' sockets: registered with the events they want now. */
static void targets_poll(struct syslogd *s, long long now)
{
	for (int i = 0; i < s->sd_ntargets; i++) {
		struct target *t = &s->sd_targets[i];
		int fd_before = t->t_fd;
		struct epoll_event ev;
		target_tick(t, now);
		if (t->t_fd < 0)
			continue;
		ev.events = target_events(t);
		ev.data.u64 = (1ull << 32) | (unsigned)i;
		if (t->t_fd != fd_before ||
		    epoll_ctl(s->sd_ep, EPOLL_CTL_MOD, t->t_fd, &ev) < 0)
			(void)epoll_ctl(s->sd_ep, EPOLL_CTL_ADD, t->t_fd, &ev);
	}
}

/* Say what each target dropped: once the drops have stopped for a
 * second, and every 10 s while they go on. */
static void report_drops(struct syslogd *s, long long now, int final)
{
	for (int i = 0; i < s->sd_ntargets; i++) {
		struct target *t = &s->sd_targets[i];
		unsigned long long n = t->t_dropped - t->t_dropped_said;
		if (t->t_dropped != t->t_dropped_seen) {
			/* The first since the last report starts the 10 s. */
			if (t->t_dropped_seen == t->t_dropped_said)
				t->t_drop_said_ms = now;
			t->t_dropped_seen = t->t_dropped;
			t->t_drop_change_ms = now;
		}
		if (n == 0 ||
		    (!final && now - t->t_drop_change_ms < DROP_QUIET_MS &&
		     now - t->t_drop_said_ms < DROP_REPORT_MS))
			continue;
		t->t_dropped_said = t->t_dropped;
		t->t_drop_said_ms = now;
		say(s, 4, "%llu message(s) for %s dropped: %s (%llu in all)", n,
		    t->t_conf.st_url,
		    t->t_conf.st_proto == SYSLOG_UDP
			    ? "it could not be sent to"
			    : "its queue (memory and spill file) was full",
		    t->t_dropped);
	}
}

static void loop(struct syslogd *s)
{
	struct epoll_event evs[64];
	long long stop_by = 0;

	for (;;) {
		long long now = now_ms(CLOCK_MONOTONIC);
		int n, pending = 0;
		if (s->sd_stop) {
			/* What is queued has a moment to go. */
			if (stop_by == 0)
				stop_by = now + STOP_FLUSH_MS;
			for (int i = 0; i < s->sd_ntargets; i++)
				pending += s->sd_targets[i].t_count > 0;
			if (pending == 0 || now >= stop_by)
				break;
		}
		targets_poll(s, now);
		n = epoll_wait(s->sd_ep, evs, 64, SYSLOGD_TICK_MS);
		now = now_ms(CLOCK_MONOTONIC);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (evs[i].data.u64 >> 32) {
				int k = (int)(evs[i].data.u64 & 0xffffffff);
				if (k < s->sd_ntargets)
					target_ready(&s->sd_targets[k],
						     evs[i].events, now);
			} else if (fd == s->sd_dgram_fd) {
				read_dgrams(s);
			} else if (fd == s->sd_stream_fd) {
				accept_stream(s);
			} else if (fd == s->sd_kmsg_fd) {
				read_kmsg(s);
			} else if (fd == s->sd_inotify_fd) {
				read_inotify(s);
			} else if (fd == s->sd_timer_fd) {
				uint64_t ticks;
				(void)!read(fd, &ticks, sizeof(ticks));
				(void)gethostname(s->sd_hostname,
						  sizeof(s->sd_hostname) - 1);
				report_drops(s, now, 0);
			} else if (fd == s->sd_signal_fd) {
				struct signalfd_siginfo si;
				if (read(fd, &si, sizeof(si)) != sizeof(si))
					continue;
				if (si.ssi_signo == SIGHUP) {
					files_reopen(&s->sd_files);
					configure(s, 0);
				} else {
					s->sd_stop = 1;
				}
			} else {
				for (int k = 0; k < SYSLOGD_STREAMS_MAX; k++)
					if (s->sd_streams[k] != NULL &&
					    s->sd_streams[k]->sc_fd == fd)
						read_stream(s, k);
			}
		}
	}
	report_drops(s, now_ms(CLOCK_MONOTONIC), 1);
	for (int i = 0; i < s->sd_ntargets; i++)
		if (s->sd_targets[i].t_count > 0)
			log_warnx("%s: %ld message(s) not sent at stop",
				  s->sd_targets[i].t_conf.st_url,
				  s->sd_targets[i].t_count);
}

int main(int argc, char **argv)
{
	static struct syslogd s;
	const char *root = "/", *sock = NULL, *stream = NULL, *kmsg = NULL;
	const char *logdir = NULL, *ready = NULL;
	char rootp[PATH_MAX], dgram_path[PATH_MAX + 16];
	char stream_path[PATH_MAX + 16], dir[PATH_MAX + 16];
	struct timespec rt, bt;
	struct itimerspec its = {{0, SYSLOGD_TICK_MS * 1000000},
				 {0, SYSLOGD_TICK_MS * 1000000}};
	struct err e = {0};
	sigset_t set;
	int in_root;

	log_procinit("syslogd");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "-v") == 0) {
			log_setlevel(LOG_LEVEL_DEBUG);
			continue;
		}
		if (v == NULL) {
			fprintf(stderr,
				"syslogd: '%s' needs a value or is "
				"unknown (see syslogd --help)\n",
				a);
			return 2;
		}
		if (strcmp(a, "--root") == 0)
			root = v;
		else if (strcmp(a, "--socket") == 0)
			sock = v;
		else if (strcmp(a, "--stream-socket") == 0)
			stream = v;
		else if (strcmp(a, "--kmsg") == 0)
			kmsg = v;
		else if (strcmp(a, "--log-dir") == 0)
			logdir = v;
		else if (strcmp(a, "--ready-file") == 0)
			ready = v;
		else {
			fprintf(stderr,
				"syslogd: unknown option '%s' (see "
				"syslogd --help)\n",
				a);
			return 2;
		}
		i++;
	}
	if (realpath(root, rootp) == NULL) {
		fprintf(stderr, "syslogd: %s: %s\n", root, strerror(errno));
		return 1;
	}
	in_root = strcmp(rootp, "/") == 0;
	if (in_root)
		rootp[0] = '\0';
	snprintf(dgram_path, sizeof(dgram_path), "%s/dev/log", rootp);
	snprintf(stream_path, sizeof(stream_path), "%s/dev/log-stream", rootp);
	snprintf(dir, sizeof(dir), "%s/dev", rootp);
	(void)mkdir(dir, 0755);
	snprintf(s.sd_conf_dir, sizeof(s.sd_conf_dir), "%s/etc/basalt", rootp);
	snprintf(s.sd_conf_path, sizeof(s.sd_conf_path),
		 "%s/etc/basalt/advanced.conf", rootp);
	snprintf(dir, sizeof(dir), "%s/var/log", rootp);
	if (logdir == NULL) {
		char var[PATH_MAX + 8];
		snprintf(var, sizeof(var), "%s/var", rootp);
		(void)mkdir(var, 0755);
		logdir = dir;
	}
	if (kmsg == NULL)
		kmsg = in_root ? "/dev/kmsg" : "none";
	snprintf(s.sd_root, sizeof(s.sd_root), "%s", rootp);
	snprintf(s.sd_shared.tt_spool, sizeof(s.sd_shared.tt_spool),
		 "%s/var/spool/syslogd", rootp);
	/* ssl:// targets are checked against the host's CA store. */
	snprintf(s.sd_shared.tt_castore, sizeof(s.sd_shared.tt_castore),
		 "%s/etc/basalt/ssl/castore.pem", rootp);
	if (strlen(logdir) >= sizeof(s.sd_logdir)) {
		fprintf(stderr, "syslogd: %s: too long\n", logdir);
		return 1;
	}
	memcpy(s.sd_logdir, logdir, strlen(logdir) + 1);
	(void)gethostname(s.sd_hostname, sizeof(s.sd_hostname) - 1);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	s.sd_boot_wall_us = ((long long)rt.tv_sec - bt.tv_sec) * 1000000 +
			    (rt.tv_nsec - bt.tv_nsec) / 1000;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	s.sd_kmsg_fd = s.sd_inotify_fd = -1;
	if ((s.sd_ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (s.sd_signal_fd = signalfd(-1, &set, SFD_CLOEXEC)) < 0 ||
	    (s.sd_timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) <
		    0 ||
	    timerfd_settime(s.sd_timer_fd, 0, &its, NULL) < 0) {
		log_warn("setting up");
		return 1;
	}
	if (files_open(&s.sd_files, logdir, 1 << 20, 8, &e) < 0 ||
	    (s.sd_dgram_fd = listen_unix(sock ? sock : dgram_path, SOCK_DGRAM,
					 &e)) < 0 ||
	    (s.sd_stream_fd = listen_unix(stream ? stream : stream_path,
					  SOCK_STREAM, &e)) < 0) {
		fprintf(stderr, "syslogd: %s\n", err_msg(&e));
		return 1;
	}
	if (strcmp(kmsg, "none") != 0) {
		struct stat st;
		char vmk[PATH_MAX + 32];
		s.sd_kmsg_fd = open(kmsg, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (s.sd_kmsg_fd < 0) {
			fprintf(stderr, "syslogd: %s: %s\n", kmsg,
				strerror(errno));
			return 1;
		}
		/* Started again: the kernel's older messages are in
		 * vmkernel.log already. */
		snprintf(vmk, sizeof(vmk), "%s/vmkernel.log", logdir);
		if (stat(vmk, &st) == 0 && st.st_size > 0)
			(void)lseek(s.sd_kmsg_fd, 0, SEEK_END);
	}
	s.sd_inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s.sd_inotify_fd >= 0 &&
	    inotify_add_watch(s.sd_inotify_fd, s.sd_conf_dir,
			      IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		log_warn("watching %s (changes apply on SIGHUP)",
			 s.sd_conf_dir);
		close(s.sd_inotify_fd);
		s.sd_inotify_fd = -1;
	}
	if (add_fd(&s, s.sd_signal_fd, EPOLLIN) < 0 ||
	    add_fd(&s, s.sd_timer_fd, EPOLLIN) < 0 ||
	    add_fd(&s, s.sd_dgram_fd, EPOLLIN) < 0 ||
	    add_fd(&s, s.sd_stream_fd, EPOLLIN) < 0 ||
	    (s.sd_kmsg_fd >= 0 && add_fd(&s, s.sd_kmsg_fd, EPOLLIN) < 0) ||
	    (s.sd_inotify_fd >= 0 &&
	     add_fd(&s, s.sd_inotify_fd, EPOLLIN) < 0)) {
		log_warn("epoll");
		return 1;
	}
	configure(&s, 1);
	if (ready != NULL && file_write_atomic(ready, "", 0, 0644, &e) < 0) {
		fprintf(stderr, "syslogd: %s\n", err_msg(&e));
		return 1;
	}
	log_info("listening on %s and %s; files in %s; %d remote target(s)",
		 sock ? sock : dgram_path, stream ? stream : stream_path,
		 logdir, s.sd_ntargets);
	printf("syslogd: ready\n");
	fflush(stdout);
	loop(&s);
	for (int i = 0; i < s.sd_ntargets; i++)
		target_free(&s.sd_targets[i]);
	for (int i = 0; i < SYSLOGD_STREAMS_MAX; i++)
		if (s.sd_streams[i] != NULL)
			stream_close(&s, i);
	files_close(&s.sd_files);
	return 0;
}
