/*
 * files_http.c: datastore files over HTTP (/folder, vi-api.md §9) and
 * the host's config files read-only (/host, administrators only), as the
 * proxy relays them. Who: the VI API session cookie or HTTP Basic (with
 * the login's lockout). May they: Datastore.Browse to read,
 * Datastore.FileManagement to write, on the datastore. Where: inside the
 * datastore, no "..", no symbolic link out (datastore_resolve_inside).
 * An upload goes to a temporary file beside its target, renamed over it
 * only once complete: an aborted one leaves nothing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "common/file.h"
#include "common/log.h"
#include "hostd/audit.h"
#include "hostd/authz.h"
#include "hostd/datastore.h"
#include "hostd/files_http.h"
#include "hostd/firmware.h"
#include "hostd/hostd.h"

#define LISTING_MAX_BYTES (4u << 20)
#define BASIC_MAX_BYTES	  512
#define REALM		  "Basic realm=\"VMware HTTP server\""

struct file_xfer {
	int fx_kind; /* FILES_HTTP_KIND: http.c tells contexts apart */
	int fx_started;
	int fx_fd;	/* the upload's temporary file, or -1 */
	int fx_failed;	/* errno of a failed write */
	int fx_existed; /* the target was there: 200, not 201 */
	char fx_tmp[PATH_MAX];
	char fx_path[PATH_MAX];
	char fx_user[VIM_USER_MAX];
	char fx_peer[48];
	char fx_ds[32]; /* the datastore's id, for the audit */
	long long fx_bytes;
	long long fx_max; /* an upload's limit (0: none) */
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
			     const char *type, const char *text,
			     const char *extra_name, const char *extra_value)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	if (extra_name != NULL)
		MHD_add_response_header(r, extra_name, extra_value);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result status_reply(struct MHD_Connection *conn,
				    unsigned status, const char *why)
{
	char body[300];

	snprintf(body, sizeof(body), "%u %s\n", status, why);
	return reply(conn, status, "text/plain; charset=utf-8", body,
		     status == 401 ? "WWW-Authenticate" : NULL, REALM);
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Standard base64 (padding optional) into out[size], NUL-terminated;
 * -1 on anything else. */
static int b64_decode(const char *in, char *out, size_t size)
{
	size_t n = 0;
	unsigned acc = 0;
	int bits = 0;

	for (; *in != '\0' && *in != '='; in++) {
		int v = b64val(*in);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= size)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	while (*in == '=')
		in++;
	if (*in != '\0')
		return -1;
	out[n] = '\0';
	return memchr(out, '\0', n) == NULL ? 0 : -1;
}

/*
 * Who is asking: a network session's cookie, or HTTP Basic (checked as
 * a login is, lockout included). Under the hostd lock. 0 with user set;
 * else the status to answer (401).
 */
static int who(struct hostd *h, struct MHD_Connection *conn, const char *peer,
	       char *user, size_t size)
{
	const char *cookie =
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Cookie");
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						       "Authorization");
	struct vim_session *s =
		cookie != NULL ? vim_session_find(h, cookie) : NULL;
	char cred[BASIC_MAX_BYTES], *colon;
	const char *why;
	int ok;

	if (s != NULL && !s->vs_console) {
		snprintf(user, size, "%s", s->vs_user);
		s->vs_active = time(NULL);
		return 0;
	}
	if (auth == NULL || strncasecmp(auth, "Basic ", 6) != 0)
		return 401;
	if (b64_decode(auth + 6, cred, sizeof(cred)) < 0 ||
	    (colon = strchr(cred, ':')) == NULL ||
	    (size_t)(colon - cred) >= size || colon == cred) {
		explicit_bzero(cred, sizeof(cred));
		return 401;
	}
	*colon = '\0';
	ok = vim_password_check(h, cred, colon + 1, peer, "HTTP Basic", &why);
	if (ok)
		memcpy(user, cred, (size_t)(colon - cred) + 1); /* fits */
	explicit_bzero(cred, sizeof(cred));
	return ok ? 0 : 401;
}

