/*
 * http.c: the HTTP side of hostd, on libmicrohttpd: POST /sdk (SOAP),
 * GET /sdk/vimServiceVersions.xml (version negotiation), on loopback TCP
 * in hosted mode and on a Unix socket for the proxy. A thread per
 * connection, since a property wait may block its connection for long; a
 * call runs under the hostd lock (waits give it up while they sleep).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <microhttpd.h>

#include "common/log.h"
#include "common/host_cert.h"
#include "hostd/files_http.h"
#include "hostd/http.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"

/* pyVmomi takes the first of its ids found here (vi-api.md §2). */
static const char versions_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n"
	"<namespaces version=\"1.0\">\n"
	" <namespace>\n"
	"  <name>urn:vim25</name>\n"
	"  <version>" VIM_API_VERSION "</version>\n"
	"  <priorVersions>\n"
	"   <version>6.7</version><version>6.5</version>"
	"<version>6.0</version><version>5.5</version><version>5.1</version>"
	"<version>5.0</version><version>4.1</version><version>4.0</version>"
	"<version>2.5u2server</version><version>2.5u2</version>"
	"<version>2.5</version>\n"
	"  </priorVersions>\n"
	" </namespace>\n"
	"</namespaces>\n";

/* Each connection has a thread: bounded in number, with small stacks
 * (only touched pages cost memory; the deepest call, a property filter's
 * evaluation, needs about 100 KiB, several times that under
 * AddressSanitizer). */
#define HTTP_CONNECTIONS_MAX 256
#if defined(__SANITIZE_ADDRESS__)
#define HTTP_STACK_BYTES (8u << 20)
#else
#define HTTP_STACK_BYTES (1u << 20)
#endif

/* TLS 1.2 and 1.3 only, GnuTLS's secure defaults otherwise. */

#define SOAP_UPLOAD_KIND 1

struct upload {
	int ul_kind; /* SOAP_UPLOAD_KIND (files_http.c has its own) */
	char *ul_buf;
	size_t ul_len;
	int ul_too_big;
};

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status,
				 const char *type, char *body, size_t len,
				 const char *cookie)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	if (cookie != NULL && cookie[0] != '\0')
		MHD_add_response_header(r, "Set-Cookie", cookie);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char *peer_name(struct MHD_Connection *conn, char *buf,
			     size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr_in *sin;

	if (ci == NULL || ci->client_addr == NULL ||
	    ci->client_addr->sa_family != AF_INET) {
		/* The proxy's socket: the client's address as the proxy
		 * saw it (it drops whatever a client sent of that name). */
		const char *xff = MHD_lookup_connection_value(
			conn, MHD_HEADER_KIND, "X-Forwarded-For");
		unsigned char a[16];
		if (xff != NULL && strlen(xff) < size &&
		    (inet_pton(AF_INET, xff, a) == 1 ||
		     inet_pton(AF_INET6, xff, a) == 1)) {
			memcpy(buf, xff, strlen(xff) + 1);
			return buf;
		}
		return "unix";
	}
	sin = (const struct sockaddr_in *)(const void *)ci->client_addr;
	return inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)size) != NULL
		       ? buf
		       : "?";
}

/* Over TLS: hosted mode's HTTPS, or the Unix socket, where only the
 * proxy connects and it has terminated TLS. */
static int over_tls(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	if (ci == NULL || ci->client_addr == NULL ||
	    ci->client_addr->sa_family != AF_INET)
		return 1;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	return ci != NULL && ci->tls_session != NULL;
}

/* The console's socket takes hostd's own user, root and the system
 * user the DCUI runs as; its mode says the same, this holds if the
 * folder's permissions were loosened. */
