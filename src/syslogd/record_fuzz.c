/*
 * record_fuzz.c: libFuzzer target for syslog messages. Whatever comes
 * in gives a record whose fields keep their limits, whose file line is
 * one line, and whose RFC 5424 form parses again to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syslogd/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct record r, again;
	static char line[RECORD_LINE_MAX];
	const struct timespec now = {1796000000, 0};
	size_t n;

	record_parse(&r, (const char *)data, size, &now);
	if (r.rc_facility > 23 || r.rc_severity > 7 ||
	    strlen(r.rc_msg) != r.rc_msg_len || r.rc_msg_len > RECORD_MSG_MAX)
		abort();
	n = record_format_file(&r, "localhost", line, sizeof(line));
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) != NULL)
		abort();
	n = record_format_5424(&r, "localhost", line, sizeof(line));
	record_parse(&again, line, n, &now);
	if (again.rc_raw || again.rc_facility != r.rc_facility ||
	    again.rc_severity != r.rc_severity ||
	    again.rc_time.tv_sec != r.rc_time.tv_sec ||
	    again.rc_time.tv_nsec / 1000 != r.rc_time.tv_nsec / 1000 ||
	    strcmp(again.rc_app, r.rc_app) != 0 ||
	    strcmp(again.rc_procid, r.rc_procid) != 0 ||
	    strcmp(again.rc_msgid, r.rc_msgid) != 0 ||
	    strcmp(again.rc_sd, r.rc_sd) != 0)
		abort();
	return 0;
}
