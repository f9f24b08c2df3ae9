/*
 * diagnostic_manager.c: DiagnosticManager ha-diagnosticmgr (issue 9):
 * the host's logs by key, line by line, as the reference's clients
 * (govc logs, the DCUI's log view) read them. Files under ROOT/var/log
 * (the appliance's agents write there; hosted, scripts/hosted.sh does)
 * and the kernel's ring buffer. Lines are counted from the start of the
 * last LOG_WINDOW_BYTES of a file: a longer file's older lines are out
 * of reach (rotation keeps files below that).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/mo.h"

#define DIAG_ID		   "ha-diagnosticmgr"
#define LOG_WINDOW_BYTES   (8u << 20)
#define LOG_LINES_MAX	   1000 /* per call, as the reference caps it */
#define LOG_LINE_MAX_BYTES 4096
#define KMSG_RECORD_MAX	   8192

static const struct {
	const char *key, *file, *creator, *label;
} logs[] = {
	{"hostd", "/var/log/hostd.log", "hostd", "hostd's log"},
	{"rhttpproxy", "/var/log/rhttpproxy.log", "rhttpproxy",
	 "the reverse proxy's log"},
	{"syslog", "/var/log/syslog.log", "syslogd", "the system log"},
	{"vmkernel", "/dev/kmsg", "kernel", "the kernel's messages"},
};
#define N_LOGS (sizeof(logs) / sizeof(*logs))

static int dm_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, DIAG_ID) == 0;
}

static enum mo_prop_result dm_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	(void)c, (void)id, (void)name;
	*out = NULL;
	return MO_PROP_UNKNOWN;
}

static const char *const dm_props[] = {NULL};

const struct mo_type mo_diagnostic_manager = {
	.mt_name = "DiagnosticManager",
	.mt_exists = dm_exists,
	.mt_prop = dm_prop,
	.mt_props = dm_props,
};

static int host_arg_ok(struct vim_call *c)
{
	char host[32];
	struct soap_node *n = soap_arg(c->vc_req, "host");

	return n == NULL || (soap_text(n, host, sizeof(host)) == 0 &&
			     strcmp(host, "ha-host") == 0);
}

