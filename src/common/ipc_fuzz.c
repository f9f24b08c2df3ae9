/*
 * ipc_fuzz.c: libFuzzer target for IPC framing (ipc.c). The input is a
 * byte stream as a peer would send it, fed through a socketpair in
 * pieces; every frame handed out must be whole and within limits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ipc_conn c;
	struct ipc_hdr h;
	const uint8_t *p;
	int sv[2];

	if (size > 4 * (IPC_HDR_BYTES + IPC_MAX_BYTES))
		return 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 0;
	ipc_conn_init(&c, sv[0]);
	while (size > 0) {
		/* The first byte of each piece says how long the piece is. */
		size_t piece = 1 + data[0] * 97u % 4096;
		if (piece > size)
			piece = size;
		if (write(sv[1], data, piece) != (ssize_t)piece)
			break;
		data += piece;
		size -= piece;
		if (ipc_conn_read(&c) < 0)
			break;
		for (;;) {
			int rc = ipc_conn_next(&c, &h, &p);
			if (rc <= 0) {
				if (rc < 0)
					size = 0; /* the channel is closed */
				break;
			}
			/* Oracle: the frame is whole and within limits. */
			if (h.ih_len > IPC_MAX_BYTES || h.ih_flags != 0 ||
			    p + h.ih_len > c.ic_buf + c.ic_have)
				abort();
		}
	}
	close(sv[0]);
	close(sv[1]);
	return 0;
}