/* May user have priv on type:id? Under the hostd lock. */
static int may(struct hostd *h, const char *peer, const char *user,
	       const char *type, const char *id, const char *priv)
{
	struct vim_call c = {.vc_hostd = h, .vc_peer = peer};
	int ok = vim_may_user(&c, user, type, id, priv);

	vim_access_free(&c);
	return ok > 0;
}

/* Has user every privilege on the host (the Admin role, or one as
 * wide)? */
static int is_admin(struct hostd *h, const char *peer, const char *user)
{
	struct vim_call c = {.vc_hostd = h, .vc_peer = peer};
	struct authz_privs p;
	int ok = vim_user_privs(&c, user, "HostSystem", "ha-host", &p) == 0;

	for (int k = 0; ok && authz_privileges[k] != NULL; k++)
		ok = authz_privs_has(&p, k);
	vim_access_free(&c);
	return ok;
}

/* The part of url after prefix ("/folder"), checked: segments neither
 * empty (but a last one, for a folder) nor "." or "..". NULL: refused. */
static const char *rel_path(const char *url, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p;

	if (strncmp(url, prefix, n) != 0 || (url[n] != '\0' && url[n] != '/'))
		return NULL;
	p = url[n] == '/' ? url + n + 1 : url + n;
	for (const char *s = p; *s != '\0';) {
		const char *e = strchr(s, '/');
		size_t len = e != NULL ? (size_t)(e - s) : strlen(s);
		if ((len == 0 && e != NULL) || (len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.') ||
		    memchr(s, '\\', len) != NULL)
			return NULL;
		s = e != NULL ? e + 1 : s + len;
	}
	return p;
}

/* Append HTML-escaped text. */
static void html_put(char *out, size_t size, size_t *n, const char *text)
{
	for (; *text != '\0' && *n + 8 < size; text++) {
		const char *r = NULL;
		switch (*text) {
		case '<':
			r = "&lt;";
			break;
		case '>':
			r = "&gt;";
			break;
		case '&':
			r = "&amp;";
			break;
		case '"':
			r = "&quot;";
			break;
		}
		if (r != NULL) {
			memcpy(out + *n, r, strlen(r));
			*n += strlen(r);
		} else {
			out[(*n)++] = *text;
		}
	}
	out[*n] = '\0';
}

/* Percent-encode a name for a link. */
static void url_put(char *out, size_t size, size_t *n, const char *text)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *text != '\0' && *n + 4 < size; text++) {
		unsigned char ch = (unsigned char)*text;
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-_.~/", ch) != NULL) {
			out[(*n)++] = (char)ch;
		} else {
			out[(*n)++] = '%';
			out[(*n)++] = hex[ch >> 4];
			out[(*n)++] = hex[ch & 15];
		}
	}
	out[*n] = '\0';
}

/* How a listing links its entries. */
enum listing_kind {
	LIST_FOLDER,	 /* base + name [+ '/'] + "?" + query */
	LIST_DATASTORES, /* base + "?" + query + name */
	LIST_HOST,	 /* base + name; files only, those host_file_ok */
};

static int host_file_ok(const char *name);

/* An HTML listing of directory dir, each entry a link (absolute: base
 * is the folder's URL path, ending in '/'). */
