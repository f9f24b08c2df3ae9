/*
 * vm_power.c: spawning and reaping vmx processes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/thread.h"
#include "hostd/helper.h"
#include "hostd/hostd.h"
#include "hostd/vm_power.h"
#include "hostd/vmx_client.h"

#define VMX_EXIT_RESET	3 /* vmx's status for a reset (src/vmx/main.c) */
#define SHUTDOWN_WAIT_S 10

void vm_socket_path(struct hostd *h, int id, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s/vm-%d.sock", (int)(size - 24), h->hd_rundir,
		 id);
}

void vm_log_tail(const struct vm_entry *v, char *buf, size_t size)
{
	char path[PATH_MAX + 16], line[512];
	const char *slash = strrchr(v->ve_vmx, '/');
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%.*s/vmware.log",
		 slash != NULL ? (int)(slash - v->ve_vmx) : 1,
		 slash != NULL ? v->ve_vmx : ".");
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (line[0] != '\n')
			snprintf(buf, size, "%s", line);
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
}

int vm_spawn(struct hostd *h, struct vm_entry *v, struct err *e)
{
	char sock[PATH_MAX];
	pid_t pid;

	vm_socket_path(h, v->ve_id, sock, sizeof(sock));
	unlink(sock); /* a stale one from a vmx that was killed */
	pid = fork();
	if (pid < 0)
		return err_set(e, -errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* The child: its own session, nothing of hostd's open. */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		if (null >= 0) {
			dup2(null, 0);
			dup2(null, 1);
			dup2(null, 2);
		}
		syscall(SYS_close_range, 3U, ~0U, 0U);
		execl(h->hd_vmx, "vmx", "--control", sock, v->ve_vmx,
		      (char *)NULL);
		_exit(127);
	}
	v->ve_pid = pid;
	v->ve_power = VM_POWERED_ON;
	v->ve_boot = time(NULL);
	v->ve_adopted = 0;
	h->hd_children++;
	pthread_cond_broadcast(&h->hd_child_cond);
	log_info("VM %d: vmx started (pid %d)", v->ve_id, (int)pid);
	vim_changed(h);
	return 0;
}

static struct vm_entry *by_pid(struct hostd *h, pid_t pid)
{
	for (size_t i = 0; i < h->hd_inventory.iv_n; i++)
		if (h->hd_inventory.iv_vms[i].ve_pid == pid)
			return &h->hd_inventory.iv_vms[i];
	return NULL;
}

/* vmx pid ended with wait status st; under the lock. */
static void vmx_ended(struct hostd *h, struct vm_entry *v, int st)
{
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	const char *name = vm_name_of(v); /* reads the .vmx: once */
	struct err e = {0};

	v->ve_pid = 0;
	if (code == VMX_EXIT_RESET && !v->ve_stopping) {
		/* A reboot of the guest (or ResetVM): the VM stays on. */
		log_info("VM %d: guest reset; vmx starts again", v->ve_id);
		vim_event_post(h, "VmGuestRebootEvent", NULL, v->ve_id, name, 0,
			       "Guest OS reboot for %s on %s", name,
			       h->hd_hostname);
		if (vm_spawn(h, v, &e) == 0)
			return;
		log_warnx("VM %d: %s", v->ve_id, err_msg(&e));
	}
	log_info("VM %d: powered off (vmx exit status %d)", v->ve_id, code);
	vim_event_post(h, "VmPoweredOffEvent", NULL, v->ve_id, name, 0,
		       "%s on %s is powered off (%s)", name, h->hd_hostname,
		       v->ve_stopping ? "powered off by request"
		       : code == 0    ? "the guest powered off"
		       : code == 1    ? "vmx failed"
				      : "vmx ended abnormally");
	v->ve_power = VM_POWERED_OFF;
	v->ve_stopping = 0;
	v->ve_last_exit = code;
	vim_changed(h);
}

