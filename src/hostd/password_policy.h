/*
 * password_policy.h: the host's password quality rules, written in
 * pam_passwdqc's syntax as the reference host keeps them in the advanced
 * setting Security.PasswordQualityControl, and checked on every password
 * change made through the API.
 */
#ifndef BASALT_HOSTD_PASSWORD_POLICY_H
#define BASALT_HOSTD_PASSWORD_POLICY_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

#define PWQ_DISABLED (-1)

struct pwq_policy {
	/* Shortest length of a password of one, two character classes, of
	 * a passphrase, of three and of four classes; PWQ_DISABLED: none
	 * such is accepted. */
	int pq_min[5];
	int pq_max;	   /* longest password */
	int pq_passphrase; /* words that make a passphrase (0: none) */
	int pq_enforce;	   /* 0: "enforce=none", weak passwords pass */
};

/* Parse "retry=3 min=disabled,disabled,disabled,7,7 max=40 ..." into p;
 * -EINVAL with the bad word in e. Unset keys keep passwdqc's defaults. */
BASALT_MUST_CHECK int pwq_parse(const char *text, struct pwq_policy *p,
				struct err *e);

/* 0 when password satisfies p for user; else -EINVAL with the rule it
 * breaks in e (never the password itself). */
BASALT_MUST_CHECK int pwq_check(const struct pwq_policy *p, const char *user,
				const char *password, struct err *e);

#endif