static enum MHD_Result listing(struct MHD_Connection *conn, const char *dir,
			       const char *title, enum listing_kind kind,
			       const char *base, const char *query)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *out;
	size_t n = 0;
	enum MHD_Result ret;

	if (d == NULL)
		return status_reply(conn, 404, "Not Found");
	out = malloc(LISTING_MAX_BYTES);
	if (out == NULL) {
		closedir(d);
		return MHD_NO;
	}
	n = (size_t)snprintf(out, LISTING_MAX_BYTES,
			     "<!DOCTYPE html>\n<html><head><meta charset="
			     "\"utf-8\"><title>");
	html_put(out, LISTING_MAX_BYTES, &n, title);
	n += (size_t)snprintf(out + n, LISTING_MAX_BYTES - n,
			      "</title></head><body>\n<h1>");
	html_put(out, LISTING_MAX_BYTES, &n, title);
	n += (size_t)snprintf(out + n, LISTING_MAX_BYTES - n, "</h1>\n<ul>\n");
	while ((de = readdir(d)) != NULL && n + 2048 < LISTING_MAX_BYTES) {
		int folder = de->d_type == DT_DIR;
		if (de->d_name[0] == '.')
			continue; /* ".", "..", and uploads under way */
		if (kind == LIST_HOST && (folder || !host_file_ok(de->d_name)))
			continue;
		n += (size_t)snprintf(out + n, LISTING_MAX_BYTES - n,
				      "<li><a href=\"");
		url_put(out, LISTING_MAX_BYTES, &n, base);
		if (kind == LIST_DATASTORES) {
			n += (size_t)snprintf(out + n, LISTING_MAX_BYTES - n,
					      "?%s", query);
			url_put(out, LISTING_MAX_BYTES, &n, de->d_name);
		} else {
			url_put(out, LISTING_MAX_BYTES, &n, de->d_name);
			if (kind == LIST_FOLDER)
				n += (size_t)snprintf(
					out + n, LISTING_MAX_BYTES - n, "%s?%s",
					folder ? "/" : "", query);
		}
		n += (size_t)snprintf(out + n, LISTING_MAX_BYTES - n, "\">");
		html_put(out, LISTING_MAX_BYTES, &n, de->d_name);
		n += (size_t)snprintf(out + n, LISTING_MAX_BYTES - n,
				      "%s</a></li>\n", folder ? "/" : "");
	}
	closedir(d);
	n += (size_t)snprintf(out + n, LISTING_MAX_BYTES - n,
			      "</ul>\n</body></html>\n");
	{
		struct MHD_Response *r = MHD_create_response_from_buffer(
			n, out, MHD_RESPMEM_MUST_FREE);
		if (r == NULL) {
			free(out);
			return MHD_NO;
		}
		MHD_add_response_header(r, "Content-Type",
					"text/html; charset=utf-8");
		ret = MHD_queue_response(conn, 200, r);
		MHD_destroy_response(r);
	}
	return ret;
}

/* "bytes=a-b", "bytes=a-", "bytes=-n" against size: 0 with [*off,
 * *off + *len); 1 when there is no Range; -1 when it cannot be met. */
static int range(const char *v, long long size, long long *off, long long *len)
{
	long long a = -1, b = -1;
	char *end;

	if (v == NULL)
		return 1;
	if (strncmp(v, "bytes=", 6) != 0 || strchr(v, ',') != NULL)
		return -1;
	v += 6;
	if (*v == '-') {
		b = strtoll(v + 1, &end, 10);
		if (end == v + 1 || *end != '\0' || b <= 0)
			return -1;
		a = b > size ? 0 : size - b;
		b = size - 1;
	} else {
		a = strtoll(v, &end, 10);
		if (end == v || *end != '-' || a < 0)
			return -1;
		v = end + 1;
		if (*v == '\0') {
			b = size - 1;
		} else {
			b = strtoll(v, &end, 10);
			if (*end != '\0' || b < a)
				return -1;
			if (b >= size)
				b = size - 1;
		}
	}
	if (a >= size)
		return -1;
	*off = a;
	*len = b - a + 1;
	return 0;
}

