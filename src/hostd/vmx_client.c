/*
 * vmx_client.c: connect, hello, one request, its answer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/ipc.h"
#include "hostd/vmx_client.h"

/* The answer to request id (other frames skipped); 0 or -errno. */
static int await(struct ipc_conn *c, uint32_t id, struct ipc_hdr *h,
		 const uint8_t **p)
{
	for (;;) {
		int rc = ipc_conn_next(c, h, p);
		long n;
		if (rc < 0)
			return -EPROTO;
		if (rc > 0) {
			if (h->ih_id == id)
				return 0;
			continue;
		}
		n = ipc_conn_read(c);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && n != -EINTR)
			return (int)n;
	}
}

int vmx_request(const char *sock, uint32_t type, struct ipc_vmx_status *status,
		struct err *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {.tv_sec = VMX_CLIENT_TIMEOUT_MS / 1000,
			     .tv_usec = VMX_CLIENT_TIMEOUT_MS % 1000 * 1000};
	struct ipc_hello hello = {.ih_version = IPC_VERSION,
				  .ih_pid = (uint32_t)getpid()};
	struct ipc_conn *c;
	struct ipc_hdr h;
	const uint8_t *p;
	int fd, rc;

	if (strlen(sock) >= sizeof(sa.sun_path))
		return err_set(e, -ENAMETOOLONG, "%s: path too long", sock);
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = err_set(e, -errno, "%s: %s", sock, strerror(errno));
		close(fd);
		return rc;
	}
	c = malloc(sizeof(*c));
	if (c == NULL) {
		close(fd);
		return err_set(e, -ENOMEM, "out of memory");
	}
	ipc_conn_init(c, fd);
	rc = ipc_send(fd, IPC_HELLO, 1, &hello, sizeof(hello));
	if (rc == 0)
		rc = await(c, 1, &h, &p);
	if (rc == 0 && h.ih_type != IPC_HELLO)
		rc = -EPROTO;
	if (rc == 0)
		rc = ipc_send(fd, type, 2, NULL, 0);
	if (rc == 0)
		rc = await(c, 2, &h, &p);
	if (rc == 0 && h.ih_type == IPC_ERROR) {
		struct ipc_error ie = {0};
		if (h.ih_len >= sizeof(ie))
			memcpy(&ie, p, sizeof(ie));
		rc = err_set(e, ie.ie_code < 0 ? ie.ie_code : -EIO, "vmx: %.*s",
			     (int)(h.ih_len > sizeof(ie) ? h.ih_len - sizeof(ie)
							 : 0),
			     (const char *)p + sizeof(ie));
	} else if (rc == 0 && type == IPC_VMX_STATUS) {
		if (h.ih_type != IPC_VMX_STATUS_REPLY ||
		    h.ih_len != sizeof(*status))
			rc = -EPROTO;
		else if (status != NULL)
			memcpy(status, p, sizeof(*status));
	}
	if (rc < 0 && e != NULL && e->e_code == 0)
		err_set(e, rc, "%s: %s", sock, strerror(-rc));
	close(fd);
	free(c);
	return rc;
}
