/*
 * main.c: the direct console user interface (issue 9), as the reference
 * host's: an idle screen with the host's identity and where to manage
 * it; F2 logs in (root, or a member of localadmin) and opens the
 * System Customization menu; F12 shuts down or restarts; Alt-F12 (or
 * L) shows the logs. Every change goes through hostd's console socket
 * (api.h, host.h): the session acts as the system user dcui, so hostd
 * authorizes and audits it. Locally it only reads what anyone may: the
 * certificate, addresses, the welcome message.
 */
#include <arpa/inet.h>
#include <curses.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <ifaddrs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/kvcfg.h"
#include "common/log.h"
#include "common/sandbox.h"
#include "dcui/api.h"
#include "dcui/host.h"
#include "dcui/logview.h"
#include "dcui/netmenu.h"
#include "dcui/ui.h"

#define DEFAULT_ROOT	"run"
#define CERT_MAX_BYTES	(64u << 10)
#define FIELD_MAX_BYTES 256
#define IDLE_REFRESH_MS 5000
#define ADDRESSES_MAX	8

static const char usage[] =
	"usage: dcui [--root DIR]\n"
	"The host's console (DCUI) on this terminal: the host's identity and\n"
	"where to manage it; F2 logs in (root or a member of localadmin) to\n"
	"the System Customization menu, F12 shuts down or restarts, Alt-F12\n"
	"or L shows the logs. Every change goes through hostd\n"
	"(DIR/var/run/basalt/console.sock). At least 80x25.\n"
	"  --root DIR  the host's root (default ./" DEFAULT_ROOT
	"; / on the appliance)\n"
	"  --user UID:GID  run as that user (started as root: the\n"
	"              appliance runs it as the system user dcui)\n";

static char root[256] = DEFAULT_ROOT;
static struct api api;		       /* the session, once logged in */
static char operator[FIELD_MAX_BYTES]; /* who logged in */
static int logged_in;

static void path_in_root(char *buf, size_t size, const char *rel)
{
	const char *r = strcmp(root, "/") == 0 ? "" : root;

	if (strlen(r) + strlen(rel) >= size)
		buf[0] = '\0'; /* too long: nothing there */
	else
		snprintf(buf, size, "%s%s", r, rel);
}

/* hostd keeps this mark while root's password is blank. */
static int root_password_blank(void)
{
	char path[300];
	struct stat st;

	path_in_root(path, sizeof(path), "/var/run/basalt/root-password-blank");
	return stat(path, &st) == 0;
}

/* A value of a kvcfg file under /etc/basalt, "" when none. */
static void config_value(const char *file, const char *key, char *out,
			 size_t size)
{
	char path[300];
	struct kvcfg cfg;
	struct kvcfg_entry *en;
	struct err e = {0};

	out[0] = '\0';
	path_in_root(path, sizeof(path), file);
	if (kvcfg_load(&cfg, path, &e) < 0)
		return;
	en = kvcfg_find(&cfg, key);
	if (en != NULL)
		snprintf(out, size, "%s", en->ke_value);
	kvcfg_free(&cfg);
}

