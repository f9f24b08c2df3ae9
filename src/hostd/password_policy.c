/*
 * password_policy.c: pam_passwdqc's rules, the subset the reference host
 * documents: min=N0,N1,N2,N3,N4 by character classes, max, passphrase,
 * enforce; retry, similar and random are read and have no meaning for an
 * API call (no prompt to retry, no old password to compare, no offer).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "hostd/password_policy.h"

#define WORD_MAX 64

static void defaults(struct pwq_policy *p)
{
	/* passwdqc's own defaults. */
	*p = (struct pwq_policy){
		.pq_min = {PWQ_DISABLED, 24, 11, 8, 7},
		.pq_max = 40,
		.pq_passphrase = 3,
		.pq_enforce = 1,
	};
}

/* A number 0..INT_MAX/2 from [s, end), or -1. */
static int number(const char *s, const char *end)
{
	long v = 0;

	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX / 2)
			return -1;
	}
	return (int)v;
}

static int parse_min(const char *v, const char *end, struct pwq_policy *p,
		     struct err *e)
{
	int n = 0, last = INT_MAX, done = 0;

	while (!done && n < 5) {
		const char *c = memchr(v, ',', (size_t)(end - v));
		const char *ve = c != NULL ? c : end;
		int x;
		if ((size_t)(ve - v) == 8 && memcmp(v, "disabled", 8) == 0)
			x = PWQ_DISABLED;
		else if ((x = number(v, ve)) < 0)
			return err_set(e, -EINVAL,
				       "min: '%.*s' is neither a length nor "
				       "'disabled'",
				       (int)(ve - v), v);
		/* passwdqc's rule: each length at most the one before it
		 * (more classes never need a longer password). */
		if (x != PWQ_DISABLED && x > last)
			return err_set(e, -EINVAL,
				       "min: the lengths must not grow from "
				       "left to right");
		if (x != PWQ_DISABLED)
			last = x;
		p->pq_min[n++] = x;
		done = c == NULL;
		if (!done)
			v = c + 1;
	}
	if (n != 5 || !done)
		return err_set(e, -EINVAL,
			       "min: five values (N0,N1,N2,N3,N4) expected");
	return 0;
}

int pwq_parse(const char *text, struct pwq_policy *p, struct err *e)
{
	const char *s = text;

	defaults(p);
	while (*s != '\0') {
		const char *w, *eq, *end;
		int n;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		w = s;
		while (*s != '\0' && *s != ' ' && *s != '\t')
			s++;
		end = s;
		eq = memchr(w, '=', (size_t)(end - w));
		if (eq == NULL || end - w > WORD_MAX)
			return err_set(
				e, -EINVAL, "'%.*s': key=value expected",
				(int)(end - w > WORD_MAX ? WORD_MAX : end - w),
				w);
#define KEY(k) ((size_t)(eq - w) == strlen(k) && memcmp(w, k, strlen(k)) == 0)
		if (KEY("min")) {
			if (parse_min(eq + 1, end, p, e) < 0)
				return -EINVAL;
		} else if (KEY("max") || KEY("passphrase") || KEY("retry") ||
			   KEY("random")) {
			n = number(eq + 1, end);
			if (n < 0 || (KEY("max") && (n < 8 || n > 256)))
				return err_set(e, -EINVAL,
					       "%.*s: bad number '%.*s'",
					       (int)(eq - w), w,
					       (int)(end - eq - 1), eq + 1);
			if (KEY("max"))
				p->pq_max = n;
			else if (KEY("passphrase"))
				p->pq_passphrase = n;
		} else if (KEY("enforce")) {
			if (end - eq - 1 == 4 && memcmp(eq + 1, "none", 4) == 0)
				p->pq_enforce = 0;
			else if ((end - eq - 1 == 5 &&
				  memcmp(eq + 1, "users", 5) == 0) ||
				 (end - eq - 1 == 8 &&
				  memcmp(eq + 1, "everyone", 8) == 0))
				p->pq_enforce = 1;
			else
				return err_set(e, -EINVAL,
					       "enforce: none, users or "
					       "everyone, not '%.*s'",
					       (int)(end - eq - 1), eq + 1);
		} else if (KEY("similar")) {
			if (!(end - eq - 1 == 4 &&
			      memcmp(eq + 1, "deny", 4) == 0) &&
			    !(end - eq - 1 == 6 &&
			      memcmp(eq + 1, "permit", 6) == 0))
				return err_set(e, -EINVAL,
					       "similar: deny or permit, not "
					       "'%.*s'",
					       (int)(end - eq - 1), eq + 1);
		} else {
			return err_set(e, -EINVAL, "unknown key '%.*s'",
				       (int)(eq - w), w);
		}
#undef KEY
	}
	return 0;
}

/* Character classes as passwdqc counts them: a capital first letter and
 * a digit at the end add nothing ("Password1" is two classes). */
static int classes(const char *pw, size_t len)
{
	int lower = 0, upper = 0, digit = 0, other = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)pw[i];
		if (islower(ch))
			lower = 1;
		else if (isupper(ch))
			upper |= i > 0;
		else if (isdigit(ch))
			digit |= i + 1 < len;
		else
			other = 1;
	}
	return lower + upper + digit + other;
}

static int words(const char *pw)
{
	int n = 0, in = 0;

	for (; *pw != '\0'; pw++) {
		int letter = isalpha((unsigned char)*pw);
		if (letter && !in)
			n++;
		in = letter;
	}
	return n;
}

/* Does hay contain needle, letters compared without case? */
static int contains_nocase(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return 1;
	return 0;
}

int pwq_check(const struct pwq_policy *p, const char *user,
	      const char *password, struct err *e)
{
	size_t len = strlen(password);
	int c, need, index;

	if (!p->pq_enforce)
		return 0;
	if (len > (size_t)p->pq_max)
		return err_set(e, -EINVAL,
			       "the password is longer than %d characters",
			       p->pq_max);
	if (user != NULL && strlen(user) >= 3 &&
	    contains_nocase(password, user))
		return err_set(e, -EINVAL,
			       "the password contains the user name");
	/* A passphrase: enough words, long enough. */
	if (p->pq_passphrase > 0 && words(password) >= p->pq_passphrase &&
	    p->pq_min[2] != PWQ_DISABLED && len >= (size_t)p->pq_min[2])
		return 0;
	c = classes(password, len);
	index = c <= 1 ? 0 : c == 2 ? 1 : c == 3 ? 3 : 4;
	need = p->pq_min[index];
	if (need != PWQ_DISABLED && len >= (size_t)need)
		return 0;
	/* Say what would pass: the shortest allowed with more classes. */
	for (int i = index + 1; i < 5; i++) {
		if (i == 2 || p->pq_min[i] == PWQ_DISABLED)
			continue;
		if (need == PWQ_DISABLED)
			return err_set(e, -EINVAL,
				       "a password of %d character class%s is "
				       "not allowed; use at least %d "
				       "characters from %d classes (lower "
				       "case, upper case, digits, others)",
				       c, c == 1 ? "" : "es", p->pq_min[i],
				       i == 1 ? 2 : i);
		break;
	}
	if (need == PWQ_DISABLED)
		return err_set(e, -EINVAL,
			       "a password of %d character class%s is not "
			       "allowed",
			       c, c == 1 ? "" : "es");
	return err_set(e, -EINVAL,
		       "a password of %d character class%s needs at least %d "
		       "characters",
		       c, c == 1 ? "" : "es", need);
}
