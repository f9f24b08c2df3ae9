/*
 * api.c: SOAP calls to hostd over its console socket (api.h). The answer
 * is read whole (bounded) with "Connection: close"; a fault's
 * faultstring becomes the error's text.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dcui/api.h"

#define API_ANSWER_MAX_BYTES (8u << 20) /* a page of a log */

static const char envelope_head[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
	"<soapenv:Envelope "
	"xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "
	"xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
	"xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soapenv:Body>";
static const char envelope_tail[] = "</soapenv:Body></soapenv:Envelope>";

int api_xml_escape(const char *s, char *out, size_t size)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		const char *rep = *s == '<'    ? "&lt;"
				  : *s == '>'  ? "&gt;"
				  : *s == '&'  ? "&amp;"
				  : *s == '"'  ? "&quot;"
				  : *s == '\'' ? "&apos;"
					       : NULL;
		size_t len = rep != NULL ? strlen(rep) : 1;
		if (n + len + 1 > size)
			return -1;
		if (rep != NULL)
			memcpy(out + n, rep, len);
		else
			out[n] = *s;
		n += len;
	}
	out[n] = '\0';
	return 0;
}

/* Where the first element called tag starts its text in xml (after
 * "<tag>" or "<tag attributes>"), from; NULL when none. */
static const char *element_at(const char *xml, const char *tag)
{
	size_t n = strlen(tag);

	for (const char *p = strchr(xml, '<'); p != NULL;
	     p = strchr(p + 1, '<')) {
		if (strncmp(p + 1, tag, n) != 0 ||
		    (p[1 + n] != '>' && p[1 + n] != ' '))
			continue;
		const char *gt = strchr(p, '>');
		if (gt == NULL || gt[-1] == '/')
			return gt == NULL ? NULL : gt + 1; /* <tag/>: "" */
		return gt + 1;
	}
	return NULL;
}

/* The text at p (up to the next '<') unescaped into out; a bounded
 * copy. Returns where the text ends. */
static const char *unescape(const char *p, char *out, size_t size)
{
	size_t n = 0;

	while (*p != '\0' && *p != '<') {
		char ch = *p++;
		if (ch == '&') {
			static const struct {
				const char *name;
				char ch;
			} ents[] = {{"lt;", '<'},
				    {"gt;", '>'},
				    {"amp;", '&'},
				    {"quot;", '"'},
				    {"apos;", '\''}};
			size_t k;
			for (k = 0; k < 5; k++)
				if (strncmp(p, ents[k].name,
					    strlen(ents[k].name)) == 0)
					break;
			if (k < 5) {
				ch = ents[k].ch;
				p += strlen(ents[k].name);
			} else if (*p == '#') {
				char *end;
				long v = p[1] == 'x' ? strtol(p + 2, &end, 16)
						     : strtol(p + 1, &end, 10);
				if (*end == ';') {
					ch = v > 0 && v < 128 ? (char)v : '?';
					p = end + 1;
				}
			}
		}
		if (n + 1 < size)
			out[n++] = ch;
	}
	if (size > 0)
		out[n] = '\0';
	return p;
}

void api_text(const char *xml, const char *tag, char *out, size_t size)
{
	const char *p = element_at(xml, tag);

	if (p == NULL) {
		if (size > 0)
			out[0] = '\0';
		return;
	}
	unescape(p, out, size);
}

int api_each(const char *xml, const char *tag,
	     void (*fn)(void *ctx, const char *text), void *ctx)
{
	char *text = malloc(API_TEXT_MAX_BYTES);
	const char *p = xml;
	int n = 0;

	if (text == NULL)
		return 0;
	while ((p = element_at(p, tag)) != NULL) {
		p = unescape(p, text, API_TEXT_MAX_BYTES);
		fn(ctx, text);
		n++;
	}
	free(text);
	return n;
}

/* POST body; the answer in *answer (malloc'd, NUL-terminated). Returns
 * the HTTP status, or -1 (e says why). */
