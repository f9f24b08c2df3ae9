/*
 * control.c: the control socket (see control.h). One thread polls the
 * listening socket, the clients and an eventfd; requests are answered in
 * order. The console reaches attached clients through a ring the vCPU
 * threads fill (machine console hook) and this thread drains.
 *
 * Clients are trusted no more than their bytes: a malformed frame or an
 * unknown request closes that client, never the VM.
 */
#include "vmx/control.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "common/log.h"
#include "common/thread.h"
#include "vmx/devices/acpi_pm.h"
#include "vmx/devices/uart8250.h"

struct control_client {
	struct ipc_conn cc_conn; /* cc_conn.ic_fd < 0: slot free */
	int cc_hello;		 /* IPC_HELLO received */
	int cc_console;		 /* attached to the console */
};

struct control {
	struct machine *ct_m;
	char ct_path[108]; /* sun_path */
	char ct_name[64];
	int ct_listen_fd;
	int ct_wake_fd; /* eventfd: console data, or stop */
	int ct_stop;
	pthread_t ct_thread;
	struct timespec ct_started;
	/* console ring, under ct_ring_lock */
	pthread_mutex_t ct_ring_lock;
	uint8_t ct_ring[CONTROL_CONSOLE_RING_BYTES];
	size_t ct_ring_head, ct_ring_len;
	uint64_t ct_ring_dropped;
	int ct_console_clients; /* read by the hook without the lock */
	struct control_client ct_clients[CONTROL_CLIENTS_MAX];
};

static enum ipc_vmx_reason reason_code(enum vm_stop_reason r)
{
	switch (r) {
	case VM_RUNNING:
		return IPC_VMX_REASON_NONE;
	case VM_STOP_POWEROFF:
		return IPC_VMX_REASON_POWEROFF;
	case VM_STOP_RESET:
		return IPC_VMX_REASON_RESET;
	case VM_STOP_CRASH:
		return IPC_VMX_REASON_CRASH;
	case VM_STOP_REQUEST:
		return IPC_VMX_REASON_REQUEST;
	case VM_STOP_ERROR:
		break;
	}
	return IPC_VMX_REASON_ERROR;
}

/* Called for every console byte, from vCPU threads (VM lock held). */
static void control_console_hook(void *opaque, uint8_t byte)
{
	struct control *c = opaque;
	uint64_t one = 1;
	int was_empty;

	if (__atomic_load_n(&c->ct_console_clients, __ATOMIC_RELAXED) == 0)
		return;
	pthread_mutex_lock(&c->ct_ring_lock);
	was_empty = c->ct_ring_len == 0;
	if (c->ct_ring_len == sizeof(c->ct_ring)) {
		c->ct_ring_dropped++; /* a slow reader loses output */
	} else {
		c->ct_ring[(c->ct_ring_head + c->ct_ring_len) %
			   sizeof(c->ct_ring)] = byte;
		c->ct_ring_len++;
	}
	pthread_mutex_unlock(&c->ct_ring_lock);
	if (was_empty && write(c->ct_wake_fd, &one, sizeof(one)) < 0)
		log_debug("control: console wake: %s", strerror(errno));
}

static void client_close(struct control *c, struct control_client *cl)
{
	if (cl->cc_console)
		__atomic_sub_fetch(&c->ct_console_clients, 1, __ATOMIC_RELAXED);
	close(cl->cc_conn.ic_fd);
	memset(cl, 0, sizeof(*cl));
	cl->cc_conn.ic_fd = -1;
}

