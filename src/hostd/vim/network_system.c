/*
 * network_system.c: HostNetworkSystem ha-network-system (issue 9): the
 * management network as configured (common/netcfg.h, kept in
 * <confdir>/network.conf) and applied. UpdateVirtualNic sets IPv4 (DHCP
 * or a static address and netmask), UpdateIpRouteConfig the default
 * gateway, UpdateDnsConfig the DNS servers, host name and domain,
 * UpdatePortGroup the management port group's VLAN, UpdateVirtualSwitch
 * the uplink NIC; RefreshNetworkSystem applies the configuration again
 * (the console's "Restart Management Network"). Each change is checked
 * whole (netcfg_check), applied, and only then saved; when applying
 * fails, the configuration before is applied again and nothing is
 * saved.
 *
 * Where it applies: on the appliance, to the bridge vSwitch0 (or
 * vSwitch0.VLAN) and its uplink; DHCP is init's client, which hostd
 * starts and stops through the run folder's mark "dhcp" (SIGUSR1 to
 * init), waiting for it to be gone before a static address goes on.
 * Hosted, with --manage-network IFACE, on IFACE (or IFACE.VLAN), a
 * static address only.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "common/netcfg.h"
#include "common/netlink.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/network.h"

#define NETSYS_ID    "ha-network-system"
#define NETWORK_FILE "network.conf"

static void file_path(const struct hostd *h, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s/" NETWORK_FILE, PATH_MAX, h->hd_confdir);
}

void network_load(struct hostd *h)
{
	char path[PATH_MAX + 32];
	struct err e = {0};

	file_path(h, path, sizeof(path));
	if (netcfg_load(path, &h->hd_net, &e) < 0)
		log_warnx("%s; the defaults stay", err_msg(&e));
}

/* May this hostd apply c? 0, or -1 with why in e. */
static int applicable(const struct hostd *h, const struct netcfg *c,
		      struct err *e)
{
	if (h->hd_appliance)
		return 0;
	if (h->hd_mgmt_iface[0] == '\0')
		return err_set(e, -EOPNOTSUPP,
			       "this hosted hostd manages no interface "
			       "(hostd --manage-network IFACE)");
	if (c->nc_dhcp)
		return err_set(e, -EOPNOTSUPP,
			       "DHCP needs the appliance's DHCP client; a "
			       "hosted host takes a static address");
	if (c->nc_uplink[0] != '\0' &&
	    strcmp(c->nc_uplink, h->hd_mgmt_iface) != 0)
		return err_set(e, -EOPNOTSUPP,
			       "a hosted host's uplink is its managed "
			       "interface, %s",
			       h->hd_mgmt_iface);
	return 0;
}

#define DHCP_GONE_WAIT_MS 5000

/* Ask init to run the DHCP client on iface (NULL: none), and wait for
 * it to be gone when none. */