static enum MHD_Result send_file(struct MHD_Connection *conn, const char *path,
				 const char *range_hdr)
{
	struct MHD_Response *r;
	long long off = 0, len;
	struct stat st;
	enum MHD_Result ret;
	char cr[96];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), rr;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		return status_reply(conn, 404, "Not Found");
	}
	len = st.st_size;
	rr = range(range_hdr, st.st_size, &off, &len);
	if (rr < 0) {
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%lld", (long long)st.st_size);
		return reply(conn, 416, "text/plain; charset=utf-8",
			     "416 Range Not Satisfiable\n", "Content-Range",
			     cr);
	}
	r = MHD_create_response_from_fd_at_offset64((uint64_t)len, fd,
						    (uint64_t)off);
	if (r == NULL) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "application/octet-stream");
	MHD_add_response_header(r, "Accept-Ranges", "bytes");
	if (rr == 0) {
		snprintf(cr, sizeof(cr), "bytes %lld-%lld/%lld", off,
			 off + len - 1, (long long)st.st_size);
		MHD_add_response_header(r, "Content-Range", cr);
	}
	ret = MHD_queue_response(conn, rr == 0 ? 206 : 200, r);
	MHD_destroy_response(r);
	return ret;
}

/* Make the folders above path that are missing (inside the datastore:
 * its resolution already refused ".." and links out). */
static int make_parents(const char *path)
{
	char buf[PATH_MAX];
	char *slash;

	snprintf(buf, sizeof(buf), "%s", path);
	slash = strrchr(buf, '/');
	if (slash == NULL)
		return 0;
	*slash = '\0';
	return file_mkdirs(buf);
}

/* Open the upload's temporary file beside path. */
static int start_upload(struct file_xfer *x, const char *path)
{
	unsigned char rnd[6];
	const char *base = strrchr(path, '/');
	size_t dirlen = base != NULL ? (size_t)(base - path) : 0;
	struct stat st;
	int rc;

	if (base == NULL || getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		return -EIO;
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return -EISDIR;
		x->fx_existed = 1;
	}
	rc = make_parents(path);
	if (rc < 0)
		return rc;
	/* Hidden ('.'), so listings and searches never show it. */
	snprintf(x->fx_tmp, sizeof(x->fx_tmp),
		 "%.*s/.%.64s.upload-%02x%02x%02x%02x%02x%02x", (int)dirlen,
		 path, base + 1, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4],
		 rnd[5]);
	snprintf(x->fx_path, sizeof(x->fx_path), "%s", path);
	x->fx_fd = open(x->fx_tmp,
			O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			0644);
	return x->fx_fd < 0 ? -errno : 0;
}

static void drop_upload(struct file_xfer *x)
{
	if (x->fx_fd >= 0) {
		close(x->fx_fd);
		x->fx_fd = -1;
	}
	if (x->fx_tmp[0] != '\0') {
		unlink(x->fx_tmp);
		x->fx_tmp[0] = '\0';
	}
}

/* The upload is whole: in place, durably. */
static int finish_upload(struct file_xfer *x)
{
	int rc = 0;

	if (fsync(x->fx_fd) < 0)
		rc = -errno;
	if (close(x->fx_fd) < 0 && rc == 0)
		rc = -errno;
	x->fx_fd = -1;
	if (rc == 0 && rename(x->fx_tmp, x->fx_path) < 0)
		rc = -errno;
	if (rc < 0) {
		unlink(x->fx_tmp);
	} else {
		/* The folder's entry too. */
		char dir[PATH_MAX];
		char *slash;
		int dfd;
		snprintf(dir, sizeof(dir), "%s", x->fx_path);
		slash = strrchr(dir, '/');
		if (slash != NULL) {
			*slash = '\0';
			dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (dfd >= 0) {
				(void)fsync(dfd);
				close(dfd);
			}
		}
	}
	x->fx_tmp[0] = '\0';
	return rc;
}

/* Everything a /folder request decides under the hostd lock: who, which
 * datastore, may they, where. 0 with path (and ds) set, else the status
 * to answer. */