static int query_descriptions(struct vim_call *c)
{
	struct vval *a;

	if (!dm_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (!host_arg_ok(c))
		return vim_fault_invalid_argument(c, "host");
	a = vval_array(NULL, NULL, "DiagnosticManagerLogDescriptor");
	for (size_t i = 0; i < N_LOGS; i++) {
		struct vval *d =
			vval_obj(a, NULL, "DiagnosticManagerLogDescriptor");
		struct vval *info;
		vval_str(d, "key", logs[i].key);
		vval_str(d, "fileName", logs[i].file);
		vval_str(d, "creator", logs[i].creator);
		vval_str(d, "format", "plain");
		vval_str(d, "mimeType", "text/plain");
		info = vval_obj(d, "info", "Description");
		vval_str(info, "label", logs[i].key);
		vval_str(info, "summary", logs[i].label);
	}
	for (struct vval *d = a->vv_first; d != NULL; d = d->vv_next)
		vval_write(&c->vc_out, "returnval", d);
	vval_free(a);
	return 0;
}

/* The kernel's ring buffer as text lines "[seconds.micro] message"
 * (what is there now; reading never waits). */
static char *read_kmsg(size_t *len)
{
	char rec[KMSG_RECORD_MAX];
	size_t cap = 1u << 16, n = 0;
	char *buf = malloc(cap);
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (buf == NULL || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r = read(fd, rec, sizeof(rec) - 1);
		if (r < 0 && errno == EPIPE)
			continue; /* overwritten while read: go on */
		if (r <= 0)
			break;
		rec[r] = '\0';
		/* "prio,seq,usec,flags;text\n" then continuation lines */
		unsigned long long usec = 0;
		char *semi = strchr(rec, ';');
		if (semi == NULL || sscanf(rec, "%*u,%*u,%llu", &usec) != 1)
			continue;
		char *text = semi + 1, *nl = strchr(text, '\n');
		if (nl != NULL)
			*nl = '\0';
		size_t need = strlen(text) + 40;
		if (n + need > LOG_WINDOW_BYTES)
			break;
		if (n + need > cap) {
			char *nb = realloc(buf, cap * 2 > n + need ? cap * 2
								   : n + need);
			if (nb == NULL)
				break;
			buf = nb;
			cap = cap * 2 > n + need ? cap * 2 : n + need;
		}
		n += (size_t)snprintf(buf + n, cap - n, "[%llu.%06llu] %s\n",
				      usec / 1000000, usec % 1000000, text);
	}
	close(fd);
	*len = n;
	return buf;
}

/* The last LOG_WINDOW_BYTES of path, from a line's start. */
static char *read_tail(const char *path, size_t *len, int *err)
{
	struct stat st;
	off_t from = 0;
	size_t size, got = 0;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*err = fd < 0 ? errno : EINVAL;
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	if ((unsigned long long)st.st_size > LOG_WINDOW_BYTES)
		from = st.st_size - (off_t)LOG_WINDOW_BYTES;
	size = (size_t)(st.st_size - from);
	buf = malloc(size + 1);
	if (buf == NULL) {
		close(fd);
		*err = ENOMEM;
		return NULL;
	}
	while (got < size) {
		ssize_t r = pread(fd, buf + got, size - got, from + (off_t)got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	if (from > 0) {
		/* Drop the partial first line. */
		char *nl = memchr(buf, '\n', got);
		size_t skip = nl != NULL ? (size_t)(nl - buf) + 1 : got;
		memmove(buf, buf + skip, got - skip + 1);
		got -= skip;
	}
	*len = got;
	return buf;
}

static int browse(struct vim_call *c)
{
	char key[32], num[16], path[PATH_MAX + 32];
	struct soap_node *n;
	long start = 1, want = LOG_LINES_MAX, line = 0, end;
	size_t len = 0, i, k;
	char *text;
	int err = 0;
	struct vval *hdr, *lines;

	if (!dm_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (!host_arg_ok(c))
		return vim_fault_invalid_argument(c, "host");
	if (soap_text(soap_arg(c->vc_req, "key"), key, sizeof(key)) < 0)
		return vim_fault_invalid_argument(c, "key");
	for (k = 0; k < N_LOGS && strcmp(logs[k].key, key) != 0; k++)
		;
	if (k == N_LOGS)
		return vim_fault_invalid_argument(c, "key");
	if ((n = soap_arg(c->vc_req, "start")) != NULL) {
		char *e;
		if (soap_text(n, num, sizeof(num)) < 0 ||
		    (start = strtol(num, &e, 10)) < 1 || *e != '\0')
			return vim_fault_invalid_argument(c, "start");
	}
	if ((n = soap_arg(c->vc_req, "lines")) != NULL) {
		char *e;
		if (soap_text(n, num, sizeof(num)) < 0 ||
		    (want = strtol(num, &e, 10)) < 0 || *e != '\0')
			return vim_fault_invalid_argument(c, "lines");
		if (want > LOG_LINES_MAX)
			want = LOG_LINES_MAX;
	}
	if (strcmp(logs[k].file, "/dev/kmsg") == 0) {
		text = read_kmsg(&len);
		if (text == NULL)
			err = errno;
	} else {
		snprintf(path, sizeof(path), "%s%s",
			 strcmp(c->vc_hostd->hd_root, "/") == 0
				 ? ""
				 : c->vc_hostd->hd_root,
			 logs[k].file);
		text = read_tail(path, &len, &err);
		if (text == NULL && err == ENOENT) {
			text = strdup(""); /* not written yet: empty */
			err = text == NULL ? ENOMEM : 0;
		}
	}
	if (text == NULL)
		return vim_fault(c, "CannotAccessFile", NULL,
				 "cannot read the %s log: %s", key,
				 strerror(err));
	/* Count the lines; a last line without its newline counts. */
	long total = 0;
	for (i = 0; i < len; i++)
		if (text[i] == '\n' || i + 1 == len)
			total++;
	end = start + want - 1;
	if (end > total)
		end = total;
	hdr = vval_obj(NULL, NULL, "DiagnosticManagerLogHeader");
	vval_int(hdr, "lineStart", "xsd:int", start > total ? total : start);
	vval_int(hdr, "lineEnd", "xsd:int", start > total ? total : end);
	lines = vval_array(hdr, "lineText", "string");
	for (i = 0, line = 1; i < len && line <= end; line++) {
		size_t l = strcspn(text + i, "\n");
		if (line >= start) {
			char one[LOG_LINE_MAX_BYTES];
			size_t m = l < sizeof(one) - 1 ? l : sizeof(one) - 1;
			memcpy(one, text + i, m);
			one[m] = '\0';
			/* No control bytes in XML text, and nothing that
			 * could be broken UTF-8 (logs hold what clients
			 * sent). */
			for (size_t j = 0; j < m; j++)
				if (((unsigned char)one[j] < 0x20 &&
				     one[j] != '\t') ||
				    (unsigned char)one[j] >= 0x7f)
					one[j] = '?';
			vval_str(lines, NULL, one);
		}
		i += l + 1;
	}
	free(text);
	vval_write(&c->vc_out, "returnval", hdr);
	vval_free(hdr);
	return 0;
}

const struct vim_method vim_diagnostic_manager_methods[] = {
	{"QueryDescriptions", "DiagnosticManager", 0, query_descriptions},
	{"BrowseDiagnosticLog", "DiagnosticManager", 0, browse},
	{NULL, NULL, 0, NULL},
};