static int dhcp_client(const struct hostd *h, const char *iface, struct err *e)
{
	char mark[PATH_MAX + 32], running[PATH_MAX + 32], line[64];
	struct stat st;
	int n;

	snprintf(mark, sizeof(mark), "%.*s/dhcp", PATH_MAX, h->hd_rundir);
	snprintf(running, sizeof(running), "%.*s/dhcp.running", PATH_MAX,
		 h->hd_rundir);
	if (iface != NULL) {
		n = snprintf(line, sizeof(line), "iface=%s\n", iface);
		if (file_write_atomic(mark, line, (size_t)n, 0644, e) < 0)
			return -EIO;
	} else if (unlink(mark) < 0 && errno != ENOENT) {
		return err_set(e, -errno, "%s: %s", mark, strerror(errno));
	}
	if (kill(1, SIGUSR1) < 0)
		return err_set(e, -errno, "asking init: %s", strerror(errno));
	for (int waited = 0; iface == NULL && stat(running, &st) == 0;
	     waited += 100) {
		if (waited >= DHCP_GONE_WAIT_MS)
			return err_set(e, -ETIMEDOUT,
				       "the DHCP client did not stop in %d s",
				       DHCP_GONE_WAIT_MS / 1000);
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	return 0;
}

/* The appliance: c on the bridge, its uplink and VLAN; DHCP by init. */
static int apply_appliance(struct hostd *h, const struct netcfg *c,
			   struct err *e)
{
	const struct netcfg *old = &h->hd_net;
	char iface[IFNAMSIZ], oldif[IFNAMSIZ], uplink[IFNAMSIZ];
	int rc, idx;

	netcfg_iface(c, NET_APPLIANCE_SWITCH, iface, sizeof(iface));
	netcfg_iface(old, NET_APPLIANCE_SWITCH, oldif, sizeof(oldif));
	/* "": the first NIC with a link, as at boot (init's net_setup). */
	netcfg_uplink(c->nc_uplink, uplink, sizeof(uplink));
	if (c->nc_uplink[0] != '\0' && strcmp(uplink, c->nc_uplink) != 0)
		return err_set(e, -ENODEV, "no NIC %s", c->nc_uplink);
	if (uplink[0] != '\0') {
		DIR *d =
			opendir("/sys/class/net/" NET_APPLIANCE_SWITCH "/brif");
		struct dirent *de;
		char dev[320];
		/* The other NICs out of the bridge, the chosen one in. */
		while (d != NULL && (de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' ||
			    strcmp(de->d_name, uplink) == 0)
				continue;
			snprintf(dev, sizeof(dev),
				 "/sys/class/net/%.64s/device", de->d_name);
			if (access(dev, F_OK) == 0)
				(void)nl_link_set_master(de->d_name, NULL);
		}
		if (d != NULL)
			closedir(d);
		if ((rc = nl_link_set_master(uplink, NET_APPLIANCE_SWITCH)) <
			    0 ||
		    (rc = nl_link_up(uplink)) < 0)
			return err_set(e, rc, "%s into %s: %s", uplink,
				       NET_APPLIANCE_SWITCH, strerror(-rc));
	}
	if (strcmp(iface, oldif) != 0) {
		if ((idx = (int)if_nametoindex(oldif)) > 0)
			nl_flush_addresses(oldif, idx);
		if (old->nc_vlan > 0)
			(void)nl_link_delete(oldif);
	}
	if (c->nc_hostname[0] != '\0' &&
	    strcmp(c->nc_hostname, h->hd_hostname) != 0) {
		if (sethostname(c->nc_hostname, strlen(c->nc_hostname)) < 0)
			return err_set(e, -errno, "sethostname: %s",
				       strerror(errno));
		snprintf(h->hd_hostname, sizeof(h->hd_hostname), "%s",
			 c->nc_hostname);
	}
	if (c->nc_dhcp) {
		if (c->nc_vlan > 0 &&
		    (rc = nl_vlan_create(NET_APPLIANCE_SWITCH, iface,
					 c->nc_vlan)) < 0 &&
		    rc != -EEXIST)
			return err_set(e, rc, "VLAN %d: %s", c->nc_vlan,
				       strerror(-rc));
		if ((rc = nl_link_up(iface)) < 0)
			return err_set(e, rc, "%s: %s", iface, strerror(-rc));
		if (!old->nc_dhcp && (idx = (int)if_nametoindex(iface)) > 0)
			nl_flush_addresses(iface, idx);
		return dhcp_client(h, iface, e) < 0 ? -EIO : 0;
	}
	if (dhcp_client(h, NULL, e) < 0)
		return -EIO;
	return netcfg_apply_static(c, NET_APPLIANCE_SWITCH, "/etc/resolv.conf",
				   e);
}

/* Apply c (applicable): 0, or -errno with e saying what failed. */
static int apply(struct hostd *h, const struct netcfg *c, struct err *e)
{
	char resolv[PATH_MAX + 32];

	if (h->hd_appliance)
		return apply_appliance(h, c, e);

	/* hosted: resolv.conf in the host's root, not the machine's. */
	snprintf(resolv, sizeof(resolv), "%.*s/etc/resolv.conf", PATH_MAX,
		 h->hd_root);
	return netcfg_apply_static(c, h->hd_mgmt_iface, resolv, e);
}

/* Make c the configuration: checked, applied, saved; answered. */
static int change(struct vim_call *c, struct netcfg *n, const char *what)
{
	struct hostd *h = c->vc_hostd;
	char path[PATH_MAX + 32], text[NETCFG_FILE_MAX_BYTES];
	struct err e = {0}, again = {0};
	int len, rc;

	if (netcfg_check(n, &e) < 0)
		return vim_fault(c, "InvalidArgument", NULL, "%s", err_msg(&e));
	if (applicable(h, n, &e) < 0)
		return vim_fault(c, "NotSupported", NULL, "%s", err_msg(&e));
	rc = apply(h, n, &e);
	if (rc < 0) {
		/* What ran before, back (the old VLAN interface stays). */
		if (applicable(h, &h->hd_net, &again) == 0 &&
		    apply(h, &h->hd_net, &again) < 0)
			log_warnx("network: the configuration before cannot "
				  "be applied again either: %s",
				  err_msg(&again));
		return vim_fault(c, "HostConfigFault", NULL,
				 "the management network was not changed: %s",
				 err_msg(&e));
	}
	len = netcfg_format(n, text, sizeof(text));
	file_path(h, path, sizeof(path));
	if (len < 0 || file_write_atomic(path, text, (size_t)len, 0644, &e) < 0)
		return vim_fault(c, "HostConfigFault", NULL,
				 "applied but not saved: %s",
				 len < 0 ? "too long" : err_msg(&e));
	h->hd_net = *n;
	log_info("api: %s (from %s) changed the management network (%s)",
		 c->vc_session->vs_user, c->vc_session->vs_peer, what);
	vim_changed(h);
	return 0;
}

static int ns_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, NETSYS_ID) == 0;
}

