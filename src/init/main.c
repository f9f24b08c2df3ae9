/*
 * main.c: Basalt's init, PID 1 of the appliance (src/init/README.md).
 *
 * Boot: mount the kernel's file systems on the in-memory root, load the
 * drivers of the devices found (and KVM's), mount the boot disk's
 * partitions and the datastores (first boot: empty disks become
 * datastores), bring up the management network, start the agents in
 * order. Then supervise: restart an agent that ends (with backoff),
 * load drivers for hot-plugged devices, reap orphans (a vmx whose hostd
 * went). Signals: SIGHUP restarts the management agents (VMs keep
 * running), SIGUSR2 powers off, SIGTERM and Ctrl-Alt-Del (SIGINT)
 * reboot; each stops VMs and agents, unmounts and syncs first.
 *
 * The same binary is the kernel's modprobe (/sbin/modprobe), the DHCP
 * client's event handler (/sbin/dhcp-event) and the support shell's
 * login ("shell-login TTY"), chosen by argv[0] or argv[1].
 */
#include <dirent.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/console.h"
#include "common/file.h"
#include "common/log.h"
#include "init/agents.h"
#include "init/bootbank.h"
#include "init/crash.h"
#include "init/disks.h"
#include "init/modules.h"
#include "init/net.h"
#include "common/netcfg.h"
#include "common/netlink.h"
#include "init/shell.h"

#define CMDLINE_MAX_BYTES 4096
#define SETTLE_MAX_MS	  10000
#define SETTLE_QUIET_MS	  1000
#define ADDRESS_WAIT_MS	  20000
#define HOSTD_READY_MS	  60000
#define PROXY_READY_MS	  30000
/* hostd shuts VMs down before it exits: 60 s for the guests, 10 s for
 * their vmx (hostd/main.c, vm_power.c), and a margin. */
#define AGENTS_STOP_MS	  90000
#define PROCESSES_STOP_MS 5000
#define ANSWER_FILE	  "/bootpart/basalt.cfg"
#define FIRSTBOOT_MARK	  "/store/.basalt/first-boot-done"
#define RUN_DIR		  "/var/run/basalt"
/* rhttpproxy's identity once listening; the run folder carries its
 * group so that it may reach hostd's socket (0660). */
#define PROXY_ID  "81:81"
#define PROXY_GID 81
/* The console's: hostd's system user dcui (hostd/auth.c). */
#define DCUI_ID	    "100:100"
#define TMPFS_MAGIC 0x01021994

static struct agent agents[] = {
	/* Stopped after the others (stop_everything): it saves what they
	 * changed on their way out. */
	{.ag_name = "stated", .ag_argv = {"/bin/stated", "--daemon", NULL}},
	/* Before the others, stopped after them: their last lines. */
	{.ag_name = "syslogd",
	 .ag_argv = {"/bin/syslogd", "--root", "/", "--ready-file",
		     RUN_DIR "/syslogd.ready", NULL},
	 .ag_ready = RUN_DIR "/syslogd.ready"},
	{.ag_name = "dhcp",
	 .ag_argv = {"/bin/busybox", "udhcpc", "-f", "-i", NET_SWITCH, "-s",
		     "/sbin/dhcp-event", NULL},
	 .ag_ready = NULL},
	{.ag_name = "hostd",
	 .ag_argv = {"/bin/hostd", "--root", "/", "--port", "0", "--vmx",
		     "/bin/vmx", "--appliance", NULL},
	 .ag_ready = RUN_DIR "/hostd.sock",
	 .ag_keep_sig = SIGUSR1},
	/* It makes the host's key and certificate on its first start, then
	 * listens, then says so. */
	{.ag_name = "rhttpproxy",
	 .ag_argv = {"/bin/rhttpproxy", "--root", "/", "--user", PROXY_ID,
		     "--ready-file", RUN_DIR "/rhttpproxy.ready", NULL},
	 .ag_ready = RUN_DIR "/rhttpproxy.ready"},
	/* An interactive shell ignores SIGTERM; a hangup ends it. */
	{.ag_name = "shell",
	 .ag_argv = {"/init", "shell-login", NULL, NULL},
	 .ag_stop_sig = SIGHUP},
	/* The console (DCUI) on the screen and on the serial console, as
	 * the system user dcui. A serial console's far end is a terminal
	 * emulator: xterm's sequences. */
	{.ag_name = "dcui",
	 .ag_argv = {"/bin/dcui", "--root", "/", "--user", DCUI_ID, NULL},
	 .ag_env = "TERM=linux",
	 .ag_tty = "/dev/tty1"},
	{.ag_name = "dcui-serial",
	 .ag_argv = {"/bin/dcui", "--root", "/", "--user", DCUI_ID, NULL},
	 .ag_env = "TERM=xterm",
	 .ag_tty = "/dev/ttyS0"},
	/* The support shell hostd turns on and off (shell_sync). */
	{.ag_name = "support-shell",
	 .ag_argv = {"/init", "shell-login", "/dev/tty2", NULL},
	 .ag_tty = "/dev/tty2",
	 .ag_stop_sig = SIGHUP},
};
#define N_AGENTS      ((int)(sizeof(agents) / sizeof(agents[0])))
#define A_STATED      0
#define A_SYSLOG      1
#define A_DHCP	      2
#define A_HOSTD	      3
#define A_PROXY	      4
#define A_SHELL	      5
#define A_DCUI	      6
#define A_DCUI_SERIAL 7
#define A_TSM	      8
/* What "restart management agents" restarts: hostd and the proxy, next
 * to each other in the table. */
