/*
 * syslogcfg.c: the syslog settings among the advanced options
 * (syslogcfg.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/kvcfg.h"
#include "common/syslogcfg.h"

void syslogcfg_defaults(struct syslogcfg *c)
{
	memset(c, 0, sizeof(*c));
	c->sc_rotate = 8;
	c->sc_size_kib = 1024;
	c->sc_queue_msgs = 10000;
	c->sc_queue_mib = 64;
	c->sc_check_certs = 1;
}

/* host: a DNS name or an IPv4/IPv6 address's characters. */
static int host_ok(const char *h)
{
	if (h[0] == '\0' || h[0] == '-' || h[0] == '.')
		return 0;
	for (const char *p = h; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
		      *p == ':'))
			return 0;
	return 1;
}

static int one_target(const char *s, size_t len, struct syslog_target *t,
		      struct err *e)
{
	char buf[300], *host, *port = NULL;
	long p;
	char *end;

	if (len == 0 || len >= sizeof(buf))
		return err_set(e, -EINVAL, "'%.*s': not a syslog target",
			       (int)(len > 64 ? 64 : len), s);
	memcpy(buf, s, len);
	buf[len] = '\0';
	snprintf(t->st_url, sizeof(t->st_url), "%s", buf);
	host = buf;
	t->st_proto = SYSLOG_UDP;
	if (strncasecmp(buf, "udp://", 6) == 0) {
		host = buf + 6;
	} else if (strncasecmp(buf, "tcp://", 6) == 0) {
		t->st_proto = SYSLOG_TCP;
		host = buf + 6;
	} else if (strncasecmp(buf, "ssl://", 6) == 0) {
		t->st_proto = SYSLOG_TLS;
		host = buf + 6;
	} else if (strstr(buf, "://") != NULL) {
		return err_set(e, -EINVAL,
			       "'%s': the scheme must be udp, tcp or ssl", buf);
	}
	if (host[0] == '[') { /* [IPv6]:port */
		char *close = strchr(host, ']');
		if (close == NULL)
			return err_set(e, -EINVAL, "'%s': no closing ']'", buf);
		*close = '\0';
		host++;
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return err_set(e, -EINVAL,
				       "'%s': ':port' after the ']'", buf);
	} else if ((port = strrchr(host, ':')) != NULL) {
		if (strchr(host, ':') != port)
			return err_set(e, -EINVAL,
				       "'%s': an IPv6 address goes in []", buf);
		*port++ = '\0';
	}
	if (!host_ok(host) || strlen(host) >= sizeof(t->st_host))
		return err_set(e, -EINVAL, "'%s': not a host name or address",
			       buf);
	snprintf(t->st_host, sizeof(t->st_host), "%s", host);
	if (port == NULL) {
		p = t->st_proto == SYSLOG_TLS ? 1514 : 514;
	} else {
		errno = 0;
		p = strtol(port, &end, 10);
		if (port[0] == '\0' || *end != '\0' || p < 1 || p > 65535)
			return err_set(e, -EINVAL,
				       "'%s': the port must be 1 to 65535",
				       buf);
	}
	snprintf(t->st_port, sizeof(t->st_port), "%ld", p);
	return 0;
}

int syslogcfg_targets(const char *value, struct syslog_target *out, int max,
		      struct err *e)
{
	int n = 0;
	const char *p = value;

	while (*p != '\0') {
		size_t len;
		while (*p == ',' || *p == ' ')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, ", ");
		if (n == max)
			return err_set(e, -E2BIG, "at most %d syslog targets",
				       max);
		if (one_target(p, len, &out[n], e) < 0)
			return -1;
		n++;
		p += len;
	}
	return n;
}