/* The certificate's SHA-256 thumbprint, as two lines of 16 bytes. */
static void thumbprint(char *line1, char *line2, size_t size)
{
	char path[300];
	void *pem;
	size_t len, fl = 32;
	unsigned char fp[32];
	gnutls_x509_crt_t crt;
	gnutls_datum_t d;
	struct err e;

	snprintf(line1, size, "(no certificate yet)");
	line2[0] = '\0';
	path_in_root(path, sizeof(path), "/etc/basalt/ssl/rui.crt");
	if (file_read_all(path, CERT_MAX_BYTES, &pem, &len, &e) < 0)
		return;
	d.data = pem;
	d.size = (unsigned)len;
	if (gnutls_x509_crt_init(&crt) == 0) {
		if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) == 0 &&
		    gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, fp,
						    &fl) == 0 &&
		    fl == 32 && size >= 48) {
			for (size_t i = 0; i < 16; i++) {
				snprintf(line1 + 3 * i, 4, "%s%02X",
					 i ? ":" : "", fp[i]);
				snprintf(line2 + 3 * i, 4, "%s%02X",
					 i ? ":" : "", fp[16 + i]);
			}
			/* The pairs: "AB" then ":CD" -- shift to fit. */
			for (char *l = line1; l != NULL;
			     l = l == line1 ? line2 : NULL) {
				char tmp[64];
				size_t n = 0;
				for (size_t i = 0; i < 16; i++)
					n += (size_t)snprintf(
						tmp + n, sizeof(tmp) - n,
						"%s%.2s", i ? ":" : "",
						l + 3 * i + (i ? 1 : 0));
				snprintf(l, size, "%s", tmp);
			}
			/* The first line ends with ':' as the thumbprint
			 * goes on. */
			strncat(line1, ":", size - strlen(line1) - 1);
		}
		gnutls_x509_crt_deinit(crt);
	}
	free(pem);
}

static void machine(char *out, size_t size)
{
	char vendor[128], model[128];

	file_read_line("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	file_read_line("/sys/class/dmi/id/product_name", model, sizeof(model));
	snprintf(out, size, "%s%s%s", vendor, vendor[0] ? " " : "", model);
}

static void processors(char *out, size_t size)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], name[160] = "";
	int n = 0;
	long mem_kb = 0;

	if (f != NULL) {
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "processor", 9) == 0)
				n++;
			else if (name[0] == '\0' &&
				 strncmp(line, "model name", 10) == 0) {
				char *c = strchr(line, ':');
				if (c != NULL)
					snprintf(name, sizeof(name), "%.*s",
						 (int)strcspn(c + 2, "\n"),
						 c + 2);
			}
		}
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (f != NULL) {
		if (fscanf(f, "MemTotal: %ld kB", &mem_kb) != 1)
			mem_kb = 0;
		fclose(f);
	}
	snprintf(out, size, "%d x %s, %.1f GiB memory", n,
		 name[0] ? name : "CPU", (double)mem_kb / (1024.0 * 1024.0));
}

static void idle_screen(void)
{
	char host[256] = "localhost", fp1[64], fp2[64], line[256];
	char welcome[1024], lockdown[32];
	struct ifaddrs *ifa, *i;
	int y = 2, any = 0;

	if (ui_too_small())
		return;
	gethostname(host, sizeof(host) - 1);
	thumbprint(fp1, fp2, sizeof(fp1));
	ui_frame("Basalt " BASALT_VERSION,
		 "<F2> Customize System   <L> or <Alt-F12> View Logs   "
		 "<F12> Shut Down/Restart");
	attron(A_BOLD);
	mvprintw(y++, 2, "Basalt %s", BASALT_VERSION);
	attroff(A_BOLD);
	machine(line, sizeof(line));
	if (line[0] != '\0')
		mvprintw(y++, 2, "%.76s", line);
	processors(line, sizeof(line));
	mvprintw(y++, 2, "%.76s", line);
	y++;
	config_value("/etc/basalt/advanced.conf", "Annotations.WelcomeMessage",
		     welcome, sizeof(welcome));
	if (welcome[0] != '\0')
		y += ui_wrap(y, 2, 76, 3, welcome, 0) + 1;
	mvprintw(y++, 2, "Host name: %.60s", host);
	mvprintw(y++, 2, "To manage this host, go to:");
	if (getifaddrs(&ifa) == 0) {
		for (i = ifa; i != NULL && any < ADDRESSES_MAX;
		     i = i->ifa_next) {
			char a[INET_ADDRSTRLEN];
			if (i->ifa_addr == NULL ||
			    i->ifa_addr->sa_family != AF_INET ||
			    strcmp(i->ifa_name, "lo") == 0)
				continue;
			inet_ntop(
				AF_INET,
				&((struct sockaddr_in *)i->ifa_addr)->sin_addr,
				a, sizeof(a));
			mvprintw(y++, 4, "Manage this host at https://%s/ (%s)",
				 a, i->ifa_name);
			any++;
		}
		freeifaddrs(ifa);
	}
	if (!any)
		mvprintw(y++, 4, "The management network has no address.");
	y++;
	mvprintw(y++, 2, "Certificate SHA-256 thumbprint:");
	mvprintw(y++, 4, "%s", fp1);
	if (fp2[0] != '\0')
		mvprintw(y++, 4, "%s", fp2);
	y++;
	config_value("/etc/basalt/lockdown.conf", "lockdown.mode", lockdown,
		     sizeof(lockdown));
	if (lockdown[0] != '\0' && strcmp(lockdown, "lockdownDisabled") != 0 &&
	    y < LINES - 2)
		mvprintw(y++, 2,
			 "Lockdown mode is on: the API takes only "
			 "the exception users.");
	if (root_password_blank() && y < LINES - 2) {
		attron(A_BOLD);
		ui_wrap(y, 2, 76, 2,
			"Root's password is not set: no one can log in over "
			"the network. Press <F2> to set it.",
			0);
		attroff(A_BOLD);
	}
	refresh();
}

