/*
 * proxy.h: rhttpproxy, the host's only public listener: port 80 (a
 * welcome page, a redirect for everything else) and 443 (TLS, then the
 * routes: /sdk, /folder and /host to hostd's socket, / and /ui served
 * here). Event-driven: a few workers, each an epoll loop over its
 * connections; every limit named here.
 */
#ifndef BASALT_RHTTPPROXY_PROXY_H
#define BASALT_RHTTPPROXY_PROXY_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>

#include <gnutls/gnutls.h>

#include "common/compiler.h"
#include "common/err.h"

#define PROXY_CONNS_MAX		   4096 /* open client connections */
#define PROXY_CONNS_PER_CLIENT_MAX 256	/* from one address */
#define PROXY_HEAD_TIMEOUT_S	   10	/* TLS handshake and request head */
/* Keep-alive between requests: API clients (pyVmomi, govmomi) hold a
 * connection across pauses and do not retry on one closed under them;
 * the reference keeps established ones for good, vCenter 900 s. */
#define PROXY_IDLE_TIMEOUT_S 900
/* A body with no byte moving (the default of --body-timeout). */
#define PROXY_BODY_TIMEOUT_S	 60
#define PROXY_BODY_TIMEOUT_MAX_S 3600
/* hostd may answer late: WaitForUpdates waits up to 1800 s. */
#define PROXY_UPSTREAM_TIMEOUT_S 1900
#define PROXY_BUF_BYTES		 (64u << 10) /* each direction's buffer */
/* Request bodies by route: /sdk's SOAP (hostd refuses past 4 MiB with a
 * fault of its own), /folder's files (HTTP_BODY_MAX_BYTES), none
 * elsewhere. */
#define PROXY_SDK_BODY_MAX_BYTES (8LL << 20)
/* Where a configuration bundle is uploaded for a restore (hostd's
 * firmware.h), and its limit (the state archive's). */
#define PROXY_BUNDLE_PATH	    "/tmp/configBundle.tgz"
#define PROXY_BUNDLE_BODY_MAX_BYTES (16LL << 20)
#define PROXY_WORKERS_MAX	    16

/* TLS credentials, shared by the sessions made with them: a new key and
 * certificate apply to new connections while older ones finish with
 * the credentials they started with. */
struct proxy_creds {
	gnutls_certificate_credentials_t pc_cred;
	unsigned pc_refs; /* under proxy.px_lock */
};

struct proxy {
	char px_root[PATH_MAX];	    /* "/" or hosted mode's root */
	char px_confdir[PATH_MAX];  /* <root>/etc/basalt */
	char px_upstream[PATH_MAX]; /* hostd's socket */
	char px_hostname[256];
	int px_http_port, px_https_port;
	int px_http_fd, px_https_fd; /* listening */
	int px_workers;
	int px_body_timeout; /* seconds, PROXY_BODY_TIMEOUT_S by default */
	gnutls_priority_t px_priority;
	pthread_mutex_t px_lock; /* creds, the counts below */
	struct proxy_creds *px_creds;
	unsigned px_conns; /* open client connections */
	volatile int px_stop;
};

/* The proxy's current credentials, a reference taken (release with
 * proxy_creds_put). */
struct proxy_creds *proxy_creds_get(struct proxy *px);
void proxy_creds_put(struct proxy *px, struct proxy_creds *c);

/* (Re)load the key and certificate from <confdir>/ssl (made when
 * missing); on failure the old ones stay. */
BASALT_MUST_CHECK int proxy_creds_load(struct proxy *px, struct err *e);

/* Count a new connection from addr (16 bytes, IPv4-mapped or IPv6):
 * 0, or -1 when a cap is reached. */
int proxy_conn_admit(struct proxy *px, const unsigned char *addr);
void proxy_conn_release(struct proxy *px, const unsigned char *addr);

/* sandbox.c: Landlock (files: ssl_dir, to read; 1 when the kernel has
 * no Landlock) and the seccomp allow-list, for every thread. */
int proxy_landlock(const char *ssl_dir, struct err *e);
int proxy_seccomp(struct err *e);

/* Run worker w until px_stop. */
void *proxy_worker(void *arg);
struct proxy_worker_arg {
	struct proxy *wa_px;
	int wa_index;
};

#endif
