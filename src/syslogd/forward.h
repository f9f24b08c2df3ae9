/*
 * forward.h: remote syslog targets. Each has its own queue of messages
 * in RFC 5424 (octet-counted on TCP, RFC 6587): in memory up to a count,
 * then in a spill file up to a size: a collector that is away keeps its
 * messages here, in order, until it is back; past both bounds the newest
 * are dropped and counted exactly. A
 * message leaves the queue only once the collector's TCP acknowledged
 * its last byte (SIOCOUTQ), so a connection that breaks loses nothing:
 * what was not acknowledged is sent again on the next one. UDP is sent
 * as it comes (a datagram has no acknowledgement to wait for).
 */
#ifndef BASALT_SYSLOGD_FORWARD_H
#define BASALT_SYSLOGD_FORWARD_H

#include <stddef.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "common/syslogcfg.h"

struct fwd_msg;

enum target_state {
	TARGET_DOWN,
	TARGET_CONNECTING,
	TARGET_HANDSHAKE, /* ssl:// */
	TARGET_UP
};

/* What every target shares: for ssl://, the host's CA store (PEM),
 * checked or not (Syslog.global.certificate.checkSSLCerts); the folder
 * of the spill files and their bound (Syslog.global.queue.fileSize). */
struct target_shared {
	char tt_castore[4096];
	int tt_check;
	char tt_spool[4096];
	long long tt_spill_max;
};

struct target {
	struct syslog_target t_conf;
	enum target_state t_state;
	int t_fd;
	const struct target_shared *t_sh;
	gnutls_session_t t_session;
	gnutls_certificate_credentials_t t_cred;
	/* The queue: written and waiting for their acknowledgement first,
	 * then t_unsent onwards. */
	struct fwd_msg *t_head, *t_tail, *t_unsent;
	size_t t_unsent_off; /* bytes of t_unsent already written */
	long t_count, t_max;
	/* Beyond t_max, messages wait in a file (in order, after those in
	 * memory) until the memory queue has room again. */
	int t_spill_fd;
	long t_spilled;			  /* messages in it */
	long long t_spill_rd, t_spill_wr; /* its read and write offsets */
	/* Bytes written to this connection's socket. */
	unsigned long long t_written;
	unsigned long long t_sent;    /* messages acknowledged or sent */
	unsigned long long t_dropped; /* the queue was full */
	unsigned long long t_dropped_said, t_dropped_seen;
	long long t_drop_change_ms, t_drop_said_ms; /* for the reports */
	long long t_retry_ms; /* monotonic: when to connect again */
	int t_backoff_ms;
	char t_why[160]; /* why it is down, for the log */
};

/* A target for conf, down, with a queue of at most max messages; tls
 * (kept by the caller) for ssl://. */
void target_init(struct target *t, const struct syslog_target *conf, long max,
		 const struct target_shared *tls);
/* Close it and free its queue. */
void target_free(struct target *t);
/* t was copied to where it is now (the settings changed): its TLS
 * session writes through the new place. */
void target_moved(struct target *t);

/* Queue one message (RFC 5424 text, no framing): 0, or -1 when it was
 * dropped (full queue; UDP that could not be sent). always: into memory
 * whatever the bounds (syslogd's own reports of what it dropped). */
int target_push(struct target *t, const char *msg, size_t len, int always);

/* Connect when due (now_ms: CLOCK_MONOTONIC in ms). The socket, when
 * there is one, wants epoll events target_events() says. */
void target_tick(struct target *t, long long now_ms);
unsigned target_events(const struct target *t);
/* The socket is ready (EPOLLIN/OUT/ERR/HUP in events). */
void target_ready(struct target *t, unsigned events, long long now_ms);

#endif