static int call(struct api *a, const char *body, char **answer, struct err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char head[512 + API_COOKIE_MAX];
	size_t len = 0, cap = 8192;
	char *buf = NULL;
	int fd, status;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a->ap_socket);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		err_set(e, -errno, "hostd's console socket %s: %s",
			a->ap_socket, strerror(errno));
		goto fail;
	}
	int n = snprintf(head, sizeof(head),
			 "POST /sdk HTTP/1.1\r\nHost: localhost\r\n"
			 "Content-Type: text/xml; charset=utf-8\r\n"
			 "SOAPAction: \"urn:vim25/6.7.1\"\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n"
			 "%s%s%s\r\n",
			 strlen(body), a->ap_cookie[0] ? "Cookie: " : "",
			 a->ap_cookie, a->ap_cookie[0] ? "\r\n" : "");
	if (write(fd, head, (size_t)n) != n ||
	    write(fd, body, strlen(body)) != (ssize_t)strlen(body)) {
		err_set(e, -EIO, "writing to hostd: %s", strerror(errno));
		goto fail;
	}
	buf = malloc(cap);
	for (;;) {
		ssize_t r;
		if (buf == NULL) {
			err_set(e, -ENOMEM, "out of memory");
			goto fail;
		}
		if (len + 1 >= cap) {
			if (cap >= API_ANSWER_MAX_BYTES) {
				err_set(e, -EFBIG,
					"hostd's answer is too long");
				goto fail;
			}
			char *nb = realloc(buf, cap *= 2);
			if (nb == NULL) {
				err_set(e, -ENOMEM, "out of memory");
				goto fail;
			}
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	close(fd);
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1) {
		free(buf);
		return err_set(e, -EPROTO, "hostd answered no HTTP");
	}
	/* The session cookie, when hostd sets one. */
	const char *c = strstr(buf, "\r\nSet-Cookie: ");
	if (c != NULL) {
		c += 14;
		snprintf(a->ap_cookie, sizeof(a->ap_cookie), "%.*s",
			 (int)strcspn(c, ";\r\n"), c);
	}
	*answer = buf;
	return status;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}

int api_invoke(struct api *a, const char *method, const char *args,
	       char **answer, struct err *e)
{
	size_t size = strlen(envelope_head) + strlen(envelope_tail) +
		      2 * strlen(method) + strlen(args) + 64;
	char *body = malloc(size), *ans = NULL;
	int status;

	a->ap_fault[0] = '\0';
	if (body == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	snprintf(body, size, "%s<%s xmlns=\"urn:vim25\">%s</%s>%s",
		 envelope_head, method, args, method, envelope_tail);
	status = call(a, body, &ans, e);
	explicit_bzero(body, size); /* it may hold a password */
	free(body);
	if (status < 0)
		return -1;
	if (status != 200) {
		char fault[512];
		const char *t = strstr(ans, "<detail>");
		/* The fault's type: the first element in <detail>. */
		if (t != NULL && (t = strchr(t + 8, '<')) != NULL)
			snprintf(a->ap_fault, sizeof(a->ap_fault), "%.*s",
				 (int)strcspn(t + 1, " />"), t + 1);
		size_t fl = strlen(a->ap_fault);
		if (fl > 5 && strcmp(a->ap_fault + fl - 5, "Fault") == 0)
			a->ap_fault[fl - 5] = '\0'; /* "NoPermissionFault" */
		api_text(ans, "faultstring", fault, sizeof(fault));
		err_set(e, -EACCES, "%s", fault[0] ? fault : "hostd refused");
		free(ans);
		return -1;
	}
	if (answer != NULL)
		*answer = ans;
	else
		free(ans);
	return 0;
}

/* method with args pre, user, mid, password, post: the user and the
 * password escaped, the copies wiped after. */
static int invoke_secret(struct api *a, const char *method, const char *pre,
			 const char *user, const char *mid,
			 const char *password, const char *post, struct err *e)
{
	char u[256], p[1024], args[1536];
	int rc;

	if (api_xml_escape(user, u, sizeof(u)) < 0 ||
	    api_xml_escape(password, p, sizeof(p)) < 0)
		return err_set(e, -E2BIG, "the name or password is too long");
	snprintf(args, sizeof(args), "%s%s%s%s%s", pre, u, mid, p, post);
	explicit_bzero(p, sizeof(p));
	rc = api_invoke(a, method, args, NULL, e);
	explicit_bzero(args, sizeof(args));
	return rc;
}

int api_login(struct api *a, const char *user, const char *password,
	      struct err *e)
{
	a->ap_cookie[0] = '\0';
	return invoke_secret(a, "Login",
			     "<_this type=\"SessionManager\">ha-sessionmgr"
			     "</_this><userName>",
			     user, "</userName><password>", password,
			     "</password>", e);
}

int api_set_password(struct api *a, const char *user, const char *password,
		     struct err *e)
{
	return invoke_secret(a, "UpdateUser",
			     "<_this type=\"HostLocalAccountManager\">"
			     "ha-localacctmgr</_this><user "
			     "xsi:type=\"HostPosixAccountSpec\"><id>",
			     user, "</id><password>", password,
			     "</password></user>", e);
}

void api_logout(struct api *a)
{
	struct err e;

	if (a->ap_cookie[0] != '\0')
		(void)api_invoke(a, "Logout",
				 "<_this type=\"SessionManager\">ha-sessionmgr"
				 "</_this>",
				 NULL, &e);
	a->ap_cookie[0] = '\0';
}
