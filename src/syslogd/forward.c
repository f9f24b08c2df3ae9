/*
 * forward.c: remote syslog targets over UDP and TCP (forward.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "syslogd/forward.h"

#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 10000 /* a collector back is used within 10 s */

struct fwd_msg {
	struct fwd_msg *m_next;
	/* t_written once its last byte went to the socket: acknowledged
	 * when the collector's TCP has acknowledged that far. */
	unsigned long long m_end;
	size_t m_len;
	char m_data[];
};

void target_init(struct target *t, const struct syslog_target *conf, long max,
		 const struct target_shared *tls)
{
	memset(t, 0, sizeof(*t));
	t->t_conf = *conf;
	t->t_fd = -1;
	t->t_max = max;
	t->t_sh = tls;
	t->t_backoff_ms = BACKOFF_MIN_MS;
	t->t_spill_fd = -1;
}

/* The spill file, made on first use: the target's URL as its name. */
static int spill_open(struct target *t)
{
	char path[8192], name[300];
	size_t i;

	if (t->t_spill_fd >= 0)
		return 0;
	for (i = 0; t->t_conf.st_url[i] != '\0' && i < sizeof(name) - 1; i++) {
		char c = t->t_conf.st_url[i];
		name[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					  (c >= '0' && c <= '9') || c == '.' ||
					  c == '-'
				  ? c
				  : '_';
	}
	name[i] = '\0';
	if (file_mkdirs(t->t_sh->tt_spool) < 0) {
		log_warnx("%s: cannot make it", t->t_sh->tt_spool);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s.spill", t->t_sh->tt_spool, name);
	/* Its messages are this process's: one left from before is stale
	 * (what it held was reported lost then). */
	t->t_spill_fd =
		open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		     0600);
	if (t->t_spill_fd < 0) {
		log_warn("%s", path);
		return -1;
	}
	(void)unlink(path); /* gone with us; nobody else reads it */
	t->t_spill_rd = t->t_spill_wr = 0;
	return 0;
}

/* Append one framed message to the spill file: 0, or -1 (no room). */
static int spill(struct target *t, const char *data, size_t len)
{
	uint32_t n = (uint32_t)len;

	if (t->t_spill_wr + 4 + (long long)len > t->t_sh->tt_spill_max ||
	    spill_open(t) < 0)
		return -1;
	if (pwrite(t->t_spill_fd, &n, 4, t->t_spill_wr) != 4 ||
	    pwrite(t->t_spill_fd, data, len, t->t_spill_wr + 4) != (ssize_t)len)
		return -1;
	t->t_spill_wr += 4 + (long long)len;
	t->t_spilled++;
	return 0;
}

static void tls_end(struct target *t)
{
	if (t->t_session != NULL)
		gnutls_deinit(t->t_session);
	t->t_session = NULL;
	if (t->t_cred != NULL)
		gnutls_certificate_free_credentials(t->t_cred);
	t->t_cred = NULL;
}

/* GnuTLS writes through here: every byte counted in t_written. */
static ssize_t tls_push(gnutls_transport_ptr_t p, const void *data, size_t len)
{
	struct target *t = p;
	ssize_t n = send(t->t_fd, data, len, MSG_NOSIGNAL);

	if (n > 0)
		t->t_written += (unsigned long long)n;
	else if (n < 0)
		gnutls_transport_set_errno(t->t_session, errno);
	return n;
}

static ssize_t tls_pull(gnutls_transport_ptr_t p, void *data, size_t len)
{
	struct target *t = p;
	ssize_t n = recv(t->t_fd, data, len, 0);

	if (n < 0)
		gnutls_transport_set_errno(t->t_session, errno);
	return n;
}

/* A client session on the connected socket: the CA store trusted, the
 * target's name checked against the certificate. 0, or -1 with why. */
static int tls_start(struct target *t, char *why, size_t size)
{
	int rc;

	if ((rc = gnutls_certificate_allocate_credentials(&t->t_cred)) < 0 ||
	    (rc = gnutls_init(&t->t_session, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) <
		    0 ||
	    (rc = gnutls_set_default_priority(t->t_session)) < 0) {
		snprintf(why, size, "TLS: %s", gnutls_strerror(rc));
		return -1;
	}
	if (t->t_sh->tt_check) {
		if (gnutls_certificate_set_x509_trust_file(
			    t->t_cred, t->t_sh->tt_castore,
			    GNUTLS_X509_FMT_PEM) <= 0) {
			snprintf(why, size,
				 "no CA certificate in %.96s to check its "
				 "certificate against",
				 t->t_sh->tt_castore);
			return -1;
		}
		gnutls_session_set_verify_cert(t->t_session, t->t_conf.st_host,
					       0);
	}
	if ((rc = gnutls_credentials_set(t->t_session, GNUTLS_CRD_CERTIFICATE,
					 t->t_cred)) < 0) {
		snprintf(why, size, "TLS: %s", gnutls_strerror(rc));
		return -1;
	}
	/* SNI only for a name, never an address (RFC 6066 §3). */
	if (strspn(t->t_conf.st_host, "0123456789.:") !=
	    strlen(t->t_conf.st_host))
		(void)gnutls_server_name_set(t->t_session, GNUTLS_NAME_DNS,
					     t->t_conf.st_host,
					     strlen(t->t_conf.st_host));
	gnutls_transport_set_ptr(t->t_session, t);
	gnutls_transport_set_push_function(t->t_session, tls_push);
	gnutls_transport_set_pull_function(t->t_session, tls_pull);
	return 0;
}

static void pop(struct target *t)
{
	struct fwd_msg *m = t->t_head;

	t->t_head = m->m_next;
	if (t->t_head == NULL)
		t->t_tail = NULL;
	t->t_count--;
	free(m);
}

void target_moved(struct target *t)
{
	if (t->t_session != NULL)
		gnutls_transport_set_ptr(t->t_session, t);
}

void target_free(struct target *t)
{
	tls_end(t);
	if (t->t_fd >= 0)
		close(t->t_fd);
	t->t_fd = -1;
	while (t->t_head != NULL)
		pop(t);
	if (t->t_spill_fd >= 0)
		close(t->t_spill_fd);
	t->t_spill_fd = -1;
}

static void down(struct target *t, long long now_ms, const char *why)
{
	if (t->t_state == TARGET_UP)
		log_warnx("%s: %s; %ld message(s) kept until it is back",
			  t->t_conf.st_url, why, t->t_count);
	else if (strcmp(why, t->t_why) != 0)
		log_warnx("%s: %s", t->t_conf.st_url, why);
	snprintf(t->t_why, sizeof(t->t_why), "%s", why);
	tls_end(t);
	if (t->t_fd >= 0)
		close(t->t_fd);
	t->t_fd = -1;
	t->t_state = TARGET_DOWN;
	/* What was written and not acknowledged goes again. */
	t->t_unsent = t->t_head;
	t->t_unsent_off = 0;
	t->t_written = 0;
	t->t_retry_ms = now_ms + t->t_backoff_ms;
	t->t_backoff_ms = t->t_backoff_ms * 2 > BACKOFF_MAX_MS
				  ? BACKOFF_MAX_MS
				  : t->t_backoff_ms * 2;
}

/* A socket for the target, connecting (TCP) or connected (UDP). */
static void connect_now(struct target *t, long long now_ms)
{
	struct addrinfo hints = {0}, *res = NULL, *a;
	char why[160];
	int rc, fd = -1;

	hints.ai_socktype =
		t->t_conf.st_proto == SYSLOG_UDP ? SOCK_DGRAM : SOCK_STREAM;
	/* A name is looked up here, on the loop: a numeric address (what
	 * a host's syslog target usually is) never waits. */
	rc = getaddrinfo(t->t_conf.st_host, t->t_conf.st_port, &hints, &res);
	if (rc != 0) {
		snprintf(why, sizeof(why), "cannot resolve %.64s: %s",
			 t->t_conf.st_host, gai_strerror(rc));
		down(t, now_ms, why);
		return;
	}
	snprintf(why, sizeof(why), "no address");
	for (a = res; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family,
			    a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		snprintf(why, sizeof(why), "connect: %s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		down(t, now_ms, why);
		return;
	}
	t->t_fd = fd;
	t->t_state = t->t_conf.st_proto == SYSLOG_UDP ? TARGET_UP
						      : TARGET_CONNECTING;
}

/* Pop what the collector's TCP acknowledged. */
static void acked(struct target *t)
{
	int outq = 0;
	unsigned long long ack;

	if (t->t_fd < 0 || ioctl(t->t_fd, SIOCOUTQ, &outq) < 0)
		return;
	ack = t->t_written - (unsigned long long)outq;
	while (t->t_head != NULL && t->t_head != t->t_unsent &&
	       t->t_head->m_end <= ack) {
		t->t_sent++;
		pop(t);
	}
}

/* Write queued messages until the socket takes no more. */
static void refill(struct target *t);

static void flush(struct target *t, long long now_ms)
{
	while (t->t_state == TARGET_UP && t->t_unsent != NULL) {
		struct fwd_msg *m = t->t_unsent;
		const char *p = m->m_data + t->t_unsent_off;
		size_t left = m->m_len - t->t_unsent_off;
		char why[160];
		ssize_t n;
		if (t->t_session != NULL) {
			/* After EAGAIN GnuTLS wants the same call again. */
			n = gnutls_record_send(t->t_session, p, left);
			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				break;
			if (n < 0) {
				snprintf(why, sizeof(why), "TLS: %s",
					 gnutls_strerror((int)n));
				down(t, now_ms, why);
				return;
			}
		} else {
			n = send(t->t_fd, p, left, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n < 0) {
				snprintf(why, sizeof(why), "send: %s",
					 strerror(errno));
				down(t, now_ms, why);
				return;
			}
			t->t_written += (unsigned long long)n;
		}
		t->t_unsent_off += (size_t)n;
		if (t->t_unsent_off == m->m_len) {
			m->m_end = t->t_written;
			t->t_unsent = m->m_next;
			t->t_unsent_off = 0;
		}
	}
	acked(t);
	refill(t);
}

static void append(struct target *t, struct fwd_msg *m)
{
	m->m_next = NULL;
	m->m_end = 0;
	if (t->t_tail != NULL)
		t->t_tail->m_next = m;
	else
		t->t_head = m;
	t->t_tail = m;
	if (t->t_unsent == NULL) {
		t->t_unsent = m;
		t->t_unsent_off = 0;
	}
	t->t_count++;
}

int target_push(struct target *t, const char *msg, size_t len, int always)
{
	struct fwd_msg *m;
	char head[24];
	int hl = 0;

	if (t->t_conf.st_proto == SYSLOG_UDP) {
		if (t->t_state != TARGET_UP ||
		    send(t->t_fd, msg, len, MSG_NOSIGNAL) < 0) {
			t->t_dropped++;
			return -1;
		}
		t->t_sent++;
		return 0;
	}
	/* RFC 6587 octet counting: "LEN SP MSG". */
	hl = snprintf(head, sizeof(head), "%zu ", len);
	/* Once some wait in the file, the newer wait behind them. */
	if (!always && (t->t_spilled > 0 || t->t_count >= t->t_max)) {
		char *framed = malloc((size_t)hl + len);
		int rc = -1;
		if (framed != NULL) {
			memcpy(framed, head, (size_t)hl);
			memcpy(framed + hl, msg, len);
			rc = spill(t, framed, (size_t)hl + len);
			free(framed);
		}
		if (rc < 0)
			t->t_dropped++;
		return rc;
	}
	m = malloc(sizeof(*m) + (size_t)hl + len);
	if (m == NULL) {
		t->t_dropped++;
		return -1;
	}
	m->m_len = (size_t)hl + len;
	memcpy(m->m_data, head, (size_t)hl);
	memcpy(m->m_data + hl, msg, len);
	append(t, m);
	return 0;
}

/* Back from the spill file while memory has room, oldest first. */
static void refill(struct target *t)
{
	while (t->t_spilled > 0 && t->t_count < t->t_max) {
		uint32_t n;
		struct fwd_msg *m;
		if (pread(t->t_spill_fd, &n, 4, t->t_spill_rd) != 4 ||
		    (m = malloc(sizeof(*m) + n)) == NULL)
			return;
		if (pread(t->t_spill_fd, m->m_data, n, t->t_spill_rd + 4) !=
		    (ssize_t)n) {
			free(m);
			return;
		}
		m->m_len = n;
		append(t, m);
		t->t_spill_rd += 4 + (long long)n;
		if (--t->t_spilled == 0) {
			/* Empty: the room is whole again. */
			t->t_spill_rd = t->t_spill_wr = 0;
			(void)ftruncate(t->t_spill_fd, 0);
		}
	}
}

void target_tick(struct target *t, long long now_ms)
{
	if (t->t_state == TARGET_DOWN && now_ms >= t->t_retry_ms)
		connect_now(t, now_ms);
	if (t->t_state == TARGET_UP && t->t_conf.st_proto != SYSLOG_UDP)
		flush(t, now_ms);
}

/* The TLS handshake, a step at a time: 1 done, 0 more to come, -1 down. */
static int handshake(struct target *t, long long now_ms)
{
	char why[400];
	int rc = gnutls_handshake(t->t_session);

	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
		return 0;
	if (rc < 0) {
		if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
			gnutls_datum_t out = {0};
			unsigned status = gnutls_session_get_verify_cert_status(
				t->t_session);
			if (gnutls_certificate_verification_status_print(
				    status, GNUTLS_CRT_X509, &out, 0) == 0) {
				snprintf(why, sizeof(why),
					 "its certificate is refused: %s",
					 (const char *)out.data);
				gnutls_free(out.data);
			} else {
				snprintf(why, sizeof(why),
					 "its certificate is refused");
			}
		} else {
			snprintf(why, sizeof(why), "TLS handshake: %s",
				 gnutls_strerror(rc));
		}
		down(t, now_ms, why);
		return -1;
	}
	return 1;
}

unsigned target_events(const struct target *t)
{
	if (t->t_fd < 0 || t->t_conf.st_proto == SYSLOG_UDP)
		return 0;
	if (t->t_state == TARGET_HANDSHAKE)
		return EPOLLRDHUP |
		       (gnutls_record_get_direction(t->t_session) ? EPOLLOUT
								  : EPOLLIN);
	/* A collector sends nothing: readable means it closed. */
	return EPOLLIN | EPOLLRDHUP |
	       (t->t_state == TARGET_CONNECTING || t->t_unsent != NULL
			? EPOLLOUT
			: 0);
}

static void up(struct target *t)
{
	t->t_state = TARGET_UP;
	t->t_backoff_ms = BACKOFF_MIN_MS;
	t->t_why[0] = '\0';
	log_info("%s: connected; %ld message(s) to send", t->t_conf.st_url,
		 t->t_count);
}

/* Readable while up: the collector closed (or, on TLS, sent a session
 * ticket or an alert). 0, or -1 when it is down now. */
static int drain(struct target *t, long long now_ms)
{
	char buf[512], why[160];
	ssize_t n;

	if (t->t_session != NULL) {
		n = gnutls_record_recv(t->t_session, buf, sizeof(buf));
		if (n > 0 || n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
			return 0;
		acked(t);
		if (n == 0)
			snprintf(why, sizeof(why),
				 "the collector closed the connection");
		else
			snprintf(why, sizeof(why), "TLS: %s",
				 gnutls_strerror((int)n));
		down(t, now_ms, why);
		return -1;
	}
	n = recv(t->t_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
		return 0;
	acked(t);
	down(t, now_ms,
	     n == 0 ? "the collector closed the connection" : strerror(errno));
	return -1;
}

void target_ready(struct target *t, unsigned events, long long now_ms)
{
	char why[160];
	int err = 0;
	socklen_t len = sizeof(err);

	if (t->t_state == TARGET_CONNECTING &&
	    (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (getsockopt(t->t_fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
		    err != 0) {
			snprintf(why, sizeof(why), "connect: %s",
				 strerror(err ? err : errno));
			down(t, now_ms, why);
			return;
		}
		if (t->t_conf.st_proto != SYSLOG_TLS) {
			up(t);
		} else if (tls_start(t, why, sizeof(why)) < 0) {
			down(t, now_ms, why);
			return;
		} else {
			t->t_state = TARGET_HANDSHAKE;
		}
	}
	if (t->t_state == TARGET_HANDSHAKE) {
		if (handshake(t, now_ms) <= 0)
			return;
		up(t);
	}
	if (t->t_state == TARGET_UP &&
	    (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) &&
	    drain(t, now_ms) < 0)
		return;
	if (t->t_state == TARGET_UP)
		flush(t, now_ms);
}