int syslogcfg_logdir(const char *value, char *out, size_t size, struct err *e)
{
	const char *close, *path;
	int n;

	out[0] = '\0';
	if (value[0] == '\0' || strcmp(value, SYSLOGCFG_LOGDIR_DEFAULT) == 0)
		return 0;
	if (value[0] != '[' || (close = strchr(value, ']')) == NULL ||
	    close[1] != ' ' || close[2] == '\0')
		return err_set(e, -EINVAL,
			       "Syslog.global.logDir '%.64s': \"[datastore] "
			       "path\" or \"[] /absolute/path\"",
			       value);
	path = close + 2;
	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\')
			return err_set(e, -EINVAL,
				       "Syslog.global.logDir: a control "
				       "character or backslash");
	for (const char *p = path; *p; p++)
		if (p[0] == '.' && p[1] == '.' && (p == path || p[-1] == '/') &&
		    (p[2] == '/' || p[2] == '\0'))
			return err_set(e, -EINVAL,
				       "Syslog.global.logDir: no '..'");
	if (close == value + 1) {
		if (path[0] != '/')
			return err_set(e, -EINVAL,
				       "Syslog.global.logDir: \"[] PATH\" "
				       "needs an absolute path");
		n = snprintf(out, size, "%s", path);
	} else {
		size_t nl = (size_t)(close - value - 1);
		for (const char *p = value + 1; p < close; p++)
			if (*p == '/')
				return err_set(e, -EINVAL,
					       "Syslog.global.logDir: a "
					       "datastore name has no '/'");
		if ((nl == 1 && value[1] == '.') ||
		    (nl == 2 && value[1] == '.' && value[2] == '.'))
			return err_set(e, -EINVAL,
				       "Syslog.global.logDir: no datastore is "
				       "called '.' or '..'");
		n = snprintf(out, size, "/vmfs/volumes/%.*s/%s",
			     (int)(close - value - 1), value + 1,
			     path[0] == '/' ? path + 1 : path);
	}
	if (n < 0 || (size_t)n >= size) {
		out[0] = '\0';
		return err_set(e, -ENAMETOOLONG,
			       "Syslog.global.logDir: too long");
	}
	return 0;
}

/* A long option's value in [lo, hi], else the default kept and e set. */
static void long_opt(struct kvcfg *k, const char *key, long lo, long hi,
		     long *out, struct err *e)
{
	struct kvcfg_entry *en = kvcfg_find(k, key);
	char *end;
	long v;

	if (en == NULL)
		return;
	v = strtol(en->ke_value, &end, 10);
	if (en->ke_value[0] == '\0' || *end != '\0' || v < lo || v > hi) {
		err_set(e, -EINVAL, "%s = '%s': %ld to %ld", key, en->ke_value,
			lo, hi);
		return;
	}
	*out = v;
}

int syslogcfg_load(const char *path, struct syslogcfg *c, struct err *e)
{
	struct kvcfg k;
	struct kvcfg_entry *en;
	int rc;

	syslogcfg_defaults(c);
	if ((rc = kvcfg_load(&k, path, e)) < 0) {
		if (rc == -ENOENT) {
			err_clear(e);
			return 0;
		}
		return -1;
	}
	if ((en = kvcfg_find(&k, "Syslog.global.logHost")) != NULL) {
		int n = syslogcfg_targets(en->ke_value, c->sc_targets,
					  SYSLOGCFG_TARGETS_MAX, e);
		c->sc_ntargets = n < 0 ? 0 : n;
	}
	if ((en = kvcfg_find(&k, "Syslog.global.logDir")) != NULL &&
	    syslogcfg_logdir(en->ke_value, c->sc_logdir, sizeof(c->sc_logdir),
			     e) < 0)
		c->sc_logdir[0] = '\0';
	long_opt(&k, "Syslog.global.defaultRotate", 0, 100, &c->sc_rotate, e);
	long_opt(&k, "Syslog.global.defaultSize", 10, 1024 * 1024,
		 &c->sc_size_kib, e);
	long_opt(&k, "Syslog.global.queue.memoryMessages", 10, 1000000,
		 &c->sc_queue_msgs, e);
	long_opt(&k, "Syslog.global.queue.fileSize", 0, 4096, &c->sc_queue_mib,
		 e);
	if ((en = kvcfg_find(&k, "Syslog.global.certificate.checkSSLCerts")) !=
	    NULL)
		c->sc_check_certs = strcasecmp(en->ke_value, "false") != 0;
	kvcfg_free(&k);
	return 0;
}