static void logout(void)
{
	api_logout(&api);
	logged_in = 0;
	explicit_bzero(operator, sizeof(operator));
}

/* Did the last call fail because the session is gone (hostd
 * restarted)? Then back to the idle screen. */
static int session_gone(void)
{
	if (strcmp(api.ap_fault, "NotAuthenticated") != 0)
		return 0;
	logged_in = 0;
	ui_message("Session Ended",
		   "hostd no longer knows this console's session (the "
		   "management agents restarted). Log in again.");
	return 1;
}

/* Log in: 1, or 0 when cancelled. */
static int login(const char *why)
{
	char user[FIELD_MAX_BYTES] = "root", pw[FIELD_MAX_BYTES] = "";
	struct ui_field f[] = {
		{"Login Name:", user, sizeof(user), 0},
		{"Password:", pw, sizeof(pw), 1},
	};
	struct err e = {0};

	path_in_root(api.ap_socket, sizeof(api.ap_socket),
		     "/var/run/basalt/console.sock");
	for (;;) {
		int ok = ui_form("Authentication Required", why, f, 2);
		if (ok && api_login(&api, user, pw, &e) == 0) {
			snprintf(operator, sizeof(operator), "%s", user);
			logged_in = 1;
			explicit_bzero(pw, sizeof(pw));
			return 1;
		}
		explicit_bzero(pw, sizeof(pw));
		if (!ok)
			return 0;
		ui_message("Login Failed", err_msg(&e));
	}
}

static int configure_password(void)
{
	char old[FIELD_MAX_BYTES] = "", pw[FIELD_MAX_BYTES] = "",
	     again[FIELD_MAX_BYTES] = "";
	int blank = root_password_blank();
	struct ui_field f[] = {
		{"Old Password:", old, sizeof(old), 1},
		{"New Password:", pw, sizeof(pw), 1},
		{"Confirm Password:", again, sizeof(again), 1},
	};
	struct err e = {0};
	int rc = 0;

	for (;;) {
		if (!ui_form("Configure Password",
			     blank ? "Root's password is not set. Set it now: "
				     "until then no one can log in over the "
				     "network."
				   : "Root's password. Enter the old one, then "
				     "the new one twice.",
			     blank ? f + 1 : f, blank ? 2 : 3))
			break;
		if (strcmp(pw, again) != 0) {
			ui_message("Configure Password",
				   "The passwords differ; try again.");
			continue;
		}
		if (!blank) {
			/* The old password, checked by hostd: a console
			 * login as root on a second session. */
			struct api check = api;
			check.ap_cookie[0] = '\0';
			if (api_login(&check, "root", old, &e) < 0) {
				ui_message("Configure Password",
					   "The old password is not right.");
				continue;
			}
			api_logout(&check);
		}
		if (api_set_password(&api, "root", pw, &e) < 0) {
			if (session_gone()) {
				rc = -1;
				break;
			}
			ui_message("Password Not Set", err_msg(&e));
			continue;
		}
		ui_message("Configure Password", "Root's password is set.");
		break;
	}
	explicit_bzero(old, sizeof(old));
	explicit_bzero(pw, sizeof(pw));
	explicit_bzero(again, sizeof(again));
	return rc;
}

