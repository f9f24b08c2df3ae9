/*
 * netcfg.h: the host's management network as configured, kept in
 * /etc/basalt/network.conf (docs/formats/network.md): which NIC is the
 * uplink, the VLAN, IPv4 by DHCP or static address, netmask and
 * gateway, DNS servers, host name and domain. hostd writes it (the
 * API's HostNetworkSystem, the console); init applies it at boot.
 */
#ifndef BASALT_COMMON_NETCFG_H
#define BASALT_COMMON_NETCFG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

#define NETCFG_DNS_MAX	      3
#define NETCFG_NAME_MAX	      64 /* a host name's label */
#define NETCFG_DOMAIN_MAX     254
#define NETCFG_FILE_MAX_BYTES 4096

struct netcfg {
	char nc_uplink[IFNAMSIZ]; /* "": the first NIC with a link */
	int nc_vlan;		  /* 0: none, else 1-4094 */
	int nc_dhcp;		  /* IPv4 by DHCP (else the three below) */
	struct in_addr nc_address, nc_netmask, nc_gateway; /* gateway 0: none */
	struct in_addr nc_dns[NETCFG_DNS_MAX];
	int nc_ndns;
	char nc_hostname[NETCFG_NAME_MAX]; /* "": leave it */
	char nc_domain[NETCFG_DOMAIN_MAX];
};

/* The factory setting: DHCP on the first NIC with a link, no VLAN. */
void netcfg_defaults(struct netcfg *c);

/* Parse network.conf's text (name for messages): 0, or "name:line: why"
 * with *out unchanged. Checks what netcfg_check checks. */
BASALT_MUST_CHECK int netcfg_parse(const char *name, const char *text,
				   size_t len, struct netcfg *out,
				   struct err *e);

/* Read and parse the file at path into *c: 0 (a missing file is the
 * factory setting), or an error in e with *c the factory setting. */
int netcfg_load(const char *path, struct netcfg *c, struct err *e);

/* Is c sound: a static address with a contiguous netmask, not the
 * network's or broadcast address, a gateway inside the subnet, a VLAN
 * in range, a host name and domain of letters, digits and '-'? */
BASALT_MUST_CHECK int netcfg_check(const struct netcfg *c, struct err *e);

/* The file for c: its length, or -1 when it does not fit. */
int netcfg_format(const struct netcfg *c, char *buf, size_t size);

/* The prefix length of a contiguous netmask, or -1. */
int netcfg_prefix(struct in_addr mask);

/* The physical NICs (interfaces with a device behind them), sorted by
 * name: how many, at most max. */
size_t netcfg_nics(char (*out)[IFNAMSIZ], size_t max);

/* The uplink for want ("" or a NIC's name): want when that NIC is
 * here, else the first NIC with a link; "" in out when none is. */
void netcfg_uplink(const char *want, char *out, size_t size);

/* The interface the address goes on: base, or "base.VID" with a VLAN. */
void netcfg_iface(const struct netcfg *c, const char *base, char *out,
		  size_t size);

/* Apply a static c on iface (made as a VLAN of base when c has one):
 * the address (others removed), the default route, and resolv_conf
 * (when not NULL) with the DNS servers and domain. 0, or -errno with e
 * saying what failed. */
BASALT_MUST_CHECK int netcfg_apply_static(const struct netcfg *c,
					  const char *base,
					  const char *resolv_conf,
					  struct err *e);

#endif
