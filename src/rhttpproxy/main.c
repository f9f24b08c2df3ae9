/*
 * main.c: rhttpproxy's options, listening sockets, TLS set-up, workers
 * and signals (SIGHUP: load the key and certificate again; SIGINT and
 * SIGTERM: stop).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sandbox.h"
#include "common/host_cert.h"
#include "rhttpproxy/proxy.h"

#define DEFAULT_ROOT "run"

static const char usage[] =
	"usage: rhttpproxy [--root DIR] [--address A] [--http-port N]\n"
	"                  [--https-port N] [--upstream PATH] [--workers N]\n"
	"                  [--body-timeout S] [--user NAME|UID[:GID]]\n"
	"                  [--ready-file PATH] [-v]\n"
	"\n"
	"The host's public listener: port 80 (a welcome page; everything\n"
	"else redirected to https) and 443 (TLS 1.2/1.3 with the host's key\n"
	"and certificate, DIR/etc/basalt/ssl/rui.key and rui.crt, made on\n"
	"first start; /sdk, /folder and /host relayed to hostd).\n"
	"  --root DIR       the host's root (default ./" DEFAULT_ROOT ")\n"
	"  --address A      the address to listen on (default :: and 0.0.0.0)\n"
	"  --http-port N    plain HTTP (default 80; 0: none)\n"
	"  --https-port N   HTTPS (default 443)\n"
	"  --upstream PATH  hostd's socket (default\n"
	"                   DIR/var/run/basalt/hostd.sock)\n"
	"  --workers N      event loops (default: one per CPU, at most 16)\n"
	"  --body-timeout S a request or answer body that stops moving for S\n"
	"                   seconds ends its connection (default 60)\n"
	"  --user U         the identity to run as once listening (from root;\n"
	"                   the key's folder gets its group)\n"
	"  --ready-file PATH  made once listening (init waits for it)\n"
	"  -v               log more\n"
	"Once listening it keeps only read access to DIR/etc/basalt/ssl\n"
	"(Landlock) and an event loop's syscalls (seccomp). A new key and\n"
	"certificate written there, or SIGHUP, load again (established\n"
	"connections keep theirs). Exit status 0 after SIGINT/SIGTERM, 1 on an error,\n"
	"2 on a bad command line.\n";

static int port_arg(const char *opt, const char *v, int *out)
{
	char *end;
	long p = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || p < 0 || p > 65535) {
		fprintf(stderr, "rhttpproxy: %s '%s': expected 0 to 65535\n",
			opt, v);
		return -1;
	}
	*out = (int)p;
	return 0;
}

/* A non-blocking listening socket on addr:port (addr NULL: every
 * address, IPv6 and IPv4, or IPv4 alone where there is no IPv6). */
static int listen_on(const char *addr, int port, struct err *e)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6,
				  .sin6_port = htons((uint16_t)port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port)};
	struct sockaddr *sa;
	socklen_t sl;
	int fd, v6 = 0;

	if (addr == NULL) {
		s6.sin6_addr = in6addr_any;
		v6 = 1;
	} else if (inet_pton(AF_INET6, addr, &s6.sin6_addr) == 1) {
		v6 = 1;
	} else if (inet_pton(AF_INET, addr, &s4.sin_addr) != 1) {
		return err_set(e, -EINVAL, "--address '%s': not an address",
			       addr);
	}
	fd = socket(v6 ? AF_INET6 : AF_INET,
		    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && addr == NULL && errno == EAFNOSUPPORT) {
		v6 = 0;
		fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
	}
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int));
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){0},
			   sizeof(int));
	sa = v6 ? (struct sockaddr *)&s6 : (struct sockaddr *)&s4;
	sl = v6 ? sizeof(s6) : sizeof(s4);
	if (bind(fd, sa, sl) < 0 || listen(fd, 1024) < 0) {
		int rc = -errno;
		close(fd);
		return err_set(e, rc, "cannot listen on %s port %d: %s",
			       addr != NULL ? addr : "every address", port,
			       strerror(-rc));
	}
	return fd;
}