#define SYSLOG_READY_MS 5000
#define A_MGMT		A_HOSTD
#define N_MGMT		2

static char cmdline[CMDLINE_MAX_BYTES];
static char root_password_env[600];

/* A "name=value" of the kernel command line, or NULL. */
static const char *boot_option(const char *name, char *buf, size_t size)
{
	size_t len = strlen(name);

	for (const char *p = cmdline; *p != '\0';) {
		size_t n = strcspn(p, " \n");
		if (n > len && strncmp(p, name, len) == 0 && p[len] == '=') {
			snprintf(buf, size, "%.*s", (int)(n - len - 1),
				 p + len + 1);
			return buf;
		}
		p += n;
		p += strspn(p, " \n");
	}
	return NULL;
}

static void mount_fs(const char *src, const char *dir, const char *type,
		     unsigned long flags, const char *opts)
{
	if (file_mkdirs(dir) < 0 || mount(src, dir, type, flags, opts) < 0)
		log_warn("mount %s on %s", type, dir);
}

static void early_mounts(void)
{
	struct statfs sf;

	mount_fs("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		 NULL);
	mount_fs("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		 NULL);
	mount_fs("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	mount_fs("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		 "gid=5,mode=0620,ptmxmode=0666");
	mount_fs("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, NULL);
	mount_fs("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	mount_fs("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
	/* The initramfs is the root: tmpfs when no root= is given. */
	if (statfs("/", &sf) == 0 && sf.f_type != TMPFS_MAGIC)
		log_warnx("the root is not tmpfs (type %lx)",
			  (unsigned long)sf.f_type);
	for (const char *d = "/etc/basalt\0/var/log\0/vmfs/volumes\0"; *d;
	     d += strlen(d) + 1)
		if (file_mkdirs(d) < 0)
			log_warn("%s", d);
	if (symlink("/run", "/var/run") < 0 && errno != EEXIST)
		log_warn("/var/run");
	/* hostd's socket is 0660: the proxy reaches it by this group. */
	/* The console (group dcui) pings the management network's
	 * gateway and DNS servers with ICMP datagram sockets. */
	{
		int fd = open("/proc/sys/net/ipv4/ping_group_range",
			      O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "100 100", 7) != 7)
			log_warn("ping_group_range");
		if (fd >= 0)
			close(fd);
	}
	/* Others pass through to what names them (the console's socket
	 * and marks), but cannot list or reach the rest. */
	if (mkdir(RUN_DIR, 02751) == 0 || errno == EEXIST) {
		if (chown(RUN_DIR, 0, PROXY_GID) < 0 ||
		    chmod(RUN_DIR, 02751) < 0)
			log_warn("%s", RUN_DIR);
	}
}

static void read_cmdline(void)
{
	int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, cmdline, sizeof(cmdline) - 1);

	if (fd >= 0)
		close(fd);
	cmdline[n > 0 ? n : 0] = '\0';
}

static size_t count_dir(const char *path)
{
	DIR *d = opendir(path);
	size_t n = 0;

	if (d == NULL)
		return 0;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/*
 * Load drivers until the devices stop changing: a driver's devices (a
 * controller's disks, virtio's functions) appear after it loads,
 * sometimes a while after (SCSI and USB scan in the background).
 */
static void load_drivers(struct mod_index *mi)
{
	uint64_t start = agent_now_ms(), quiet_since = start;
	size_t last = 0;
	unsigned loaded = 0;

	for (;;) {
		unsigned now_loaded = mod_coldplug(mi);
		size_t devs = count_dir("/sys/class/block") +
			      count_dir("/sys/class/net");
		uint64_t now = agent_now_ms();
		loaded += now_loaded;
		if (now_loaded > 0 || devs != last) {
			quiet_since = now;
			last = devs;
		}
		if (now - quiet_since >= SETTLE_QUIET_MS ||
		    now - start >= SETTLE_MAX_MS)
			break;
		nanosleep(&(struct timespec){0, 200000000}, NULL);
	}
	log_info("drivers: %u modules loaded in %llu ms", loaded,
		 (unsigned long long)(agent_now_ms() - start));
}

static void load_kvm(struct mod_index *mi)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	const char *mod = NULL;
	struct err e;

	while (f != NULL && mod == NULL && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		if (strstr(line, " vmx") != NULL)
			mod = "kvm_intel";
		else if (strstr(line, " svm") != NULL)
			mod = "kvm_amd";
		break;
	}
	if (f != NULL)
		fclose(f);
	if (mod == NULL) {
		log_warnx("the CPU offers no hardware virtualization (no vmx "
			  "or svm flag): VMs cannot run");
		return;
	}
	if (mod_probe(mi, mod, &e) <= 0)
		log_warnx("%s: %s", mod, e.e_code ? err_msg(&e) : "not found");
	else if (access("/dev/kvm", F_OK) == 0)
		log_info("KVM ready (%s)", mod);
	else
		log_warnx("%s loaded but /dev/kvm is missing", mod);
}

/* First boot's answers (an installer's answer file on the boot
 * partition): rootpw= sets root's password on hostd's first start. The
 * file is removed once read: a password must not stay there. */
static void read_answer_file(void)
{
	FILE *f = fopen(ANSWER_FILE, "r");
	char line[512];

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "rootpw=", 7) == 0) {
			snprintf(root_password_env, sizeof(root_password_env),
				 "BASALT_ROOT_PASSWORD=%s", line + 7);
			agents[A_HOSTD].ag_env = root_password_env;
		} else if (line[0] != '#' && line[0] != '\0') {
			log_warnx("%s: unknown line '%.40s' left alone",
				  ANSWER_FILE, line);
		}
	}
	fclose(f);
	log_info("first boot: answers read from %s", ANSWER_FILE);
}

