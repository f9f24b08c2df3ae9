/*
 * control.h: the control socket of one vmx (docs/formats/vmx-control.md):
 * a Unix stream socket on which hostd or vmxctl ask for status, pause,
 * resume, power-off, an ACPI shutdown request, reset, and attach to the
 * serial console. Messages are IPC_VMX_* from include/basalt/ipc.h, served
 * by one thread.
 */
#ifndef BASALT_VMX_CONTROL_H
#define BASALT_VMX_CONTROL_H

#include <stdint.h>

#include "common/err.h"
#include "vmx/machine.h"

#define CONTROL_CLIENTS_MAX	   8
#define CONTROL_CONSOLE_RING_BYTES 65536

struct control;

/*
 * Listen on path (a stale socket file is replaced, a live one is an
 * error) and serve m from a thread of its own. name is the VM's display
 * name for status.
 */
BASALT_MUST_CHECK int control_start(struct control **cp, struct machine *m,
				    const char *path, const char *name,
				    struct err *e);

/* Tell every client the VM stopped (IPC_VMX_STOPPED), then close, join
 * and remove the socket. NULL is a no-op. */
void control_stop(struct control *c, enum vm_stop_reason reason,
		  int exit_status);

#endif
