/*
 * ipc.h: every message Basalt processes exchange, declared once (as vmd's
 * vmd.h declares its imsg types). A frame is a 16-byte header and at most
 * IPC_MAX_BYTES of payload; payloads are fixed-width little-endian structs
 * with their size asserted, or byte strings. The first message on a
 * channel is IPC_HELLO with IPC_VERSION; answers carry the request's id.
 * The encoder and decoder are src/common/ipc.c (fuzzed by ipc_fuzz.c).
 *
 * Channels so far:
 *   vmx control socket (docs/formats/vmx-control.md): a client (hostd,
 *   vmxctl) sends requests, vmx answers IPC_OK, IPC_ERROR or a reply, and
 *   sends IPC_VMX_CONSOLE_DATA and IPC_VMX_STOPPED on its own.
 */
#ifndef BASALT_IPC_H
#define BASALT_IPC_H

#include <stdint.h>

#define IPC_VERSION	  1
#define IPC_HDR_BYTES	  16
#define IPC_MAX_BYTES	  65536 /* payload */
#define IPC_MSG_MAX_BYTES 256	/* text in IPC_ERROR */

struct ipc_hdr {
	uint32_t ih_type;  /* enum ipc_type */
	uint32_t ih_len;   /* payload bytes that follow */
	uint32_t ih_id;	   /* request id; answers repeat it; 0 unsolicited */
	uint32_t ih_flags; /* none defined yet: must be 0 */
};
_Static_assert(sizeof(struct ipc_hdr) == IPC_HDR_BYTES, "ipc header size");

enum ipc_type {
	/* any channel */
	IPC_HELLO = 1, /* struct ipc_hello, both ways, first */
	IPC_OK = 2,    /* empty: the request was carried out */
	IPC_ERROR = 3, /* struct ipc_error, then ie_len bytes of text */
	/* vmx control: requests from the client */
	IPC_VMX_STATUS = 100,	      /* empty; answer IPC_VMX_STATUS_REPLY */
	IPC_VMX_PAUSE = 101,	      /* empty; vCPUs stop, answer IPC_OK */
	IPC_VMX_RESUME = 102,	      /* empty */
	IPC_VMX_POWEROFF = 103,	      /* empty; hard power-off, vmx exits */
	IPC_VMX_SHUTDOWN = 104,	      /* empty; press the ACPI power button */
	IPC_VMX_RESET = 105,	      /* empty; hard reset: vmx exits 3 */
	IPC_VMX_CONSOLE_ATTACH = 106, /* empty; console output follows */
	IPC_VMX_CONSOLE_DETACH = 107, /* empty */
	IPC_VMX_CONSOLE_INPUT = 108,  /* bytes typed on the serial console */
	/* vmx control: from vmx */
	IPC_VMX_STATUS_REPLY = 150, /* struct ipc_vmx_status */
	IPC_VMX_CONSOLE_DATA = 151, /* bytes the guest wrote to COM1 */
	IPC_VMX_STOPPED = 152,	    /* struct ipc_vmx_stopped, last message */
};

struct ipc_hello {
	uint32_t ih_version; /* IPC_VERSION */
	uint32_t ih_pid;     /* sender's process id, for logs */
};
_Static_assert(sizeof(struct ipc_hello) == 8, "ipc_hello size");

struct ipc_error {
	int32_t ie_code; /* negative errno */
	uint32_t ie_len; /* bytes of text after this struct */
};
_Static_assert(sizeof(struct ipc_error) == 8, "ipc_error size");

/* VM states in ipc_vmx_status.vs_state */
enum ipc_vmx_state {
	IPC_VMX_RUNNING = 1,
	IPC_VMX_PAUSED = 2,
	IPC_VMX_STOPPING = 3,
};

/* Why a VM stopped: vs_stop_reason and ipc_vmx_stopped.vp_reason. */
enum ipc_vmx_reason {
	IPC_VMX_REASON_NONE = 0,
	IPC_VMX_REASON_POWEROFF = 1, /* guest powered off (ACPI S5) */
	IPC_VMX_REASON_RESET = 2,    /* guest or client reset */
	IPC_VMX_REASON_CRASH = 3,    /* KVM could not continue the guest */
	IPC_VMX_REASON_REQUEST = 4,  /* a client or signal powered it off */
	IPC_VMX_REASON_ERROR = 5,    /* the monitor failed */
};

struct ipc_vmx_status {
	uint32_t vs_state;	 /* enum ipc_vmx_state */
	uint32_t vs_stop_reason; /* enum ipc_vmx_reason */
	uint32_t vs_vcpus;
	uint32_t vs_pid;
	uint64_t vs_mem_bytes;
	uint64_t vs_uptime_ms;
	uint64_t vs_exits; /* exits to user space, all vCPUs */
	char vs_name[64];  /* display name, NUL-terminated */
};
_Static_assert(sizeof(struct ipc_vmx_status) == 104, "ipc_vmx_status size");

struct ipc_vmx_stopped {
	uint32_t vp_reason;  /* enum ipc_vmx_reason */
	uint32_t vp_status;  /* vmx's exit status */
	char vp_detail[128]; /* "ACPI S5", "i8042 reset", NUL-terminated */
};
_Static_assert(sizeof(struct ipc_vmx_stopped) == 136, "ipc_vmx_stopped size");

#endif