static void reload(struct proxy *px, const char *why)
{
	struct err e = {0};

	if (proxy_creds_load(px, &e) < 0)
		log_warnx("%s: %s; the old key and certificate stay", why,
			  err_msg(&e));
	else
		log_info("%s: key and certificate loaded again", why);
}

/*
 * Until SIGINT or SIGTERM (returned): SIGHUP, or a new rui.key or
 * rui.crt written into <confdir>/ssl (hostd's InstallServerCertificate,
 * an administrator), loads the pair again. Writes come as a key, then a
 * certificate: a short quiet time after the last one lets both land.
 */
static int wait_for_signal(struct proxy *px, int sfd, int ifd)
{
	int due = 0;

	for (;;) {
		struct pollfd p[2] = {{.fd = sfd, .events = POLLIN},
				      {.fd = ifd, .events = POLLIN}};
		int n = poll(p, ifd >= 0 ? 2 : 1, due ? 300 : -1);
		if (n == 0 && due) {
			due = 0;
			reload(px, "the key or certificate changed");
			continue;
		}
		if (n > 0 && ifd >= 0 && (p[1].revents & POLLIN)) {
			char buf[4096] __attribute__((
				aligned(__alignof__(struct inotify_event))));
			ssize_t len;
			while ((len = read(ifd, buf, sizeof(buf))) > 0)
				for (char *q = buf; q < buf + len;) {
					const struct inotify_event *ev =
						(const void *)q;
					if (ev->len > 0 &&
					    (strcmp(ev->name, "rui.crt") == 0 ||
					     strcmp(ev->name, "rui.key") == 0))
						due = 1;
					q += sizeof(*ev) + ev->len;
				}
		}
		if (n > 0 && (p[0].revents & POLLIN)) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo != SIGHUP) {
				if (ifd >= 0)
					close(ifd);
				close(sfd);
				return (int)si.ssi_signo;
			}
			reload(px, "SIGHUP");
		}
	}
}

/*
 * Give up what a listener no longer needs: root (to --user, which must
 * still read the key: the key's folder gets that user's group), every
 * capability, files but the key's folder (Landlock), and syscalls but
 * an event loop's (seccomp); neither under AddressSanitizer, whose own
 * machinery needs more.
 */
static int enter_sandbox(const char *user, const char *ssl_dir, struct err *e)
{
	struct sandbox_id id = {SANDBOX_DEFAULT_UID, SANDBOX_DEFAULT_GID};
	char key[PATH_MAX + 16];
	int rc;

	if (user != NULL && sandbox_parse_user(user, &id, e) < 0)
		return -EINVAL;
	if (user != NULL && geteuid() == 0) {
		snprintf(key, sizeof(key), "%s/rui.key", ssl_dir);
		if (chown(ssl_dir, 0, id.sb_gid) < 0 ||
		    chmod(ssl_dir, 02751) < 0 || chown(key, 0, id.sb_gid) < 0 ||
		    chmod(key, 0640) < 0)
			return err_set(e, -errno, "%s: %s", ssl_dir,
				       strerror(errno));
	}
	if (sandbox_no_new_privs(e) < 0)
		return -EPERM;
	if (user != NULL && sandbox_drop_identity(&id, e) < 0)
		return -EPERM;
	if (geteuid() == 0)
		log_warnx("running as root: give --user to run without it");
#if defined(__SANITIZE_ADDRESS__)
	/* LeakSanitizer reads /proc and traces threads at exit. */
	(void)rc;
	log_info("built with AddressSanitizer: no Landlock, no seccomp list");
	return 0;
#else
	rc = proxy_landlock(ssl_dir, e);
	if (rc < 0)
		return rc;
	if (rc == 1)
		log_info("no Landlock in this kernel: files are limited by "
			 "the seccomp list only");
	return proxy_seccomp(e);
#endif
}

