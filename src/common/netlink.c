/*
 * netlink.c: links, addresses and routes through rtnetlink (netlink.h):
 * init's management network and hostd's, without ip(8).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/netlink.h"

#define NL_MSG_MAX_BYTES 1024

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

int nl_link_up(const char *ifname)
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

int nl_bridge_create(const char *name)
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

int nl_link_set_master(const char *ifname, const char *master)
{
	struct nl_req r;
	int idx = (int)if_nametoindex(ifname);
	int m = master != NULL ? (int)if_nametoindex(master) : 0;

	if (idx == 0 || (master != NULL && m == 0))
		return -ENODEV;
	link_req(&r, RTM_NEWLINK, 0, idx);
	nl_attr(&r, IFLA_MASTER, &m, sizeof(m));
	return nl_talk(&r);
}

int nl_addr_change(unsigned short type, int ifindex, struct in_addr a,
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

int nl_route_default(unsigned short type, int ifindex, struct in_addr gw,
		     unsigned char proto)
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
	rt->rtm_protocol = proto;
	rt->rtm_scope = RT_SCOPE_UNIVERSE;
	rt->rtm_type = RTN_UNICAST;
	nl_attr(&r, RTA_GATEWAY, &gw, sizeof(gw));
	nl_attr(&r, RTA_OIF, &oif, sizeof(oif));
	return nl_talk(&r);
}

void nl_flush_addresses(const char *ifname, int idx)
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
			(void)nl_addr_change(RTM_DELADDR, idx, a,
					     __builtin_popcount(m));
		}
	freeifaddrs(ifa);
}

int nl_vlan_create(const char *parent, const char *name, int vid)
{
	struct nl_req r;
	struct rtattr *info, *data;
	int p = (int)if_nametoindex(parent);
	unsigned short id = (unsigned short)vid;

	if (p == 0)
		return -ENODEV;
	link_req(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
	nl_attr(&r, IFLA_LINK, &p, sizeof(p));
	nl_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	info = nl_nest_begin(&r, IFLA_LINKINFO);
	nl_attr(&r, IFLA_INFO_KIND, "vlan", 4);
	data = nl_nest_begin(&r, IFLA_INFO_DATA);
	nl_attr(&r, IFLA_VLAN_ID, &id, sizeof(id));
	nl_nest_end(&r, data);
	nl_nest_end(&r, info);
	return nl_talk(&r);
}

int nl_link_delete(const char *name)
{
	struct nl_req r;
	int idx = (int)if_nametoindex(name);

	if (idx == 0)
		return -ENODEV;
	link_req(&r, RTM_DELLINK, 0, idx);
	return nl_talk(&r);
}
