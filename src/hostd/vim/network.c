/*
 * network.c: networks as the reference host has them, one port group per
 * host bridge. A bridge br0 is the virtual switch "br0" with the port
 * group (and Network HaNetwork-br0) "br0"; a VM's NIC names it in
 * ethernetN.networkName, which is what vmx joins. Bridges are read from
 * /sys/class/net at each call, so one made with ip(8) shows at once.
 * Also the host's side of them for HostConfigInfo.network: physical NICs
 * (interfaces with a device), and the host's own addresses as vmkernel
 * NICs would be (every interface with IPv4 but loopback; the management
 * network's is vmk0 on "Management Network").
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/file.h"
#include "common/netcfg.h"
#include "hostd/hostd.h"
#include "hostd/vim/entity.h"
#include "hostd/vim/mo.h"
#include "hostd/vim/network.h"
#include "hostd/vm_config.h"

#define SYS_NET	       "/sys/class/net"
#define NETWORK_PREFIX "HaNetwork-"

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The interfaces listed in dir (/sys/class/net, or a bridge's brif)
 * that have /sys/class/net/<name>/<sub>, sorted. */
static size_t interfaces(const char *dir, const char *sub,
			 char (*out)[IFNAMSIZ], size_t max)
{
	char path[300];
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= IFNAMSIZ)
			continue;
		snprintf(path, sizeof(path), SYS_NET "/%s/%s", de->d_name, sub);
		if (is_dir(path))
			snprintf(out[n++], IFNAMSIZ, "%s", de->d_name);
	}
	closedir(d);
	qsort(out, n, IFNAMSIZ, by_name);
	return n;
}

size_t net_bridges(char (*out)[IFNAMSIZ], size_t max)
{
	return interfaces(SYS_NET, "bridge", out, max);
}

int net_bridge_exists(const char *name)
{
	char path[300];

	if (name[0] == '\0' || name[0] == '.' || strchr(name, '/') != NULL ||
	    strlen(name) >= IFNAMSIZ)
		return 0;
	snprintf(path, sizeof(path), SYS_NET "/%s/bridge", name);
	return is_dir(path);
}

/* The bridge a Network id names, or NULL. */
static const char *bridge_of(const char *id)
{
	if (strncmp(id, NETWORK_PREFIX, strlen(NETWORK_PREFIX)) != 0)
		return NULL;
	id += strlen(NETWORK_PREFIX);
	return net_bridge_exists(id) ? id : NULL;
}

static void read_sys(const char *ifname, const char *what, char *buf,
		     size_t size)
{
	char path[300];

	snprintf(path, sizeof(path), SYS_NET "/%s/%s", ifname, what);
	file_read_line(path, buf, size);
}

static long sys_long(const char *ifname, const char *what, long dflt)
{
	char buf[32], *end;
	long v;

	read_sys(ifname, what, buf, sizeof(buf));
	v = strtol(buf, &end, 10);
	return buf[0] != '\0' && *end == '\0' ? v : dflt;
}

enum mo_prop_result vim_network_refs(struct vim_call *c, struct vval **out)
{
	char br[NET_BRIDGES_MAX][IFNAMSIZ], id[IFNAMSIZ + 16];
	size_t n = net_bridges(br, NET_BRIDGES_MAX);

	(void)c;
	*out = vval_array(NULL, NULL, "ManagedObjectReference");
	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), NETWORK_PREFIX "%s", br[i]);
		vval_moref(*out, NULL, "Network", id);
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

/* The networks a VM's NICs are on (that exist), once each. */
struct vval *vim_vm_network_refs(const struct vm_config *vc)
{
	struct vval *a = vval_array(NULL, NULL, "ManagedObjectReference");
	char id[96];

	for (int i = 0; i < vc->vc_nnics; i++) {
		int seen = 0;
		for (int j = 0; j < i; j++)
			seen |= strcmp(vc->vc_nics[j].vn_network,
				       vc->vc_nics[i].vn_network) == 0;
		if (seen || !net_bridge_exists(vc->vc_nics[i].vn_network))
			continue;
		snprintf(id, sizeof(id), NETWORK_PREFIX "%s",
			 vc->vc_nics[i].vn_network);
		vval_moref(a, NULL, "Network", id);
	}
	return a;
}