static void console_flush(struct control *c)
{
	uint8_t buf[4096];
	size_t n;

	for (;;) {
		pthread_mutex_lock(&c->ct_ring_lock);
		n = c->ct_ring_len < sizeof(buf) ? c->ct_ring_len : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = c->ct_ring[(c->ct_ring_head + i) %
					    sizeof(c->ct_ring)];
		c->ct_ring_head = (c->ct_ring_head + n) % sizeof(c->ct_ring);
		c->ct_ring_len -= n;
		pthread_mutex_unlock(&c->ct_ring_lock);
		if (n == 0)
			return;
		for (int i = 0; i < CONTROL_CLIENTS_MAX; i++) {
			struct control_client *cl = &c->ct_clients[i];
			if (cl->cc_conn.ic_fd >= 0 && cl->cc_console &&
			    ipc_send(cl->cc_conn.ic_fd, IPC_VMX_CONSOLE_DATA, 0,
				     buf, (uint32_t)n) < 0)
				client_close(c, cl);
		}
	}
}

static int reply_ok(struct control_client *cl, uint32_t id)
{
	return ipc_send(cl->cc_conn.ic_fd, IPC_OK, id, NULL, 0);
}

static int send_status(struct control *c, struct control_client *cl,
		       uint32_t id)
{
	struct vm *vm = c->ct_m->m_vm;
	struct ipc_vmx_status st = {0};
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	st.vs_state = vm->vm_stop != VM_RUNNING ? IPC_VMX_STOPPING
		      : vm_is_paused(vm)	? IPC_VMX_PAUSED
						: IPC_VMX_RUNNING;
	st.vs_stop_reason = reason_code(vm->vm_stop);
	st.vs_vcpus = (uint32_t)c->ct_m->m_cpus;
	st.vs_pid = (uint32_t)getpid();
	st.vs_mem_bytes = vm->vm_mem.gm_size;
	st.vs_uptime_ms =
		(uint64_t)((now.tv_sec - c->ct_started.tv_sec) * 1000 +
			   (now.tv_nsec - c->ct_started.tv_nsec) / 1000000);
	st.vs_exits = vm_exits(vm);
	snprintf(st.vs_name, sizeof(st.vs_name), "%s", c->ct_name);
	return ipc_send(cl->cc_conn.ic_fd, IPC_VMX_STATUS_REPLY, id, &st,
			sizeof(st));
}

/* Serve one request; returns < 0 to close the client. */
static int control_request(struct control *c, struct control_client *cl,
			   const struct ipc_hdr *h, const uint8_t *p)
{
	struct machine *m = c->ct_m;
	int fd = cl->cc_conn.ic_fd;

	if (!cl->cc_hello) {
		struct ipc_hello hello;
		if (h->ih_type != IPC_HELLO || h->ih_len != sizeof(hello))
			return -EPROTO;
		memcpy(&hello, p, sizeof(hello));
		if (hello.ih_version != IPC_VERSION) {
			if (ipc_send_error(fd, h->ih_id, -EPROTONOSUPPORT,
					   "unsupported protocol version") < 0)
				log_debug("control: client gone");
			return -EPROTONOSUPPORT;
		}
		cl->cc_hello = 1;
		hello.ih_version = IPC_VERSION;
		hello.ih_pid = (uint32_t)getpid();
		return ipc_send(fd, IPC_HELLO, h->ih_id, &hello, sizeof(hello));
	}
	/* Only console input carries a payload. */
	if (h->ih_type != IPC_VMX_CONSOLE_INPUT && h->ih_len != 0)
		return -EPROTO;
	switch (h->ih_type) {
	case IPC_VMX_STATUS:
		return send_status(c, cl, h->ih_id);
	case IPC_VMX_PAUSE:
		vm_pause(m->m_vm);
		log_info("paused by a control client");
		return reply_ok(cl, h->ih_id);
	case IPC_VMX_RESUME:
		vm_resume(m->m_vm);
		log_info("resumed by a control client");
		return reply_ok(cl, h->ih_id);
	case IPC_VMX_POWEROFF:
		vm_request_stop(m->m_vm, VM_STOP_REQUEST,
				"powered off by a control client");
		vm_resume(m->m_vm);
		return reply_ok(cl, h->ih_id);
	case IPC_VMX_RESET:
		vm_request_stop(m->m_vm, VM_STOP_RESET,
				"reset by a control client");
		vm_resume(m->m_vm);
		return reply_ok(cl, h->ih_id);
	case IPC_VMX_SHUTDOWN: {
		int listening;
		vm_lock(m->m_vm);
		listening = acpi_pm_power_button(m->m_acpi_pm);
		vm_unlock(m->m_vm);
		log_info("ACPI power button pressed by a control client%s",
			 listening ? "" : " (the guest has not enabled it)");
		if (!listening)
			return ipc_send_error(fd, h->ih_id, -EAGAIN,
					      "the guest has not enabled the "
					      "ACPI power button; it may not "
					      "react");
		return reply_ok(cl, h->ih_id);
	}
	case IPC_VMX_CONSOLE_ATTACH:
		if (!cl->cc_console) {
			cl->cc_console = 1;
			__atomic_add_fetch(&c->ct_console_clients, 1,
					   __ATOMIC_RELAXED);
		}
		return reply_ok(cl, h->ih_id);
	case IPC_VMX_CONSOLE_DETACH:
		if (cl->cc_console) {
			cl->cc_console = 0;
			__atomic_sub_fetch(&c->ct_console_clients, 1,
					   __ATOMIC_RELAXED);
		}
		return reply_ok(cl, h->ih_id);
	case IPC_VMX_CONSOLE_INPUT: {
		size_t took;
		vm_lock(m->m_vm);
		took = uart8250_input(m->m_uart, p, h->ih_len);
		vm_unlock(m->m_vm);
		if (took < h->ih_len)
			return ipc_send_error(fd, h->ih_id, -EAGAIN,
					      "console input buffer full");
		return reply_ok(cl, h->ih_id);
	}
	default:
		return ipc_send_error(fd, h->ih_id, -ENOSYS, "unknown request");
	}
}

