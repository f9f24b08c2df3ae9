/*
 * test_syslog_record.c: syslogd's messages in and out: RFC 5424 with
 * structured data and a time zone, RFC 3164 as glibc's syslog(3) and a
 * relay send it, and what is neither kept whole as raw text; the file
 * line and the RFC 5424 form written from them.
 */
#include <string.h>

#include "lib/tap.h"
#include "syslogd/record.h"

/* 2026-12-02T20:00:00.25Z */
static const struct timespec NOW = {1796241600, 250000000};

static struct record r;

static void parse(const char *text)
{
	record_parse(&r, text, strlen(text), &NOW);
}

static const char *file_line(void)
{
	static char line[RECORD_LINE_MAX];

	record_format_file(&r, "esx-a", line, sizeof(line));
	return line;
}

static void rfc5424_with_structured_data(void)
{
	char ts[48];

	parse("<165>1 2026-12-02T20:30:00.5+01:00 web-1 hostd 812 audit "
	      "[audit@6876 user=\"root\" what=\"a \\\"b\\\"\"][x@1] "
	      "\xef\xbb\xbfLogin ok\n");
	CHECK_EQ(r.rc_raw, 0);
	CHECK_EQ(r.rc_facility, 20);
	CHECK_EQ(r.rc_severity, 5);
	CHECK_STR(r.rc_host, "web-1");
	CHECK_STR(r.rc_app, "hostd");
	CHECK_STR(r.rc_procid, "812");
	CHECK_STR(r.rc_msgid, "audit");
	CHECK_STR(r.rc_sd,
		  "[audit@6876 user=\"root\" what=\"a \\\"b\\\"\"][x@1]");
	CHECK_STR(r.rc_msg, "Login ok");
	record_time(&r, ts, sizeof(ts));
	CHECK_STR(ts, "2026-12-02T19:30:00.500000Z");
	CHECK_STR(file_line(), "2026-12-02T19:30:00.500000Z web-1 hostd[812]: "
			       "[audit@6876 user=\"root\" what=\"a \\\"b\\\"\"]"
			       "[x@1] Login ok\n");
}

static void rfc5424_nil_fields(void)
{
	parse("<14>1 - - - - - -");
	CHECK_EQ(r.rc_raw, 0);
	CHECK_EQ(r.rc_time.tv_sec, NOW.tv_sec);
	CHECK_STR(r.rc_app, "");
	CHECK_EQ(r.rc_msg_len, 0);
	CHECK_STR(file_line(), "2026-12-02T20:00:00.250000Z esx-a -: \n");
}

static void rfc3164_from_glibc_and_a_relay(void)
{
	char ts[48];

	parse("<38>Dec  2 09:05:07 sshd[77]: Accepted password for root");
	CHECK_EQ(r.rc_facility, 4);
	CHECK_EQ(r.rc_severity, 6);
	CHECK_STR(r.rc_host, "");
	CHECK_STR(r.rc_app, "sshd");
	CHECK_STR(r.rc_procid, "77");
	CHECK_STR(r.rc_msg, "Accepted password for root");
	record_time(&r, ts, sizeof(ts));
	CHECK_STR(ts, "2026-12-02T09:05:07.000000Z");

	/* Just after new year, last year's December. */
	static const char relay[] = "<13>Dec 31 23:59:59 relay-2 cron: done";
	const struct timespec jan1 = {1798761610, 0}; /* 2027-01-01T00:00:10Z */
	record_parse(&r, relay, sizeof(relay) - 1, &jan1);
	CHECK_STR(r.rc_host, "relay-2");
	CHECK_STR(r.rc_app, "cron");
	CHECK_STR(r.rc_msg, "done");
	record_time(&r, ts, sizeof(ts));
	CHECK_STR(ts, "2026-12-31T23:59:59.000000Z");

	parse("<13>no timestamp, no tag");
	CHECK_EQ(r.rc_raw, 0);
	CHECK_STR(r.rc_app, "");
	CHECK_STR(r.rc_msg, "no timestamp, no tag");
}

static void malformed_is_kept_raw(void)
{
	static const char *const bad[] = {
		"plain text\x01with a control byte",
		"<192>1 2026-12-02T00:00:00Z h a p m - too big a PRI",
		"<013>leading zero",
		"<>empty",
		"<13",
	};
	char formatted[RECORD_LINE_MAX];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		parse(bad[i]);
		CHECK_EQ(r.rc_raw, 1);
		CHECK_EQ(r.rc_facility, 1);
		CHECK_EQ(r.rc_severity, 5);
	}
	parse("plain text\x01with a control byte\n");
	CHECK_STR(r.rc_msg, "plain text#001with a control byte");
	/* A bad 5424 header after a good PRI: the text stays the message. */
	parse("<14>1 2026-13-02T00:00:00Z h a p m - bad month");
	CHECK_EQ(r.rc_raw, 0);
	CHECK_STR(r.rc_msg, "1 2026-13-02T00:00:00Z h a p m - bad month");
	parse("<14>1 2026-12-02T00:00:00Z h a p m [broken sd");
	CHECK_STR(r.rc_sd, "");
	CHECK_CONTAINS(r.rc_msg, "[broken sd");
	record_format_5424(&r, "esx-a", formatted, sizeof(formatted));
	CHECK_CONTAINS(formatted, "<14>1 2026-12-02T20:00:00.250000Z esx-a - - "
				  "- - 1 2026");
}

static void long_messages_are_cut(void)
{
	static char big[RECORD_MSG_MAX * 2];

	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "<13>", 4);
	parse(big);
	CHECK_EQ(r.rc_msg_len, RECORD_MSG_MAX);
	CHECK(strcmp(r.rc_msg + RECORD_MSG_MAX - 3, "...") == 0);
}

static void rfc5424_out_parses_back(void)
{
	char out[RECORD_LINE_MAX];
	struct record first;

	parse("<86>Dec  2 09:05:07 su[9]: pam_unix(su:session): opened");
	first = r;
	record_format_5424(&first, "esx-a", out, sizeof(out));
	CHECK_STR(out, "<86>1 2026-12-02T09:05:07.000000Z esx-a su 9 - - "
		       "pam_unix(su:session): opened");
	parse(out);
	CHECK_EQ(r.rc_raw, 0);
	CHECK_STR(r.rc_host, "esx-a");
	CHECK_STR(r.rc_msg, first.rc_msg);
}

int main(void)
{
	RUN(rfc5424_with_structured_data);
	RUN(rfc5424_nil_fields);
	RUN(rfc3164_from_glibc_and_a_relay);
	RUN(malformed_is_kept_raw);
	RUN(long_messages_are_cut);
	RUN(rfc5424_out_parses_back);
	return tap_done();
}
