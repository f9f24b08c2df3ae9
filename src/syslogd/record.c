/*
 * record.c: syslog messages in (RFC 5424, RFC 3164, raw) and out (a log
 * file's line, RFC 5424). Everything that arrives is untrusted: each
 * field is checked against the RFC's grammar and limits; a message that
 * breaks them is kept whole as raw text instead (fuzz target `syslog`).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "syslogd/record.h"

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* PRINTUSASCII of RFC 5424: '!' to '~'. */
static int is_print(char c)
{
	return c > ' ' && c <= '~';
}

/* n digits at p as a number, or -1. */
static int digits(const char *p, size_t avail, int n)
{
	int v = 0;

	if ((size_t)n > avail)
		return -1;
	for (int i = 0; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* The message text into r: control bytes as "#ooo" (as rsyslog writes
 * them) so that a line stays a line; cut with "..." at the limit. */
static void set_msg(struct record *r, const char *p, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		int esc = (c < 0x20 && c != '\t') || c == 0x7f;
		if (n + (esc ? 4 : 1) > RECORD_MSG_MAX - 3) {
			memcpy(r->rc_msg + n, "...", 3);
			n += 3;
			break;
		}
		if (esc)
			n += (size_t)snprintf(r->rc_msg + n, 5, "#%03o", c);
		else
			r->rc_msg[n++] = (char)c;
	}
	r->rc_msg[n] = '\0';
	r->rc_msg_len = n;
}

/* A field of 1 to max PRINTUSASCII ending at a space: its length, with
 * "-" as empty; -1 when it breaks the rule. */
static int field(const char *p, size_t avail, size_t max, char *out)
{
	size_t n = 0;

	while (n < avail && p[n] != ' ') {
		if (!is_print(p[n]) || n == max)
			return -1;
		n++;
	}
	if (n == 0 || n == avail)
		return -1;
	if (n == 1 && p[0] == '-')
		out[0] = '\0';
	else {
		memcpy(out, p, n);
		out[n] = '\0';
	}
	return (int)n;
}

/* RFC 5424 TIMESTAMP at p ("-" or FULL-DATE "T" FULL-TIME): its length,
 * or -1. Sets rc_time (UTC) and rc_tz_min unless "-". */
static int timestamp_5424(struct record *r, const char *p, size_t avail)
{
	struct tm tm = {0};
	long usec = 0;
	int tz = 0, n = 19, y, mo, d, h, mi, s;
	time_t t;

	if (avail >= 1 && p[0] == '-' && (avail == 1 || p[1] == ' '))
		return 1;
	if (avail < 20 || (y = digits(p, avail, 4)) < 0 || p[4] != '-' ||
	    (mo = digits(p + 5, avail - 5, 2)) < 1 || mo > 12 || p[7] != '-' ||
	    (d = digits(p + 8, avail - 8, 2)) < 1 || d > 31 || p[10] != 'T' ||
	    (h = digits(p + 11, avail - 11, 2)) < 0 || h > 23 || p[13] != ':' ||
	    (mi = digits(p + 14, avail - 14, 2)) < 0 || mi > 59 ||
	    p[16] != ':' || (s = digits(p + 17, avail - 17, 2)) < 0 || s > 60)
		return -1;
	if ((size_t)n < avail && p[n] == '.') {
		int k = 0;
		n++;
		while ((size_t)n < avail && is_digit(p[n]) && k < 6) {
			usec = usec * 10 + (p[n] - '0');
			n++;
			k++;
		}
		if (k == 0)
			return -1;
		for (; k < 6; k++)
			usec *= 10;
	}
	if ((size_t)n < avail && p[n] == 'Z') {
		n++;
	} else if ((size_t)n + 6 <= avail && (p[n] == '+' || p[n] == '-')) {
		int oh = digits(p + n + 1, avail - (size_t)n - 1, 2);
		int om = digits(p + n + 4, avail - (size_t)n - 4, 2);
		if (oh < 0 || oh > 23 || p[n + 3] != ':' || om < 0 || om > 59)
			return -1;
		tz = (oh * 60 + om) * (p[n] == '-' ? -1 : 1);
		n += 6;
	} else {
		return -1;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s > 59 ? 59 : s;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	t -= (time_t)tz * 60;
	/* Years 0000 to 9999 in UTC too: what RFC 5424 can say again. */
	if (t < -62167219200LL || t > 253402300799LL)
		return -1;
	r->rc_time.tv_sec = t;
	r->rc_time.tv_nsec = usec * 1000;
	r->rc_tz_min = tz;
	return n;
}

/* SD-NAME: 1 to 32 PRINTUSASCII but '=', ' ', ']', '"'. Its length. */
static size_t sd_name(const char *p, size_t avail)
{
	size_t n = 0;

	while (n < avail && n < 32 && is_print(p[n]) && p[n] != '=' &&
	       p[n] != ']' && p[n] != '"')
		n++;
	return n;
}

/* STRUCTURED-DATA at p: "-" or one or more SD-ELEMENTs. Its length, or
 * -1 when it breaks the grammar. */
static int structured_data(const char *p, size_t avail)
{
	size_t n = 0;

	if (avail >= 1 && p[0] == '-')
		return 1;
	while (n < avail && p[n] == '[') {
		size_t k;
		n++;
		if ((k = sd_name(p + n, avail - n)) == 0)
			return -1;
		n += k;
		while (n < avail && p[n] == ' ') {
			n++;
			if ((k = sd_name(p + n, avail - n)) == 0)
				return -1;
			n += k;
			if (n + 1 >= avail || p[n] != '=' || p[n + 1] != '"')
				return -1;
			n += 2;
			while (n < avail && p[n] != '"') {
				if (p[n] == '\\' && n + 1 < avail &&
				    (p[n + 1] == '"' || p[n + 1] == '\\' ||
				     p[n + 1] == ']'))
					n++;
				else if (p[n] == ']' ||
					 (unsigned char)p[n] < 0x20)
					return -1;
				n++;
			}
			if (n >= avail)
				return -1;
			n++; /* the closing quote */
		}
		if (n >= avail || p[n] != ']')
			return -1;
		n++;
	}
	return n == 0 ? -1 : (int)n;
}

/* RFC 5424 after "<PRI>1 ": 0, or -1 (r's fields then undefined). */
static int parse_5424(struct record *r, const char *p, size_t len)
{
	size_t at = 0;
	int n;

	if ((n = timestamp_5424(r, p, len)) < 0 || (size_t)n >= len ||
	    p[n] != ' ')
		return -1;
	at = (size_t)n + 1;
	if ((n = field(p + at, len - at, RECORD_HOST_MAX, r->rc_host)) < 0)
		return -1;
	at += (size_t)n + 1;
	if ((n = field(p + at, len - at, RECORD_APP_MAX, r->rc_app)) < 0)
		return -1;
	at += (size_t)n + 1;
	if ((n = field(p + at, len - at, RECORD_PROCID_MAX, r->rc_procid)) < 0)
		return -1;
	at += (size_t)n + 1;
	if ((n = field(p + at, len - at, RECORD_MSGID_MAX, r->rc_msgid)) < 0)
		return -1;
	at += (size_t)n + 1;
	if ((n = structured_data(p + at, len - at)) < 0 || n > RECORD_SD_MAX)
		return -1;
	if (!(n == 1 && p[at] == '-')) {
		memcpy(r->rc_sd, p + at, (size_t)n);
		r->rc_sd[n] = '\0';
	}
	at += (size_t)n;
	if (at < len) {
		if (p[at] != ' ')
			return -1;
		at++;
		/* A UTF-8 BOM says the text is UTF-8; it is no part of it. */
		if (len - at >= 3 && memcmp(p + at, "\xef\xbb\xbf", 3) == 0)
			at += 3;
	}
	set_msg(r, p + at, len - at);
	return 0;
}

/* RFC 3164's "Mmm dd hh:mm:ss" at p (15 bytes, then a space): 0, or
 * -1. The year is the one that puts it nearest to now. */
static int timestamp_3164(struct record *r, const char *p, size_t len,
			  const struct timespec *now)
{
	struct tm tm = {0}, cur;
	int mon = -1, d, h, mi, s;
	time_t t, best = 0;

	if (len < 16 || p[15] != ' ')
		return -1;
	for (int i = 0; i < 12; i++)
		if (memcmp(p, months[i], 3) == 0)
			mon = i;
	if (mon < 0 || p[3] != ' ' ||
	    (d = p[4] == ' ' ? digits(p + 5, 1, 1) : digits(p + 4, 2, 2)) < 1 ||
	    d > 31 || p[6] != ' ' || (h = digits(p + 7, 2, 2)) < 0 || h > 23 ||
	    p[9] != ':' || (mi = digits(p + 10, 2, 2)) < 0 || mi > 59 ||
	    p[12] != ':' || (s = digits(p + 13, 2, 2)) < 0 || s > 60)
		return -1;
	gmtime_r(&now->tv_sec, &cur);
	for (int y = cur.tm_year - 1; y <= cur.tm_year + 1; y++) {
		tm = (struct tm){.tm_year = y,
				 .tm_mon = mon,
				 .tm_mday = d,
				 .tm_hour = h,
				 .tm_min = mi,
				 .tm_sec = s > 59 ? 59 : s};
		if ((t = timegm(&tm)) == (time_t)-1)
			continue;
		if (best == 0 || llabs((long long)(t - now->tv_sec)) <
					 llabs((long long)(best - now->tv_sec)))
			best = t;
	}
	if (best == 0)
		return -1;
	r->rc_time.tv_sec = best;
	r->rc_time.tv_nsec = 0;
	return 0;
}

/* TAG[PID]: at p, ending in ':' (then an optional space): the bytes it
 * takes, or 0 when p holds none. */
static size_t tag_3164(struct record *r, const char *p, size_t len)
{
	size_t n = 0, pid = 0, pidlen = 0;

	while (n < len && n < RECORD_APP_MAX && is_print(p[n]) && p[n] != '[' &&
	       p[n] != ':')
		n++;
	/* "-" is RFC 5424's "none", no name. */
	if (n == 0 || n == len || (n == 1 && p[0] == '-'))
		return 0;
	if (p[n] == '[') {
		pid = n + 1;
		while (pid + pidlen < len && pidlen < RECORD_PROCID_MAX &&
		       is_print(p[pid + pidlen]) && p[pid + pidlen] != ']')
			pidlen++;
		if (pidlen == 0 || pid + pidlen + 1 >= len ||
		    p[pid + pidlen] != ']' || p[pid + pidlen + 1] != ':')
			return 0;
	} else if (p[n] != ':') {
		return 0;
	}
	memcpy(r->rc_app, p, n);
	r->rc_app[n] = '\0';
	if (!(pidlen == 1 && p[pid] == '-')) { /* "[-]": none */
		memcpy(r->rc_procid, p + pid, pidlen);
		r->rc_procid[pidlen] = '\0';
	}
	n = pid ? pid + pidlen + 2 : n + 1;
	return n < len && p[n] == ' ' ? n + 1 : n;
}

/* RFC 3164 after "<PRI>". Only the PRI is sure: a missing timestamp or
 * tag leaves the rest as the message. */
static void parse_3164(struct record *r, const char *p, size_t len,
		       const struct timespec *now)
{
	size_t at = 0, t;

	if (timestamp_3164(r, p, len, now) == 0)
		at = 16;
	if ((t = tag_3164(r, p + at, len - at)) == 0 && at > 0) {
		/* "HOST TAG: ..." from a relay */
		size_t h = 0;
		while (at + h < len && h < RECORD_HOST_MAX &&
		       is_print(p[at + h]))
			h++;
		if (h > 0 && at + h < len && p[at + h] == ' ' &&
		    !(h == 1 && p[at] == '-') &&
		    (t = tag_3164(r, p + at + h + 1, len - at - h - 1)) > 0) {
			memcpy(r->rc_host, p + at, h);
			r->rc_host[h] = '\0';
			t += h + 1;
		}
	}
	at += t;
	set_msg(r, p + at, len - at);
}

void record_parse(struct record *r, const char *data, size_t len,
		  const struct timespec *now)
{
	int pri = -1, n = 0;

	memset(r, 0, offsetof(struct record, rc_msg) + 1);
	r->rc_msg[0] = '\0';
	r->rc_time = *now;
	while (len > 0 && (data[len - 1] == '\n' || data[len - 1] == '\0' ||
			   data[len - 1] == '\r'))
		len--;
	/* <PRI>: 1 to 3 digits, 0 to 191, no leading zero but "<0>". */
	if (len >= 3 && data[0] == '<') {
		pri = 0;
		for (n = 1; n < (int)len && n <= 4 && is_digit(data[n]); n++)
			pri = pri * 10 + (data[n] - '0');
		if (n == 1 || n > 4 || n >= (int)len || data[n] != '>' ||
		    pri > 191 || (data[1] == '0' && n > 2))
			pri = -1;
		n++;
	}
	if (pri < 0) {
		r->rc_raw = 1;
		r->rc_facility = RECORD_FAC_USER;
		r->rc_severity = RECORD_SEV_NOTICE;
		set_msg(r, data, len);
		return;
	}
	r->rc_facility = pri >> 3;
	r->rc_severity = pri & 7;
	if (len - (size_t)n >= 2 && data[n] == '1' && data[n + 1] == ' ') {
		struct record saved = *r;
		if (parse_5424(r, data + n + 2, len - (size_t)n - 2) == 0)
			return;
		/* "1 " was no version: a 3164 message that starts so. */
		*r = saved;
	}
	parse_3164(r, data + n, len - (size_t)n, now);
}

void record_time(const struct record *r, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&r->rc_time.tv_sec, &tm);
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, r->rc_time.tv_nsec / 1000);
}