static void dns_config(const struct hostd *h, struct vval *d)
{
	const struct netcfg *n = &h->hd_net;
	struct vval *a;
	char ip[INET_ADDRSTRLEN];

	vval_bool(d, "dhcp", n->nc_dhcp && n->nc_ndns == 0);
	vval_str(d, "hostName",
		 n->nc_hostname[0] ? n->nc_hostname : h->hd_hostname);
	vval_str(d, "domainName", n->nc_domain);
	a = vval_array(d, "address", "string");
	for (int i = 0; i < n->nc_ndns; i++)
		vval_str(a, NULL,
			 inet_ntop(AF_INET, &n->nc_dns[i], ip, sizeof(ip)));
}

static void route_config(const struct hostd *h, struct vval *r)
{
	char ip[INET_ADDRSTRLEN];

	if (h->hd_net.nc_gateway.s_addr != 0)
		vval_str(r, "defaultGateway",
			 inet_ntop(AF_INET, &h->hd_net.nc_gateway, ip,
				   sizeof(ip)));
}

void vim_host_network_config(const struct hostd *h, struct vval *ni)
{
	dns_config(h, vval_obj(ni, "dnsConfig", "HostDnsConfig"));
	route_config(h, vval_obj(ni, "ipRouteConfig", "HostIpRouteConfig"));
}

static enum mo_prop_result ns_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	*out = NULL;
	if (!ns_exists(c, id))
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "networkInfo") == 0) {
		*out = vim_host_network_info(c->vc_hostd, NULL, NULL);
	} else if (strcmp(name, "dnsConfig") == 0) {
		*out = vval_obj(NULL, NULL, "HostDnsConfig");
		dns_config(c->vc_hostd, *out);
	} else if (strcmp(name, "ipRouteConfig") == 0) {
		*out = vval_obj(NULL, NULL, "HostIpRouteConfig");
		route_config(c->vc_hostd, *out);
	} else {
		return MO_PROP_UNKNOWN;
	}
	return MO_PROP_SET;
}

