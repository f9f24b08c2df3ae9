/*
 * test_lease.c: a DHCP lease's values as the network sends them
 * (init/lease.c): good ones taken, malformed ones left out and counted,
 * nothing that could add a line to resolv.conf.
 */
#include <arpa/inet.h>
#include <string.h>

#include "init/lease.h"
#include "lib/tap.h"

static void a_good_lease(void)
{
	struct lease l;
	struct err e;
	char a[INET_ADDRSTRLEN];

	CHECK_EQ(lease_parse("10.0.2.15", "255.255.255.0", "10.0.2.2 10.0.2.3",
			     "10.0.2.3 192.168.1.1", "example.org", &l, &e),
		 0);
	CHECK_STR(inet_ntop(AF_INET, &l.le_addr, a, sizeof(a)), "10.0.2.15");
	CHECK_EQ(l.le_prefix, 24);
	CHECK_EQ(l.le_has_router, 1);
	CHECK_STR(inet_ntop(AF_INET, &l.le_router, a, sizeof(a)), "10.0.2.2");
	CHECK_STR(l.le_resolv, "search example.org\n"
			       "nameserver 10.0.2.3\n"
			       "nameserver 192.168.1.1\n");
	CHECK_EQ(l.le_ignored, 0);
	/* A prefix length, as some servers' options come through. */
	CHECK_EQ(lease_parse("10.1.2.3", "16", NULL, NULL, NULL, &l, &e), 0);
	CHECK_EQ(l.le_prefix, 16);
	CHECK_STR(l.le_resolv, "");
}

static void malformed_values_are_left_out(void)
{
	struct lease l;
	struct err e;

	CHECK(lease_parse(NULL, NULL, NULL, NULL, NULL, &l, &e) < 0);
	CHECK(lease_parse("10.0.0.300", NULL, NULL, NULL, NULL, &l, &e) < 0);
	CHECK(lease_parse("10.0.0.1\nx", NULL, NULL, NULL, NULL, &l, &e) < 0);
	/* A netmask with a hole, zero, or junk: a /24, not everything. */
	CHECK_EQ(
		lease_parse("10.0.0.1", "255.0.255.0", "x", NULL, NULL, &l, &e),
		0);
	CHECK_EQ(l.le_prefix, 24);
	CHECK_EQ(l.le_has_router, 0);
	CHECK_EQ(l.le_ignored, 2);
	CHECK_EQ(lease_parse("10.0.0.1", "0", NULL, NULL, NULL, &l, &e), 0);
	CHECK_EQ(l.le_prefix, 24);
	CHECK_EQ(lease_parse("10.0.0.1", "0.0.0.0", NULL, NULL, NULL, &l, &e),
		 0);
	CHECK_EQ(l.le_prefix, 24);
	/* A domain or servers that would write lines of their own into
	 * resolv.conf: only well-formed addresses become lines. */
	CHECK_EQ(lease_parse("10.0.0.1", NULL, NULL,
			     "10.0.0.2\noptions x 6.6.6.6 bad 10.0.0.3",
			     "evil.org\noptions debug", &l, &e),
		 0);
	CHECK_STR(l.le_resolv, "nameserver 10.0.0.2\n"
			       "nameserver 6.6.6.6\n"
			       "nameserver 10.0.0.3\n");
	CHECK_EQ(l.le_ignored, 4); /* options, x, bad, the domain */
}

int main(void)
{
	RUN(a_good_lease);
	RUN(malformed_values_are_left_out);
	return tap_done();
}