/* The VMs with a NIC on bridge br. */
static struct vval *vms_on(struct vim_call *c, const char *br)
{
	struct inventory *inv = &c->vc_hostd->hd_inventory;
	struct vval *a = vval_array(NULL, NULL, "ManagedObjectReference");
	struct vm_config *vc = malloc(sizeof(*vc));
	char id[16];

	if (vc == NULL) {
		vval_free(a);
		return NULL;
	}
	for (size_t i = 0; i < inv->iv_n; i++) {
		struct err e = {0};
		int on = 0;
		if (vm_config_load(vc, inv->iv_vms[i].ve_vmx, &e) == 0)
			for (int k = 0; k < vc->vc_nnics; k++)
				on |= strcmp(vc->vc_nics[k].vn_network, br) ==
				      0;
		vm_config_free(vc);
		if (on) {
			snprintf(id, sizeof(id), "%d", inv->iv_vms[i].ve_id);
			vval_moref(a, NULL, "VirtualMachine", id);
		}
	}
	free(vc);
	return a;
}

static int network_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return bridge_of(id) != NULL;
}

static enum mo_prop_result network_prop(struct vim_call *c, const char *id,
					const char *name, struct vval **out)
{
	const char *br = bridge_of(id);

	*out = NULL;
	if (br == NULL)
		return MO_PROP_UNKNOWN;
	if (strcmp(name, "summary") == 0) {
		struct vval *s = vval_obj(NULL, NULL, "NetworkSummary");
		vval_moref(s, "network", "Network", id);
		vval_str(s, "name", br);
		vval_bool(s, "accessible", 1);
		*out = s;
	} else if (strcmp(name, "host") == 0) {
		*out = vval_array(NULL, NULL, "ManagedObjectReference");
		vval_moref(*out, NULL, "HostSystem", "ha-host");
	} else if (strcmp(name, "vm") == 0) {
		*out = vms_on(c, br);
	} else {
		return entity_prop(name, br, "Folder", "ha-folder-network",
				   out);
	}
	return *out != NULL ? MO_PROP_SET : MO_PROP_UNSET;
}

static const char *const network_props[] = {ENTITY_PROPS, "summary", "host",
					    "vm", NULL};

const struct mo_type mo_network = {
	.mt_name = "Network",
	.mt_base = "ManagedEntity",
	.mt_exists = network_exists,
	.mt_prop = network_prop,
	.mt_props = network_props,
};

/* The members of bridge br that are physical NICs, sorted. */
static size_t uplinks(const char *br, char (*out)[IFNAMSIZ], size_t max)
{
	char dir[300];

	snprintf(dir, sizeof(dir), SYS_NET "/%s/brif", br);
	return interfaces(dir, "device", out, max);
}

/* The port group "Management Network" of switch sw into pgs, its key
 * into the switch's list keys. */
static void mgmt_portgroup(const struct hostd *h, struct vval *pgs,
			   struct vval *keys, const char *sw)
{
	struct vval *pg = vval_obj(pgs, NULL, "HostPortGroup");
	struct vval *spec, *ports, *port;
	char key[IFNAMSIZ + 64];

	vval_str(keys, NULL, "key-vim.host.PortGroup-" NET_MGMT_PG);
	vval_str(pg, "key", "key-vim.host.PortGroup-" NET_MGMT_PG);
	snprintf(key, sizeof(key), "key-vim.host.VirtualSwitch-%s", sw);
	vval_str(pg, "vswitch", key);
	ports = vval_array(pg, "port", "HostPortGroupPort");
	port = vval_obj(ports, NULL, "HostPortGroupPort");
	vval_str(port, "key", "key-vim.host.PortGroup.Port-" NET_MGMT_VNIC);
	vval_str(port, "type", "host");
	spec = vval_obj(pg, "spec", "HostPortGroupSpec");
	vval_str(spec, "name", NET_MGMT_PG);
	vval_int(spec, "vlanId", "xsd:int", h->hd_net.nc_vlan);
	vval_str(spec, "vswitchName", sw);
	vval_obj(spec, "policy", "HostNetworkPolicy");
}

