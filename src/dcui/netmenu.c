/*
 * netmenu.c: the management network's screens (netmenu.h).
 */
#include <arpa/inet.h>
#include <curses.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/netcfg.h"
#include "dcui/host.h"
#include "dcui/netmenu.h"
#include "dcui/ui.h"

#define NICS_MAX     16
#define PING_TRIES   3
#define PING_WAIT_MS 1000
#define FIELD_BYTES  64

static int gone(struct api *a)
{
	return strcmp(a->ap_fault, "NotAuthenticated") == 0;
}

/* network.conf as it stands (defaults when missing or damaged). */
static void current(const char *path, struct netcfg *c)
{
	struct err e = {0};

	(void)netcfg_load(path, c, &e);
}

static const char *ip(struct in_addr a, char *buf)
{
	if (a.s_addr == 0) {
		buf[0] = '\0';
		return buf;
	}
	return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

/* Choose among n names: the index, or -1 on Esc. */
static int choose(const char *title, const char *intro, char (*names)[IFNAMSIZ],
		  int n, int sel)
{
	for (;;) {
		int y, x, ch;
		if (!ui_too_small()) {
			ui_box(title, n + 4, 60, &y, &x);
			ui_wrap(y, x, 60, 2, intro, 0);
			for (int i = 0; i < n; i++) {
				char state[32], path[320];
				snprintf(path, sizeof(path),
					 "/sys/class/net/%.*s/carrier",
					 IFNAMSIZ - 1, names[i]);
				file_read_line(path, state, sizeof(state));
				if (i == sel)
					attron(A_REVERSE);
				mvprintw(y + 2 + i, x, " %-16s %-40s", names[i],
					 strcmp(state, "1") == 0 ? "link up"
								 : "no link");
				if (i == sel)
					attroff(A_REVERSE);
			}
			mvprintw(y + n + 3, x, "<Enter> Choose   <Esc> Back");
			refresh();
		}
		ch = ui_key(-1);
		if (ch == UI_KEY_EOF || ch == UI_KEY_ESC)
			return -1;
		if (ch == KEY_UP && n > 0)
			sel = (sel + n - 1) % n;
		else if (ch == KEY_DOWN && n > 0)
			sel = (sel + 1) % n;
		else if ((ch == '\r' || ch == '\n' || ch == KEY_ENTER) && n > 0)
			return sel;
	}
}

/* Apply what differs between now and want, through hostd: the VLAN,
 * the uplink, IPv4, the gateway, DNS. 0, or -1 with e. */
static int apply(struct api *a, const struct netcfg *now,
		 const struct netcfg *want, struct err *e)
{
	char ad[INET_ADDRSTRLEN], nm[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

	if (want->nc_vlan != now->nc_vlan &&
	    host_net_vlan(a, want->nc_vlan, e) < 0)
		return -1;
	if (strcmp(want->nc_uplink, now->nc_uplink) != 0 &&
	    host_net_uplink(a, want->nc_uplink, e) < 0)
		return -1;
	if ((want->nc_dhcp != now->nc_dhcp ||
	     want->nc_address.s_addr != now->nc_address.s_addr ||
	     want->nc_netmask.s_addr != now->nc_netmask.s_addr) &&
	    host_net_ipv4(a, want->nc_dhcp ? NULL : ip(want->nc_address, ad),
			  ip(want->nc_netmask, nm), e) < 0)
		return -1;
	if (!want->nc_dhcp &&
	    want->nc_gateway.s_addr != now->nc_gateway.s_addr &&
	    host_net_gateway(a, ip(want->nc_gateway, gw), e) < 0)
		return -1;
	if (want->nc_ndns != now->nc_ndns ||
	    memcmp(want->nc_dns, now->nc_dns, sizeof(want->nc_dns)) != 0 ||
	    strcmp(want->nc_hostname, now->nc_hostname) != 0 ||
	    strcmp(want->nc_domain, now->nc_domain) != 0) {
		char d[3][INET_ADDRSTRLEN] = {"", "", ""};
		const char *servers[3] = {d[0], d[1], d[2]};
		for (int i = 0; i < want->nc_ndns; i++)
			ip(want->nc_dns[i], d[i]);
		if (host_net_dns(a, servers, want->nc_hostname, want->nc_domain,
				 e) < 0)
			return -1;
	}
	return 0;
}

static int parse_addr(const char *text, struct in_addr *out)
{
	if (text[0] == '\0') {
		out->s_addr = 0;
		return 0;
	}
	return inet_pton(AF_INET, text, out) == 1 ? 0 : -1;
}

static void ipv4_form(struct netcfg *w)
{
	char mode[8], ad[FIELD_BYTES], nm[FIELD_BYTES], gw[FIELD_BYTES];
	struct ui_field f[] = {
		{"DHCP (yes/no):", mode, sizeof(mode), 0},
		{"IPv4 Address:", ad, sizeof(ad), 0},
		{"Subnet Mask:", nm, sizeof(nm), 0},
		{"Default Gateway:", gw, sizeof(gw), 0},
	};
	struct netcfg t = *w;

	snprintf(mode, sizeof(mode), "%s", w->nc_dhcp ? "yes" : "no");
	ip(w->nc_address, ad);
	ip(w->nc_netmask, nm);
	ip(w->nc_gateway, gw);
	for (;;) {
		struct err e = {0};
		if (!ui_form("IPv4 Configuration",
			     "DHCP, or a static address, subnet mask and "
			     "default gateway (empty: none).",
			     f, 4))
			return;
		t.nc_dhcp = mode[0] == 'y' || mode[0] == 'Y';
		if (!t.nc_dhcp && (parse_addr(ad, &t.nc_address) < 0 ||
				   parse_addr(nm, &t.nc_netmask) < 0 ||
				   parse_addr(gw, &t.nc_gateway) < 0)) {
			ui_message("IPv4 Configuration",
				   "An address is four numbers 0-255 with dots "
				   "between them (192.0.2.10).");
			continue;
		}
		if (netcfg_check(&t, &e) < 0) {
			ui_message("IPv4 Configuration", err_msg(&e));
			continue;
		}
		*w = t;
		return;
	}
}

static void dns_form(struct netcfg *w)
{
	char d1[FIELD_BYTES], d2[FIELD_BYTES], d3[FIELD_BYTES];
	char host[NETCFG_NAME_MAX], dom[NETCFG_DOMAIN_MAX];
	char *d[3] = {d1, d2, d3};
	struct ui_field f[] = {
		{"Primary DNS Server:", d1, sizeof(d1), 0},
		{"Alternate DNS Server:", d2, sizeof(d2), 0},
		{"Third DNS Server:", d3, sizeof(d3), 0},
		{"Host Name:", host, sizeof(host), 0},
		{"Domain:", dom, sizeof(dom), 0},
	};

	for (int i = 0; i < 3; i++)
		d[i][0] = '\0';
	for (int i = 0; i < w->nc_ndns; i++)
		ip(w->nc_dns[i], d[i]);
	snprintf(host, sizeof(host), "%s", w->nc_hostname);
	snprintf(dom, sizeof(dom), "%s", w->nc_domain);
	for (;;) {
		struct netcfg t = *w;
		struct err e = {0};
		int bad = 0;
		if (!ui_form("DNS Configuration",
			     "DNS servers (empty: none), the host's name and "
			     "its domain.",
			     f, 5))
			return;
		t.nc_ndns = 0;
		for (int i = 0; i < 3; i++)
			if (d[i][0] != '\0' &&
			    parse_addr(d[i], &t.nc_dns[t.nc_ndns++]) < 0)
				bad = 1;
		snprintf(t.nc_hostname, sizeof(t.nc_hostname), "%s", host);
		snprintf(t.nc_domain, sizeof(t.nc_domain), "%s", dom);
		if (bad) {
			ui_message("DNS Configuration",
				   "A DNS server is an IPv4 address "
				   "(192.0.2.53).");
			continue;
		}
		if (netcfg_check(&t, &e) < 0) {
			ui_message("DNS Configuration", err_msg(&e));
			continue;
		}
		*w = t;
		return;
	}
}

static void vlan_form(struct netcfg *w)
{
	char v[16];
	struct ui_field f[] = {{"VLAN ID:", v, sizeof(v), 0}};

	snprintf(v, sizeof(v), "%d", w->nc_vlan);
	for (;;) {
		char *end;
		long n;
		if (!ui_form("VLAN (optional)",
			     "The management network's VLAN ID, 1 to 4094; 0 "
			     "for none.",
			     f, 1))
			return;
		n = strtol(v, &end, 10);
		if (v[0] == '\0' || *end != '\0' || n < 0 || n > 4094) {
			ui_message("VLAN (optional)",
				   "A number from 0 (none) to 4094.");
			continue;
		}
		w->nc_vlan = (int)n;
		return;
	}
}

static void adapters_form(struct netcfg *w)
{
	char names[NICS_MAX][IFNAMSIZ];
	int n = (int)netcfg_nics(names, NICS_MAX), sel = 0, c;

	for (int i = 0; i < n; i++)
		if (strcmp(names[i], w->nc_uplink) == 0)
			sel = i;
	if (n == 0) {
		ui_message("Network Adapters",
			   "This host has no NIC with a device behind it.");
		return;
	}
	c = choose("Network Adapters",
		   "The NIC that carries the management network:", names, n,
		   sel);
	if (c >= 0)
		snprintf(w->nc_uplink, sizeof(w->nc_uplink), "%s", names[c]);
}

int netmenu_configure(struct api *a, const char *conf_path)
{
	struct netcfg now, want;
	int sel = 0;

	current(conf_path, &now);
	want = now;
	for (;;) {
		char ad[INET_ADDRSTRLEN], desc[4][96];
		const char *names[4] = {"Network Adapters", "VLAN (optional)",
					"IPv4 Configuration",
					"DNS Configuration"};
		int y, x, ch;
		snprintf(desc[0], sizeof(desc[0]), "%s",
			 want.nc_uplink[0] ? want.nc_uplink
					   : "the first with a link");
		snprintf(desc[1], sizeof(desc[1]), "%d%s", want.nc_vlan,
			 want.nc_vlan ? "" : " (none)");
		if (want.nc_dhcp)
			snprintf(desc[2], sizeof(desc[2]), "DHCP");
		else
			snprintf(desc[2], sizeof(desc[2]), "%s/%d",
				 ip(want.nc_address, ad),
				 netcfg_prefix(want.nc_netmask));
		snprintf(desc[3], sizeof(desc[3]), "%d server(s), %s",
			 want.nc_ndns,
			 want.nc_hostname[0] ? want.nc_hostname
					     : "host name "
					       "as is");
		if (!ui_too_small()) {
			ui_box("Configure Management Network", 7, 66, &y, &x);
			for (int i = 0; i < 4; i++) {
				if (i == sel)
					attron(A_REVERSE);
				mvprintw(y + i, x, " %-22s %-41.41s", names[i],
					 desc[i]);
				if (i == sel)
					attroff(A_REVERSE);
			}
			mvprintw(y + 6, x,
				 "<Enter> Change   <Esc> Done (apply or "
				 "discard)");
			refresh();
		}
		ch = ui_key(-1);
		if (ch == UI_KEY_EOF)
			return 0;
		if (ch == KEY_UP)
			sel = (sel + 3) % 4;
		else if (ch == KEY_DOWN)
			sel = (sel + 1) % 4;
		else if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
			if (sel == 0)
				adapters_form(&want);
			else if (sel == 1)
				vlan_form(&want);
			else if (sel == 2)
				ipv4_form(&want);
			else
				dns_form(&want);
		} else if (ch == UI_KEY_ESC) {
			struct err e = {0};
			if (memcmp(&want, &now, sizeof(now)) == 0)
				return 0;
			if (!ui_confirm("Configure Management Network",
					"Apply the changes and restart the "
					"management network? Clients connected "
					"over it may lose their connection.",
					"Apply"))
				return 0; /* discarded */
			if (apply(a, &now, &want, &e) < 0) {
				if (gone(a))
					return -1;
				ui_message("Configure Management Network",
					   err_msg(&e));
				current(conf_path, &now);
				want = now; /* what holds now */
				continue;
			}
			ui_message("Configure Management Network",
				   "The management network is applied.");
			return 0;
		}
	}
}

int netmenu_restart(struct api *a)
{
	struct err e = {0};

	if (!ui_confirm("Restart Management Network",
			"Apply the management network's configuration again "
			"(addresses, route, DNS)? Connections over it may "
			"drop for a moment.",
			"Restart"))
		return 0;
	if (host_net_refresh(a, &e) < 0) {
		if (gone(a))
			return -1;
		ui_message("Restart Management Network", err_msg(&e));
		return 0;
	}
	ui_message("Restart Management Network",
		   "The management network is applied again.");
	return 0;
}

/* One echo to addr: the round trip in ms, or -1 (no answer, or no way
 * to ask: *why says). ICMP datagram sockets first (init lets the
 * console's group use them), then a raw socket where allowed. */
static int ping(struct in_addr addr, const char **why)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = addr};
	struct icmphdr req = {.type = ICMP_ECHO};
	unsigned char buf[1500];
	struct timespec t0, t1;
	int raw = 0,
	    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd < 0) {
		fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
		raw = 1;
	}
	if (fd < 0) {
		*why = "no ICMP socket allowed";
		return -1;
	}
	req.un.echo.id = (unsigned short)getpid();
	req.un.echo.sequence = 1;
	if (raw) {
		/* The checksum is ours to make on a raw socket. */
		unsigned sum = 0;
		const unsigned short *w = (const unsigned short *)&req;
		for (size_t i = 0; i < sizeof(req) / 2; i++)
			sum += w[i];
		sum = (sum >> 16) + (sum & 0xffff);
		req.checksum = (unsigned short)~(sum + (sum >> 16));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		*why = strerror(errno);
		close(fd);
		return -1;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int left;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		left = PING_WAIT_MS -
		       (int)((t1.tv_sec - t0.tv_sec) * 1000 +
			     (t1.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, left) <= 0)
			break;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		size_t off = raw && n > 20 ? (size_t)(buf[0] & 0x0f) * 4 : 0;
		if (n >= (ssize_t)(off + sizeof(struct icmphdr)) &&
		    buf[off] == ICMP_ECHOREPLY) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			close(fd);
			return (int)((t1.tv_sec - t0.tv_sec) * 1000 +
				     (t1.tv_nsec - t0.tv_nsec) / 1000000);
		}
	}
	close(fd);
	*why = "no answer";
	return -1;
}

