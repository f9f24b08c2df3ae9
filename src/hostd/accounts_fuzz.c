/*
 * accounts_fuzz.c: libFuzzer target for the account files. The input is
 * the three texts joined by form feeds (passwd, shadow, group); whatever
 * parses must format back to texts that parse again to the same files,
 * and changes on it must keep that true.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostd/accounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_again(const struct acct_db *db)
{
	char *p = acct_format_passwd(db), *s = acct_format_shadow(db);
	char *g = acct_format_group(db);
	struct acct_db again;
	struct err e = {0};
	int ok = 0;

	if (p == NULL || s == NULL || g == NULL)
		ok = 1; /* out of memory: nothing to compare */
	else if (acct_parse(&again, p, strlen(p), s, strlen(s), g, strlen(g),
			    &e) == 0) {
		char *p2 = acct_format_passwd(&again);
		char *s2 = acct_format_shadow(&again);
		char *g2 = acct_format_group(&again);
		ok = p2 != NULL && s2 != NULL && g2 != NULL &&
		     strcmp(p, p2) == 0 && strcmp(s, s2) == 0 &&
		     strcmp(g, g2) == 0;
		free(p2);
		free(s2);
		free(g2);
		acct_free(&again);
	}
	free(p);
	free(s);
	free(g);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *parts[3] = {"", "", ""};
	size_t lens[3] = {0, 0, 0};
	struct acct_db db;
	struct err e = {0};
	int k = 0;
	size_t start = 0;

	for (size_t i = 0; i <= size && k < 3; i++)
		if (i == size || text[i] == '\f') {
			parts[k] = text + start;
			lens[k++] = i - start;
			start = i + 1;
		}
	if (acct_parse(&db, parts[0], lens[0], parts[1], lens[1], parts[2],
		       lens[2], &e) < 0) {
		if (db.ad_nusers != 0 || db.ad_ngroups != 0)
			abort(); /* a failed parse keeps nothing */
		return 0;
	}
	if (!same_again(&db))
		abort();
	/* Changes on whatever parsed keep the files well formed. */
	if (acct_user_add(&db, "fuzzuser", "Fuzz", "$y$j9T$x$y", &e) == 0 &&
	    acct_group_add(&db, "fuzzgroup", &e) == 0 &&
	    acct_member_add(&db, "fuzzgroup", "fuzzuser", &e) == 0) {
		if (!same_again(&db))
			abort();
		if (acct_user_remove(&db, "fuzzuser", &e) < 0 ||
		    acct_group_remove(&db, "fuzzgroup", &e) < 0)
			abort();
	}
	if (db.ad_nusers > 0 &&
	    acct_user_remove(&db, db.ad_users[0].au_name, &e) < 0)
		abort();
	if (!same_again(&db))
		abort();
	acct_free(&db);
	return 0;
}