/* HostNetworkInfo.vswitch and .portgroup: a switch and a port group per
 * bridge; the switch's uplinks are the bridge's physical members. The
 * management switch also has the port group "Management Network" (its
 * VLAN) and its uplinks as spec.bridge, what UpdateVirtualSwitch sets. */
static void switches(const struct hostd *h, struct vval *ni)
{
	char br[NET_BRIDGES_MAX][IFNAMSIZ], mem[32][IFNAMSIZ];
	char key[IFNAMSIZ + 40];
	struct vval *vs = vval_array(ni, "vswitch", "HostVirtualSwitch");
	struct vval *pgs = vval_array(ni, "portgroup", "HostPortGroup");
	size_t n = net_bridges(br, NET_BRIDGES_MAX);

	for (size_t i = 0; i < n; i++) {
		struct vval *s = vval_obj(vs, NULL, "HostVirtualSwitch");
		struct vval *pg = vval_obj(pgs, NULL, "HostPortGroup");
		struct vval *spec, *a, *pgkeys;
		size_t nm;
		long mtu = sys_long(br[i], "mtu", 1500);

		vval_str(s, "name", br[i]);
		snprintf(key, sizeof(key), "key-vim.host.VirtualSwitch-%s",
			 br[i]);
		vval_str(s, "key", key);
		vval_int(s, "numPorts", "xsd:int", 1024);
		vval_int(s, "numPortsAvailable", "xsd:int", 1024);
		vval_int(s, "mtu", "xsd:int", mtu);
		pgkeys = vval_array(s, "portgroup", "string");
		snprintf(key, sizeof(key), "key-vim.host.PortGroup-%s", br[i]);
		vval_str(pgkeys, NULL, key);
		a = vval_array(s, "pnic", "string");
		nm = uplinks(br[i], mem, 32);
		for (size_t k = 0; k < nm; k++) {
			snprintf(key, sizeof(key),
				 "key-vim.host.PhysicalNic-%.*s", IFNAMSIZ - 1,
				 mem[k]);
			vval_str(a, NULL, key);
		}
		spec = vval_obj(s, "spec", "HostVirtualSwitchSpec");
		vval_int(spec, "numPorts", "xsd:int", 1024);
		vval_int(spec, "mtu", "xsd:int", mtu);
		if (strcmp(br[i], h->hd_mgmt_iface) == 0) {
			struct vval *b = vval_obj(
				spec, "bridge", "HostVirtualSwitchBondBridge");
			struct vval *nics =
				vval_array(b, "nicDevice", "string");
			for (size_t k = 0; k < nm; k++)
				vval_str(nics, NULL, mem[k]);
			mgmt_portgroup(h, pgs, pgkeys, br[i]);
		}

		snprintf(key, sizeof(key), "key-vim.host.PortGroup-%s", br[i]);
		vval_str(pg, "key", key);
		snprintf(key, sizeof(key), "key-vim.host.VirtualSwitch-%s",
			 br[i]);
		vval_str(pg, "vswitch", key);
		spec = vval_obj(pg, "spec", "HostPortGroupSpec");
		vval_str(spec, "name", br[i]);
		vval_int(spec, "vlanId", "xsd:int", 0);
		vval_str(spec, "vswitchName", br[i]);
		vval_obj(spec, "policy", "HostNetworkPolicy");
	}
}

