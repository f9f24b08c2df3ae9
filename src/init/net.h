/*
 * net.h: the management network. init puts the first NIC with a link
 * into the bridge "vSwitch0" (so VMs can share the uplink, as the
 * reference host's vSwitch0 does) and runs a DHCP client on the bridge;
 * the client's events come back to init's binary as "dhcp-event".
 */
#ifndef BASALT_INIT_NET_H
#define BASALT_INIT_NET_H

#include <netinet/in.h>

#include "common/err.h"

#define NET_SWITCH "vSwitch0"

/* Bring lo up, choose the uplink (want when it is there, else the
 * first NIC with a link), make the bridge. The uplink's name goes to
 * uplink ("" if the host has no NIC). */
int net_setup(const char *want, char *uplink, size_t size, struct err *e);

/* The first IPv4 address of ifname into buf ("" if none). */
void net_address(const char *ifname, char *buf, size_t size);

/* What busybox udhcpc runs for each event (argv[1]: deconfig, bound,
 * renew, leasefail, nak; the lease in the environment). */
int net_dhcp_event_main(int argc, char **argv);

#endif
