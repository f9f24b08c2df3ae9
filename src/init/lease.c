/*
 * lease.c: checking a DHCP lease's values (lease.h). Addresses must be
 * dotted IPv4, a domain only letters, digits, '-' and '.', so nothing a
 * server sends can add a line to resolv.conf or a route to everything.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init/lease.h"

#define LEASE_PREFIX_DEFAULT 24
#define LEASE_LIST_MAX_BYTES 512
#define DOMAIN_MAX_BYTES     253

static int prefix_of(const char *v, unsigned *ignored)
{
	struct in_addr m;
	int bits = 0;

	if (v == NULL)
		return LEASE_PREFIX_DEFAULT;
	if (strchr(v, '.') == NULL) {
		char *end;
		long p = strtol(v, &end, 10);
		if (*v != '\0' && *end == '\0' && p >= 1 && p <= 32)
			return (int)p;
	} else if (inet_pton(AF_INET, v, &m) == 1) {
		uint32_t x = ntohl(m.s_addr);
		for (; x & 0x80000000u; x <<= 1)
			bits++;
		/* Contiguous ones, then zeros only. */
		if (bits >= 1 && x == 0)
			return bits;
	}
	(*ignored)++;
	return LEASE_PREFIX_DEFAULT;
}

static int domain_ok(const char *d)
{
	size_t len = strlen(d);

	if (len == 0 || len > DOMAIN_MAX_BYTES)
		return 0;
	for (; *d != '\0'; d++)
		if (!((*d >= 'a' && *d <= 'z') || (*d >= 'A' && *d <= 'Z') ||
		      (*d >= '0' && *d <= '9') || *d == '-' || *d == '.'))
			return 0;
	return 1;
}

/* Append to l->le_resolv; 0, or -1 when full. */
static int add_line(struct lease *l, size_t *n, const char *key,
		    const char *value)
{
	int w = snprintf(l->le_resolv + *n, sizeof(l->le_resolv) - *n,
			 "%s %s\n", key, value);

	if (w < 0 || (size_t)w >= sizeof(l->le_resolv) - *n) {
		l->le_resolv[*n] = '\0';
		return -1;
	}
	*n += (size_t)w;
	return 0;
}

int lease_parse(const char *ip, const char *subnet, const char *router,
		const char *dns, const char *domain, struct lease *l,
		struct err *e)
{
	char list[LEASE_LIST_MAX_BYTES];
	size_t n = 0;

	memset(l, 0, sizeof(*l));
	if (ip == NULL || inet_pton(AF_INET, ip, &l->le_addr) != 1)
		return err_set(e, -EINVAL, "the lease has no IPv4 address");
	l->le_prefix = prefix_of(subnet, &l->le_ignored);
	if (router != NULL) {
		snprintf(list, sizeof(list), "%s", router);
		list[strcspn(list, " ")] = '\0';
		if (inet_pton(AF_INET, list, &l->le_router) == 1)
			l->le_has_router = 1;
		else
			l->le_ignored++;
	}
	if (dns == NULL)
		return 0;
	if (domain != NULL && domain_ok(domain))
		(void)add_line(l, &n, "search", domain);
	else if (domain != NULL)
		l->le_ignored++;
	snprintf(list, sizeof(list), "%s", dns);
	for (char *save, *t = strtok_r(list, " \t\r\n", &save); t != NULL;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		struct in_addr a;
		if (inet_pton(AF_INET, t, &a) != 1) {
			l->le_ignored++;
			continue;
		}
		if (add_line(l, &n, "nameserver", t) < 0)
			break;
	}
	return 0;
}