static int first_boot(void)
{
	return access(FIRSTBOOT_MARK, F_OK) != 0;
}

static void first_boot_done(void)
{
	int fd;

	if (unlink(ANSWER_FILE) == 0)
		log_info("%s removed", ANSWER_FILE);
	explicit_bzero(root_password_env, sizeof(root_password_env));
	agents[A_HOSTD].ag_env = NULL;
	if (file_mkdirs("/store/.basalt") < 0)
		return;
	fd = open(FIRSTBOOT_MARK, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int root_password_blank(void)
{
	char hash[256];

	return console_shadow_hash("/etc/basalt/shadow", "root", hash,
				   sizeof(hash)) &&
	       hash[0] == '\0';
}

static void ready_banner(const struct boot_disk *bd, int datastores)
{
	char addr[64];

	double up = 0;
	FILE *f = fopen("/proc/uptime", "r");

	if (f != NULL) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	net_address(NET_SWITCH, addr, sizeof(addr));
	log_info("Basalt %s is ready, %.1f s after the kernel started "
		 "(boot bank %d, %d datastore%s)",
		 BASALT_VERSION, up, bd->bd_bank_no, datastores,
		 datastores == 1 ? "" : "s");
	if (addr[0] != '\0')
		log_info("manage this host at https://%s/ (the VI API: "
			 "https://%s/sdk)",
			 addr, addr);
	else
		log_warnx("the management network has no address yet");
	if (root_password_blank())
		log_warnx("root's password is not set: the console asks for "
			  "it; no network login until it is set");
	printf("basalt: ready\n");
	fflush(stdout);
}

static int uevent_socket(void)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1};
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
			NETLINK_KOBJECT_UEVENT);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* A hot-plugged device: load its driver ("add" with a MODALIAS). */