static void client_readable(struct control *c, struct control_client *cl)
{
	const uint8_t *p;
	struct ipc_hdr h;
	long n;
	int rc;

	n = ipc_conn_read(&cl->cc_conn);
	if (n == -EAGAIN)
		return;
	if (n <= 0) {
		client_close(c, cl);
		return;
	}
	while ((rc = ipc_conn_next(&cl->cc_conn, &h, &p)) > 0) {
		rc = control_request(c, cl, &h, p);
		if (rc < 0)
			break;
	}
	if (rc < 0) {
		log_info("control: closing a client: %s (%s)", strerror(-rc),
			 ipc_type_name(h.ih_type));
		client_close(c, cl);
	}
}

static void client_accept(struct control *c)
{
	/* Blocking, with a send timeout: a frame is written whole or the
	 * client is dropped, so a stuck client cannot stall us for long
	 * and framing never breaks. Reads happen only after poll. */
	struct timeval tv = {.tv_sec = 2};
	int fd = accept4(c->ct_listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++) {
		if (c->ct_clients[i].cc_conn.ic_fd < 0) {
			ipc_conn_init(&c->ct_clients[i].cc_conn, fd);
			return;
		}
	}
	log_warnx("control: more than %d clients; refusing one",
		  CONTROL_CLIENTS_MAX);
	close(fd);
}

