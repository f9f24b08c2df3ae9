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
#include "init/lease.h"
#include "init/net.h"

#define NL_MSG_MAX_BYTES 1024
#define CARRIER_WAIT_MS	 5000
#define RESOLV_CONF	 "/etc/resolv.conf"

struct nl_req {
	struct nlmsghdr nr_hdr;
	char nr_body[NL_MSG_MAX_BYTES];
};

static void nl_attr(struct nl_req *r, unsigned short type, const void *data,
		    size_t len)
{
	struct rtattr *a =
		(struct rtattr *)((char *)r + NLMSG_ALIGN(r->nr_hdr.nlmsg_len));

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(len);
	if (len > 0)
		memcpy(RTA_DATA(a), data, len);
	r->nr_hdr.nlmsg_len =
		NLMSG_ALIGN(r->nr_hdr.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static struct rtattr *nl_nest_begin(struct nl_req *r, unsigned short type)
{
	struct rtattr *a =
		(struct rtattr *)((char *)r + NLMSG_ALIGN(r->nr_hdr.nlmsg_len));

	nl_attr(r, type, NULL, 0);
	return a;
}

static void nl_nest_end(struct nl_req *r, struct rtattr *a)
{
	a->rta_len =
		(unsigned short)((char *)r + r->nr_hdr.nlmsg_len - (char *)a);
}

/* Send one request and wait for its acknowledgement: 0 or -errno. */
static int nl_talk(struct nl_req *r)
{
	char buf[4096];
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	int rc = -EIO;

	if (fd < 0)
		return -errno;
	r->nr_hdr.nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	r->nr_hdr.nlmsg_seq = 1;
	if (sendto(fd, r, r->nr_hdr.nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			rc = -errno;
			break;
		}
		struct nlmsghdr *h = (struct nlmsghdr *)buf;
		if (NLMSG_OK(h, (unsigned)n) && h->nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr *ne = NLMSG_DATA(h);
			rc = ne->error;
			break;
		}
	}
out:
	close(fd);
	return rc;
}

static void link_req(struct nl_req *r, unsigned short type,
		     unsigned short flags, int ifindex)
{
	struct ifinfomsg *ifi;

	memset(r, 0, sizeof(*r));
	r->nr_hdr.nlmsg_len = NLMSG_LENGTH(sizeof(*ifi));
	r->nr_hdr.nlmsg_type = type;
	r->nr_hdr.nlmsg_flags = flags;
	ifi = NLMSG_DATA(&r->nr_hdr);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
}

static int link_up(const char *ifname)
{
	struct nl_req r;
	struct ifinfomsg *ifi;
	int idx = (int)if_nametoindex(ifname);

	if (idx == 0)
		return -ENODEV;
	link_req(&r, RTM_NEWLINK, 0, idx);
	ifi = NLMSG_DATA(&r.nr_hdr);
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	return nl_talk(&r);
}

static int bridge_create(const char *name)
{
	struct nl_req r;
	struct rtattr *info;

	link_req(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	info = nl_nest_begin(&r, IFLA_LINKINFO);
	nl_attr(&r, IFLA_INFO_KIND, "bridge", 6);
	nl_nest_end(&r, info);
	return nl_talk(&r);
}

static int link_set_master(const char *ifname, const char *master)
{
	struct nl_req r;
	int idx = (int)if_nametoindex(ifname);
	int m = (int)if_nametoindex(master);

	if (idx == 0 || m == 0)
		return -ENODEV;
	link_req(&r, RTM_NEWLINK, 0, idx);
	nl_attr(&r, IFLA_MASTER, &m, sizeof(m));
	return nl_talk(&r);
}

static int addr_change(unsigned short type, int ifindex, struct in_addr a,
		       int prefix)
{
	struct nl_req r;
	struct ifaddrmsg *ifa;

	memset(&r, 0, sizeof(r));
	r.nr_hdr.nlmsg_len = NLMSG_LENGTH(sizeof(*ifa));
	r.nr_hdr.nlmsg_type = type;
	r.nr_hdr.nlmsg_flags =
		type == RTM_NEWADDR ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	ifa = NLMSG_DATA(&r.nr_hdr);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)ifindex;
	nl_attr(&r, IFA_LOCAL, &a, sizeof(a));
	nl_attr(&r, IFA_ADDRESS, &a, sizeof(a));
	return nl_talk(&r);
}

static int route_default(unsigned short type, int ifindex, struct in_addr gw)
{
	struct nl_req r;
	struct rtmsg *rt;
	unsigned oif = (unsigned)ifindex;

	memset(&r, 0, sizeof(r));
	r.nr_hdr.nlmsg_len = NLMSG_LENGTH(sizeof(*rt));
	r.nr_hdr.nlmsg_type = type;
	r.nr_hdr.nlmsg_flags =
		type == RTM_NEWROUTE ? NLM_F_CREATE | NLM_F_REPLACE : 0;
	rt = NLMSG_DATA(&r.nr_hdr);
	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = RTPROT_DHCP;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	nl_attr(&r, RTA_GATEWAY, &gw, sizeof(gw));
	nl_attr(&r, RTA_OIF, &oif, sizeof(oif));
	return nl_talk(&r);
}

/* Physical NICs: interfaces with a device behind them, by name. */
static size_t nics(char (*out)[IFNAMSIZ], size_t max)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		char path[320];
		if (de->d_name[0] == '.' || strlen(de->d_name) >= IFNAMSIZ)
			continue;
		snprintf(path, sizeof(path), "/sys/class/net/%s/device",
			 de->d_name);
		if (access(path, F_OK) == 0)
			snprintf(out[n++], IFNAMSIZ, "%s", de->d_name);
	}
	closedir(d);
	qsort(out, n, IFNAMSIZ, (int (*)(const void *, const void *))strcmp);
	return n;
}

