/*
 * vmx_client.h: hostd's side of a vmx control socket (include/basalt/
 * ipc.h): one request at a time, each on a connection of its own, with a
 * timeout, so a stuck vmx cannot hold hostd.
 */
#ifndef BASALT_HOSTD_VMX_CLIENT_H
#define BASALT_HOSTD_VMX_CLIENT_H

#include <stdint.h>

#include "basalt/ipc.h"
#include "common/compiler.h"
#include "common/err.h"

#define VMX_CLIENT_TIMEOUT_MS 5000

/* Send type (IPC_VMX_*) to the vmx at sock; for IPC_VMX_STATUS, *status
 * gets the answer. 0, or a negative errno with e saying why. */
BASALT_MUST_CHECK int vmx_request(const char *sock, uint32_t type,
				  struct ipc_vmx_status *status, struct err *e);

#endif
