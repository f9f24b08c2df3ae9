/*
 * test_grubenv.c: GRUB's environment block as grub-editenv writes it
 * (a comment line, then the variables, '#' padding) read and written
 * back, and what GRUB could not read refused.
 */
#include <errno.h>
#include <string.h>

#include "common/grubenv.h"
#include "lib/tap.h"

static void block(char *out, const char *body)
{
	size_t n = strlen(body);

	memset(out, '#', GRUBENV_BYTES);
	memcpy(out, body, n);
}

static void reads_what_grub_editenv_writes(void)
{
	char buf[GRUBENV_BYTES];
	struct grubenv env;
	struct err e;

	block(buf, "# GRUB Environment Block\n# WARNING: Do not edit this "
		   "file by tools other than grub-editenv!!!\nbank=1\n"
		   "try_bank=\nv=a\\\\b\n");
	CHECK_EQ(grubenv_parse(&env, buf, sizeof(buf), &e), 0);
	CHECK_EQ(env.ge_n, 3);
	CHECK_STR(grubenv_get(&env, "bank"), "1");
	CHECK_STR(grubenv_get(&env, "try_bank"), "");
	CHECK_STR(grubenv_get(&env, "v"), "a\\b");
	CHECK_STR(grubenv_get(&env, "missing"), "");
}

static void set_format_and_parse_again(void)
{
	char buf[GRUBENV_BYTES];
	struct grubenv env = {0}, again;
	struct err e;

	CHECK_EQ(grubenv_set(&env, "bank", "1"), 0);
	CHECK_EQ(grubenv_set(&env, "try_bank", "2"), 0);
	CHECK_EQ(grubenv_set(&env, "bank", "2"), 0);
	CHECK_EQ(grubenv_set(&env, "try_bank", NULL), 0);
	CHECK_EQ(grubenv_set(&env, "bad name", "x"), -EINVAL);
	CHECK_EQ(grubenv_set(&env, "x", "a\nb"), -EINVAL);
	CHECK_EQ(grubenv_format(&env, buf), 0);
	CHECK_EQ(memcmp(buf, "# GRUB Environment Block\nbank=2\n#", 33), 0);
	CHECK_EQ(grubenv_parse(&again, buf, sizeof(buf), &e), 0);
	CHECK_EQ(again.ge_n, 1);
	CHECK_STR(grubenv_get(&again, "bank"), "2");
	/* More than fits: refused, not cut. */
	char big[GRUBENV_VALUE_MAX];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 9; i++) {
		char name[8];
		name[0] = 'v', name[1] = (char)('0' + i), name[2] = '\0';
		CHECK_EQ(grubenv_set(&env, name, big), 0);
	}
	CHECK_EQ(grubenv_format(&env, buf), -ENOSPC);
}

static void malformed_blocks_are_refused(void)
{
	static const char *const bad[] = {
		"# not GRUB's\nbank=1\n",
		"# GRUB Environment Block\nno equals sign\n",
		"# GRUB Environment Block\nbad-name=1\n",
		"# GRUB Environment Block\nbank=1",
	};
	char buf[GRUBENV_BYTES];
	struct grubenv env;
	struct err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		block(buf, bad[i]);
		if (i == 3)
			memset(buf + strlen(bad[i]), 'x',
			       GRUBENV_BYTES - strlen(bad[i]));
		CHECK(grubenv_parse(&env, buf, sizeof(buf), &e) < 0);
	}
	block(buf, "# GRUB Environment Block\nbank=1\n");
	CHECK(grubenv_parse(&env, buf, sizeof(buf) - 1, &e) < 0);
}

int main(void)
{
	RUN(reads_what_grub_editenv_writes);
	RUN(set_format_and_parse_again);
	RUN(malformed_blocks_are_refused);
	return tap_done();
}
