/*
 * vmxctl: talk to a running vmx over its control socket
 * (docs/formats/vmx-control.md).
 *
 *   vmxctl SOCKET status | pause | resume | poweroff | shutdown | reset
 *   vmxctl SOCKET console   copy the serial console to stdout and stdin
 *                           to the guest, until the VM stops
 *   vmxctl SOCKET wait      wait until the VM stops; print why
 *
 * Exit status: 0 done, 1 the request failed (the message says why),
 * 2 bad usage or no such socket.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ipc.h"

static struct ipc_conn conn;

static const char *state_name(uint32_t s)
{
	return s == IPC_VMX_RUNNING    ? "running"
	       : s == IPC_VMX_PAUSED   ? "paused"
	       : s == IPC_VMX_STOPPING ? "stopping"
				       : "unknown";
}

static const char *reason_name(uint32_t r)
{
	static const char *const names[] = {"none",  "poweroff",  "reset",
					    "crash", "requested", "error"};

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "unknown";
}

/* Next frame, reading as needed; 0 at end of stream. Exits on errors. */
static int next_frame(struct ipc_hdr *h, const uint8_t **p)
{
	for (;;) {
		int rc = ipc_conn_next(&conn, h, p);
		long n;
		if (rc > 0)
			return 1;
		if (rc < 0) {
			fprintf(stderr, "vmxctl: malformed answer from vmx\n");
			exit(1);
		}
		n = ipc_conn_read(&conn);
		if (n == 0)
			return 0;
		if (n < 0 && n != -EINTR) {
			fprintf(stderr, "vmxctl: read: %s\n",
				strerror((int)-n));
			exit(1);
		}
	}
}

static void print_stopped(const uint8_t *p, uint32_t len)
{
	struct ipc_vmx_stopped st;

	if (len != sizeof(st))
		return;
	memcpy(&st, p, sizeof(st));
	st.vp_detail[sizeof(st.vp_detail) - 1] = '\0';
	printf("stopped: %s (%s), vmx exit status %u\n",
	       reason_name(st.vp_reason), st.vp_detail, st.vp_status);
}

/* Wait for the answer to request id, printing console data meanwhile. */
static int await(uint32_t id, uint32_t *type, const uint8_t **p, uint32_t *len)
{
	struct ipc_hdr h;

	while (next_frame(&h, p)) {
		if (h.ih_type == IPC_VMX_CONSOLE_DATA) {
			fwrite(*p, 1, h.ih_len, stdout);
			continue;
		}
		if (h.ih_type == IPC_VMX_STOPPED) {
			print_stopped(*p, h.ih_len);
			continue;
		}
		if (h.ih_id != id)
			continue;
		*type = h.ih_type;
		*len = h.ih_len;
		return 0;
	}
	fprintf(stderr, "vmxctl: vmx closed the connection\n");
	return -1;
}

static int request(uint32_t type, uint32_t id, const void *payload,
		   uint32_t plen)
{
	uint32_t rtype, len;
	const uint8_t *p;

	if (ipc_send(conn.ic_fd, type, id, payload, plen) < 0 ||
	    await(id, &rtype, &p, &len) < 0)
		return 1;
	if (rtype == IPC_ERROR) {
		struct ipc_error ie = {0};
		if (len >= sizeof(ie))
			memcpy(&ie, p, sizeof(ie));
		fprintf(stderr, "vmxctl: %s: %.*s\n", ipc_type_name(type),
			(int)(len > sizeof(ie) ? len - sizeof(ie) : 0),
			p + sizeof(ie));
		return 1;
	}
	if (rtype == IPC_VMX_STATUS_REPLY &&
	    len == sizeof(struct ipc_vmx_status)) {
		struct ipc_vmx_status st;
		memcpy(&st, p, sizeof(st));
		st.vs_name[sizeof(st.vs_name) - 1] = '\0';
		printf("name: %s\nstate: %s\nvcpus: %u\nmemory_mib: %llu\n"
		       "pid: %u\nuptime_ms: %llu\nexits: %llu\n",
		       st.vs_name, state_name(st.vs_state), st.vs_vcpus,
		       (unsigned long long)(st.vs_mem_bytes >> 20), st.vs_pid,
		       (unsigned long long)st.vs_uptime_ms,
		       (unsigned long long)st.vs_exits);
	}
	return rtype == IPC_ERROR ? 1 : 0;
}

/* Stream the console until the VM stops; stdin goes to the guest. */
static int console(void)
{
	uint8_t buf[4096];
	int stdin_open = 1;
	uint32_t id = 100;

	if (request(IPC_VMX_CONSOLE_ATTACH, 2, NULL, 0) != 0)
		return 1;
	fflush(stdout);
	for (;;) {
		struct pollfd pfd[2] = {{.fd = conn.ic_fd, .events = POLLIN},
					{.fd = 0, .events = POLLIN}};
		struct ipc_hdr h;
		const uint8_t *p;
		int rc;
		if (poll(pfd, stdin_open ? 2 : 1, -1) < 0 && errno != EINTR)
			return 1;
		if (stdin_open && (pfd[1].revents & (POLLIN | POLLHUP))) {
			ssize_t n = read(0, buf, sizeof(buf));
			if (n <= 0)
				stdin_open = 0;
			else if (ipc_send(conn.ic_fd, IPC_VMX_CONSOLE_INPUT,
					  id++, buf, (uint32_t)n) < 0)
				return 1;
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			continue;
		if (ipc_conn_read(&conn) <= 0)
			return 0;
		while ((rc = ipc_conn_next(&conn, &h, &p)) > 0) {
			if (h.ih_type == IPC_VMX_CONSOLE_DATA)
				fwrite(p, 1, h.ih_len, stdout);
			else if (h.ih_type == IPC_VMX_STOPPED)
				print_stopped(p, h.ih_len);
		}
		fflush(stdout);
		if (rc < 0)
			return 1;
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ipc_hello hello = {.ih_version = IPC_VERSION};
	static const struct {
		const char *name;
		uint32_t type;
	} cmds[] = {
		{"status", IPC_VMX_STATUS},	{"pause", IPC_VMX_PAUSE},
		{"resume", IPC_VMX_RESUME},	{"poweroff", IPC_VMX_POWEROFF},
		{"shutdown", IPC_VMX_SHUTDOWN}, {"reset", IPC_VMX_RESET},
	};
	uint32_t rtype, len;
	const uint8_t *p;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: vmxctl SOCKET status|pause|resume|"
				"poweroff|shutdown|reset|console|wait\n");
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "vmxctl: socket path too long\n");
		return 2;
	}
	memcpy(sa.sun_path, argv[1], strlen(argv[1]) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "vmxctl: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	ipc_conn_init(&conn, fd);
	hello.ih_pid = (uint32_t)getpid();
	if (ipc_send(fd, IPC_HELLO, 1, &hello, sizeof(hello)) < 0 ||
	    await(1, &rtype, &p, &len) < 0 || rtype != IPC_HELLO) {
		fprintf(stderr, "vmxctl: %s: no hello from vmx\n", argv[1]);
		return 1;
	}
	if (strcmp(argv[2], "console") == 0)
		return console();
	if (strcmp(argv[2], "wait") == 0) {
		struct ipc_hdr h;
		while (next_frame(&h, &p))
			if (h.ih_type == IPC_VMX_STOPPED) {
				print_stopped(p, h.ih_len);
				return 0;
			}
		return 1;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[2], cmds[i].name) == 0)
			return request(cmds[i].type, 2, NULL, 0);
	fprintf(stderr, "vmxctl: unknown command '%s'\n", argv[2]);
	return 2;
}