static const char *const ns_props[] = {"networkInfo", "dnsConfig",
				       "ipRouteConfig", NULL};

const struct mo_type mo_network_system = {
	.mt_name = "HostNetworkSystem",
	.mt_exists = ns_exists,
	.mt_prop = ns_prop,
	.mt_props = ns_props,
};

/* An IPv4 address element (absent: 0.0.0.0 when empty_ok). */
static int ip_arg(struct soap_node *n, struct in_addr *a, int empty_ok)
{
	char text[INET_ADDRSTRLEN + 8];

	if (n == NULL && empty_ok) {
		a->s_addr = 0;
		return 0;
	}
	if (soap_text(n, text, sizeof(text)) < 0)
		return -1;
	if (text[0] == '\0' && empty_ok) {
		a->s_addr = 0;
		return 0;
	}
	return inet_pton(AF_INET, text, a) == 1 ? 0 : -1;
}

static int is_mgmt_device(const struct hostd *h, const char *dev)
{
	char iface[IFNAMSIZ];

	netcfg_iface(&h->hd_net, h->hd_mgmt_iface, iface, sizeof(iface));
	return strcmp(dev, NET_MGMT_VNIC) == 0 ||
	       (h->hd_mgmt_iface[0] != '\0' && strcmp(dev, iface) == 0);
}

static int update_vnic(struct vim_call *c)
{
	struct netcfg n = c->vc_hostd->hd_net;
	struct soap_node *ip;
	char dev[IFNAMSIZ + 8];

	if (!ns_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "device"), dev, sizeof(dev)) < 0)
		return vim_fault_invalid_argument(c, "device");
	if (!is_mgmt_device(c->vc_hostd, dev))
		return vim_fault(
			c, "NotFound", NULL,
			"no virtual NIC '%s' (the management one is " NET_MGMT_VNIC
			")",
			dev);
	ip = soap_child(soap_arg(c->vc_req, "nic"), "ip");
	if (ip == NULL)
		return 0; /* nothing of the address to change */
	n.nc_dhcp = soap_bool(soap_child(ip, "dhcp"), 0);
	if (!n.nc_dhcp) {
		if (ip_arg(soap_child(ip, "ipAddress"), &n.nc_address, 0) < 0)
			return vim_fault_invalid_argument(c,
							  "nic.ip.ipAddress");
		if (ip_arg(soap_child(ip, "subnetMask"), &n.nc_netmask, 0) < 0)
			return vim_fault_invalid_argument(c,
							  "nic.ip.subnetMask");
		/* A gateway the new subnet does not hold goes with it. */
		if ((ntohl(n.nc_gateway.s_addr) & ntohl(n.nc_netmask.s_addr)) !=
		    (ntohl(n.nc_address.s_addr) & ntohl(n.nc_netmask.s_addr)))
			n.nc_gateway.s_addr = 0;
	}
	return change(c, &n, n.nc_dhcp ? "DHCP" : "static address");
}

