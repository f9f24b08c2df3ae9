/*
 * main.c: hostd, the management agent. In hosted mode it keeps its state
 * under --root and serves the VI API on loopback; it runs in the
 * foreground until SIGINT or SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "hostd/auth.h"
#include "common/host_cert.h"
#include "hostd/datastore.h"
#include "hostd/hostd.h"
#include "hostd/http.h"
#include "hostd/vim/network.h"
#include "hostd/vm_power.h"

#define DEFAULT_ROOT	      "run"
#define DEFAULT_PORT	      8307
#define GUEST_SHUTDOWN_WAIT_S 60

static const char usage[] =
	"usage: hostd [--root DIR] [--address A] [--port N] [--https-port N]\n"
	"             [--socket PATH] [--console-socket PATH] [--syslog PATH]\n"
	"             [--vmx PATH] [--appliance | --supervised] [-v]\n"
	"\n"
	"The Basalt host agent: the VI API (vim25 SOAP) at /sdk.\n"
	"  --root DIR     hosted mode's root (default ./" DEFAULT_ROOT
	"); config\n"
	"                 in DIR/etc/basalt, sockets in DIR/var/run/basalt\n"
	"  --address A    a loopback address (127.x.y.z) for plain HTTP\n"
	"                 (default 127.0.0.1)\n"
	"  --port N       plain HTTP on that address, port N (default %d; 0: none)\n"
	"  --https-port N HTTPS on that address, port N (default 0: none), with\n"
	"                 DIR/etc/basalt/ssl/rui.key and rui.crt, made on first\n"
	"                 start if missing (self-signed; thumbprints logged)\n"
	"  --socket PATH  the Unix socket (default DIR/var/run/basalt/hostd.sock)\n"
	"  --console-socket PATH\n"
	"                 the host console's socket, hostd's user only (default\n"
	"                 DIR/var/run/basalt/console.sock)\n"
	"  --syslog PATH  the syslog daemon's socket for audit records (default\n"
	"                 DIR/dev/log)\n"
	"  --vmx PATH     the vmx binary VMs run in (default: beside hostd)\n"
	"  --update-tool PATH  basalt-update, which installs software updates\n"
	"                 (default /bin/basalt-update, the appliance's)\n"
	"  --appliance    run as the appliance's agent under Basalt's init:\n"
	"                 ShutdownHost/RebootHost ask init (PID 1) to power off\n"
	"                 or reboot; SIGUSR1 ends hostd leaving the VMs running\n"
	"                 (restart management agents); SIGTERM gives guests\n"
	"                 60 s to shut down (the ACPI button) before power-off\n"
	"  --supervised   hosted, under a runner that starts hostd again when\n"
	"                 it ends with status 75 (scripts/hosted.sh): restart\n"
	"                 management agents, a configuration restore or reset\n"
	"                 end hostd so (VMs keep running)\n"
	"  --manage-network IFACE  hosted: the management network's\n"
	"                 changes (HostNetworkSystem, the console) apply to\n"
	"                 IFACE (a static address; best in a network\n"
	"                 namespace of its own)\n"
	"  -v             log each call\n"
	"Root's password is blank on a fresh host, and until it is set only\n"
	"the console socket logs in; BASALT_ROOT_PASSWORD sets it on first\n"
	"start instead (as an installer's answer file would). SIGINT/SIGTERM power the VMs off and\n"
	"end hostd (exit status 0; kill -9 leaves them running, and the next\n"
	"hostd takes them over). Exit status 0 after SIGINT/SIGTERM,\n"
	"1 on an error (one line on stderr), 2 on a bad command line.\n";

/* The host's instance UUID, made once and kept in the config root. */
static int instance_uuid(struct hostd *h, struct err *e)
{
	char path[PATH_MAX + 16];
	unsigned char r[16];
	void *text;
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/instance-uuid", h->hd_confdir);
	if (file_read_all(path, 64, &text, &len, NULL) == 0) {
		if (len >= 36) {
			memcpy(h->hd_instance_uuid, text, 36);
			free(text);
			return 0;
		}
		free(text);
	}
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return err_set(e, -EIO, "no random numbers");
	r[6] = (unsigned char)((r[6] & 0x0f) | 0x40); /* version 4 */
	r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
	snprintf(
		h->hd_instance_uuid, sizeof(h->hd_instance_uuid),
		"%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
		r[10], r[11], r[12], r[13], r[14], r[15]);
	f = fopen(path, "wx");
	if (f == NULL)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	fprintf(f, "%s\n", h->hd_instance_uuid);
	if (fclose(f) != 0)
		return err_set(e, -EIO, "%s: cannot write it", path);
	return 0;
}

/* A failed update that fell back (init's boot.status, src/init/
 * bootbank.c) as an event clients see; once per boot, by its mark. */