static void *reaper(void *arg)
{
	struct hostd *h = arg;

	pthread_setname_np(pthread_self(), "reaper");
	for (;;) {
		int st;
		pid_t pid = waitpid(-1, &st, 0);
		struct vm_entry *v;
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			/* No children: wait for the next spawn. */
			pthread_mutex_lock(&h->hd_lock);
			while (h->hd_children == 0)
				pthread_cond_wait(&h->hd_child_cond,
						  &h->hd_lock);
			pthread_mutex_unlock(&h->hd_lock);
			continue;
		}
		pthread_mutex_lock(&h->hd_lock);
		h->hd_children--;
		if (helper_reaped(h, pid, st)) {
			pthread_mutex_unlock(&h->hd_lock);
			continue;
		}
		v = by_pid(h, pid);
		if (v != NULL)
			vmx_ended(h, v, st);
		pthread_mutex_unlock(&h->hd_lock);
	}
	return NULL;
}

struct adopted {
	struct hostd *a_h;
	int a_id;
	pid_t a_pid;
	int a_fd;
};

/* A vmx an earlier hostd started: not our child, so a pidfd tells us
 * when it ends (its exit status is not ours to see). */
static void *watch_adopted(void *arg)
{
	struct adopted *a = arg;
	struct pollfd p = {.fd = a->a_fd, .events = POLLIN};
	struct vm_entry *v;

	pthread_setname_np(pthread_self(), "adopted");
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	pthread_mutex_lock(&a->a_h->hd_lock);
	v = inventory_find(a->a_h, a->a_id);
	if (v != NULL && v->ve_pid == a->a_pid) {
		log_info("VM %d: vmx (pid %d, from an earlier hostd) ended",
			 v->ve_id, (int)a->a_pid);
		const char *name = vm_name_of(v);
		vim_event_post(a->a_h, "VmPoweredOffEvent", NULL, v->ve_id,
			       name, 0, "%s on %s is powered off", name,
			       a->a_h->hd_hostname);
		v->ve_pid = 0;
		v->ve_power = VM_POWERED_OFF;
		v->ve_stopping = 0;
		vim_changed(a->a_h);
	}
	pthread_mutex_unlock(&a->a_h->hd_lock);
	close(a->a_fd);
	free(a);
	return NULL;
}