static int console_peer_ok(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (ci == NULL || getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED,
				     &cred, &len) < 0)
		return 0;
	return cred.uid == 0 || cred.uid == geteuid() ||
	       cred.uid == CONSOLE_UID;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **ctx)
{
	const struct http_listener *l = cls;
	struct hostd *h = l->hl_hostd;
	struct upload *ul = *ctx;
	struct vim_answer a;
	char peer[INET6_ADDRSTRLEN];

	(void)version;
	/* Datastore and config files (the console's socket has none). */
	if (files_http_wants(url) && !l->hl_console)
		return files_http_request(h, conn, url, method, data, data_size,
					  ctx,
					  peer_name(conn, peer, sizeof(peer)));
	if (strcmp(method, "GET") == 0 &&
	    strcmp(url, "/sdk/vimServiceVersions.xml") == 0)
		return send_text(conn, 200, "text/xml", strdup(versions_xml),
				 sizeof(versions_xml) - 1, NULL);
	if (strcmp(method, "POST") != 0 || strcmp(url, "/sdk") != 0)
		return send_text(conn, 404, "text/plain", strdup("not found\n"),
				 10, NULL);
	if (ul == NULL) {
		ul = calloc(1, sizeof(*ul));
		if (ul == NULL)
			return MHD_NO;
		ul->ul_kind = SOAP_UPLOAD_KIND;
		*ctx = ul;
		return MHD_YES;
	}
	if (*data_size > 0) {
		if (ul->ul_len + *data_size > SOAP_BODY_MAX_BYTES) {
			ul->ul_too_big = 1; /* keep reading, then refuse */
		} else {
			char *nb = realloc(ul->ul_buf, ul->ul_len + *data_size);
			if (nb == NULL)
				return MHD_NO;
			memcpy(nb + ul->ul_len, data, *data_size);
			ul->ul_buf = nb;
			ul->ul_len += *data_size;
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (ul->ul_too_big) {
		/* Parsed as such, it answers the fault saying so. */
		vim_handle(h, "", SOAP_BODY_MAX_BYTES + 1, NULL, "", 0, "", &a);
	} else if (l->hl_console) {
		if (!console_peer_ok(conn))
			return send_text(conn, 403, "text/plain",
					 strdup("not the console\n"), 16, NULL);
		vim_handle(h, ul->ul_buf != NULL ? ul->ul_buf : "", ul->ul_len,
			   MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "Cookie"),
			   "console", VIM_VIA_CONSOLE,
			   MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "User-Agent"),
			   &a);
	} else {
		vim_handle(h, ul->ul_buf != NULL ? ul->ul_buf : "", ul->ul_len,
			   MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "Cookie"),
			   peer_name(conn, peer, sizeof(peer)),
			   over_tls(conn) ? VIM_VIA_TLS : 0,
			   MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "User-Agent"),
			   &a);
	}
	return send_text(conn, (unsigned)a.va_status, "text/xml; charset=utf-8",
			 a.va_body, a.va_len, a.va_set_cookie);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **ctx,
			 enum MHD_RequestTerminationCode code)
{
	struct upload *ul = *ctx;

	(void)cls;
	(void)conn;
	if (ul != NULL && ul->ul_kind == FILES_HTTP_KIND) {
		files_http_completed(
			ul, code == MHD_REQUEST_TERMINATED_COMPLETED_OK);
		*ctx = NULL;
		return;
	}
	if (ul != NULL) {
		free(ul->ul_buf);
		free(ul);
		*ctx = NULL;
	}
}

/* A daemon on listen_fd (the Unix socket) or on sin, with TLS when cert
 * is given. */
static struct MHD_Daemon *start(const struct http_listener *l, int listen_fd,
				const struct sockaddr_in *sin,
				const struct host_cert *cert)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
			 MHD_USE_ERROR_LOG;
	struct MHD_OptionItem opts[10];
	int n = 0;

	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED,
					    (intptr_t)on_completed, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 600,
					    NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_THREAD_STACK_SIZE,
					    HTTP_STACK_BYTES, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT,
					    HTTP_CONNECTIONS_MAX, NULL};
	if (listen_fd >= 0)
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_LISTEN_SOCKET,
						    listen_fd, NULL};
	else
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0,
						    (void *)(uintptr_t)sin};
	if (cert != NULL) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0,
						    cert->hc_key};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT,
						    0, cert->hc_crt};
		opts[n++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_PRIORITIES, 0,
			(void *)(uintptr_t)host_tls_priorities};
	}
	opts[n] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	return MHD_start_daemon(flags, sin != NULL ? ntohs(sin->sin_port) : 0,
				NULL, NULL, on_request, (void *)(uintptr_t)l,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

/* Listen on a loopback address: hosted mode only; the public ports are
 * the proxy's. */
static int listen_loopback(const struct http_listener *l, struct MHD_Daemon **d,
			   const char *addr, int port,
			   const struct host_cert *cert, struct err *e)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};

	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1 ||
	    (ntohl(sin.sin_addr.s_addr) >> 24) != 127)
		return err_set(e, -EINVAL,
			       "--address '%s': expected a loopback "
			       "address, 127.x.y.z",
			       addr);
	if (cert != NULL &&
	    MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return err_set(e, -ENOTSUP,
			       "this libmicrohttpd has no TLS support");
	*d = start(l, -1, &sin, cert);
	if (*d == NULL)
		return err_set(e, -EADDRINUSE,
			       "cannot listen on %s:%d (in use?)", addr, port);
	return 0;
}

