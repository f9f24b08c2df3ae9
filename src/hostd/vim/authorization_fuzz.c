/*
 * authorization_fuzz.c: libFuzzer target for authorization.conf (roles
 * and permissions). Whatever parses must format back to a text that
 * parses again to the same text; whatever does not leaves nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/kvcfg.h"
#include "hostd/vim/authorization.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct authz_store st, again;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvcfg cfg;
	struct err e = {0};
	char *text, *text2;
	int rc;

	if (kvcfg_parse(&cfg, "fuzz", (const char *)data, size, &e) < 0)
		return 0;
	rc = authz_store_parse(&st, &cfg, &e);
	kvcfg_free(&cfg);
	if (rc < 0) {
		if (st.as_nroles != 0 || st.as_nperms != 0)
			abort(); /* a failed parse keeps nothing */
		return 0;
	}
	text = authz_store_format(&st);
	if (text == NULL)
		return 0;
	if (kvcfg_parse(&cfg, "again", text, strlen(text), &e) < 0 ||
	    (rc = authz_store_parse(&again, &cfg, &e), kvcfg_free(&cfg),
	     rc < 0))
		abort(); /* what hostd writes, it must read */
	text2 = authz_store_format(&again);
	if (text2 != NULL && strcmp(text, text2) != 0)
		abort();
	free(text);
	free(text2);
	return 0;
}
