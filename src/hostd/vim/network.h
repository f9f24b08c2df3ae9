/*
 * network.h: host bridges as port groups and Network objects.
 */
#ifndef BASALT_HOSTD_NETWORK_H
#define BASALT_HOSTD_NETWORK_H

#include <net/if.h>
#include <stddef.h>

#include "hostd/vim/vval.h"

#define NET_BRIDGES_MAX 64

struct vm_config;

/* The host's bridges, sorted by name; returns how many. */
size_t net_bridges(char (*out)[IFNAMSIZ], size_t max);
/* Is name a host bridge (a port group a NIC may join)? */
int net_bridge_exists(const char *name);
/* The existing networks a VM's NICs are on, as references. */
struct vval *vim_vm_network_refs(const struct vm_config *vc);
/* The management network as the reference host shows it: the vmkernel
 * NIC on the port group "Management Network" of the management switch
 * (the appliance's bridge vSwitch0). */
#define NET_MGMT_VNIC	     "vmk0"
#define NET_MGMT_PG	     "Management Network"
#define NET_APPLIANCE_SWITCH "vSwitch0"

struct hostd;
/* HostNetworkInfo (switches, port groups, NICs, the management
 * network's DNS and routes) as field name of parent. */
struct vval *vim_host_network_info(const struct hostd *h, struct vval *parent,
				   const char *name);
/* The management network's DNS and route configuration into a
 * HostNetworkInfo (network_system.c). */
void vim_host_network_config(const struct hostd *h, struct vval *ni);
/* Read <confdir>/network.conf into h (damaged or missing: defaults,
 * logged). */
void network_load(struct hostd *h);

#endif
