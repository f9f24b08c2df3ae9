/*
 * lease.h: a DHCP lease as busybox's udhcpc hands it to its script, in
 * environment variables whose values come from the network (an untrusted
 * DHCP server): checked here before anything is configured from them.
 */
#ifndef BASALT_INIT_LEASE_H
#define BASALT_INIT_LEASE_H

#include <netinet/in.h>
#include <stddef.h>

#include "common/err.h"

#define LEASE_RESOLV_MAX_BYTES 1024

struct lease {
	struct in_addr le_addr;
	int le_prefix; /* 1..32 */
	int le_has_router;
	struct in_addr le_router;		/* the first router given */
	char le_resolv[LEASE_RESOLV_MAX_BYTES]; /* resolv.conf, "" if no DNS */
	unsigned le_ignored; /* values dropped as malformed */
};

/*
 * From udhcpc's ip, subnet, router, dns and domain (each may be NULL):
 * 0, or -1 when there is no usable address (e says). A malformed
 * netmask is a /24; malformed routers, DNS servers and domains are left
 * out and counted in le_ignored.
 */
int lease_parse(const char *ip, const char *subnet, const char *router,
		const char *dns, const char *domain, struct lease *l,
		struct err *e);

#endif
