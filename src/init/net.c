/*
 * net.c: links, addresses and routes through rtnetlink (no ip(8) in the
 * image's runtime path), the management bridge, and the DHCP client's
 * event handler (net.h).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "common/netcfg.h"
#include "common/netlink.h"
#include "init/lease.h"
#include "init/net.h"

#define CARRIER_WAIT_MS 5000
#define RESOLV_CONF	"/etc/resolv.conf"

int net_setup(const char *want, char *uplink, size_t size, struct err *e)
{
	char names[32][IFNAMSIZ];
	size_t n;
	int rc;

	uplink[0] = '\0';
	if ((rc = nl_link_up("lo")) < 0)
		return err_set(e, rc, "lo: %s", strerror(-rc));
	n = netcfg_nics(names, 32);
	for (size_t i = 0; i < n; i++)
		(void)nl_link_up(names[i]);
	/* The configured one when it is there (network.conf), else the
	 * first with a link: a link takes a moment to come up after the
	 * NIC does. */
	for (int waited = 0; n > 0 && waited <= CARRIER_WAIT_MS;
	     waited += 100) {
		netcfg_uplink(want != NULL ? want : "", uplink, size);
		if (uplink[0] != '\0')
			break;
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	if (want != NULL && want[0] != '\0' && strcmp(uplink, want) != 0)
		log_warnx("the configured uplink %s is not here; chose %s",
			  want, uplink[0] ? uplink : "none");
	if (uplink[0] == '\0' && n > 0) {
		snprintf(uplink, size, "%s", names[0]);
		log_warnx("no NIC has a link; using %s", uplink);
	}
	if ((rc = nl_bridge_create(NET_SWITCH)) < 0 && rc != -EEXIST)
		return err_set(e, rc, "bridge %s: %s", NET_SWITCH,
			       strerror(-rc));
	if (uplink[0] != '\0' &&
	    (rc = nl_link_set_master(uplink, NET_SWITCH)) < 0)
		return err_set(e, rc, "%s into %s: %s", uplink, NET_SWITCH,
			       strerror(-rc));
	if ((rc = nl_link_up(NET_SWITCH)) < 0)
		return err_set(e, rc, "%s: %s", NET_SWITCH, strerror(-rc));
	return 0;
}

void net_address(const char *ifname, char *buf, size_t size)
{
	struct ifaddrs *ifa, *i;

	buf[0] = '\0';
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next)
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
		    strcmp(i->ifa_name, ifname) == 0) {
			inet_ntop(
				AF_INET,
				&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
				buf, (socklen_t)size);
			break;
		}
	freeifaddrs(ifa);
}

int net_dhcp_event_main(int argc, char **argv)
{
	const char *ev = argc > 1 ? argv[1] : "", *ifname = getenv("interface");
	struct lease l;
	struct err e;
	char addr[INET_ADDRSTRLEN];
	int idx, rc;

	log_procinit("dhcp");
	if (ifname == NULL || (idx = (int)if_nametoindex(ifname)) == 0) {
		log_warnx("event %s: no interface", ev);
		return 1;
	}
	if (strcmp(ev, "deconfig") == 0) {
		nl_flush_addresses(ifname, idx);
		(void)nl_link_up(ifname);
		return 0;
	}
	if (strcmp(ev, "bound") != 0 && strcmp(ev, "renew") != 0) {
		log_info("%s: %s", ifname, ev);
		return 0;
	}
	if (lease_parse(getenv("ip"), getenv("subnet"), getenv("router"),
			getenv("dns"), getenv("domain"), &l, &e) < 0) {
		log_warnx("%s: %s", ifname, err_msg(&e));
		return 1;
	}
	if (l.le_ignored > 0)
		log_warnx("%s: %u malformed value(s) of the lease ignored",
			  ifname, l.le_ignored);
	inet_ntop(AF_INET, &l.le_addr, addr, sizeof(addr));
	if (strcmp(ev, "bound") == 0)
		nl_flush_addresses(ifname, idx);
	rc = nl_addr_change(RTM_NEWADDR, idx, l.le_addr, l.le_prefix);
	if (rc < 0) {
		log_warnx("%s: address %s: %s", ifname, addr, strerror(-rc));
		return 1;
	}
	if (l.le_has_router &&
	    (rc = nl_route_default(RTM_NEWROUTE, idx, l.le_router,
				   RTPROT_DHCP)) < 0)
		log_warnx("%s: default route: %s", ifname, strerror(-rc));
	if (l.le_resolv[0] != '\0' &&
	    file_write_atomic(RESOLV_CONF, l.le_resolv, strlen(l.le_resolv),
			      0644, &e) < 0)
		log_warnx("%s", err_msg(&e));
	log_info("%s: %s %s/%d", ifname, ev, addr, l.le_prefix);
	return 0;
}
