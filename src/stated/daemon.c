/*
 * daemon.c: stated as the host's agent (stated.h). It watches
 * /etc/basalt with inotify and saves a new generation once the files
 * have been quiet for a moment (a change of several files, like a new
 * user's passwd and shadow, lands in one generation), at the latest a
 * few seconds after the first change; every interval it also compares
 * the files with the newest generation, so a missed event costs at most
 * that long. A save of unchanged files writes nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/kvcfg.h"
#include "common/log.h"
#include "stated/stated.h"

#define WATCHES_MAX   64
#define RETRY_MS      1000
#define EVENT_BUF_LEN (64 * (sizeof(struct inotify_event) + NAME_MAX + 1))
#define INTERVAL_KEY  "UserVars.StateSaveInterval"

struct daemon {
	const struct stated_opts *d_opts;
	int d_ifd;
	int d_wd[WATCHES_MAX];
	char *d_path[WATCHES_MAX]; /* each watch's folder */
	int d_nwatch;
	uint8_t d_saved[32]; /* content of the newest generation */
	int d_have_saved;
	uint64_t d_first_ms, d_last_ms; /* unsaved changes since; 0: none */
	uint64_t d_retry_ms;		/* a failed save is tried again */
	uint64_t d_periodic_ms;		/* next periodic comparison */
	long d_interval_s;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* The periodic interval: the host's advanced option if set and sound,
 * else the command line's (default hourly). */
static long read_interval(const struct stated_opts *o)
{
	char path[PATH_MAX];
	struct kvcfg cfg;
	struct kvcfg_entry *ke;
	struct err e;
	long v = o->so_interval_s;

	snprintf(path, sizeof(path), "%s/advanced.conf", o->so_etc);
	if (access(path, F_OK) != 0 || kvcfg_load(&cfg, path, &e) < 0)
		return v;
	if ((ke = kvcfg_find(&cfg, INTERVAL_KEY)) != NULL) {
		char *end;
		long x = strtol(ke->ke_value, &end, 10);
		if (*end == '\0' && x >= STATED_INTERVAL_MIN_S &&
		    x <= STATED_INTERVAL_MAX_S)
			v = x;
		else
			log_warnx("%s: %s = \"%s\" is not %d..%d seconds; "
				  "every %ld s",
				  path, INTERVAL_KEY, ke->ke_value,
				  STATED_INTERVAL_MIN_S, STATED_INTERVAL_MAX_S,
				  v);
	}
	kvcfg_free(&cfg);
	return v;
}

static void watch_tree(struct daemon *d, const char *dir, int depth)
{
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
			      IN_CREATE | IN_DELETE | IN_ATTRIB | IN_ONLYDIR;
	char sub[PATH_MAX];
	struct dirent **names;
	int wd, n;

	if (depth > 8 || d->d_nwatch == WATCHES_MAX) {
		log_warnx("%s: not watched (too deep or too many folders); "
			  "saved by the periodic comparison",
			  dir);
		return;
	}
	if ((wd = inotify_add_watch(d->d_ifd, dir, mask)) < 0) {
		log_warn("inotify_add_watch %s", dir);
		return;
	}
	for (int i = 0; i < d->d_nwatch; i++)
		if (d->d_wd[i] == wd)
			return; /* already watched */
	if ((d->d_path[d->d_nwatch] = strdup(dir)) == NULL) {
		inotify_rm_watch(d->d_ifd, wd);
		return;
	}
	d->d_wd[d->d_nwatch++] = wd;
	if ((n = scandir(dir, &names, NULL, alphasort)) < 0)
		return;
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (names[i]->d_name[0] != '.' &&
		    (size_t)snprintf(sub, sizeof(sub), "%s/%s", dir,
				     names[i]->d_name) < sizeof(sub) &&
		    lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			watch_tree(d, sub, depth + 1);
		free(names[i]);
	}
	free(names);
}

uint64_t stated_next_generation(const struct stated_opts *o)
{
	uint64_t a = state_slot_next(o->so_slot);
	uint64_t b = o->so_other_slot ? state_slot_next(o->so_other_slot) : 1;

	return a > b ? a : b;
}