int netmenu_test(struct api *a, const char *conf_path)
{
	char t[3][FIELD_BYTES], host[NETCFG_NAME_MAX + NETCFG_DOMAIN_MAX + 2];
	char result[2048];
	struct ui_field f[] = {
		{"Ping Address #1:", t[0], sizeof(t[0]), 0},
		{"Ping Address #2:", t[1], sizeof(t[1]), 0},
		{"Ping Address #3:", t[2], sizeof(t[2]), 0},
		{"Resolve Hostname:", host, sizeof(host), 0},
	};
	struct netcfg c;
	size_t n = 0;

	(void)a;
	current(conf_path, &c);
	ip(c.nc_gateway, t[0]);
	for (int i = 0; i < 2; i++) {
		if (i < c.nc_ndns)
			ip(c.nc_dns[i], t[1 + i]);
		else
			t[1 + i][0] = '\0';
	}
	if (c.nc_hostname[0] != '\0')
		snprintf(host, sizeof(host), "%s%s%s", c.nc_hostname,
			 c.nc_domain[0] ? "." : "", c.nc_domain);
	else
		gethostname(host, sizeof(host) - 1);
	if (!ui_form("Test Management Network",
		     "Ping these addresses (by default the gateway and the DNS "
		     "servers) and look this name up.",
		     f, 4))
		return 0;
	ui_frame("Test Management Network", "Testing...");
	refresh();
	for (int i = 0; i < 3; i++) {
		struct in_addr ad;
		const char *why = "";
		int ok = 0;
		if (t[i][0] == '\0')
			continue;
		if (inet_pton(AF_INET, t[i], &ad) != 1) {
			n += (size_t)snprintf(result + n, sizeof(result) - n,
					      "Pinging address %s: not an "
					      "address.\n",
					      t[i]);
			continue;
		}
		for (int k = 0; k < PING_TRIES; k++)
			ok += ping(ad, &why) >= 0;
		n += (size_t)snprintf(result + n, sizeof(result) - n,
				      "Pinging address %s: %s (%d of %d "
				      "answered%s%s).\n",
				      t[i], ok ? "OK" : "Failed", ok,
				      PING_TRIES, ok ? "" : ": ",
				      ok ? "" : why);
	}
	if (host[0] != '\0') {
		struct addrinfo hints = {.ai_family = AF_INET}, *res = NULL;
		int rc = getaddrinfo(host, NULL, &hints, &res);
		char ad[INET_ADDRSTRLEN] = "";
		if (rc == 0 && res != NULL)
			inet_ntop(
				AF_INET,
				&((struct sockaddr_in *)res->ai_addr)->sin_addr,
				ad, sizeof(ad));
		n += (size_t)snprintf(result + n, sizeof(result) - n,
				      "Resolving hostname %s: %s%s%s.\n", host,
				      rc == 0 ? "OK, " : "Failed: ",
				      rc == 0 ? ad : gai_strerror(rc), "");
		if (res != NULL)
			freeaddrinfo(res);
	}
	if (n == 0)
		snprintf(result, sizeof(result), "Nothing to test.");
	ui_message("Test Management Network", result);
	return 0;
}

int netmenu_restore(struct api *a)
{
	struct err e = {0};
	const char *none[3] = {NULL, NULL, NULL};

	if (!ui_confirm("Restore Network Settings",
			"Put the management network back to its factory "
			"setting: DHCP on the first NIC with a link, no VLAN, "
			"no DNS servers of its own? Clients connected over it "
			"lose their connection.",
			"Restore"))
		return 0;
	if (host_net_vlan(a, 0, &e) < 0 || host_net_uplink(a, "", &e) < 0 ||
	    host_net_dns(a, none, "", "", &e) < 0 ||
	    host_net_ipv4(a, NULL, NULL, &e) < 0) {
		if (gone(a))
			return -1;
		ui_message("Restore Network Settings", err_msg(&e));
		return 0;
	}
	ui_message("Restore Network Settings",
		   "The management network is back to DHCP.");
	return 0;
}