int main(int argc, char **argv)
{
	static struct proxy px;
	const char *root = DEFAULT_ROOT, *addr = NULL, *upstream = NULL;
	pthread_t threads[PROXY_WORKERS_MAX];
	struct proxy_worker_arg args[PROXY_WORKERS_MAX];
	struct err e = {0};
	sigset_t set;
	long ncpu;
	const char *user = NULL, *ready_file = NULL;
	char ssl_dir[PATH_MAX + 8];
	int rc, sig, sfd, ifd;

	log_procinit("rhttpproxy");
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	px.px_http_port = 80;
	px.px_body_timeout = PROXY_BODY_TIMEOUT_S;
	px.px_https_port = 443;
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	px.px_workers = ncpu < 1		   ? 1
			: ncpu > PROXY_WORKERS_MAX ? PROXY_WORKERS_MAX
						   : (int)ncpu;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(a, "-v") == 0) {
			log_setlevel(LOG_LEVEL_DEBUG);
		} else if (v != NULL && strcmp(a, "--root") == 0) {
			root = v;
			i++;
		} else if (v != NULL && strcmp(a, "--address") == 0) {
			addr = v;
			i++;
		} else if (v != NULL && strcmp(a, "--user") == 0) {
			user = v;
			i++;
		} else if (v != NULL && strcmp(a, "--ready-file") == 0) {
			ready_file = v;
			i++;
		} else if (v != NULL && strcmp(a, "--upstream") == 0) {
			upstream = v;
			i++;
		} else if (v != NULL && strcmp(a, "--http-port") == 0) {
			if (port_arg(a, v, &px.px_http_port) < 0)
				return 2;
			i++;
		} else if (v != NULL && strcmp(a, "--https-port") == 0) {
			if (port_arg(a, v, &px.px_https_port) < 0 ||
			    px.px_https_port == 0) {
				if (px.px_https_port == 0)
					fprintf(stderr, "rhttpproxy: "
							"--https-port: 1 to "
							"65535\n");
				return 2;
			}
			i++;
		} else if (v != NULL && strcmp(a, "--body-timeout") == 0) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end != '\0' || n < 1 ||
			    n > PROXY_BODY_TIMEOUT_MAX_S) {
				fprintf(stderr,
					"rhttpproxy: --body-timeout: 1 to %d "
					"seconds\n",
					PROXY_BODY_TIMEOUT_MAX_S);
				return 2;
			}
			px.px_body_timeout = (int)n;
			i++;
		} else if (v != NULL && strcmp(a, "--workers") == 0) {
			char *end;
			long n = strtol(v, &end, 10);
			if (*end != '\0' || n < 1 || n > PROXY_WORKERS_MAX) {
				fprintf(stderr,
					"rhttpproxy: --workers: 1 to %d\n",
					PROXY_WORKERS_MAX);
				return 2;
			}
			px.px_workers = (int)n;
			i++;
		} else {
			fprintf(stderr,
				"rhttpproxy: unknown or incomplete option "
				"'%s' (see rhttpproxy --help)\n",
				a);
			return 2;
		}
	}
	if (realpath(root, px.px_root) == NULL) {
		fprintf(stderr, "rhttpproxy: %s: %s\n", root, strerror(errno));
		return 1;
	}
	snprintf(px.px_confdir, sizeof(px.px_confdir), "%.*s/etc/basalt",
		 PATH_MAX - 16, strcmp(px.px_root, "/") == 0 ? "" : px.px_root);
	if (upstream != NULL)
		snprintf(px.px_upstream, sizeof(px.px_upstream), "%s",
			 upstream);
	else
		snprintf(px.px_upstream, sizeof(px.px_upstream),
			 "%.*s/var/run/basalt/hostd.sock", PATH_MAX - 32,
			 strcmp(px.px_root, "/") == 0 ? "" : px.px_root);
	if (strlen(px.px_upstream) >=
	    sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, "rhttpproxy: %s: too long for a Unix socket\n",
			px.px_upstream);
		return 1;
	}
	if (gethostname(px.px_hostname, sizeof(px.px_hostname) - 1) < 0)
		strcpy(px.px_hostname, "localhost");
	pthread_mutex_init(&px.px_lock, NULL);
	if (gnutls_global_init() < 0 ||
	    gnutls_priority_init(&px.px_priority, host_tls_priorities, NULL) <
		    0) {
		fprintf(stderr, "rhttpproxy: GnuTLS does not start\n");
		return 1;
	}
	snprintf(ssl_dir, sizeof(ssl_dir), "%.*s/ssl", PATH_MAX - 8,
		 px.px_confdir);
	if (proxy_creds_load(&px, &e) < 0) {
		fprintf(stderr, "rhttpproxy: %s\n", err_msg(&e));
		return 1;
	}
	px.px_http_fd =
		px.px_http_port > 0 ? listen_on(addr, px.px_http_port, &e) : -1;
	px.px_https_fd = px.px_http_fd >= 0 || px.px_http_port == 0
				 ? listen_on(addr, px.px_https_port, &e)
				 : -1;
	if ((px.px_http_port > 0 && px.px_http_fd < 0) || px.px_https_fd < 0) {
		fprintf(stderr, "rhttpproxy: %s\n", err_msg(&e));
		return 1;
	}
	/* Connections wait in the listen queue from here: ready. (Made
	 * before the sandbox, which allows no file to be created.) */
	if (ready_file != NULL) {
		int rfd = open(ready_file,
			       O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (rfd < 0)
			log_warn("%s", ready_file);
		else
			close(rfd);
	}
	/* What the sandbox would forbid later: the signal and watch
	 * descriptors. */
	sfd = signalfd(-1, &set, SFD_CLOEXEC);
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (sfd < 0) {
		fprintf(stderr, "rhttpproxy: signalfd: %s\n", strerror(errno));
		return 1;
	}
	if (ifd >= 0 &&
	    inotify_add_watch(ifd, ssl_dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		log_warn("%s: changes are not watched (SIGHUP reloads)",
			 ssl_dir);
		close(ifd);
		ifd = -1;
	}
	if (enter_sandbox(user, ssl_dir, &e) < 0) {
		fprintf(stderr, "rhttpproxy: %s\n", err_msg(&e));
		return 1;
	}
	for (int i = 0; i < px.px_workers; i++) {
		args[i] =
			(struct proxy_worker_arg){.wa_px = &px, .wa_index = i};
		rc = pthread_create(&threads[i], NULL, proxy_worker, &args[i]);
		if (rc != 0) {
			fprintf(stderr, "rhttpproxy: worker: %s\n",
				strerror(rc));
			return 1;
		}
	}
	if (px.px_http_port > 0)
		log_info("http on port %d, https on port %d, %d workers; hostd "
			 "at %s",
			 px.px_http_port, px.px_https_port, px.px_workers,
			 px.px_upstream);
	else
		log_info("https on port %d, %d workers; hostd at %s",
			 px.px_https_port, px.px_workers, px.px_upstream);
	printf("rhttpproxy: ready\n");
	fflush(stdout);
	sig = wait_for_signal(&px, sfd, ifd);
	log_info("stopping on %s", sig == SIGINT ? "SIGINT" : "SIGTERM");
	px.px_stop = 1;
	for (int i = 0; i < px.px_workers; i++)
		pthread_join(threads[i], NULL);
	if (px.px_http_fd >= 0)
		close(px.px_http_fd);
	close(px.px_https_fd);
	proxy_creds_put(&px, px.px_creds);
	gnutls_priority_deinit(px.px_priority);
	gnutls_global_deinit();
	return 0;
}