int stated_newest(const struct stated_opts *o, struct state_info *info,
		  const char **slot, unsigned *skipped)
{
	struct state_info other;
	unsigned skipped_other = 0;
	int have = state_slot_newest(o->so_slot, info, skipped) == 1;

	if (slot != NULL)
		*slot = o->so_slot;
	if (o->so_other_slot != NULL &&
	    state_slot_newest(o->so_other_slot, &other, &skipped_other) == 1 &&
	    (!have || other.si_gen > info->si_gen)) {
		*info = other;
		*skipped = skipped_other;
		if (slot != NULL)
			*slot = o->so_other_slot;
		return 1;
	}
	return have;
}

/*
 * A writer that changes several files at once (hostd's accounts:
 * passwd, shadow, group) holds an fcntl write lock on .pwd.lock while
 * it does; a save reads under a read lock, so it never takes half of
 * such a change. A writer holding it for longer than STATED_LOCK_WAIT_MS
 * makes this save fail (tried again soon). The lock's fd, or -1.
 */
static int writers_lock(const struct stated_opts *o, struct err *e)
{
	struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
	char path[PATH_MAX];
	uint64_t end = now_ms() + STATED_LOCK_WAIT_MS;
	int fd;

	snprintf(path, sizeof(path), "%s/.pwd.lock", o->so_etc);
	if ((fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	while (fcntl(fd, F_SETLK, &fl) < 0) {
		if ((errno != EACCES && errno != EAGAIN) || now_ms() >= end) {
			int rc = errno == EACCES || errno == EAGAIN ? -EBUSY
								    : -errno;
			close(fd);
			return err_set(e, rc,
				       "%s: a writer holds it (%s): not "
				       "saving half of its change",
				       path, strerror(-rc));
		}
		nanosleep(&(struct timespec){0, 10000000}, NULL);
	}
	return fd;
}

int stated_save(const struct stated_opts *o, const uint8_t *unless,
		uint8_t saved[32], struct err *e)
{
	struct state_info info;
	uint64_t gen = stated_next_generation(o);
	uint8_t *buf;
	size_t len;
	int rc;

	if (state_slot_pending(o->so_slot)) {
		log_info("a restored configuration waits for the next boot "
			 "in %s: not saving over it",
			 o->so_slot);
		return 0;
	}
	int lock = writers_lock(o, e);
	if (lock < 0)
		return lock;
	rc = state_archive_build(o->so_etc, gen, &buf, &len, e);
	close(lock); /* the files are read: writers may go on */
	if (rc < 0)
		return rc;
	/* Built from readable files: it parses (and gives its content). */
	if ((rc = state_archive_parse(buf, len, &info, NULL, NULL, e)) < 0) {
		free(buf);
		return rc;
	}
	if (unless != NULL && memcmp(unless, info.si_content, 32) == 0) {
		free(buf);
		return 0;
	}
	rc = state_slot_save(o->so_slot, buf, len, gen, e);
	free(buf);
	if (rc < 0)
		return rc;
	memcpy(saved, info.si_content, 32);
	log_info("saved state generation %llu (%u files, %zu bytes) to %s",
		 (unsigned long long)gen, info.si_count, len, o->so_slot);
	return 1;
}

/* Save if anything differs from the newest generation. */
static void save_now(struct daemon *d, const char *why)
{
	struct err e;
	int rc = stated_save(d->d_opts, d->d_have_saved ? d->d_saved : NULL,
			     d->d_saved, &e);

	if (rc < 0) {
		log_warnx("saving the host's state (%s) failed: %s; trying "
			  "again in %d s",
			  why, err_msg(&e), RETRY_MS / 1000);
		d->d_retry_ms = now_ms() + RETRY_MS;
		return;
	}
	d->d_have_saved = 1;
	d->d_first_ms = d->d_last_ms = d->d_retry_ms = 0;
	if (rc == 0)
		log_debug("%s: nothing changed", why);
}

/* Read the events; 1 if one of them touched state. */
static int drain(struct daemon *d)
{
	char buf[EVENT_BUF_LEN]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;
	ssize_t n;

	while ((n = read(d->d_ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;
			const char *name = ev->len ? ev->name : "";
			size_t nl = strlen(name);
			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				changed = 1;
				continue;
			}
			/* Writers' temporaries and locks come and go. */
			if (name[0] == '.' ||
			    (nl > 4 && (strcmp(name + nl - 4, ".new") == 0 ||
					strcmp(name + nl - 4, ".tmp") == 0)))
				continue;
			/* A new folder: watch it (the save reads its files
			 * whatever the watch saw). */
			for (int i = 0;
			     (ev->mask & IN_CREATE) && (ev->mask & IN_ISDIR) &&
			     i < d->d_nwatch;
			     i++) {
				char sub[PATH_MAX];
				if (d->d_wd[i] == ev->wd &&
				    (size_t)snprintf(sub, sizeof(sub), "%s/%s",
						     d->d_path[i],
						     name) < sizeof(sub)) {
					watch_tree(d, sub, 1);
					break;
				}
			}
			if (strcmp(name, "advanced.conf") == 0) {
				long v = read_interval(d->d_opts);
				if (v != d->d_interval_s)
					log_info("comparing every %ld s", v);
				d->d_interval_s = v;
			}
			changed = 1;
		}
	}
	return changed;
}

int stated_daemon(const struct stated_opts *o)
{
	struct daemon d = {.d_opts = o, .d_ifd = -1};
	struct state_info info;
	unsigned skipped;
	sigset_t set;
	int sfd, rc;

	if ((rc = file_mkdirs(o->so_etc)) < 0) {
		log_warnx("%s: %s", o->so_etc, strerror(-rc));
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
	    (d.d_ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) < 0) {
		log_warn("signalfd/inotify");
		return 1;
	}
	watch_tree(&d, o->so_etc, 0);
	if (stated_newest(o, &info, NULL, &skipped) == 1) {
		memcpy(d.d_saved, info.si_content, 32);
		d.d_have_saved = 1;
	}
	d.d_interval_s = read_interval(o);
	/* What changed before the watch began (the first boot's files). */
	save_now(&d, "start");
	log_info("watching %s; saving into %s within %d ms of a change and "
		 "comparing every %ld s",
		 o->so_etc, o->so_slot, o->so_max_delay_ms, d.d_interval_s);
	d.d_periodic_ms = now_ms() + (uint64_t)d.d_interval_s * 1000;

	for (;;) {
		struct pollfd pfd[2] = {{sfd, POLLIN, 0}, {d.d_ifd, POLLIN, 0}};
		struct signalfd_siginfo si;
		uint64_t now = now_ms(), due = d.d_periodic_ms;
		int timeout;

		if (d.d_retry_ms != 0)
			due = d.d_retry_ms < due ? d.d_retry_ms : due;
		else if (d.d_first_ms != 0) {
			uint64_t q = d.d_last_ms + (uint64_t)o->so_quiet_ms;
			uint64_t m =
				d.d_first_ms + (uint64_t)o->so_max_delay_ms;
			q = q < m ? q : m;
			due = q < due ? q : due;
		}
		timeout = due <= now ? 0 : (int)(due - now);
		if (poll(pfd, 2, timeout) < 0 && errno != EINTR)
			log_warn("poll");
		now = now_ms();
		if (pfd[1].revents & POLLIN) {
			if (drain(&d)) {
				if (d.d_first_ms == 0)
					d.d_first_ms = now;
				d.d_last_ms = now;
			}
		}
		if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP) {
				save_now(&d, "asked");
				continue;
			}
			save_now(&d, "stopping");
			log_info("stopped");
			for (int i = 0; i < d.d_nwatch; i++)
				free(d.d_path[i]);
			close(d.d_ifd);
			close(sfd);
			return d.d_retry_ms != 0;
		}
		if (d.d_retry_ms != 0
			    ? now >= d.d_retry_ms
			    : d.d_first_ms != 0 &&
				      (now >= d.d_last_ms +
						       (uint64_t)
							       o->so_quiet_ms ||
				       now >= d.d_first_ms +
						       (uint64_t)o
							       ->so_max_delay_ms))
			save_now(&d, "change");
		if (now >= d.d_periodic_ms) {
			save_now(&d, "periodic");
			d.d_periodic_ms = now + (uint64_t)d.d_interval_s * 1000;
		}
	}
}
