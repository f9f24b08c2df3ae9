/*
 * pages.c: the proxy's own pages (see pages.h). Host names come from the
 * machine, never from a request, so nothing a client sends is echoed.
 */
#include <stdio.h>

#include "rhttpproxy/pages.h"

int page_welcome(char *out, size_t size, const char *host, int https_port)
{
	char base[320];

	if (https_port == 443)
		snprintf(base, sizeof(base), "https://%s", host);
	else
		snprintf(base, sizeof(base), "https://%s:%d", host, https_port);
	return snprintf(out, size,
			"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
			"<title>%s: Basalt</title></head><body>\n"
			"<h1>%s</h1>\n<p>A Basalt host.</p>\n<ul>\n"
			"<li><a href=\"%s/ui/\">Web client</a></li>\n"
			"<li><a href=\"%s/sdk\">VI API</a> (vim25, for "
			"pyVmomi, govmomi, Ansible)</li>\n"
			"<li><a href=\"%s/folder?dcPath=ha-datacenter\">"
			"Datastore files</a></li>\n</ul>\n</body></html>\n",
			host, host, base, base, base);
}

int page_ui(char *out, size_t size, const char *host)
{
	return snprintf(out, size,
			"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
			"<title>%s: Basalt</title></head><body>\n"
			"<h1>%s</h1>\n<p>The web client is not here yet. "
			"The VI API is at <a href=\"/sdk\">/sdk</a>.</p>\n"
			"</body></html>\n",
			host, host);
}

const char *page_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 417:
		return "Expectation Failed";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "Error";
}
