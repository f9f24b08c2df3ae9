/*
 * netlink.h: the few rtnetlink requests Basalt needs (init's management
 * network at boot, hostd's when it is reconfigured). Each returns 0 or
 * -errno (the kernel's answer).
 */
#ifndef BASALT_COMMON_NETLINK_H
#define BASALT_COMMON_NETLINK_H

#include <netinet/in.h>

int nl_link_up(const char *ifname);
int nl_bridge_create(const char *name);
/* ifname into bridge master (NULL: out of its bridge). */
int nl_link_set_master(const char *ifname, const char *master);
/* A VLAN interface name on parent, tagged vid (1-4094). */
int nl_vlan_create(const char *parent, const char *name, int vid);
int nl_link_delete(const char *name);
/* RTM_NEWADDR (replacing) or RTM_DELADDR of a/prefix on ifindex. */
int nl_addr_change(unsigned short type, int ifindex, struct in_addr a,
		   int prefix);
/* RTM_NEWROUTE (replacing) or RTM_DELROUTE of the default route via gw
 * on ifindex, marked with proto (RTPROT_DHCP, RTPROT_STATIC). */
int nl_route_default(unsigned short type, int ifindex, struct in_addr gw,
		     unsigned char proto);
/* Every IPv4 address of ifname away. */
void nl_flush_addresses(const char *ifname, int idx);

#endif