static int folder_target(struct hostd *h, struct MHD_Connection *conn,
			 const char *url, const char *method, const char *peer,
			 struct file_xfer *x, char *path, size_t size,
			 int *listing_root)
{
	const char *dsname = MHD_lookup_connection_value(
		conn, MHD_GET_ARGUMENT_KIND, "dsName");
	const char *dc = MHD_lookup_connection_value(
		conn, MHD_GET_ARGUMENT_KIND, "dcPath");
	const char *rel = rel_path(url, "/folder");
	int write = strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0;
	char dspath[PATH_MAX];
	struct datastore ds;
	int rc;

	*listing_root = 0;
	if (rel == NULL) {
		log_info("files: %s %s from %s: refused path", method, url,
			 peer);
		return 400;
	}
	rc = who(h, conn, peer, x->fx_user, sizeof(x->fx_user));
	if (rc != 0)
		return rc;
	if (dc != NULL && strcmp(dc, "ha-datacenter") != 0)
		return 404;
	if (dsname == NULL || dsname[0] == '\0') {
		/* The datastores themselves. */
		if (rel[0] != '\0' || write)
			return write ? 405 : 404;
		*listing_root = 1;
		return 0;
	}
	if (datastore_by_name(h, dsname, &ds) < 0)
		return 404;
	snprintf(x->fx_ds, sizeof(x->fx_ds), "%s", ds.ds_id);
	if (!may(h, peer, x->fx_user, "Datastore", ds.ds_id,
		 write ? "Datastore.FileManagement" : "Datastore.Browse")) {
		log_info("files: %s may not %s %s on datastore %s", x->fx_user,
			 method, url, dsname);
		return 403;
	}
	if (snprintf(dspath, sizeof(dspath), "[%s] %s", dsname, rel) >=
	    (int)sizeof(dspath))
		return 414;
	rc = datastore_resolve_inside(h, dspath, path, size, &ds);
	if (rc == -EACCES || rc == -EINVAL) {
		log_info("files: %s %s from %s: outside the datastore", method,
			 url, peer);
		return 403;
	}
	return rc < 0 ? 404 : 0;
}

/* A PUT's body, piece by piece, then its end: kept only whole (what,
 * type and id name it in the audit). */
static enum MHD_Result upload_body(struct hostd *h, struct MHD_Connection *conn,
				   const char *url, const char *data,
				   size_t *data_size, struct file_xfer *x,
				   const char *peer, const char *what,
				   const char *type, const char *id)
{
	int status;

	if (*data_size > 0) {
		size_t done = 0;
		while (done < *data_size && x->fx_failed == 0) {
			ssize_t w =
				write(x->fx_fd, data + done, *data_size - done);
			if (w < 0 && errno != EINTR)
				x->fx_failed = errno;
			else if (w > 0)
				done += (size_t)w;
		}
		x->fx_bytes += (long long)*data_size;
		*data_size = 0;
		if (x->fx_max > 0 && x->fx_bytes > x->fx_max)
			x->fx_failed = EFBIG;
		return MHD_YES;
	}
	if (x->fx_failed != 0) {
		log_warnx("files: PUT %s by %s: %s", url, x->fx_user,
			  strerror(x->fx_failed));
		drop_upload(x);
		status = 500;
	} else {
		status = finish_upload(x) < 0 ? 500 : x->fx_existed ? 200 : 201;
	}
	pthread_mutex_lock(&h->hd_lock);
	audit(h, x->fx_user, peer, what, type, id,
	      status < 300 ? "ok" : "failed");
	pthread_mutex_unlock(&h->hd_lock);
	if (status < 300)
		log_info("files: %s put %s (%lld bytes)", x->fx_user, url,
			 x->fx_bytes);
	return status < 300 ? reply(conn, (unsigned)status, "text/plain", "",
				    NULL, NULL)
	       : x->fx_failed == EFBIG
		       ? status_reply(conn, 413, "Payload Too Large")
		       : status_reply(conn, 500,
				      x->fx_failed == ENOSPC ? "No space left"
							     : "Write failed");
}