/* Is a vmx of an earlier hostd still serving VM v? Take it over. */
static void adopt(struct hostd *h, struct vm_entry *v)
{
	struct ipc_vmx_status st;
	char sock[PATH_MAX];
	struct adopted *a;
	pthread_t t;
	int fd;

	vm_socket_path(h, v->ve_id, sock, sizeof(sock));
	if (access(sock, F_OK) != 0 ||
	    vmx_request(sock, IPC_VMX_STATUS, &st, NULL) < 0 ||
	    (st.vs_state != IPC_VMX_RUNNING && st.vs_state != IPC_VMX_PAUSED))
		return;
	fd = (int)syscall(SYS_pidfd_open, (pid_t)st.vs_pid, 0);
	a = fd >= 0 ? malloc(sizeof(*a)) : NULL;
	if (a == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	*a = (struct adopted){h, v->ve_id, (pid_t)st.vs_pid, fd};
	v->ve_pid = (pid_t)st.vs_pid;
	v->ve_power = VM_POWERED_ON;
	v->ve_boot = time(NULL) - (time_t)(st.vs_uptime_ms / 1000);
	v->ve_adopted = 1;
	if (thread_start(&t, THREAD_STACK_BYTES, watch_adopted, a) != 0) {
		close(fd);
		free(a);
		return;
	}
	pthread_detach(t);
	log_info("VM %d: its vmx (pid %d) still runs; taken over", v->ve_id,
		 (int)st.vs_pid);
}

int vm_power_init(struct hostd *h, const char *vmx_path, struct err *e)
{
	char self[PATH_MAX], cand[PATH_MAX + 32];
	ssize_t n;
	pthread_t t;

	pthread_cond_init(&h->hd_child_cond, NULL);
	pthread_cond_init(&h->hd_helper_cond, NULL);
	if (vmx_path != NULL) {
		snprintf(h->hd_vmx, sizeof(h->hd_vmx), "%s", vmx_path);
	} else {
		/* Installed side by side, or the build tree's src/vmx. */
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		if (strrchr(self, '/') != NULL)
			*strrchr(self, '/') = '\0';
		snprintf(cand, sizeof(cand), "%s/vmx", self);
		if (access(cand, X_OK) != 0)
			snprintf(cand, sizeof(cand), "%s/../vmx/vmx", self);
		snprintf(h->hd_vmx, sizeof(h->hd_vmx), "%.*s", PATH_MAX - 1,
			 cand);
	}
	if (access(h->hd_vmx, X_OK) != 0)
		return err_set(e, -ENOENT,
			       "%s: no vmx to run VMs with (--vmx PATH)",
			       h->hd_vmx);
	for (size_t i = 0; i < h->hd_inventory.iv_n; i++)
		adopt(h, &h->hd_inventory.iv_vms[i]);
	if (thread_start(&t, THREAD_STACK_BYTES, reaper, h) != 0)
		return err_set(e, -EAGAIN, "cannot start the reaper thread");
	pthread_detach(t);
	return 0;
}

static int vms_running(struct hostd *h)
{
	int n = 0;

	for (size_t i = 0; i < h->hd_inventory.iv_n; i++)
		n += h->hd_inventory.iv_vms[i].ve_pid > 0;
	return n;
}

/* Under the lock: until no vmx runs or the deadline. The reaper (or,
 * for a vmx an earlier hostd started, its pidfd watcher) clears ve_pid
 * as each one ends, so no pid is signalled after it has gone (and
 * perhaps been reused). */
static void wait_vms_gone(struct hostd *h, int seconds)
{
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	while (vms_running(h) > 0 &&
	       pthread_cond_timedwait(&h->hd_changed, &h->hd_lock, &deadline) ==
		       0)
		;
}

/* The ACPI power button of every running VM: guests shut themselves
 * down. Under the lock, which it lets go while it talks to each vmx. */
static void press_power_buttons(struct hostd *h)
{
	int ids[INVENTORY_VMS_MAX], n = 0;

	for (size_t i = 0; i < h->hd_inventory.iv_n && n < INVENTORY_VMS_MAX;
	     i++)
		if (h->hd_inventory.iv_vms[i].ve_pid > 0)
			ids[n++] = h->hd_inventory.iv_vms[i].ve_id;
	pthread_mutex_unlock(&h->hd_lock);
	for (int i = 0; i < n; i++) {
		char sock[PATH_MAX];
		struct err e = {0};
		vm_socket_path(h, ids[i], sock, sizeof(sock));
		if (vmx_request(sock, IPC_VMX_SHUTDOWN, NULL, &e) < 0)
			log_warnx("VM %d: the power button: %s", ids[i],
				  err_msg(&e));
		else
			log_info("VM %d: the guest is asked to shut down",
				 ids[i]);
	}
	pthread_mutex_lock(&h->hd_lock);
}

void vm_power_shutdown(struct hostd *h, int guest_wait_s)
{
	pthread_mutex_lock(&h->hd_lock);
	if (guest_wait_s > 0 && vms_running(h) > 0) {
		press_power_buttons(h);
		wait_vms_gone(h, guest_wait_s);
		if (vms_running(h) > 0)
			log_warnx("%d VM(s) still running after %d s: powering "
				  "them off",
				  vms_running(h), guest_wait_s);
	}
	for (size_t i = 0; i < h->hd_inventory.iv_n; i++) {
		struct vm_entry *v = &h->hd_inventory.iv_vms[i];
		if (v->ve_pid > 0) {
			v->ve_stopping = 1;
			kill(v->ve_pid, SIGTERM); /* vmx powers off cleanly */
		}
	}
	wait_vms_gone(h, SHUTDOWN_WAIT_S);
	for (size_t i = 0; i < h->hd_inventory.iv_n; i++)
		if (h->hd_inventory.iv_vms[i].ve_pid > 0)
			kill(h->hd_inventory.iv_vms[i].ve_pid, SIGKILL);
	pthread_mutex_unlock(&h->hd_lock);
}
