/*
 * test_common.c: struct err and bounded file reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/console.h"
#include "common/err.h"
#include "common/file.h"
#include "common/syslog_send.h"
#include "lib/tap.h"

static void shadow_hashes_are_found_by_exact_name(void)
{
	char path[] = "/tmp/test_shadow.XXXXXX", hash[64];
	int fd = mkstemp(path);
	static const char text[] = "rootx:$y$other:19000:0:99999:7:::\n"
				   "root::19000:0:99999:7:::\n"
				   "ops:$y$j9T$abc:19000::::::\n";

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
	close(fd);
	/* "root" is not "rootx"; a blank field is found, and blank. */
	CHECK_EQ(console_shadow_hash(path, "root", hash, sizeof(hash)), 1);
	CHECK_STR(hash, "");
	CHECK_EQ(console_shadow_hash(path, "ops", hash, sizeof(hash)), 1);
	CHECK_STR(hash, "$y$j9T$abc");
	CHECK_EQ(console_shadow_hash(path, "nobody", hash, sizeof(hash)), 0);
	CHECK_EQ(
		console_shadow_hash("/nonexistent", "root", hash, sizeof(hash)),
		0);
	unlink(path);
}

static void err_set_returns_code_and_formats(void)
{
	struct err e = {0};

	CHECK_EQ(err_set(&e, -EINVAL, "line %d: %s", 12, "bad"), -EINVAL);
	CHECK_STR(err_msg(&e), "line 12: bad");
	CHECK_EQ(err_set(NULL, -ENOENT, "ignored"), -ENOENT);
	err_clear(&e);
	CHECK_STR(err_msg(&e), "no error");
	e.e_code = -ENOENT;
	CHECK_STR(err_msg(&e), "No such file or directory");
}

static void long_messages_are_marked_cut(void)
{
	struct err e = {0};
	char big[2 * ERR_MSG_MAX_BYTES];

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	err_set(&e, -E2BIG, "%s", big);
	CHECK_EQ(strlen(err_msg(&e)), ERR_MSG_MAX_BYTES - 1);
	CHECK_STR(err_msg(&e) + ERR_MSG_MAX_BYTES - 4, "...");
}

static void file_read_all_bounds(void)
{
	char path[] = "/tmp/basalt-test-XXXXXX";
	struct err e = {0};
	void *data = NULL;
	size_t len = 99;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "hello", 5), 5);
	close(fd);
	CHECK_EQ(file_read_all(path, 5, &data, &len, &e), 0);
	CHECK_EQ(len, 5);
	CHECK(memcmp(data, "hello", 5) == 0);
	free(data);
	data = NULL;
	len = 99;
	CHECK_EQ(file_read_all(path, 4, &data, &len, &e), -EFBIG);
	CHECK_CONTAINS(err_msg(&e), "more than the 4 allowed");
	CHECK(data == NULL);
	CHECK_EQ(len, 99);
	unlink(path);
	CHECK_EQ(file_read_all(path, 4, &data, &len, &e), -ENOENT);
	CHECK_CONTAINS(err_msg(&e), "cannot open");
	CHECK_EQ(file_read_all("/tmp", 4, &data, &len, &e), -EINVAL);
	CHECK_CONTAINS(err_msg(&e), "not a regular file");
}

static void syslog_values_are_escaped(void)
{
	char out[32];

	syslog_sd_escape(out, sizeof(out), "a\"b\\c]d\ne");
	CHECK_STR(out, "a\\\"b\\\\c\\]d?e");
	/* Cut at the end, never in the middle of an escape. */
	syslog_sd_escape(out, 4, "\"\"\"");
	CHECK_STR(out, "\\\"");
}

static void syslog_records_are_rfc5424_and_never_block(void)
{
	char dir[] = "/tmp/basalt-syslog-XXXXXX", path[64], buf[4096];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct syslog_sink s;
	struct err e = {0};
	ssize_t n;
	int fd, sent = 0;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/log", dir);
	/* No daemon yet: dropped, counted, no error for the caller. */
	CHECK_EQ(syslog_sink_open(&s, path, "hostd", &e), 0);
	CHECK(syslog_send(&s, SYSLOG_FAC_AUTHPRIV, SYSLOG_SEV_NOTICE, "audit",
			  NULL, "lost") < 0);
	CHECK_EQ(s.ss_dropped, 1);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	strcpy(sun.sun_path, path);
	CHECK(bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0);
	CHECK_EQ(syslog_send(&s, SYSLOG_FAC_AUTHPRIV, SYSLOG_SEV_WARNING,
			     "audit", "[x@32473 a=\"1\"]", "hello"),
		 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	CHECK(n > 0);
	buf[n] = '\0';
	CHECK(strncmp(buf, "<84>1 ", 6) == 0); /* authpriv.warning */
	CHECK_CONTAINS(buf, " hostd ");
	CHECK_CONTAINS(buf, " audit [x@32473 a=\"1\"] hello");
	/* A daemon that reads nothing: sends stop at once, dropped. */
	for (int i = 0; i < 100000 && s.ss_dropped < 2; i++)
		sent += syslog_send(&s, SYSLOG_FAC_AUTHPRIV, SYSLOG_SEV_INFO,
				    "audit", NULL, "fill") == 0;
	CHECK(s.ss_dropped >= 2 && sent > 0);
	close(fd);
	syslog_sink_close(&s);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	RUN(shadow_hashes_are_found_by_exact_name);
	RUN(err_set_returns_code_and_formats);
	RUN(long_messages_are_marked_cut);
	RUN(file_read_all_bounds);
	RUN(syslog_values_are_escaped);
	RUN(syslog_records_are_rfc5424_and_never_block);
	return tap_done();
}