static enum MHD_Result folder(struct hostd *h, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *data, size_t *data_size,
			      struct file_xfer *x, const char *peer)
{
	char path[PATH_MAX], title[PATH_MAX + 64], query[160];
	int status, root_list = 0, put = strcmp(method, "PUT") == 0;
	struct stat st;

	if (!x->fx_started) {
		x->fx_started = 1;
		if (!put && strcmp(method, "GET") != 0 &&
		    strcmp(method, "HEAD") != 0 &&
		    strcmp(method, "DELETE") != 0)
			return reply(conn, 405, "text/plain; charset=utf-8",
				     "405 Method Not Allowed\n", "Allow",
				     "GET, HEAD, PUT, DELETE");
		snprintf(x->fx_peer, sizeof(x->fx_peer), "%s", peer);
		pthread_mutex_lock(&h->hd_lock);
		status = folder_target(h, conn, url, method, peer, x, path,
				       sizeof(path), &root_list);
		pthread_mutex_unlock(&h->hd_lock);
		if (status != 0)
			return status_reply(conn, (unsigned)status,
					    status == 401   ? "Unauthorized"
					    : status == 403 ? "Forbidden"
					    : status == 400 ? "Bad Request"
					    : status == 405
						    ? "Method Not Allowed"
						    : "Not Found");
		if (root_list) {
			/* Each datastore is a folder there (datastore.h). */
			snprintf(path, sizeof(path), "%.*s/vmfs/volumes",
				 (int)(sizeof(path) - 16), h->hd_root);
			return listing(conn, path, "Datastores",
				       LIST_DATASTORES, "/folder",
				       "dcPath=ha-datacenter&dsName=");
		}
		if (put) {
			int rc = start_upload(x, path);
			if (rc < 0) {
				log_info("files: PUT %s by %s: %s", url,
					 x->fx_user, strerror(-rc));
				return status_reply(
					conn, rc == -EISDIR ? 405 : 500,
					rc == -EISDIR
						? "Method Not Allowed"
						: "Internal Server Error");
			}
			return MHD_YES; /* the body comes next */
		}
		if (strcmp(method, "DELETE") == 0) {
			if (lstat(path, &st) < 0)
				return status_reply(conn, 404, "Not Found");
			if (S_ISDIR(st.st_mode))
				return reply(conn, 405,
					     "text/plain; charset=utf-8",
					     "405 a folder is not deleted "
					     "here\n",
					     "Allow", "GET, HEAD");
			status = unlink(path) == 0 ? 204 : 500;
			pthread_mutex_lock(&h->hd_lock);
			audit(h, x->fx_user, peer, "DELETE /folder",
			      "Datastore", x->fx_ds,
			      status == 204 ? "ok" : "failed");
			pthread_mutex_unlock(&h->hd_lock);
			return status == 204
				       ? reply(conn, 204, "text/plain", "",
					       NULL, NULL)
				       : status_reply(conn, 500,
						      "Internal Server Error");
		}
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			const char *ds = MHD_lookup_connection_value(
				conn, MHD_GET_ARGUMENT_KIND, "dsName");
			char base[PATH_MAX + 2];
			size_t bl = strlen(url);
			snprintf(title, sizeof(title), "[%s] %s", ds, url + 7);
			{
				/* The name encoded: it goes into an href. */
				size_t qn = (size_t)snprintf(
					query, sizeof(query),
					"dcPath=ha-datacenter&dsName=");
				url_put(query, sizeof(query), &qn, ds);
			}
			snprintf(base, sizeof(base), "%s%s", url,
				 bl > 0 && url[bl - 1] == '/' ? "" : "/");
			return listing(conn, path, title, LIST_FOLDER, base,
				       query);
		}
		return send_file(conn, path,
				 MHD_lookup_connection_value(
					 conn, MHD_HEADER_KIND, "Range"));
	}
	return upload_body(h, conn, url, data, data_size, x, peer,
			   "PUT /folder", "Datastore", x->fx_ds);
}