static int configure_lockdown(void)
{
	char mode[32], list[1024], text[2048];
	struct err e = {0};
	int on;

	if (host_lockdown_mode(&api, mode, sizeof(mode), &e) < 0 ||
	    host_lockdown_exceptions(&api, list, sizeof(list), &e) < 0) {
		if (session_gone())
			return -1;
		ui_message("Configure Lockdown Mode", err_msg(&e));
		return 0;
	}
	on = strcmp(mode, "lockdownDisabled") != 0;
	snprintf(text, sizeof(text),
		 "Lockdown mode is %s%s.\n\nWhile it is on, the host's API "
		 "refuses every login but this console's and those of the "
		 "users on the exception list (%s). Sessions of others end "
		 "when it goes on.\n\n%s lockdown mode?",
		 on ? "ON" : "OFF",
		 strcmp(mode, "lockdownStrict") == 0 ? " (strict)" : "",
		 list[0] ? list : "none", on ? "Turn OFF" : "Turn ON");
	if (!ui_confirm("Configure Lockdown Mode", text,
			on ? "Turn off" : "Turn on"))
		return 0;
	if (host_set_lockdown(&api, on ? "lockdownDisabled" : "lockdownNormal",
			      &e) < 0) {
		if (session_gone())
			return -1;
		ui_message("Configure Lockdown Mode", err_msg(&e));
		return 0;
	}
	ui_message("Configure Lockdown Mode",
		   on ? "Lockdown mode is off." : "Lockdown mode is on.");
	return 0;
}

static int restart_agents(void)
{
	struct err e = {0};

	if (!ui_confirm("Restart Management Agents",
			"Restart the management agents (hostd and "
			"rhttpproxy)?\n\nEvery API session ends (clients log "
			"in again) and the host cannot be managed for a few "
			"seconds. Running VMs keep running.",
			"Restart"))
		return 0;
	if (host_restart_agents(&api, &e) < 0) {
		if (session_gone())
			return -1;
		ui_message("Restart Management Agents", err_msg(&e));
		return 0;
	}
	logged_in = 0; /* the session ends with hostd */
	ui_message("Restart Management Agents",
		   "The management agents are restarting. Log in again "
		   "once they are back.");
	return -1;
}

static int view_logs(void)
{
	static const struct {
		const char *key, *label;
	} logs[] = {
		{"hostd", "hostd (management agent)"},
		{"syslog", "Syslog (system messages)"},
		{"vmkernel", "Kernel (vmkernel)"},
		{"rhttpproxy", "rhttpproxy (reverse proxy)"},
	};
	int sel = 0, n = (int)(sizeof(logs) / sizeof(*logs));

	for (;;) {
		int y, x, ch;
		if (!ui_too_small()) {
			ui_box("View System Logs", n + 2, 50, &y, &x);
			for (int i = 0; i < n; i++) {
				if (i == sel)
					attron(A_REVERSE);
				mvprintw(y + i, x, "%d) %-44s", i + 1,
					 logs[i].label);
				if (i == sel)
					attroff(A_REVERSE);
			}
			mvprintw(y + n + 1, x, "<Enter> View   <Esc> Back");
			refresh();
		}
		ch = ui_key(-1);
		if (ch == UI_KEY_EOF || ch == UI_KEY_ESC)
			return 0;
		if (ch == KEY_UP)
			sel = (sel + n - 1) % n;
		else if (ch == KEY_DOWN)
			sel = (sel + 1) % n;
		else if (ch >= '1' && ch < '1' + n)
			sel = ch - '1';
		if (ch == '\r' || ch == '\n' || ch == KEY_ENTER ||
		    (ch >= '1' && ch < '1' + n)) {
			if (logview_show(&api, logs[sel].key, logs[sel].label) <
			    0) {
				logged_in = 0;
				return -1;
			}
		}
	}
}

