/*
 * netcfg.c: the management network's configuration (netcfg.h): the
 * file, its checks, and a static configuration applied by rtnetlink.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/kvcfg.h"
#include "common/netcfg.h"
#include "common/netlink.h"

void netcfg_defaults(struct netcfg *c)
{
	memset(c, 0, sizeof(*c));
	c->nc_dhcp = 1;
}

int netcfg_prefix(struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr);
	int n = __builtin_popcount(m);

	/* Contiguous: the ones first. */
	if (n < 32 && (m & (0xffffffffu >> n)) != 0)
		return -1;
	return n;
}

/* Letters, digits and '-' in labels split by '.' (dots only when
 * dots is set), no label empty or longer than 63. */
static int name_ok(const char *s, int dots)
{
	size_t label = 0;

	if (*s == '\0')
		return 1;
	for (; *s != '\0'; s++) {
		if (*s == '.' && dots) {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

int netcfg_check(const struct netcfg *c, struct err *e)
{
	char a[INET_ADDRSTRLEN];

	if (c->nc_vlan < 0 || c->nc_vlan > 4094)
		return err_set(e, -EINVAL,
			       "VLAN ID %d: expected 0 (none) to "
			       "4094",
			       c->nc_vlan);
	if (c->nc_uplink[0] != '\0' && !name_ok(c->nc_uplink, 0) &&
	    strspn(c->nc_uplink, "abcdefghijklmnopqrstuvwxyz0123456789_-.") !=
		    strlen(c->nc_uplink))
		return err_set(e, -EINVAL, "uplink '%s': not a NIC's name",
			       c->nc_uplink);
	if (!name_ok(c->nc_hostname, 0))
		return err_set(e, -EINVAL,
			       "host name '%s': letters, digits and '-', at "
			       "most 63",
			       c->nc_hostname);
	if (!name_ok(c->nc_domain, 1))
		return err_set(e, -EINVAL,
			       "domain '%s': labels of letters, digits and "
			       "'-' between dots",
			       c->nc_domain);
	for (int i = 0; i < c->nc_ndns; i++) {
		uint32_t d = ntohl(c->nc_dns[i].s_addr);
		if (d == 0 || d == 0xffffffffu || (d >> 24) == 127 ||
		    (d >> 28) == 14)
			return err_set(e, -EINVAL,
				       "DNS server %s: not a server's address",
				       inet_ntop(AF_INET, &c->nc_dns[i], a,
						 sizeof(a)));
	}
	if (c->nc_dhcp)
		return 0;
	int prefix = netcfg_prefix(c->nc_netmask);
	uint32_t ip = ntohl(c->nc_address.s_addr);
	uint32_t mask = ntohl(c->nc_netmask.s_addr);
	if (prefix < 1 || prefix > 30)
		return err_set(
			e, -EINVAL,
			"netmask %s: a contiguous mask of 1 to 30 bits",
			inet_ntop(AF_INET, &c->nc_netmask, a, sizeof(a)));
	if (ip == 0 || (ip >> 24) == 127 || (ip >> 28) >= 14 ||
	    (ip & ~mask) == 0 || (ip & ~mask) == ~mask)
		return err_set(
			e, -EINVAL,
			"address %s: not a host's address in its "
			"subnet",
			inet_ntop(AF_INET, &c->nc_address, a, sizeof(a)));
	if (c->nc_gateway.s_addr != 0) {
		uint32_t gw = ntohl(c->nc_gateway.s_addr);
		if ((gw & mask) != (ip & mask) || gw == ip ||
		    (gw & ~mask) == 0 || (gw & ~mask) == ~mask)
			return err_set(e, -EINVAL,
				       "gateway %s: not another host in the "
				       "address's subnet",
				       inet_ntop(AF_INET, &c->nc_gateway, a,
						 sizeof(a)));
	}
	return 0;
}

static int parse_ip(const char *text, struct in_addr *a, int empty_ok)
{
	if (text[0] == '\0' && empty_ok) {
		a->s_addr = 0;
		return 0;
	}
	return inet_pton(AF_INET, text, a) == 1 ? 0 : -1;
}

int netcfg_parse(const char *name, const char *text, size_t len,
		 struct netcfg *out, struct err *e)
{
	struct netcfg c;
	struct kvcfg cfg;
	int rc = 0;

	netcfg_defaults(&c);
	if ((rc = kvcfg_parse(&cfg, name, text, len, e)) < 0)
		return rc;
	for (int i = 0; i < cfg.kc_count && rc == 0; i++) {
		const struct kvcfg_entry *en = &cfg.kc_entries[i];
		const char *k = en->ke_key, *v = en->ke_value;
		char *end;
		int bad = 0;
		if (strcasecmp(k, "mgmt.uplink") == 0) {
			bad = strlen(v) >= sizeof(c.nc_uplink);
			if (!bad)
				strcpy(c.nc_uplink, v);
		} else if (strcasecmp(k, "mgmt.vlan") == 0) {
			long n = strtol(v, &end, 10);
			bad = *v == '\0' || *end != '\0' || n < 0 || n > 4094;
			c.nc_vlan = (int)n;
		} else if (strcasecmp(k, "mgmt.ipv4") == 0) {
			bad = strcmp(v, "dhcp") != 0 &&
			      strcmp(v, "static") != 0;
			c.nc_dhcp = strcmp(v, "dhcp") == 0;
		} else if (strcasecmp(k, "mgmt.address") == 0) {
			bad = parse_ip(v, &c.nc_address, 1) < 0;
		} else if (strcasecmp(k, "mgmt.netmask") == 0) {
			bad = parse_ip(v, &c.nc_netmask, 1) < 0;
		} else if (strcasecmp(k, "mgmt.gateway") == 0) {
			bad = parse_ip(v, &c.nc_gateway, 1) < 0;
		} else if (strcasecmp(k, "dns.servers") == 0) {
			c.nc_ndns = 0;
			for (const char *p = v; *p != '\0' && !bad;) {
				char one[INET_ADDRSTRLEN];
				size_t n = strcspn(p, ",");
				bad = n == 0 || n >= sizeof(one) ||
				      c.nc_ndns == NETCFG_DNS_MAX;
				if (!bad) {
					memcpy(one, p, n);
					one[n] = '\0';
					bad = parse_ip(one,
						       &c.nc_dns[c.nc_ndns++],
						       0) < 0;
				}
				p += n;
				if (*p == ',')
					p++;
			}
		} else if (strcasecmp(k, "dns.hostname") == 0) {
			bad = strlen(v) >= sizeof(c.nc_hostname);
			if (!bad)
				strcpy(c.nc_hostname, v);
		} else if (strcasecmp(k, "dns.domain") == 0) {
			bad = strlen(v) >= sizeof(c.nc_domain);
			if (!bad)
				strcpy(c.nc_domain, v);
		} else {
			rc = err_set(e, -EINVAL, "%s:%d: no setting '%s'", name,
				     en->ke_line, k);
		}
		if (bad)
			rc = err_set(e, -EINVAL,
				     "%s:%d: %s \"%.64s\": not a "
				     "value it takes",
				     name, en->ke_line, k, v);
	}
	kvcfg_free(&cfg);
	if (rc == 0) {
		struct err why = {0};
		if (netcfg_check(&c, &why) < 0)
			rc = err_set(e, -EINVAL, "%s: %s", name, err_msg(&why));
	}
	if (rc == 0)
		*out = c;
	return rc;
}

int netcfg_load(const char *path, struct netcfg *c, struct err *e)
{
	void *text;
	size_t len;
	int rc;

	netcfg_defaults(c);
	rc = file_read_all(path, NETCFG_FILE_MAX_BYTES, &text, &len, e);
	if (rc == -ENOENT) {
		err_clear(e);
		return 0;
	}
	if (rc < 0)
		return rc;
	rc = netcfg_parse(path, text, len, c, e);
	free(text);
	return rc;
}

int netcfg_format(const struct netcfg *c, char *buf, size_t size)
{
	char addr[INET_ADDRSTRLEN], mask[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	char dns[NETCFG_DNS_MAX * (INET_ADDRSTRLEN + 1)] = "";
	char host[NETCFG_NAME_MAX * 3], dom[NETCFG_DOMAIN_MAX * 3];
	char up[IFNAMSIZ * 3];
	size_t n = 0;
	int len;

	for (int i = 0; i < c->nc_ndns; i++) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &c->nc_dns[i], a, sizeof(a));
		n += (size_t)snprintf(dns + n, sizeof(dns) - n, "%s%s",
				      i ? "," : "", a);
	}
	if (kvcfg_escape(c->nc_hostname, host, sizeof(host)) < 0 ||
	    kvcfg_escape(c->nc_domain, dom, sizeof(dom)) < 0 ||
	    kvcfg_escape(c->nc_uplink, up, sizeof(up)) < 0)
		return -1;
	len = snprintf(
		buf, size,
		"# Basalt management network (written by hostd)\n"
		"mgmt.uplink = \"%s\"\nmgmt.vlan = \"%d\"\n"
		"mgmt.ipv4 = \"%s\"\nmgmt.address = \"%s\"\n"
		"mgmt.netmask = \"%s\"\nmgmt.gateway = \"%s\"\n"
		"dns.servers = \"%s\"\ndns.hostname = \"%s\"\n"
		"dns.domain = \"%s\"\n",
		up, c->nc_vlan, c->nc_dhcp ? "dhcp" : "static",
		c->nc_address.s_addr
			? inet_ntop(AF_INET, &c->nc_address, addr, sizeof(addr))
			: "",
		c->nc_netmask.s_addr
			? inet_ntop(AF_INET, &c->nc_netmask, mask, sizeof(mask))
			: "",
		c->nc_gateway.s_addr
			? inet_ntop(AF_INET, &c->nc_gateway, gw, sizeof(gw))
			: "",
		dns, host, dom);
	return len < 0 || (size_t)len >= size ? -1 : len;
}

void netcfg_iface(const struct netcfg *c, const char *base, char *out,
		  size_t size)
{
	if (c->nc_vlan > 0)
		snprintf(out, size, "%.*s.%d", IFNAMSIZ - 6, base, c->nc_vlan);
	else
		snprintf(out, size, "%s", base);
}

int netcfg_apply_static(const struct netcfg *c, const char *base,
			const char *resolv_conf, struct err *e)
{
	char iface[IFNAMSIZ], text[512];
	int idx, rc;
	size_t n = 0;

	netcfg_iface(c, base, iface, sizeof(iface));
	if (c->nc_vlan > 0 &&
	    (rc = nl_vlan_create(base, iface, c->nc_vlan)) < 0 && rc != -EEXIST)
		return err_set(e, rc, "VLAN %d on %s: %s", c->nc_vlan, base,
			       strerror(-rc));
	if ((rc = nl_link_up(iface)) < 0 ||
	    (idx = (int)if_nametoindex(iface)) == 0)
		return err_set(e, rc < 0 ? rc : -ENODEV, "%s: %s", iface,
			       strerror(rc < 0 ? -rc : ENODEV));
	nl_flush_addresses(iface, idx);
	rc = nl_addr_change(RTM_NEWADDR, idx, c->nc_address,
			    netcfg_prefix(c->nc_netmask));
	if (rc < 0)
		return err_set(e, rc, "%s: the address: %s", iface,
			       strerror(-rc));
	if (c->nc_gateway.s_addr != 0 &&
	    (rc = nl_route_default(RTM_NEWROUTE, idx, c->nc_gateway,
				   RTPROT_STATIC)) < 0)
		return err_set(e, rc, "%s: the default route: %s", iface,
			       strerror(-rc));
	if (resolv_conf == NULL)
		return 0;
	if (c->nc_domain[0] != '\0')
		n += (size_t)snprintf(text + n, sizeof(text) - n, "search %s\n",
				      c->nc_domain);
	for (int i = 0; i < c->nc_ndns; i++) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &c->nc_dns[i], a, sizeof(a));
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "nameserver %s\n", a);
	}
	return file_write_atomic(resolv_conf, text, n, 0644, e);
}

size_t netcfg_nics(char (*out)[IFNAMSIZ], size_t max)
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

void netcfg_uplink(const char *want, char *out, size_t size)
{
	char names[32][IFNAMSIZ], path[320], v[8];
	size_t n = netcfg_nics(names, 32);

	out[0] = '\0';
	for (size_t i = 0; i < n && want[0] != '\0'; i++)
		if (strcmp(names[i], want) == 0) {
			snprintf(out, size, "%s", want);
			return;
		}
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/carrier",
			 names[i]);
		file_read_line(path, v, sizeof(v));
		if (strcmp(v, "1") == 0) {
			snprintf(out, size, "%s", names[i]);
			return;
		}
	}
}