static int is_read(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

/* /host and /downloads: nothing there changes over HTTP. */
static enum MHD_Result reads_only(struct MHD_Connection *conn)
{
	return reply(conn, 405, "text/plain; charset=utf-8",
		     "405 Method Not Allowed\n", "Allow", "GET, HEAD");
}

/* /host: the config files an administrator may read (never shadow, nor
 * the TLS key). */
static int host_file_ok(const char *name)
{
	return name[0] != '.' && strchr(name, '/') == NULL &&
	       strcmp(name, "shadow") != 0;
}

static enum MHD_Result host(struct hostd *h, struct MHD_Connection *conn,
			    const char *url, const char *method,
			    const char *peer, struct file_xfer *x)
{
	const char *rel = rel_path(url, "/host");
	char path[PATH_MAX + 16], confdir[PATH_MAX];
	int rc, admin = 0;

	if (!is_read(method))
		return reads_only(conn);
	if (rel == NULL)
		return status_reply(conn, 400, "Bad Request");
	pthread_mutex_lock(&h->hd_lock);
	rc = who(h, conn, peer, x->fx_user, sizeof(x->fx_user));
	if (rc == 0)
		admin = is_admin(h, peer, x->fx_user);
	snprintf(confdir, sizeof(confdir), "%s", h->hd_confdir);
	pthread_mutex_unlock(&h->hd_lock);
	if (rc != 0)
		return status_reply(conn, 401, "Unauthorized");
	if (!admin)
		return status_reply(conn, 403, "Forbidden");
	if (rel[0] == '\0')
		return listing(conn, confdir, "Host configuration files",
			       LIST_HOST, "/host/", "");
	/* The crash dumps kept on the core-dump partition (init's
	 * crash.c): the kernel's last messages, agents' cores. */
	if (strncmp(rel, "core", 4) == 0 && (rel[4] == '\0' || rel[4] == '/')) {
		char core[PATH_MAX];
		snprintf(core, sizeof(core), "%.*s/var/core", PATH_MAX - 16,
			 h->hd_root);
		if (rel[4] == '\0' || rel[5] == '\0')
			return listing(conn, core, "Crash dumps", LIST_HOST,
				       "/host/core/", "");
		if (!host_file_ok(rel + 5))
			return status_reply(conn, 404, "Not Found");
		snprintf(path, sizeof(path), "%s/%s", core, rel + 5);
		return send_file(conn, path, NULL);
	}
	if (!host_file_ok(rel))
		return status_reply(conn, 404, "Not Found");
	snprintf(path, sizeof(path), "%s/%s", confdir, rel);
	return send_file(conn, path, NULL);
}

/* /downloads/<token>/<name>: a configuration backup. The token is the
 * capability, as on the reference (its clients fetch the URL without
 * credentials); it lives FIRMWARE_DOWNLOAD_TTL_S. */
static enum MHD_Result downloads(struct hostd *h, struct MHD_Connection *conn,
				 const char *url, const char *method)
{
	const char *rel = rel_path(url, "/downloads");
	char path[PATH_MAX];
	int rc;

	if (!is_read(method))
		return reads_only(conn);
	if (rel == NULL)
		return status_reply(conn, 400, "Bad Request");
	pthread_mutex_lock(&h->hd_lock);
	rc = firmware_download_path(h, rel, path, sizeof(path));
	pthread_mutex_unlock(&h->hd_lock);
	if (rc < 0)
		return status_reply(conn, 404, "Not Found");
	return send_file(conn, path, NULL);
}

/* PUT FIRMWARE_UPLOAD_URL: a configuration bundle for
 * RestoreFirmwareConfiguration, by a user with Host.Config.Firmware. */
static enum MHD_Result bundle_upload(struct hostd *h,
				     struct MHD_Connection *conn,
				     const char *url, const char *method,
				     const char *data, size_t *data_size,
				     struct file_xfer *x, const char *peer)
{
	char path[PATH_MAX];
	const char *cl;
	int rc, ok = 0;

	if (x->fx_started)
		return upload_body(h, conn, url, data, data_size, x, peer,
				   "PUT " FIRMWARE_UPLOAD_URL, "HostSystem",
				   "ha-host");
	x->fx_started = 1;
	if (strcmp(method, "PUT") != 0)
		return reply(conn, 405, "text/plain; charset=utf-8",
			     "405 Method Not Allowed\n", "Allow", "PUT");
	pthread_mutex_lock(&h->hd_lock);
	rc = who(h, conn, peer, x->fx_user, sizeof(x->fx_user));
	if (rc == 0)
		ok = may(h, peer, x->fx_user, "HostSystem", "ha-host",
			 "Host.Config.Firmware");
	pthread_mutex_unlock(&h->hd_lock);
	if (rc != 0)
		return status_reply(conn, 401, "Unauthorized");
	if (!ok)
		return status_reply(conn, 403, "Forbidden");
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 "Content-Length");
	if (cl != NULL && strtoll(cl, NULL, 10) > FIRMWARE_UPLOAD_MAX)
		return status_reply(conn, 413, "Payload Too Large");
	x->fx_max = FIRMWARE_UPLOAD_MAX;
	firmware_upload_path(h, path, sizeof(path));
	/* Root's alone: a bundle holds the shadow file and the TLS key. */
	*strrchr(path, '/') = '\0';
	if (file_mkdirs(path) < 0 || chmod(path, 0700) < 0)
		return status_reply(conn, 500, "Internal Server Error");
	firmware_upload_path(h, path, sizeof(path));
	if ((rc = start_upload(x, path)) < 0) {
		log_warnx("files: PUT %s by %s: %s", url, x->fx_user,
			  strerror(-rc));
		return status_reply(conn, 500, "Internal Server Error");
	}
	return MHD_YES;
}

