/*
 * pages.h: what the proxy answers itself: the welcome page, the web
 * client's placeholder, redirects and errors.
 */
#ifndef BASALT_RHTTPPROXY_PAGES_H
#define BASALT_RHTTPPROXY_PAGES_H

#include <stddef.h>

/* The welcome page naming host; its links go to https://host[:port]. */
int page_welcome(char *out, size_t size, const char *host, int https_port);

/* The web client's place until it exists. */
int page_ui(char *out, size_t size, const char *host);

/* The reason phrase of status ("Not Found"). */
const char *page_reason(int status);

#endif
