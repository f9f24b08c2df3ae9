/*
 * api.h: the console's client of hostd's VI API, over hostd's console
 * socket (root with a blank password, or localadmin members, log in
 * there; docs/decisions/004). One request per connection.
 */
#ifndef BASALT_DCUI_API_H
#define BASALT_DCUI_API_H

#include <stddef.h>

#include "common/err.h"

#define API_COOKIE_MAX 256

struct api {
	char ap_socket[108];		/* sun_path's size */
	char ap_cookie[API_COOKIE_MAX]; /* "vmware_soap_session=..." */
};

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