static int has_carrier(const char *ifname)
{
	char path[128], v[8];

	snprintf(path, sizeof(path), "/sys/class/net/%s/carrier", ifname);
	file_read_line(path, v, sizeof(v));
	return strcmp(v, "1") == 0;
}

int net_setup(char *uplink, size_t size, struct err *e)
{
	char names[32][IFNAMSIZ];
	size_t n;
	int rc;

	uplink[0] = '\0';
	if ((rc = link_up("lo")) < 0)
		return err_set(e, rc, "lo: %s", strerror(-rc));
	n = nics(names, 32);
	for (size_t i = 0; i < n; i++)
		(void)link_up(names[i]);
	/* A link takes a moment to come up after the NIC does. */
	for (int waited = 0; n > 0 && waited <= CARRIER_WAIT_MS;
	     waited += 100) {
		for (size_t i = 0; i < n && uplink[0] == '\0'; i++)
			if (has_carrier(names[i]))
				snprintf(uplink, size, "%s", names[i]);
		if (uplink[0] != '\0')
			break;
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	if (uplink[0] == '\0' && n > 0) {
		snprintf(uplink, size, "%s", names[0]);
		log_warnx("no NIC has a link; using %s", uplink);
	}
	if ((rc = bridge_create(NET_SWITCH)) < 0 && rc != -EEXIST)
		return err_set(e, rc, "bridge %s: %s", NET_SWITCH,
			       strerror(-rc));
	if (uplink[0] != '\0' && (rc = link_set_master(uplink, NET_SWITCH)) < 0)
		return err_set(e, rc, "%s into %s: %s", uplink, NET_SWITCH,
			       strerror(-rc));
	if ((rc = link_up(NET_SWITCH)) < 0)
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

static void flush_addresses(const char *ifname, int idx)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i != NULL; i = i->ifa_next)
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
		    strcmp(i->ifa_name, ifname) == 0) {
			struct in_addr a =
				((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			uint32_t m =
				ntohl(((struct sockaddr_in *)i->ifa_netmask)
					      ->sin_addr.s_addr);
			(void)addr_change(RTM_DELADDR, idx, a,
					  __builtin_popcount(m));
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
		flush_addresses(ifname, idx);
		(void)link_up(ifname);
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
		flush_addresses(ifname, idx);
	rc = addr_change(RTM_NEWADDR, idx, l.le_addr, l.le_prefix);
	if (rc < 0) {
		log_warnx("%s: address %s: %s", ifname, addr, strerror(-rc));
		return 1;
	}
	if (l.le_has_router &&
	    (rc = route_default(RTM_NEWROUTE, idx, l.le_router)) < 0)
		log_warnx("%s: default route: %s", ifname, strerror(-rc));
	if (l.le_resolv[0] != '\0' &&
	    file_write_atomic(RESOLV_CONF, l.le_resolv, strlen(l.le_resolv),
			      0644, &e) < 0)
		log_warnx("%s", err_msg(&e));
	log_info("%s: %s %s/%d", ifname, ev, addr, l.le_prefix);
	return 0;
}
