/*
 * ipc.h (common): framing for the messages in include/basalt/ipc.h: a
 * connection buffer that takes whatever bytes arrived and yields whole
 * frames, checked before anyone reads a payload, and blocking senders.
 */
#ifndef BASALT_COMMON_IPC_H
#define BASALT_COMMON_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "basalt/ipc.h"
#include "common/compiler.h"

struct ipc_conn {
	int ic_fd;
	size_t ic_have;	 /* bytes buffered */
	size_t ic_taken; /* bytes of the frame handed out last */
	uint8_t ic_buf[IPC_HDR_BYTES + IPC_MAX_BYTES];
};

void ipc_conn_init(struct ipc_conn *c, int fd);

/*
 * Check the frame at the start of buf[len]: returns its total size when
 * whole, 0 when more bytes are needed, or a negative errno when the
 * header is invalid (payload too large, flags set). Fills *h.
 */
BASALT_MUST_CHECK long ipc_frame_check(const uint8_t *buf, size_t len,
				       struct ipc_hdr *h);

/*
 * Read what the socket has (one read). Returns bytes read, 0 at end of
 * file, or a negative errno (-EAGAIN when nothing is there).
 */
BASALT_MUST_CHECK long ipc_conn_read(struct ipc_conn *c);

/*
 * The next whole frame: 1 with *h and *payload (valid until the next call),
 * 0 when none is complete, negative errno on a malformed frame (the
 * channel must then be closed).
 */
BASALT_MUST_CHECK int ipc_conn_next(struct ipc_conn *c, struct ipc_hdr *h,
				    const uint8_t **payload);

/* Send one frame, all of it (blocking, no SIGPIPE). 0 or -errno. */
BASALT_MUST_CHECK int ipc_send(int fd, uint32_t type, uint32_t id,
			       const void *payload, uint32_t len);

/* Send IPC_ERROR with code and message. */
BASALT_MUST_CHECK int ipc_send_error(int fd, uint32_t id, int code,
				     const char *msg);

/* Name of a message type, for logs ("IPC_VMX_STATUS", "type 999"). */
const char *ipc_type_name(uint32_t type);

#endif
