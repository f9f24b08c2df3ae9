/*
 * ipc.c: frame encoding and decoding (see common/ipc.h). The peer may be
 * a less trusted process: sizes are checked before any payload is looked
 * at, and a bad header is an error for the caller to close the channel on.
 */
#include "common/ipc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

void ipc_conn_init(struct ipc_conn *c, int fd)
{
	c->ic_fd = fd;
	c->ic_have = 0;
	c->ic_taken = 0;
}

long ipc_frame_check(const uint8_t *buf, size_t len, struct ipc_hdr *h)
{
	if (len < IPC_HDR_BYTES)
		return 0;
	memcpy(h, buf, IPC_HDR_BYTES);
	if (h->ih_len > IPC_MAX_BYTES || h->ih_flags != 0)
		return -EPROTO;
	if (len < IPC_HDR_BYTES + (size_t)h->ih_len)
		return 0;
	return (long)(IPC_HDR_BYTES + h->ih_len);
}

/* Drop the frame handed out last. */
static void ipc_conn_consume(struct ipc_conn *c)
{
	if (c->ic_taken == 0)
		return;
	memmove(c->ic_buf, c->ic_buf + c->ic_taken, c->ic_have - c->ic_taken);
	c->ic_have -= c->ic_taken;
	c->ic_taken = 0;
}

long ipc_conn_read(struct ipc_conn *c)
{
	ssize_t n;

	ipc_conn_consume(c);
	if (c->ic_have == sizeof(c->ic_buf))
		return -ENOBUFS; /* cannot happen: a frame fits */
	do {
		n = read(c->ic_fd, c->ic_buf + c->ic_have,
			 sizeof(c->ic_buf) - c->ic_have);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	c->ic_have += (size_t)n;
	return n;
}

int ipc_conn_next(struct ipc_conn *c, struct ipc_hdr *h,
		  const uint8_t **payload)
{
	long n;

	ipc_conn_consume(c);
	n = ipc_frame_check(c->ic_buf, c->ic_have, h);
	if (n <= 0)
		return (int)n;
	*payload = c->ic_buf + IPC_HDR_BYTES;
	c->ic_taken = (size_t)n;
	return 1;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int ipc_send(int fd, uint32_t type, uint32_t id, const void *payload,
	     uint32_t len)
{
	uint8_t frame[IPC_HDR_BYTES + IPC_MAX_BYTES];
	struct ipc_hdr h = {.ih_type = type, .ih_len = len, .ih_id = id};

	if (len > IPC_MAX_BYTES)
		return -EMSGSIZE;
	/* One write per frame, so frames from two threads never mix if
	 * the caller serializes per socket. */
	memcpy(frame, &h, sizeof(h));
	if (len > 0)
		memcpy(frame + IPC_HDR_BYTES, payload, len);
	return write_all(fd, frame, IPC_HDR_BYTES + (size_t)len);
}

int ipc_send_error(int fd, uint32_t id, int code, const char *msg)
{
	uint8_t buf[sizeof(struct ipc_error) + IPC_MSG_MAX_BYTES];
	struct ipc_error ie = {.ie_code = code};
	size_t n = strlen(msg);

	if (n > IPC_MSG_MAX_BYTES)
		n = IPC_MSG_MAX_BYTES;
	ie.ie_len = (uint32_t)n;
	memcpy(buf, &ie, sizeof(ie));
	memcpy(buf + sizeof(ie), msg, n);
	return ipc_send(fd, IPC_ERROR, id, buf, (uint32_t)(sizeof(ie) + n));
}

const char *ipc_type_name(uint32_t type)
{
	static __thread char other[24];

	switch (type) {
	case IPC_HELLO:
		return "IPC_HELLO";
	case IPC_OK:
		return "IPC_OK";
	case IPC_ERROR:
		return "IPC_ERROR";
	case IPC_VMX_STATUS:
		return "IPC_VMX_STATUS";
	case IPC_VMX_PAUSE:
		return "IPC_VMX_PAUSE";
	case IPC_VMX_RESUME:
		return "IPC_VMX_RESUME";
	case IPC_VMX_POWEROFF:
		return "IPC_VMX_POWEROFF";
	case IPC_VMX_SHUTDOWN:
		return "IPC_VMX_SHUTDOWN";
	case IPC_VMX_RESET:
		return "IPC_VMX_RESET";
	case IPC_VMX_CONSOLE_ATTACH:
		return "IPC_VMX_CONSOLE_ATTACH";
	case IPC_VMX_CONSOLE_DETACH:
		return "IPC_VMX_CONSOLE_DETACH";
	case IPC_VMX_CONSOLE_INPUT:
		return "IPC_VMX_CONSOLE_INPUT";
	case IPC_VMX_STATUS_REPLY:
		return "IPC_VMX_STATUS_REPLY";
	case IPC_VMX_CONSOLE_DATA:
		return "IPC_VMX_CONSOLE_DATA";
	case IPC_VMX_STOPPED:
		return "IPC_VMX_STOPPED";
	}
	snprintf(other, sizeof(other), "type %u", type);
	return other;
}