static size_t done(int n, size_t size)
{
	if (n < 0)
		return 0;
	return (size_t)n >= size ? size - 1 : (size_t)n;
}

size_t record_format_file(const struct record *r, const char *local_host,
			  char *out, size_t size)
{
	char ts[48];
	int n;

	record_time(r, ts, sizeof(ts));
	n = snprintf(out, size, "%s %s %s%s%s%s: %s%s%s\n", ts,
		     r->rc_host[0] ? r->rc_host : local_host,
		     r->rc_app[0] ? r->rc_app : "-", r->rc_procid[0] ? "[" : "",
		     r->rc_procid, r->rc_procid[0] ? "]" : "", r->rc_sd,
		     r->rc_sd[0] ? " " : "", r->rc_msg);
	if (n >= 0 && (size_t)n >= size && size >= 2)
		out[size - 2] = '\n'; /* cut, still a line */
	return done(n, size);
}

size_t record_format_5424(const struct record *r, const char *local_host,
			  char *out, size_t size)
{
	char ts[48];

	record_time(r, ts, sizeof(ts));
	return done(snprintf(out, size, "<%d>1 %s %s %s %s %s %s%s%s",
			     r->rc_facility * 8 + r->rc_severity, ts,
			     r->rc_host[0] ? r->rc_host : local_host,
			     r->rc_app[0] ? r->rc_app : "-",
			     r->rc_procid[0] ? r->rc_procid : "-",
			     r->rc_msgid[0] ? r->rc_msgid : "-",
			     r->rc_sd[0] ? r->rc_sd : "-",
			     r->rc_msg_len ? " " : "", r->rc_msg),
		    size);
}