static int support_info(void)
{
	struct support_info si;
	struct err e = {0};
	char text[1536];

	if (host_support_info(&api, &si, &e) < 0) {
		if (session_gone())
			return -1;
		ui_message("View Support Information", err_msg(&e));
		return 0;
	}
	snprintf(text, sizeof(text),
		 "Product:        %s\n"
		 "Version:        %s (build %s), VI API %s\n"
		 "Machine:        %s %s\n"
		 "Serial number:  %s\n"
		 "UUID:           %s\n"
		 "BIOS:           %s\n"
		 "Console:        dcui %s, logged in as %s",
		 si.si_product, si.si_version, si.si_build, si.si_api,
		 si.si_vendor, si.si_model,
		 si.si_serial[0] ? si.si_serial : "(none)", si.si_uuid,
		 si.si_bios[0] ? si.si_bios : "(unknown)",
		 BASALT_VERSION, operator);
	ui_message("View Support Information", text);
	return 0;
}

static int reset_config(void)
{
	struct err e = {0};

	if (!ui_confirm(
		    "Reset System Configuration",
		    "Reset the host's configuration to its factory defaults? "
		    "This erases all of /etc/basalt:\n"
		    "- every local user and group; root's password becomes "
		    "blank\n"
		    "- roles and permissions, lockdown mode and its "
		    "exceptions\n"
		    "- advanced settings (syslog targets, password rules)\n"
		    "- the host's certificate and key (a new one is made)\n"
		    "- the VM inventory (VM files stay on the datastores)\n"
		    "The host goes into maintenance mode (no VM may run) "
		    "and restarts.",
		    "Reset"))
		return 0;
	if (host_reset_config(&api, &e) < 0) {
		if (session_gone())
			return -1;
		ui_message("Reset System Configuration", err_msg(&e));
		return 0;
	}
	logged_in = 0;
	ui_message("Reset System Configuration",
		   "The configuration is reset; the host restarts with the "
		   "factory defaults.");
	return -1;
}

static int shell_timeout(void)
{
	char value[32], text[32];
	struct ui_field f[] = {{"Timeout (seconds):", text, sizeof(text), 0}};
	struct err e = {0};

	if (host_option(&api, "UserVars.ESXiShellTimeOut", value, sizeof(value),
			&e) < 0) {
		if (session_gone())
			return -1;
		ui_message("Support Shell Timeout", err_msg(&e));
		return 0;
	}
	snprintf(text, sizeof(text), "%s", value);
	for (;;) {
		char *end;
		long v;
		if (!ui_form("Support Shell Timeout",
			     "Seconds after which the support shell, once "
			     "on, turns itself off again (0: never; at most "
			     "86400). Logins already open stay.",
			     f, 1))
			return 0;
		v = strtol(text, &end, 10);
		if (text[0] == '\0' || *end != '\0') {
			ui_message("Support Shell Timeout",
				   "A number of seconds, please.");
			continue;
		}
		if (host_set_long_option(&api, "UserVars.ESXiShellTimeOut", v,
					 &e) < 0) {
			if (session_gone())
				return -1;
			ui_message("Support Shell Timeout", err_msg(&e));
			continue;
		}
		return 0;
	}
}