static void boot_status_event(struct hostd *h)
{
	char path[PATH_MAX + 64], mark[PATH_MAX + 64], text[1024];
	void *data;
	size_t len;
	struct err e;
	const char *f;

	snprintf(path, sizeof(path), "%s/boot.status", h->hd_rundir);
	snprintf(mark, sizeof(mark), "%s/boot.status.reported", h->hd_rundir);
	if (access(mark, F_OK) == 0 ||
	    file_read_all(path, 4096, &data, &len, &e) < 0)
		return;
	snprintf(text, sizeof(text), "%.*s", (int)len, (const char *)data);
	free(data);
	f = strstr(text, "fallback=");
	if (f != NULL) {
		size_t n = strcspn(f + 9, "\n");
		vim_event_post(h, "GeneralHostErrorEvent", NULL, 0, NULL, 0,
			       "Update failed: %.*s", (int)n, f + 9);
	}
	if (file_write_atomic(mark, "", 0, 0644, &e) < 0)
		log_warnx("%s", err_msg(&e));
}

int main(int argc, char **argv)
{
	static struct hostd h;
	const char *root = DEFAULT_ROOT, *sock = NULL, *addr = "127.0.0.1";
	const char *vmx = NULL, *console = NULL, *syslog_path = NULL;
	char sockbuf[PATH_MAX + 32], rundir[PATH_MAX + 16];
	char consbuf[PATH_MAX + 32], logbuf[PATH_MAX + 16];
	char volumes[PATH_MAX + 16];
	struct err e = {0};
	struct http srv;
	struct host_cert cert = {0};
	struct http_config hc;
	int port = DEFAULT_PORT, https_port = 0, sig;
	sigset_t set;

	log_procinit("hostd");
	/* Before any thread starts (the reaper does in vm_power_init), so
	 * that every thread inherits the mask: SIGINT and SIGTERM are only
	 * taken by sigwait below, never delivered to a thread that would
	 * die of them. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf(usage, DEFAULT_PORT);
			return 0;
		} else if (strcmp(a, "--version") == 0) {
			printf("hostd (Basalt) %s\n", BASALT_VERSION);
			return 0;
		} else if (strcmp(a, "-v") == 0) {
			log_setlevel(LOG_LEVEL_DEBUG);
		} else if (strcmp(a, "--appliance") == 0) {
			h.hd_appliance = 1;
		} else if (strcmp(a, "--supervised") == 0) {
			h.hd_supervised = 1;
		} else if ((strcmp(a, "--root") == 0 ||
			    strcmp(a, "--port") == 0 ||
			    strcmp(a, "--https-port") == 0 ||
			    strcmp(a, "--address") == 0 ||
			    strcmp(a, "--vmx") == 0 ||
			    strcmp(a, "--update-tool") == 0 ||
			    strcmp(a, "--manage-network") == 0 ||
			    strcmp(a, "--console-socket") == 0 ||
			    strcmp(a, "--syslog") == 0 ||
			    strcmp(a, "--socket") == 0) &&
			   i + 1 < argc) {
			const char *v = argv[++i];
			if (strcmp(a, "--root") == 0) {
				root = v;
			} else if (strcmp(a, "--socket") == 0) {
				sock = v;
			} else if (strcmp(a, "--console-socket") == 0) {
				console = v;
			} else if (strcmp(a, "--syslog") == 0) {
				syslog_path = v;
			} else if (strcmp(a, "--address") == 0) {
				addr = v;
			} else if (strcmp(a, "--vmx") == 0) {
				vmx = v;
			} else if (strcmp(a, "--manage-network") == 0) {
				if (strlen(v) >= sizeof(h.hd_mgmt_iface) ||
				    v[0] == '\0') {
					fprintf(stderr,
						"hostd: --manage-network '%s': "
						"an interface's name\n",
						v);
					return 2;
				}
				strcpy(h.hd_mgmt_iface, v);
			} else if (strcmp(a, "--update-tool") == 0) {
				snprintf(h.hd_update_tool,
					 sizeof(h.hd_update_tool), "%s", v);
			} else {
				char *end;
				long p = strtol(v, &end, 10);
				if (*v == '\0' || *end != '\0' || p < 0 ||
				    p > 65535) {
					fprintf(stderr,
						"hostd: %s '%s': expected "
						"0 to 65535\n",
						a, v);
					return 2;
				}
				if (strcmp(a, "--port") == 0)
					port = (int)p;
				else
					https_port = (int)p;
			}
		} else {
			fprintf(stderr,
				"hostd: unknown or incomplete option "
				"'%s' (see hostd --help)\n",
				a);
			return 2;
		}
	}

	if (realpath(root, h.hd_root) == NULL &&
	    (file_mkdirs(root) < 0 || realpath(root, h.hd_root) == NULL)) {
		fprintf(stderr, "hostd: %s: %s\n", root, strerror(errno));
		return 1;
	}
	snprintf(h.hd_confdir, sizeof(h.hd_confdir), "%.*s/etc/basalt",
		 PATH_MAX - 16, h.hd_root);
	snprintf(h.hd_rundir, sizeof(h.hd_rundir), "%.*s/var/run/basalt",
		 PATH_MAX - 32, h.hd_root);
	snprintf(rundir, sizeof(rundir), "%s", h.hd_rundir);
	snprintf(volumes, sizeof(volumes), "%s/vmfs/volumes", h.hd_root);
	if (file_mkdirs(h.hd_confdir) < 0 || file_mkdirs(rundir) < 0 ||
	    file_mkdirs(volumes) < 0) {
		fprintf(stderr, "hostd: %s: cannot create its directories\n",
			h.hd_root);
		return 1;
	}
	if (sock == NULL) {
		snprintf(sockbuf, sizeof(sockbuf), "%s/hostd.sock", rundir);
		sock = sockbuf;
	}
	if (console == NULL) {
		snprintf(consbuf, sizeof(consbuf), "%s/console.sock", rundir);
		console = consbuf;
	}
	if (syslog_path == NULL) {
		/* "/dev/log" in the appliance, whose root is "/". */
		snprintf(logbuf, sizeof(logbuf), "%s/dev/log",
			 strcmp(h.hd_root, "/") == 0 ? "" : h.hd_root);
		syslog_path = logbuf;
	}
	if (gethostname(h.hd_hostname, sizeof(h.hd_hostname) - 1) < 0)
		strcpy(h.hd_hostname, "localhost");
	h.hd_maintenance = host_maintenance_load(&h);
	if (h.hd_update_tool[0] == '\0')
		snprintf(h.hd_update_tool, sizeof(h.hd_update_tool),
			 "/bin/basalt-update");
	vim_init(&h);
	if (syslog_sink_open(&h.hd_syslog, syslog_path, "hostd", &e) < 0 ||
	    instance_uuid(&h, &e) < 0 || auth_init(&h, &e) < 0 ||
	    datastore_init(&h, &e) < 0 || inventory_load(&h, &e) < 0 ||
	    adv_load(&h, &e) < 0 || lockdown_load(&h, &e) < 0 ||
	    authz_store_load(&h, &e) < 0 || vm_power_init(&h, vmx, &e) < 0) {
		fprintf(stderr, "hostd: %s\n", err_msg(&e));
		return 1;
	}
	boot_status_event(&h);
	/* The appliance's management network is on its bridge (init's). */
	if (h.hd_appliance && h.hd_mgmt_iface[0] == '\0')
		strcpy(h.hd_mgmt_iface, NET_APPLIANCE_SWITCH);
	network_load(&h);

	if (https_port > 0 &&
	    host_cert_load(h.hd_confdir, h.hd_hostname, &cert, &e) < 0) {
		fprintf(stderr, "hostd: %s\n", err_msg(&e));
		return 1;
	}
	hc = (struct http_config){.hc_address = addr,
				  .hc_port = port,
				  .hc_https_port = https_port,
				  .hc_cert = &cert,
				  .hc_socket = sock,
				  .hc_console_socket = console};
	if (http_start(&h, &srv, &hc, &e) < 0) {
		fprintf(stderr, "hostd: %s\n", err_msg(&e));
		return 1;
	}
	if (port > 0)
		log_info("the VI API at http://%s:%d/sdk", addr, port);
	if (https_port > 0)
		log_info("the VI API at https://%s:%d/sdk", addr, https_port);
	log_info("the VI API on %s (root %s); the console's on %s", sock,
		 h.hd_root, console);
	log_info("audit records to syslog at %s", syslog_path);
	service_start_policy(&h);
	printf("hostd: ready\n");
	fflush(stdout);
	sigwait(&set, &sig);
	log_info("stopping on %s%s",
		 sig == SIGINT	  ? "SIGINT"
		 : sig == SIGTERM ? "SIGTERM"
				  : "SIGUSR1",
		 sig == SIGUSR1 ? " (VMs keep running)" : "");
	http_stop(&srv);
	/* The appliance going down gives guests time to shut down (init
	 * waits for hostd longer than this); hosted, Ctrl-C powers off. */
	if (sig != SIGUSR1)
		vm_power_shutdown(&h,
				  h.hd_appliance ? GUEST_SHUTDOWN_WAIT_S : 0);
	host_cert_free(&cert);
	syslog_sink_close(&h.hd_syslog);
	return h.hd_restart ? HOSTD_EXIT_RESTART : 0;
}