static void uevent(struct mod_index *mi, int fd)
{
	char buf[8192];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf) - 1, 0)) > 0) {
		int add = 0;
		const char *alias = NULL;
		buf[n] = '\0';
		for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
			if (strcmp(p, "ACTION=add") == 0)
				add = 1;
			else if (strncmp(p, "MODALIAS=", 9) == 0)
				alias = p + 9;
		}
		if (add && alias != NULL) {
			struct err e;
			if (mod_probe(mi, alias, &e) < 0)
				log_warnx("driver for %s: %s", alias,
					  err_msg(&e));
		}
	}
}

static void reap(int stopping)
{
	int st;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		int i;
		for (i = 0; i < N_AGENTS; i++)
			if (agents[i].ag_pid == pid) {
				agent_exited(&agents[i], st, stopping);
				break;
			}
		if (i == N_AGENTS)
			log_debug("reaped pid %d", (int)pid);
	}
}

/*
 * The support shell on the console's tty2 (Alt-F2), which hostd turns
 * on and off (HostServiceSystem "TSM") through the run folder's mark
 * SHELL_MARK ("until=<epoch>", 0: no end) and SIGUSR1. When it goes off,
 * or its time is up, a login prompt ends; a shell someone logged into
 * stays until they leave, and is not started again. (The boot option
 * basalt.shell=TTY is another one, for good, on that terminal.)
 */
#define SHELL_MARK RUN_DIR "/support-shell"

static struct {
	int sh_on;	    /* the mark says on */
	long long sh_until; /* epoch seconds; 0: no end */
} shell;