/* Syslog.global.*: where the logs go (remote targets), where they are
 * kept, how many rotated files of what size; one change, checked whole
 * by hostd, applied by syslogd at once. */
static int configure_syslog(void)
{
	static const char *const keys[] = {
		"Syslog.global.logHost", "Syslog.global.logDir",
		"Syslog.global.defaultRotate", "Syslog.global.defaultSize"};
	char v[4][1024];
	struct ui_field f[] = {{"Log hosts:", v[0], sizeof(v[0]), 0},
			       {"Log folder:", v[1], sizeof(v[1]), 0},
			       {"Files kept:", v[2], sizeof(v[2]), 0},
			       {"File size (KiB):", v[3], sizeof(v[3]), 0}};
	struct err e = {0};

	for (int i = 0; i < 4; i++)
		if (host_option(&api, keys[i], v[i], sizeof(v[i]), &e) < 0) {
			if (session_gone())
				return -1;
			ui_message("Configure Syslog", err_msg(&e));
			return 0;
		}
	for (;;) {
		char *end2, *end3;
		long rotate, size;
		if (!ui_form("Configure Syslog",
			     "Remote targets, comma-separated "
			     "(udp://host:514, tcp://host:514, "
			     "ssl://host:1514; empty: none); the log folder "
			     "(\"[datastore] path\" or \"[] /path\"); rotated "
			     "files kept and their size.",
			     f, 4))
			return 0;
		rotate = strtol(v[2], &end2, 10);
		size = strtol(v[3], &end3, 10);
		if (v[2][0] == '\0' || *end2 != '\0' || v[3][0] == '\0' ||
		    *end3 != '\0') {
			ui_message("Configure Syslog",
				   "Files kept and file size are numbers.");
			continue;
		}
		if (host_set_syslog(&api, v[0], v[1], rotate, size, &e) < 0) {
			if (session_gone())
				return -1;
			ui_message("Configure Syslog", err_msg(&e));
			continue;
		}
		ui_message("Configure Syslog",
			   "Saved: syslogd uses it from now on.");
		return 0;
	}
}

static int network_conf(char *path, size_t size)
{
	path_in_root(path, size, "/etc/basalt/network.conf");
	return 0;
}

static int configure_network(void)
{
	char path[300];

	network_conf(path, sizeof(path));
	return netmenu_configure(&api, path) < 0 ? session_gone(), -1 : 0;
}

static int restart_network(void)
{
	return netmenu_restart(&api) < 0 ? session_gone(), -1 : 0;
}

static int test_network(void)
{
	char path[300];

	network_conf(path, sizeof(path));
	return netmenu_test(&api, path) < 0 ? session_gone(), -1 : 0;
}

static int restore_network(void)
{
	return netmenu_restore(&api) < 0 ? session_gone(), -1 : 0;
}

static int troubleshooting(void)
{
	int sel = 0;

	for (;;) {
		struct err e = {0};
		int y, x, ch, on = 0, known;
		const char *names[3];

		known = host_shell_running(&api, &on, &e) == 0;
		if (!known && session_gone())
			return -1;
		names[0] = !known ? "Support Shell (not on this host)"
			   : on	  ? "Disable Support Shell"
				  : "Enable Support Shell";
		names[1] = "Modify Support Shell Timeout";
		names[2] = "Restart Management Agents";
		if (!ui_too_small()) {
			ui_box("Troubleshooting Options", 6, 50, &y, &x);
			for (int i = 0; i < 3; i++) {
				if (i == sel)
					attron(A_REVERSE);
				mvprintw(y + i, x, "%-48s", names[i]);
				if (i == sel)
					attroff(A_REVERSE);
			}
			mvprintw(y + 4, x, "Support shell: %s",
				 !known ? err_msg(&e)
				 : on	? "on (its login on the console's "
					  "second terminal, Alt-F2)"
					: "off");
			mvprintw(y + 5, x, "<Enter> Choose   <Esc> Back");
			refresh();
		}
		ch = ui_key(-1);
		if (ch == UI_KEY_EOF || ch == UI_KEY_ESC)
			return 0;
		if (ch == KEY_UP)
			sel = (sel + 2) % 3;
		else if (ch == KEY_DOWN)
			sel = (sel + 1) % 3;
		if (ch != '\r' && ch != '\n' && ch != KEY_ENTER)
			continue;
		if (sel == 2 && restart_agents() < 0)
			return -1; /* restarted: the session is gone */
		if (sel == 1 && shell_timeout() < 0)
			return -1;
		if (sel == 0 && known && host_shell_set(&api, !on, &e) < 0) {
			if (session_gone())
				return -1;
			ui_message("Troubleshooting Options", err_msg(&e));
		}
	}
}

