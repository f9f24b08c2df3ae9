/*
 * test_netcfg.c: network.conf read, checked and written back: a sound
 * static setting, and the settings that must be refused with nothing
 * kept (a broadcast address, a gateway outside the subnet, a mask with
 * holes, a VLAN out of range, an unknown key, a bad host name).
 */
#include <arpa/inet.h>
#include <string.h>

#include "common/netcfg.h"
#include "lib/tap.h"

static int parse(const char *text, struct netcfg *c)
{
	struct err e = {0};

	return netcfg_parse("t", text, strlen(text), c, &e);
}

static void static_setting_round_trips(void)
{
	struct netcfg c, again;
	char buf[NETCFG_FILE_MAX_BYTES], a[INET_ADDRSTRLEN];
	int len;

	CHECK_EQ(parse("mgmt.uplink = \"eth1\"\nmgmt.vlan = \"42\"\n"
		       "mgmt.ipv4 = \"static\"\nmgmt.address = \"10.1.2.3\"\n"
		       "mgmt.netmask = \"255.255.254.0\"\n"
		       "mgmt.gateway = \"10.1.3.254\"\n"
		       "dns.servers = \"10.1.2.53,9.9.9.9\"\n"
		       "dns.hostname = \"esx-1\"\ndns.domain = \"a.example\"\n",
		       &c),
		 0);
	CHECK_EQ(c.nc_dhcp, 0);
	CHECK_EQ(c.nc_vlan, 42);
	CHECK_EQ(netcfg_prefix(c.nc_netmask), 23);
	CHECK_EQ(c.nc_ndns, 2);
	CHECK_STR(inet_ntop(AF_INET, &c.nc_gateway, a, sizeof(a)),
		  "10.1.3.254");
	CHECK_STR(c.nc_uplink, "eth1");
	len = netcfg_format(&c, buf, sizeof(buf));
	CHECK(len > 0);
	CHECK_EQ(netcfg_parse("again", buf, (size_t)len, &again, NULL), 0);
	CHECK(memcmp(&c, &again, sizeof(c)) == 0);
	netcfg_iface(&c, "vSwitch0", buf, 32);
	CHECK_STR(buf, "vSwitch0.42");
}

static void defaults_are_dhcp(void)
{
	struct netcfg c;

	CHECK_EQ(parse("# nothing\n", &c), 0);
	CHECK_EQ(c.nc_dhcp, 1);
	CHECK_EQ(c.nc_vlan, 0);
	CHECK_STR(c.nc_uplink, "");
}

static void unsound_settings_are_refused(void)
{
	static const char *const bad[] = {
		/* the subnet's broadcast address */
		"mgmt.ipv4 = \"static\"\nmgmt.address = \"10.0.0.255\"\n"
		"mgmt.netmask = \"255.255.255.0\"\n",
		/* the network's own address */
		"mgmt.ipv4 = \"static\"\nmgmt.address = \"10.0.0.0\"\n"
		"mgmt.netmask = \"255.255.255.0\"\n",
		/* a gateway in another subnet */
		"mgmt.ipv4 = \"static\"\nmgmt.address = \"10.0.0.5\"\n"
		"mgmt.netmask = \"255.255.255.0\"\n"
		"mgmt.gateway = \"10.0.1.1\"\n",
		/* a mask with a hole */
		"mgmt.ipv4 = \"static\"\nmgmt.address = \"10.0.0.5\"\n"
		"mgmt.netmask = \"255.0.255.0\"\n",
		/* no address at all */
		"mgmt.ipv4 = \"static\"\n",
		"mgmt.vlan = \"4095\"\n",
		"mgmt.vlan = \"-1\"\n",
		"mgmt.ipv4 = \"bootp\"\n",
		"mgmt.address = \"10.0.0.300\"\n",
		"dns.servers = \"1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4\"\n",
		"dns.servers = \"127.0.0.1\"\n",
		"dns.hostname = \"bad_name\"\n",
		"dns.domain = \"a..example\"\n",
		"mgmt.mtu = \"9000\"\n",
	};
	struct netcfg c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		netcfg_defaults(&c);
		c.nc_vlan = 7; /* a refusal leaves it as it was */
		CHECK(parse(bad[i], &c) < 0);
		CHECK_EQ(c.nc_vlan, 7);
	}
}

int main(void)
{
	RUN(static_setting_round_trips);
	RUN(defaults_are_dhcp);
	RUN(unsound_settings_are_refused);
	return tap_done();
}
