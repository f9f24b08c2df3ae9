/*
 * soap_fuzz.c: libFuzzer target for a POST /sdk body, through the parser
 * and the dispatcher as hostd runs them, in a logged-in session (no users
 * file, so Login fails): whatever arrives, the answer is a whole envelope
 * with status 200 or 500.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostd/hostd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct hostd h;
	static int ready;
	struct vim_answer a;
	struct err e = {0};

	if (!ready) {
		vim_init(&h);
		h.hd_wait_max_s = 0; /* a wait must not stall the fuzzer */
		/* Nothing the input asks for can touch this machine. */
		strcpy(h.hd_root, "/nonexistent/basalt-fuzz");
		strcpy(h.hd_confdir, "/nonexistent/basalt-fuzz");
		strcpy(h.hd_sessions[0].vs_key, "0123");
		strcpy(h.hd_sessions[0].vs_user, "root");
		/* No file there: root has Admin, so the methods run. */
		if (authz_store_load(&h, &e) < 0)
			abort();
		ready = 1;
	}
	vim_handle(&h, (const char *)data, size, "vmware_soap_session=\"0123\"",
		   "fuzz", 0, "fuzz", &a);
	if ((a.va_status != 200 && a.va_status != 500) || a.va_body == NULL ||
	    strncmp(a.va_body, "<?xml", 5) != 0 ||
	    strstr(a.va_body, "</soapenv:Envelope>") == NULL)
		abort();
	free(a.va_body);
	/* A Logout in the input ends the session: the next one has it. */
	if (h.hd_sessions[0].vs_key[0] == '\0') {
		strcpy(h.hd_sessions[0].vs_key, "0123");
		strcpy(h.hd_sessions[0].vs_user, "root");
	}
	return 0;
}