static const struct item {
	const char *it_name, *it_help;
	int (*it_run)(void); /* -1: the session ended */
} items[] = {
	{"Configure Password",
	 "Set root's password. It must meet the host's password rules "
	 "(Security.PasswordQualityControl).",
	 configure_password},
	{"Configure Lockdown Mode",
	 "While lockdown mode is on, the API takes logins only from this "
	 "console and from the users on the exception list.",
	 configure_lockdown},
	{"Configure Management Network",
	 "The NIC, VLAN, IPv4 address (DHCP or static), default gateway, "
	 "DNS servers, host name and domain of the management network; "
	 "applied together once confirmed.",
	 configure_network},
	{"Restart Management Network",
	 "Apply the management network's configuration again.",
	 restart_network},
	{"Test Management Network",
	 "Ping the gateway, the DNS servers or other addresses, and look a "
	 "host name up.",
	 test_network},
	{"Network Restore Options",
	 "Put the management network back to its factory setting (DHCP on "
	 "the first NIC with a link, no VLAN).",
	 restore_network},
	{"Troubleshooting Options",
	 "Turn the support shell on or off and set how long it stays on; "
	 "restart the management agents (hostd and rhttpproxy: API sessions "
	 "end, running VMs keep running).",
	 troubleshooting},
	{"Configure Syslog",
	 "Where the host's logs go: remote syslog targets (UDP, TCP, TLS), "
	 "the folder they are kept in, their rotation.",
	 configure_syslog},
	{"View System Logs", "The host's logs: hostd, syslog, the kernel's.",
	 view_logs},
	{"View Support Information",
	 "Serial number, UUID, product version and build.", support_info},
	{"Reset System Configuration",
	 "Everything in /etc/basalt back to factory defaults (after a "
	 "confirmation that lists what is lost); the host restarts.",
	 reset_config},
};
#define N_ITEMS ((int)(sizeof(items) / sizeof(items[0])))

static void menu(void)
{
	int sel = 0;

	while (logged_in) {
		int ch;
		if (!ui_too_small()) {
			char title[UI_MIN_COLS];
			snprintf(title, sizeof(title),
				 "System Customization (%.40s)", operator);
			ui_frame(title, "<Up/Down> Select   <Enter> Open   "
					"<Esc> Log Out");
			for (int i = 0; i < N_ITEMS; i++) {
				if (i == sel)
					attron(A_REVERSE);
				mvprintw(2 + i, 2, " %-32s ", items[i].it_name);
				if (i == sel)
					attroff(A_REVERSE);
			}
			mvvline(1, 38, ACS_VLINE, LINES - 2);
			attron(A_BOLD);
			mvprintw(2, 41, "%s", items[sel].it_name);
			attroff(A_BOLD);
			ui_wrap(4, 41, COLS - 43, LINES - 6, items[sel].it_help,
				0);
			refresh();
		}
		ch = ui_key(-1);
		if (ch == UI_KEY_EOF || ch == UI_KEY_ESC) {
			logout();
			return;
		}
		if (ch == KEY_UP)
			sel = (sel + N_ITEMS - 1) % N_ITEMS;
		else if (ch == KEY_DOWN)
			sel = (sel + 1) % N_ITEMS;
		else if (ch == KEY_HOME)
			sel = 0;
		else if (ch == KEY_END)
			sel = N_ITEMS - 1;
		else if (ch == '\r' || ch == '\n' || ch == KEY_ENTER)
			if (items[sel].it_run() < 0)
				logged_in = 0;
	}
}

