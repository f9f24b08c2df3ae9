/*
 * test_password_policy.c: pam_passwdqc's rules as password_policy.c reads
 * and applies them (the reference host's default among them).
 */
#include <errno.h>
#include <string.h>

#include "hostd/password_policy.h"
#include "lib/tap.h"

/* 1: accepted, 0: refused, -2: the policy did not parse. */
static int ok(const char *policy, const char *user, const char *pw)
{
	struct pwq_policy p;
	struct err e = {0};

	if (pwq_parse(policy, &p, &e) < 0)
		return -2;
	return pwq_check(&p, user, pw, &e) == 0;
}

static const char esxi[] = "retry=3 min=disabled,disabled,disabled,7,7";

static void reference_default(void)
{
	CHECK_EQ(ok(esxi, "bob", "Sky-blue9x"), 1);
	CHECK_EQ(ok(esxi, "bob", "sky-b9l"), 1);	/* exactly 7 */
	CHECK_EQ(ok(esxi, "bob", "sky-b9"), 0);		/* 6 */
	CHECK_EQ(ok(esxi, "bob", "skyblueocean"), 0);	/* one class */
	CHECK_EQ(ok(esxi, "bob", "skyblue-ocean"), 0);	/* two classes */
	CHECK_EQ(ok(esxi, "bob", "sKy-blue-ocean"), 1); /* three */
	CHECK_EQ(ok(esxi, "bob", "sKy-b9"), 0);		/* four, 6 long */
}

static void capital_first_and_digit_last_count_for_nothing(void)
{
	CHECK_EQ(ok(esxi, "bob", "Skyblue-ocean1"), 0);
	CHECK_EQ(ok(esxi, "bob", "skYblue-ocean1"), 1);
	CHECK_EQ(ok(esxi, "bob", "skyblue-1ocean"), 1);
}

static void the_user_name_is_not_in_the_password(void)
{
	CHECK_EQ(ok(esxi, "bob", "BOB-sky-9x"), 0);
	CHECK_EQ(ok(esxi, "ab", "ab-sky-9X"), 1); /* too short to look */
}

static void passwdqc_defaults_and_options(void)
{
	CHECK_EQ(ok("", "bob", "correct horse battery"), 1); /* passphrase */
	CHECK_EQ(ok("passphrase=0", "bob", "correct horse battery"), 0);
	CHECK_EQ(ok("", "bob", "twenty-four-characters-x"), 1); /* 2 cl. */
	CHECK_EQ(ok("max=8", "bob", "sky-Blue9x"), 0);
	CHECK_EQ(ok("enforce=none min=disabled,disabled,disabled,disabled,"
		    "disabled",
		    "bob", "a"),
		 1);
	CHECK_EQ(ok("min=disabled,disabled,disabled,disabled,disabled", "bob",
		    "Very-Long-pAss-42!"),
		 0);
}

static void syntax_errors_say_what(void)
{
	struct pwq_policy p;
	struct err e = {0};

	CHECK_EQ(pwq_parse("min=8,7", &p, &e), -EINVAL);
	CHECK_CONTAINS(err_msg(&e), "five values");
	CHECK_EQ(pwq_parse("min=5,6,7,8,9", &p, &e), -EINVAL);
	CHECK_CONTAINS(err_msg(&e), "must not grow");
	CHECK_EQ(pwq_parse("min=disabled,x,1,1,1", &p, &e), -EINVAL);
	CHECK_EQ(pwq_parse("min=9,8,7,6,5,4", &p, &e), -EINVAL);
	CHECK_EQ(pwq_parse("frobnicate=1", &p, &e), -EINVAL);
	CHECK_CONTAINS(err_msg(&e), "unknown key 'frobnicate'");
	CHECK_EQ(pwq_parse("retry", &p, &e), -EINVAL);
	CHECK_EQ(pwq_parse("enforce=sometimes", &p, &e), -EINVAL);
	CHECK_EQ(pwq_parse("max=99999999999999", &p, &e), -EINVAL);
	CHECK_EQ(pwq_parse("  retry=3   min=disabled,disabled,disabled,7,7 "
			   " similar=deny\t",
			   &p, &e),
		 0);
	CHECK_EQ(p.pq_min[0], PWQ_DISABLED);
	CHECK_EQ(p.pq_min[3], 7);
	CHECK_EQ(p.pq_min[4], 7);
}

static void the_reason_never_holds_the_password(void)
{
	struct pwq_policy p;
	struct err e = {0};

	CHECK_EQ(pwq_parse(esxi, &p, &e), 0);
	CHECK(pwq_check(&p, "bob", "abcxyz", &e) < 0);
	CHECK_CONTAINS(err_msg(&e), "not allowed");
	CHECK(strstr(err_msg(&e), "abcxyz") == NULL);
}

int main(void)
{
	RUN(reference_default);
	RUN(capital_first_and_digit_last_count_for_nothing);
	RUN(the_user_name_is_not_in_the_password);
	RUN(passwdqc_defaults_and_options);
	RUN(syntax_errors_say_what);
	RUN(the_reason_never_holds_the_password);
	return tap_done();
}
