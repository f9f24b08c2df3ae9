/*
 * test_common.c: struct err and bounded file reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "lib/tap.h"

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

int main(void)
{
	RUN(err_set_returns_code_and_formats);
	RUN(long_messages_are_marked_cut);
	RUN(file_read_all_bounds);
	return tap_done();
}