/* Serve the Unix socket at path (mode: its permission bits) into *d;
 * its path is kept in path_out to be removed at the end. */
static int listen_unix(const struct http_listener *l, struct MHD_Daemon **d,
		       const char *path, mode_t mode, char *path_out,
		       size_t path_size, struct err *e)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path) || strlen(path) >= path_size)
		return err_set(e, -ENAMETOOLONG, "%s: socket path too long",
			       path);
	strcpy(sun.sun_path, path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	/* Born with its mode: no moment where others could connect. */
	old = umask((mode_t)(~mode & 0777));
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc < 0 || listen(fd, 64) < 0) {
		rc = -errno;
		close(fd);
		return err_set(e, rc, "%s: %s", path, strerror(-rc));
	}
	*d = start(l, fd, NULL, NULL);
	if (*d == NULL) {
		close(fd);
		unlink(path);
		return err_set(e, -EIO, "%s: cannot serve it", path);
	}
	/* The daemon closes fd when stopped. */
	snprintf(path_out, path_size, "%s", path);
	return 0;
}

int http_start(struct hostd *h, struct http *srv, const struct http_config *cfg,
	       struct err *e)
{
	memset(srv, 0, sizeof(*srv));
	srv->ht_listen = (struct http_listener){.hl_hostd = h};
	srv->ht_listen_console =
		(struct http_listener){.hl_hostd = h, .hl_console = 1};
	if (cfg->hc_port > 0 &&
	    listen_loopback(&srv->ht_listen, &srv->ht_tcp, cfg->hc_address,
			    cfg->hc_port, NULL, e) < 0)
		return -EINVAL;
	if (cfg->hc_https_port > 0 &&
	    listen_loopback(&srv->ht_listen, &srv->ht_tls, cfg->hc_address,
			    cfg->hc_https_port, cfg->hc_cert, e) < 0) {
		http_stop(srv);
		return -EINVAL;
	}
	/* The proxy's socket: hostd's user and group (the proxy's group
	 * once it runs as its own user). */
	if (cfg->hc_socket != NULL &&
	    listen_unix(&srv->ht_listen, &srv->ht_unix, cfg->hc_socket, 0660,
			srv->ht_path, sizeof(srv->ht_path), e) < 0) {
		http_stop(srv);
		return -EIO;
	}
	/* The console's: hostd's own user, and the DCUI's where hostd runs
	 * as root (the appliance): the socket becomes dcui's, 0600. */
	if (cfg->hc_console_socket != NULL &&
	    listen_unix(&srv->ht_listen_console, &srv->ht_console,
			cfg->hc_console_socket, 0600, srv->ht_console_path,
			sizeof(srv->ht_console_path), e) < 0) {
		http_stop(srv);
		return -EIO;
	}
	if (srv->ht_console_path[0] != '\0' && geteuid() == 0 &&
	    chown(srv->ht_console_path, CONSOLE_UID, (gid_t)-1) < 0)
		log_warn("%s: cannot give it to the console's user",
			 srv->ht_console_path);
	return 0;
}

void http_stop(struct http *srv)
{
	if (srv->ht_tcp != NULL)
		MHD_stop_daemon(srv->ht_tcp);
	if (srv->ht_tls != NULL)
		MHD_stop_daemon(srv->ht_tls);
	if (srv->ht_unix != NULL)
		MHD_stop_daemon(srv->ht_unix);
	if (srv->ht_console != NULL)
		MHD_stop_daemon(srv->ht_console);
	if (srv->ht_path[0] != '\0')
		unlink(srv->ht_path);
	if (srv->ht_console_path[0] != '\0')
		unlink(srv->ht_console_path);
	memset(srv, 0, sizeof(*srv));
}