static void customize(void)
{
	int blank = root_password_blank();

	if (!login(blank ? "Root's password is blank: log in as root with an "
			   "empty password, then set it."
			 : "Log in as root or as a member of localadmin."))
		return;
	/* A blank root password: setting it comes first. */
	if (blank && strcmp(operator, "root") == 0 && configure_password() < 0)
		return;
	menu();
}

static void shutdown_restart(void)
{
	struct err e = {0};
	int ch;

	if (!login("Shut down or restart the host: log in as root or as a "
		   "member of localadmin."))
		return;
	for (;;) {
		int y, x;
		if (!ui_too_small()) {
			ui_box("Shut Down/Restart", 5, 60, &y, &x);
			ui_wrap(y, x, 60, 3,
				"Running VMs are shut down first (their guests "
				"get 60 s).",
				0);
			mvprintw(
				y + 4, x,
				"<F2> Shut Down   <F11> Restart   <Esc> Cancel");
			refresh();
		}
		ch = ui_key(-1);
		if (ch == KEY_F(2) || ch == KEY_F(11) || ch == UI_KEY_ESC ||
		    ch == UI_KEY_EOF)
			break;
	}
	if ((ch == KEY_F(2) || ch == KEY_F(11)) &&
	    host_power(&api, ch == KEY_F(11), &e) < 0)
		ui_message("Shut Down/Restart", err_msg(&e));
	else if (ch == KEY_F(2) || ch == KEY_F(11))
		ui_message("Shut Down/Restart",
			   ch == KEY_F(11) ? "The host restarts."
					   : "The host shuts down.");
	logout();
}

static void logs_from_idle(void)
{
	if (!login("View the logs: log in as root or as a member of "
		   "localadmin."))
		return;
	view_logs();
	logout();
}

int main(int argc, char **argv)
{
	const char *user = NULL;

	log_procinit("dcui");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			snprintf(root, sizeof(root), "%s", argv[++i]);
		} else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc) {
			user = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "dcui: unknown option '%s'\n%s",
				argv[i], usage);
			return 2;
		}
	}
	if (user != NULL) {
		struct sandbox_id id;
		struct err e = {0};
		/* Nothing of root's is needed: hostd does the changes. */
		if (sandbox_parse_user(user, &id, &e) < 0 ||
		    sandbox_no_new_privs(&e) < 0 ||
		    sandbox_drop_identity(&id, &e) < 0) {
			fprintf(stderr, "dcui: %s\n", err_msg(&e));
			return 1;
		}
	}
	gnutls_global_init();
	signal(SIGPIPE, SIG_IGN);
	if (!isatty(STDIN_FILENO) || ui_start() < 0) {
		fprintf(stderr, "dcui: needs a terminal (TERM=%s)\n",
			getenv("TERM") ? getenv("TERM") : "unset");
		goto stay;
	}
	for (;;) {
		int ch;
		idle_screen();
		ch = ui_key(IDLE_REFRESH_MS);
		if (ch == UI_KEY_EOF)
			break;
		if (ch == KEY_F(2))
			customize();
		else if (ch == KEY_F(12))
			shutdown_restart();
		else if (ch == UI_KEY_ALT_F12 || ch == 'l' || ch == 'L')
			logs_from_idle();
	}
	ui_end();
stay:
	/* The terminal ended (a console with no keyboard behind it): stay,
	 * quietly, rather than be restarted in a loop. */
	for (;;)
		pause();
}