int files_http_wants(const char *url)
{
	return (strncmp(url, "/folder", 7) == 0 &&
		(url[7] == '\0' || url[7] == '/')) ||
	       (strncmp(url, "/host", 5) == 0 &&
		(url[5] == '\0' || url[5] == '/')) ||
	       strncmp(url, "/downloads/", 11) == 0 ||
	       strcmp(url, FIRMWARE_UPLOAD_URL) == 0;
}

enum MHD_Result files_http_request(struct hostd *h, struct MHD_Connection *conn,
				   const char *url, const char *method,
				   const char *data, size_t *data_size,
				   void **ctx, const char *peer)
{
	struct file_xfer *x = *ctx;

	if (x == NULL) {
		x = calloc(1, sizeof(*x));
		if (x == NULL)
			return MHD_NO;
		x->fx_kind = FILES_HTTP_KIND;
		x->fx_fd = -1;
		*ctx = x;
		/* PUT: decide before the body comes (MHD then sends no
		 * "100 Continue" for a refused one). */
		if (strcmp(method, "PUT") != 0)
			return MHD_YES;
	}
	if (url[1] == 'h')
		return host(h, conn, url, method, peer, x);
	if (url[1] == 'd')
		return downloads(h, conn, url, method);
	if (url[1] == 't')
		return bundle_upload(h, conn, url, method, data, data_size, x,
				     peer);
	return folder(h, conn, url, method, data, data_size, x, peer);
}

void files_http_completed(void *ctx, int ok)
{
	struct file_xfer *x = ctx;

	/* An upload cut off: its temporary file goes. */
	if (x->fx_tmp[0] != '\0') {
		log_info("files: upload of %s by %s ended early; nothing "
			 "kept",
			 x->fx_path, x->fx_user);
		drop_upload(x);
	}
	(void)ok;
	free(x);
}
