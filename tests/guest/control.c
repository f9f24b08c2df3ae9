/*
 * control.c: the control socket drives a running VM: status, pause (the
 * vCPU stops running guest code), resume (it runs again), the ACPI power
 * button (the guest sees PWRBTN_STS and ends), and IPC_VMX_STOPPED to the
 * client at the end. The client is a thread of the test speaking the real
 * protocol through src/common/ipc.c.
 */
#include "guest/lib/guest_test.h"

#define HEARTBEAT_PORT 0x514
#define PM1_STS	       0x600
#define PM1_EN	       0x602
#define PWRBTN	       0x100

#ifdef BASALT_GUEST
void guest_code(void)
{
	outw(PM1_EN, PWRBTN);
	for (;;) {
		outb(HEARTBEAT_PORT, 1);
		if (inw(PM1_STS) & PWRBTN) {
			outw(PM1_STS, PWRBTN); /* acknowledge */
			serial_puts("power button\n");
			GUEST_DONE();
		}
	}
}
#else
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/ipc.h"
#include "vmx/control.h"

static struct harness h;
static uint64_t beats;
static char path[108];

/* What the client thread saw, checked by the main thread. */
static struct {
	int hello, running, paused_still, paused_state, resumed, button_ok;
	int stopped_reason;
	char stopped_detail[128];
} seen;

static void beat(void *opaque, uint64_t off, const void *data, unsigned size)
{
	(void)opaque, (void)off, (void)data, (void)size;
	__atomic_add_fetch(&beats, 1, __ATOMIC_RELAXED);
}

static const struct iobus_ops beat_ops = {.write = beat};

static uint64_t beats_now(void)
{
	return __atomic_load_n(&beats, __ATOMIC_RELAXED);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Send type, return the type of the answer (payload into *out). */
static uint32_t ask(struct ipc_conn *c, uint32_t type, uint32_t id,
		    const void *payload, uint32_t len, void *out, size_t outlen)
{
	struct ipc_hdr hd;
	const uint8_t *p;

	if (ipc_send(c->ic_fd, type, id, payload, len) < 0)
		return 0;
	for (;;) {
		int rc = ipc_conn_next(c, &hd, &p);
		if (rc < 0)
			return 0;
		if (rc == 0) {
			if (ipc_conn_read(c) <= 0)
				return 0;
			continue;
		}
		if (hd.ih_id != id)
			continue;
		if (out != NULL && hd.ih_len == outlen)
			memcpy(out, p, outlen);
		return hd.ih_type;
	}
}

static void *client(void *arg)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ipc_hello hello = {.ih_version = IPC_VERSION};
	struct ipc_vmx_status st;
	struct ipc_conn c;
	struct ipc_hdr hd;
	const uint8_t *p;
	uint64_t b0;
	int fd;

	(void)arg;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return NULL;
	ipc_conn_init(&c, fd);
	seen.hello = ask(&c, IPC_HELLO, 1, &hello, sizeof(hello), NULL, 0) ==
		     IPC_HELLO;
	while (beats_now() < 100)
		sleep_ms(1);
	if (ask(&c, IPC_VMX_STATUS, 2, NULL, 0, &st, sizeof(st)) ==
	    IPC_VMX_STATUS_REPLY)
		seen.running = st.vs_state == IPC_VMX_RUNNING &&
			       st.vs_vcpus == 1 && st.vs_exits > 0;
	if (ask(&c, IPC_VMX_PAUSE, 3, NULL, 0, NULL, 0) == IPC_OK) {
		b0 = beats_now();
		sleep_ms(100);
		seen.paused_still = beats_now() == b0;
		if (ask(&c, IPC_VMX_STATUS, 4, NULL, 0, &st, sizeof(st)) ==
		    IPC_VMX_STATUS_REPLY)
			seen.paused_state = st.vs_state == IPC_VMX_PAUSED;
	}
	if (ask(&c, IPC_VMX_RESUME, 5, NULL, 0, NULL, 0) == IPC_OK) {
		b0 = beats_now();
		for (int i = 0; i < 1000 && beats_now() == b0; i++)
			sleep_ms(1);
		seen.resumed = beats_now() > b0;
	}
	seen.button_ok =
		ask(&c, IPC_VMX_SHUTDOWN, 6, NULL, 0, NULL, 0) == IPC_OK;
	/* The last message is IPC_VMX_STOPPED, then the socket closes. */
	for (;;) {
		int rc = ipc_conn_next(&c, &hd, &p);
		if (rc < 0)
			break;
		if (rc == 0) {
			if (ipc_conn_read(&c) <= 0)
				break;
			continue;
		}
		if (hd.ih_type == IPC_VMX_STOPPED &&
		    hd.ih_len == sizeof(struct ipc_vmx_stopped)) {
			struct ipc_vmx_stopped sp;
			memcpy(&sp, p, sizeof(sp));
			seen.stopped_reason = (int)sp.vp_reason;
			memcpy(seen.stopped_detail, sp.vp_detail,
			       sizeof(sp.vp_detail));
		}
	}
	close(fd);
	return NULL;
}

static void pause_resume_and_power_button(void)
{
	struct control *ctl = NULL;
	struct err e = {0};
	pthread_t t;

	snprintf(path, sizeof(path), "/tmp/basalt-ctl-%d.sock", getpid());
	if (harness_init(&h, GUEST_ELF, 0) < 0)
		return;
	CHECK_EQ(iobus_register(&h.h_m->m_vm->vm_pio, HEARTBEAT_PORT, 1,
				&beat_ops, NULL, "heartbeat", &e),
		 0);
	CHECK_EQ(control_start(&ctl, h.h_m, path, "control-test", &e), 0);
	CHECK_EQ(pthread_create(&t, NULL, client, NULL), 0);
	CHECK_EQ(harness_run(&h), 0);
	control_stop(ctl, h.h_m->m_vm->vm_stop, 0);
	pthread_join(t, NULL);
	CHECK(seen.hello);
	CHECK(seen.running);
	CHECK(seen.paused_still);
	CHECK(seen.paused_state);
	CHECK(seen.resumed);
	CHECK(seen.button_ok);
	CHECK_CONTAINS(harness_console(&h), "power button");
	CHECK_EQ(seen.stopped_reason, IPC_VMX_REASON_REQUEST);
	CHECK_STR(seen.stopped_detail, "guest done");
	CHECK(access(path, F_OK) != 0); /* the socket file is removed */
	harness_fini(&h);
}

int main(void)
{
	harness_require_kvm();
	RUN(pause_resume_and_power_button);
	return tap_done();
}
#endif
