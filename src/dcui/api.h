/*
 * api.h: the console's client of hostd's VI API, over hostd's console
 * socket. There root (with a blank password while it is blank) and
 * members of localadmin log in; the session acts as the system user
 * dcui, so hostd authorizes and audits every change the console makes
 * (docs/decisions/007). One request per connection.
 */
#ifndef BASALT_DCUI_API_H
#define BASALT_DCUI_API_H

#include <stddef.h>

#include "common/err.h"

#define API_COOKIE_MAX	   256
#define API_TEXT_MAX_BYTES 8192 /* one element's text (a log line) */

struct api {
	char ap_socket[108];		/* sun_path's size */
	char ap_cookie[API_COOKIE_MAX]; /* "vmware_soap_session=..." */
	char ap_fault[64]; /* the last call's fault type ("NoPermission") */
};

/* Call method with args (XML, the _this element first); the answer
 * (malloc'd, NUL-terminated) in *answer unless answer is NULL. 0, or
 * -1 with the fault's text in e and its type in a->ap_fault. */
int api_invoke(struct api *a, const char *method, const char *args,
	       char **answer, struct err *e);

/* The unescaped text of the first element tag in xml (attributes
 * allowed) into out, "" when none; cut to size. */
void api_text(const char *xml, const char *tag, char *out, size_t size);

/* fn(ctx, text) for every element tag in xml, in order; how many. */
int api_each(const char *xml, const char *tag,
	     void (*fn)(void *ctx, const char *text), void *ctx);

/* Log in as user; 0, or -1 with the fault's text in e. */
int api_login(struct api *a, const char *user, const char *password,
	      struct err *e);

/* Set user's password (UpdateUser); 0, or -1 with hostd's reason (the
 * password rules that were not met, say) in e. */
int api_set_password(struct api *a, const char *user, const char *password,
		     struct err *e);

void api_logout(struct api *a);

/* XML-escape s into out (size bytes); -1 if it does not fit. */
int api_xml_escape(const char *s, char *out, size_t size);

#endif