static void *control_thread(void *arg)
{
	struct control *c = arg;
	struct pollfd pfd[2 + CONTROL_CLIENTS_MAX];

	for (;;) {
		int n = 0;
		pfd[n++] =
			(struct pollfd){.fd = c->ct_wake_fd, .events = POLLIN};
		pfd[n++] = (struct pollfd){.fd = c->ct_listen_fd,
					   .events = POLLIN};
		for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
			pfd[n++] = (struct pollfd){
				.fd = c->ct_clients[i].cc_conn.ic_fd,
				.events = POLLIN};
		if (poll(pfd, (nfds_t)n, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			uint64_t v;
			if (read(c->ct_wake_fd, &v, sizeof(v)) < 0)
				v = 0;
		}
		console_flush(c);
		if (__atomic_load_n(&c->ct_stop, __ATOMIC_ACQUIRE))
			break;
		if (pfd[1].revents & POLLIN)
			client_accept(c);
		for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
			if (c->ct_clients[i].cc_conn.ic_fd >= 0 &&
			    (pfd[2 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				client_readable(c, &c->ct_clients[i]);
	}
	return NULL;
}

/* Refuse to steal a socket a live vmx still answers on. */
static int control_bind(struct control *c, const char *path, struct err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int probe;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(e, -ENAMETOOLONG,
			       "control socket path too long (at most %zu "
			       "bytes): %s",
			       sizeof(sa.sun_path) - 1, path);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 &&
	    connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		return err_set(e, -EADDRINUSE,
			       "control socket %s is in use by another vmx",
			       path);
	}
	if (probe >= 0)
		close(probe);
	(void)unlink(path);
	c->ct_listen_fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->ct_listen_fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	/* Owner only: the socket powers the VM off. */
	if (bind(c->ct_listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(c->ct_listen_fd, 8) < 0)
		return err_set(e, -errno, "control socket %s: %s", path,
			       strerror(errno));
	memcpy(c->ct_path, path, strlen(path) + 1);
	return 0;
}

static void control_free(struct control *c)
{
	if (c == NULL)
		return;
	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->ct_clients[i].cc_conn.ic_fd >= 0)
			close(c->ct_clients[i].cc_conn.ic_fd);
	if (c->ct_listen_fd >= 0) {
		close(c->ct_listen_fd);
		if (c->ct_path[0] != '\0')
			(void)unlink(c->ct_path);
	}
	if (c->ct_wake_fd >= 0)
		close(c->ct_wake_fd);
	pthread_mutex_destroy(&c->ct_ring_lock);
	free(c);
}

int control_start(struct control **cp, struct machine *m, const char *path,
		  const char *name, struct err *e)
{
	struct control *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	c->ct_m = m;
	c->ct_listen_fd = -1;
	pthread_mutex_init(&c->ct_ring_lock, NULL);
	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
		c->ct_clients[i].cc_conn.ic_fd = -1;
	snprintf(c->ct_name, sizeof(c->ct_name), "%s", name ? name : "");
	clock_gettime(CLOCK_MONOTONIC, &c->ct_started);
	c->ct_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->ct_wake_fd < 0) {
		rc = err_set(e, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	rc = control_bind(c, path, e);
	if (rc < 0)
		goto fail;
	if (thread_start(&c->ct_thread, THREAD_STACK_BYTES, control_thread,
			 c) != 0) {
		rc = err_set(e, -EAGAIN, "cannot start the control thread");
		goto fail;
	}
	pthread_setname_np(c->ct_thread, "control");
	machine_set_console_hook(m, control_console_hook, c);
	*cp = c;
	return 0;
fail:
	control_free(c);
	return rc;
}

void control_stop(struct control *c, enum vm_stop_reason reason,
		  int exit_status)
{
	struct ipc_vmx_stopped st = {0};
	uint64_t one = 1;

	if (c == NULL)
		return;
	machine_set_console_hook(c->ct_m, NULL, NULL);
	__atomic_store_n(&c->ct_stop, 1, __ATOMIC_RELEASE);
	if (write(c->ct_wake_fd, &one, sizeof(one)) < 0)
		log_warn("control: cannot wake the control thread");
	pthread_join(c->ct_thread, NULL);
	st.vp_reason = reason_code(reason);
	st.vp_status = (uint32_t)exit_status;
	snprintf(st.vp_detail, sizeof(st.vp_detail), "%s",
		 c->ct_m->m_vm->vm_stop_detail);
	for (int i = 0; i < CONTROL_CLIENTS_MAX; i++)
		if (c->ct_clients[i].cc_conn.ic_fd >= 0 &&
		    c->ct_clients[i].cc_hello)
			if (ipc_send(c->ct_clients[i].cc_conn.ic_fd,
				     IPC_VMX_STOPPED, 0, &st, sizeof(st)) < 0)
				log_debug("control: a client left early");
	control_free(c);
}