/* Has the agent's process become the shell (logged in)? */
static int shell_logged_in(pid_t pid)
{
	char path[64], exe[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	return strstr(exe, "busybox") != NULL;
}

static void shell_sync(void)
{
	struct agent *a = &agents[A_TSM];
	char line[64];
	long long until = 0;
	int on, was = shell.sh_on;

	file_read_line(SHELL_MARK, line, sizeof(line));
	on = sscanf(line, "until=%lld", &until) == 1;
	if (on && until > 0 && until <= (long long)time(NULL)) {
		log_warnx("the support shell is off: its time "
			  "(UserVars.ESXiShellTimeOut) is up");
		unlink(SHELL_MARK);
		on = 0;
	}
	shell.sh_on = on;
	shell.sh_until = until;
	if (shell.sh_on) {
		if (!was && until > 0)
			log_warnx("the support shell is on, on %s, for %lld s "
				  "(UserVars.ESXiShellTimeOut)",
				  a->ag_tty, until - (long long)time(NULL));
		else if (!was)
			log_warnx("the support shell is on, on %s", a->ag_tty);
		if (a->ag_pid <= 0 && a->ag_due_ms == 0)
			(void)agent_start(a);
		return;
	}
	a->ag_due_ms = 0; /* not again */
	if (was)
		log_warnx("the support shell is off");
	if (a->ag_pid > 0 && !shell_logged_in(a->ag_pid))
		kill(a->ag_pid, SIGHUP);
}

/* Milliseconds until the shell's time is up, or -1. */
static int shell_timeout_ms(void)
{
	long long left;

	if (!shell.sh_on || shell.sh_until == 0)
		return -1;
	left = shell.sh_until - (long long)time(NULL);
	return left <= 0 ? 0 : left > 3600 ? 3600000 : (int)(left * 1000);
}

/*
 * The DHCP client follows the management network's setting: hostd
 * (and the boot, below) leaves DHCP_MARK ("iface=NAME") while the
 * management address comes by DHCP on NAME, none while it is static,
 * and sends SIGUSR1. DHCP_RUNNING exists while the client runs, so that
 * hostd knows when it is gone before it sets a static address.
 */
#define DHCP_MARK    RUN_DIR "/dhcp"
#define DHCP_RUNNING RUN_DIR "/dhcp.running"

static char dhcp_iface[IFNAMSIZ] = NET_SWITCH;

static void dhcp_sync(void)
{
	struct agent *a = &agents[A_DHCP];
	char line[64], want[IFNAMSIZ] = "";
	struct err e = {0};

	file_read_line(DHCP_MARK, line, sizeof(line));
	if (strncmp(line, "iface=", 6) == 0 && strlen(line + 6) < IFNAMSIZ)
		strcpy(want, line + 6);
	if (a->ag_pid > 0 && strcmp(want, dhcp_iface) != 0) {
		agents_stop(a, 1, 5000, 0);
		log_info("the DHCP client on %s stopped (the management "
			 "network changed)",
			 dhcp_iface);
	}
	if (want[0] == '\0') {
		a->ag_due_ms = 0;
		unlink(DHCP_RUNNING);
		return;
	}
	snprintf(dhcp_iface, sizeof(dhcp_iface), "%s", want);
	a->ag_argv[4] = dhcp_iface;
	if (a->ag_pid <= 0) {
		a->ag_backoff_ms = 0;
		if (agent_start(a) == 0 &&
		    file_write_atomic(DHCP_RUNNING, "", 0, 0644, &e) < 0)
			log_warnx("%s", err_msg(&e));
	}
}

/* The boot's management network from /etc/basalt/network.conf: the
 * uplink, the VLAN, a static address or the DHCP client's interface,
 * the host name. */
static void network_setup(void)
{
	char uplink[IFNAMSIZ], iface[IFNAMSIZ], line[64];
	struct netcfg c;
	struct err e = {0};

	if (netcfg_load("/etc/basalt/network.conf", &c, &e) < 0)
		log_warnx("%s; DHCP instead", err_msg(&e));
	if (sethostname(c.nc_hostname[0] ? c.nc_hostname : "localhost",
			c.nc_hostname[0] ? strlen(c.nc_hostname) : 9) < 0)
		log_warn("sethostname");
	if (net_setup(c.nc_uplink, uplink, sizeof(uplink), &e) < 0) {
		log_warnx("management network: %s", err_msg(&e));
		return;
	}
	netcfg_iface(&c, NET_SWITCH, iface, sizeof(iface));
	if (!c.nc_dhcp) {
		unlink(DHCP_MARK);
		if (netcfg_apply_static(&c, NET_SWITCH, "/etc/resolv.conf",
					&e) < 0)
			log_warnx("management network: %s", err_msg(&e));
		else
			log_info("management network: %s on uplink %s, "
				 "static %s/%d",
				 iface, uplink[0] ? uplink : "(none)",
				 inet_ntop(AF_INET, &c.nc_address, line,
					   sizeof(line)),
				 netcfg_prefix(c.nc_netmask));
		return;
	}
	if (c.nc_vlan > 0) {
		int rc = nl_vlan_create(NET_SWITCH, iface, c.nc_vlan);
		if ((rc < 0 && rc != -EEXIST) || nl_link_up(iface) < 0)
			log_warnx("management network: VLAN %d: %s", c.nc_vlan,
				  strerror(-rc));
	}
	snprintf(line, sizeof(line), "iface=%s\n", iface);
	if (file_write_atomic(DHCP_MARK, line, strlen(line), 0644, &e) < 0)
		log_warnx("%s", err_msg(&e));
	log_info("management network: %s on uplink %s, DHCP", iface,
		 uplink[0] ? uplink : "(none)");
	dhcp_sync();
}

static void restart_management(void)
{
	log_info("restarting the management agents (VMs keep running)");
	/* hostd leaves its VMs running on SIGUSR1 (its ag_keep_sig). */
	agents_stop(&agents[A_MGMT], N_MGMT, AGENTS_STOP_MS, 1);
	for (int i = A_MGMT; i < A_MGMT + N_MGMT; i++) {
		agents[i].ag_backoff_ms = 0;
		(void)agent_start(&agents[i]);
		if (i == A_HOSTD)
			(void)agent_wait_ready(&agents[i], HOSTD_READY_MS);
	}
}

/* The host's state from the boot bank's slot into /etc/basalt, before
 * any agent reads it (src/stated). */
static void restore_state(int have_bank)
{
	static const char *const argv[] = {"/bin/stated", "--restore", "--root",
					   "/", NULL};
	int rc;

	if (!have_bank) {
		log_warnx("NO BOOT BANK: the host starts with defaults and "
			  "keeps nothing");
		return;
	}
	rc = agent_run(argv);
	if (rc != 0 && rc != 3)
		log_warnx("restoring the host's state failed (status %d): "
			  "defaults",
			  rc);
}

/* At power-off or reboot, once the agents have stopped: a last save. */
static void save_state(void)
{
	static const char *const argv[] = {"/bin/stated", "--save", "--root",
					   "/", NULL};
	struct stat bank, root;

	/* Only onto the bank itself, not the folder under it. */
	if (stat("/bootbank", &bank) < 0 || stat("/", &root) < 0 ||
	    bank.st_dev == root.st_dev)
		return;
	if (agent_run(argv) != 0)
		log_warnx("saving the host's state failed");
}

static void stop_everything(void)
{
	uint64_t end;

	log_info("stopping the agents (hostd powers its VMs off first)");
	/* syslogd after the others (their last lines), stated last: its
	 * last save holds what the others changed on their way out. */
	agents_stop(&agents[A_SYSLOG + 1], N_AGENTS - A_SYSLOG - 1,
		    AGENTS_STOP_MS, 0);
	agents_stop(&agents[A_SYSLOG], 1, AGENTS_STOP_MS, 0);
	agents_stop(&agents[A_STATED], 1, AGENTS_STOP_MS, 0);
	/* What is left: VMs no hostd owned, anything started by hand. */
	kill(-1, SIGTERM);
	end = agent_now_ms() + PROCESSES_STOP_MS;
	while (agent_now_ms() < end) {
		reap(1);
		if (waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD)
			break;
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	kill(-1, SIGKILL);
	/* Until they are gone: a process still dying holds its files. */
	end = agent_now_ms() + PROCESSES_STOP_MS;
	while (agent_now_ms() < end &&
	       !(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD))
		nanosleep(&(struct timespec){0, 20000000}, NULL);
	save_state();
	sync();
	disks_unmount_all();
	sync();
}

/* Have the management agents been up, without a restart, long enough
 * to call an update healthy? */
static int agents_healthy(uint64_t now)
{
	static const int need[] = {A_STATED, A_SYSLOG, A_HOSTD, A_PROXY};

	for (size_t i = 0; i < sizeof(need) / sizeof(*need); i++) {
		const struct agent *a = &agents[need[i]];
		if (a->ag_pid <= 0 ||
		    now - a->ag_started_ms < BOOTBANK_HEALTHY_MS ||
		    (a->ag_ready != NULL && access(a->ag_ready, F_OK) != 0))
			return 0;
	}
	return 1;
}

BASALT_NORETURN static void power_down(int sig)
{
	log_info("%s requested", sig == SIGUSR2 ? "power off" : "reboot");
	stop_everything();
	log_info("%s", sig == SIGUSR2 ? "powering off" : "rebooting");
	reboot(sig == SIGUSR2 ? RB_POWER_OFF : RB_AUTOBOOT);
	fatal("reboot");
}

static int init_main(void)
{
	struct boot_disk bd;
	struct bank_trial trial;
	struct mod_index mi;
	struct err e;
	sigset_t set;
	char bank_uuid[64], shell_tty[32];
	int sfd, ufd, datastores, first;

	log_procinit("init");
	setsid();
	early_mounts();
	read_cmdline();
	log_info("Basalt %s init starting", BASALT_VERSION);
	(void)reboot(RB_DISABLE_CAD);
	sigemptyset(&set);
	for (const int *s = (const int[]){SIGCHLD, SIGHUP, SIGTERM, SIGINT,
					  SIGUSR1, SIGUSR2, 0};
	     *s; s++)
		sigaddset(&set, *s);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	ufd = uevent_socket();

	if (mod_index_open(&mi, NULL, &e) < 0)
		log_warnx("no module index: %s", err_msg(&e));
	else
		load_drivers(&mi);
	load_kvm(&mi);
	/* What the mounts below need (the kernel would ask modprobe too). */
	for (const char *m = "ext4\0vfat\0nls_cp437\0nls_utf8\0"; *m;
	     m += strlen(m) + 1)
		if (mod_probe(&mi, m, &e) <= 0)
			log_warnx("%s: %s", m,
				  e.e_code ? err_msg(&e) : "not in the image");

	if (disks_find_boot(boot_option("basalt.bootbank", bank_uuid,
					sizeof(bank_uuid)),
			    &bd, &e) < 0) {
		log_warnx("%s: the host runs without its boot disk "
			  "(nothing persists)",
			  err_msg(&e));
	} else {
		log_info("boot disk %s, boot bank %d (%s)", bd.bd_disk,
			 bd.bd_bank_no, bd.bd_bank);
		disks_mount_boot(&bd);
	}
	bootbank_start(&bd, &trial, agent_now_ms());
	crash_setup(&mi);
	restore_state(bd.bd_bank[0] != '\0');
	/* The agents (and init's helpers) log through syslogd from here;
	 * init's own lines stay on the console. */
	setenv("BASALT_SYSLOG", "/dev/log", 1);
	(void)agent_start(&agents[A_SYSLOG]);
	if (!agent_wait_ready(&agents[A_SYSLOG], SYSLOG_READY_MS))
		log_warnx("syslogd is not up: the agents' lines go to "
			  "/var/log/NAME.stderr.log");
	/* From here every change to /etc/basalt is saved within seconds. */
	if (bd.bd_bank[0] != '\0')
		(void)agent_start(&agents[A_STATED]);
	first = first_boot();
	if (first) {
		log_info("first boot");
		read_answer_file();
	}
	datastores = disks_datastores(&bd, first);

	network_setup();
	/* The address goes into the certificate hostd makes on its first
	 * start: wait a while for the lease. */
	for (uint64_t end = agent_now_ms() + ADDRESS_WAIT_MS;
	     agent_now_ms() < end;) {
		char addr[64];
		net_address(dhcp_iface, addr, sizeof(addr));
		if (addr[0] != '\0')
			break;
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	(void)agent_start(&agents[A_HOSTD]);
	if (!agent_wait_ready(&agents[A_HOSTD], HOSTD_READY_MS))
		log_warnx("hostd is not serving yet; starting the rest");
	(void)agent_start(&agents[A_PROXY]);
	if (!agent_wait_ready(&agents[A_PROXY], PROXY_READY_MS))
		log_warnx("rhttpproxy has no certificate yet");
	if (boot_option("basalt.shell", shell_tty, sizeof(shell_tty))) {
		static char tty[40];
		snprintf(tty, sizeof(tty), "/dev/%s", shell_tty);
		agents[A_SHELL].ag_argv[2] = tty;
		agents[A_SHELL].ag_tty = tty;
		log_warnx("the support shell is enabled on %s (boot option "
			  "basalt.shell)",
			  tty);
		(void)agent_start(&agents[A_SHELL]);
	}
	shell_sync();
	if (first)
		first_boot_done();
	ready_banner(&bd, datastores);
	(void)agent_start(&agents[A_DCUI]);
	(void)agent_start(&agents[A_DCUI_SERIAL]);

	for (;;) {
		struct pollfd pfd[2] = {{sfd, POLLIN, 0}, {ufd, POLLIN, 0}};
		struct signalfd_siginfo si;
		int timeout, st;

		if (!shell.sh_on)
			agents[A_TSM].ag_due_ms = 0;
		timeout = agent_run_due(agents, N_AGENTS);
		st = shell_timeout_ms();
		if (st >= 0 && (timeout < 0 || st < timeout))
			timeout = st;
		if (st == 0)
			shell_sync();

		if (trial.bt_trial) {
			uint64_t now = agent_now_ms();
			if (bootbank_check(&trial, agents_healthy(now), now)) {
				log_warnx("UPDATE FAILED: the agents of boot "
					  "bank %d did not come up in %d s; "
					  "rebooting into boot bank %d",
					  trial.bt_bank,
					  BOOTBANK_DEADLINE_MS / 1000,
					  3 - trial.bt_bank);
				power_down(SIGTERM);
			}
			if (timeout < 0 || timeout > 1000)
				timeout = 1000;
		}

		if (poll(pfd, ufd >= 0 ? 2 : 1, timeout) < 0 && errno != EINTR)
			log_warn("poll");
		if (ufd >= 0 && (pfd[1].revents & POLLIN))
			uevent(&mi, ufd);
		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			switch (si.ssi_signo) {
			case SIGCHLD:
				reap(0);
				break;
			case SIGHUP:
				restart_management();
				break;
			case SIGUSR1:
				shell_sync();
				dhcp_sync();
				break;
			case SIGUSR2:
			case SIGTERM:
			case SIGINT:
				power_down((int)si.ssi_signo);
			default:
				break;
			}
		}
	}
}

int main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/');

	base = base == NULL ? argv[0] : base + 1;
	if (strcmp(base, "modprobe") == 0)
		return mod_modprobe_main(argc, argv);
	if (strcmp(base, "dhcp-event") == 0)
		return net_dhcp_event_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "core") == 0)
		return crash_core_main(argc, argv);
	if (argc == 3 && strcmp(argv[1], "shell-login") == 0)
		return shell_login_main(argv[2]);
	if (getpid() != 1) {
		fprintf(stderr,
			"init: Basalt's PID 1; it runs only as the first "
			"process of the appliance (src/init/README.md)\n");
		return 2;
	}
	return init_main();
}