/* HostNetworkInfo.pnic: interfaces backed by a device. */
static void physical_nics(struct vval *ni)
{
	char ifs[64][IFNAMSIZ], key[IFNAMSIZ + 32], mac[64];
	struct vval *a = vval_array(ni, "pnic", "PhysicalNic");
	size_t n = interfaces(SYS_NET, "device", ifs, 64);

	for (size_t i = 0; i < n; i++) {
		struct vval *p = vval_obj(a, NULL, "PhysicalNic");
		struct vval *spec;
		long speed = sys_long(ifs[i], "speed", -1);
		snprintf(key, sizeof(key), "key-vim.host.PhysicalNic-%s",
			 ifs[i]);
		vval_str(p, "key", key);
		vval_str(p, "device", ifs[i]);
		vval_str(p, "pci", "");
		read_sys(ifs[i], "address", mac, sizeof(mac));
		vval_str(p, "mac", mac);
		spec = vval_obj(p, "spec", "PhysicalNicSpec");
		if (speed > 0) {
			struct vval *ls =
				vval_obj(p, "linkSpeed", "PhysicalNicLinkInfo");
			vval_int(ls, "speedMb", "xsd:int", speed);
			vval_bool(ls, "duplex", 1);
		}
		(void)spec;
	}
}

/* HostNetworkInfo.vnic: the host's own IPv4 addresses, one entry per
 * interface (its first address), as the reference host's vmk NICs. */
static void host_nics(const struct hostd *h, struct vval *ni)
{
	struct vval *a = vval_array(ni, "vnic", "HostVirtualNic");
	struct ifaddrs *ifs = NULL;
	char done[64][IFNAMSIZ];
	size_t nd = 0;

	char mgmt[IFNAMSIZ] = "";

	if (h->hd_mgmt_iface[0] != '\0')
		netcfg_iface(&h->hd_net, h->hd_mgmt_iface, mgmt, sizeof(mgmt));
	if (getifaddrs(&ifs) < 0)
		return;
	for (struct ifaddrs *i = ifs; i != NULL && nd < 64; i = i->ifa_next) {
		char ip[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], mac[32];
		char key[IFNAMSIZ + 16];
		struct vval *v, *spec, *ipc;
		int seen = 0, is_mgmt;
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK) ||
		    strlen(i->ifa_name) >= IFNAMSIZ)
			continue;
		for (size_t k = 0; k < nd; k++)
			seen |= strcmp(done[k], i->ifa_name) == 0;
		if (seen)
			continue;
		snprintf(done[nd++], IFNAMSIZ, "%s", i->ifa_name);
		inet_ntop(
			AF_INET,
			&((const struct sockaddr_in *)(const void *)i->ifa_addr)
				 ->sin_addr,
			ip, sizeof(ip));
		if (i->ifa_netmask != NULL)
			inet_ntop(AF_INET,
				  &((const struct sockaddr_in *)(const void *)
					    i->ifa_netmask)
					   ->sin_addr,
				  mask, sizeof(mask));
		else
			strcpy(mask, "255.255.255.255");
		is_mgmt = strcmp(i->ifa_name, mgmt) == 0;
		v = vval_obj(a, NULL, "HostVirtualNic");
		vval_str(v, "device", is_mgmt ? NET_MGMT_VNIC : i->ifa_name);
		snprintf(key, sizeof(key), "key-vim.host.VirtualNic-%s",
			 is_mgmt ? NET_MGMT_VNIC : i->ifa_name);
		vval_str(v, "key", key);
		vval_str(v, "portgroup",
			 is_mgmt			  ? NET_MGMT_PG
			 : net_bridge_exists(i->ifa_name) ? i->ifa_name
							  : "");
		spec = vval_obj(v, "spec", "HostVirtualNicSpec");
		ipc = vval_obj(spec, "ip", "HostIpConfig");
		vval_bool(ipc, "dhcp", is_mgmt && h->hd_net.nc_dhcp);
		vval_str(ipc, "ipAddress", ip);
		vval_str(ipc, "subnetMask", mask);
		read_sys(i->ifa_name, "address", mac, sizeof(mac));
		vval_str(spec, "mac", mac);
		vval_int(spec, "mtu", "xsd:int",
			 sys_long(i->ifa_name, "mtu", 1500));
	}
	freeifaddrs(ifs);
}

struct vval *vim_host_network_info(const struct hostd *h, struct vval *parent,
				   const char *name)
{
	struct vval *ni = vval_obj(parent, name, "HostNetworkInfo");

	switches(h, ni);
	physical_nics(ni);
	host_nics(h, ni);
	vim_host_network_config(h, ni);
	return ni;
}