static int update_routes(struct vim_call *c)
{
	struct netcfg n = c->vc_hostd->hd_net;

	if (!ns_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (ip_arg(soap_child(soap_arg(c->vc_req, "config"), "defaultGateway"),
		   &n.nc_gateway, 1) < 0)
		return vim_fault_invalid_argument(c, "config.defaultGateway");
	return change(c, &n, "default gateway");
}

static int update_dns(struct vim_call *c)
{
	struct netcfg n = c->vc_hostd->hd_net;
	struct soap_node *cfg = soap_arg(c->vc_req, "config"), *a;
	char text[NETCFG_DOMAIN_MAX + 1];

	if (!ns_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (cfg == NULL)
		return vim_fault_invalid_argument(c, "config");
	n.nc_ndns = 0;
	for (a = soap_child(cfg, "address"); a != NULL;
	     a = soap_next(a, "address")) {
		if (n.nc_ndns == NETCFG_DNS_MAX)
			return vim_fault(c, "InvalidArgument", NULL,
					 "at most %d DNS servers",
					 NETCFG_DNS_MAX);
		if (ip_arg(a, &n.nc_dns[n.nc_ndns++], 0) < 0)
			return vim_fault_invalid_argument(c, "config.address");
	}
	if (soap_child(cfg, "hostName") != NULL) {
		if (soap_text(soap_child(cfg, "hostName"), text, sizeof(text)) <
			    0 ||
		    strlen(text) >= sizeof(n.nc_hostname))
			return vim_fault_invalid_argument(c, "config.hostName");
		strcpy(n.nc_hostname, text);
	}
	if (soap_child(cfg, "domainName") != NULL) {
		if (soap_text(soap_child(cfg, "domainName"), n.nc_domain,
			      sizeof(n.nc_domain)) < 0)
			return vim_fault_invalid_argument(c,
							  "config.domainName");
	}
	return change(c, &n, "DNS");
}

static int update_portgroup(struct vim_call *c)
{
	struct netcfg n = c->vc_hostd->hd_net;
	char name[128], vid[16], *end;
	long v;

	if (!ns_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (soap_text(soap_arg(c->vc_req, "pgName"), name, sizeof(name)) < 0)
		return vim_fault_invalid_argument(c, "pgName");
	if (strcmp(name, NET_MGMT_PG) != 0)
		return vim_fault(c, "NotFound", NULL,
				 "no port group '%s' to change here (bridges' "
				 "port groups follow their bridge)",
				 name);
	if (soap_text(soap_child(soap_arg(c->vc_req, "portgrp"), "vlanId"), vid,
		      sizeof(vid)) < 0 ||
	    (v = strtol(vid, &end, 10), *end != '\0' || vid[0] == '\0'))
		return vim_fault_invalid_argument(c, "portgrp.vlanId");
	n.nc_vlan = (int)v;
	return change(c, &n, "VLAN");
}

static int update_vswitch(struct vim_call *c)
{
	struct netcfg n = c->vc_hostd->hd_net;
	struct soap_node *br;
	char nic[IFNAMSIZ + 8];

	if (!ns_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	br = soap_child(soap_arg(c->vc_req, "spec"), "bridge");
	if (soap_text(soap_child(br, "nicDevice"), nic, sizeof(nic)) < 0 ||
	    strlen(nic) >= sizeof(n.nc_uplink))
		return vim_fault_invalid_argument(c, "spec.bridge.nicDevice");
	strcpy(n.nc_uplink, nic);
	return change(c, &n, "uplink");
}

static int refresh(struct vim_call *c)
{
	struct netcfg n = c->vc_hostd->hd_net;

	if (!ns_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	/* Again from scratch: a DHCP client restarts (a new lease). */
	if (c->vc_hostd->hd_appliance && n.nc_dhcp) {
		struct err e = {0};
		if (dhcp_client(c->vc_hostd, NULL, &e) < 0)
			return vim_fault(c, "HostConfigFault", NULL, "%s",
					 err_msg(&e));
	}
	return change(c, &n, "applied again");
}

const struct vim_method vim_network_system_methods[] = {
	{"UpdateVirtualNic", "HostNetworkSystem", 0, update_vnic},
	{"UpdateIpRouteConfig", "HostNetworkSystem", 0, update_routes},
	{"UpdateDnsConfig", "HostNetworkSystem", 0, update_dns},
	{"UpdatePortGroup", "HostNetworkSystem", 0, update_portgroup},
	{"UpdateVirtualSwitch", "HostNetworkSystem", 0, update_vswitch},
	{"RefreshNetworkSystem", "HostNetworkSystem", 0, refresh},
	{NULL, NULL, 0, NULL},
};
