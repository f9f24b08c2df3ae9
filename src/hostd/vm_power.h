/*
 * vm_power.h: running VMs: one vmx process each, started by hostd with
 * the VM's .vmx file and a control socket in hostd's run directory,
 * reaped by a thread of hostd's; a guest reboot (vmx exit status 3)
 * starts vmx again, as a reboot keeps the VM on.
 */
#ifndef BASALT_HOSTD_VM_POWER_H
#define BASALT_HOSTD_VM_POWER_H

#include <stddef.h>

#include "common/compiler.h"
#include "common/err.h"

struct hostd;
struct vm_entry;

/* Find vmx (vmx_path, or beside hostd's own binary), start the reaper,
 * and take over VMs whose vmx still runs from an earlier hostd. */
BASALT_MUST_CHECK int vm_power_init(struct hostd *h, const char *vmx_path,
				    struct err *e);
/* At a clean stop: with guest_wait_s, press every running VM's power
 * button and wait that long for the guests to shut down; then power
 * off what still runs (nothing is left running). Takes the hostd lock. */
void vm_power_shutdown(struct hostd *h, int guest_wait_s);

void vm_socket_path(struct hostd *h, int id, char *buf, size_t size);

/* Start v's vmx (under the lock); v is then poweredOn. */
BASALT_MUST_CHECK int vm_spawn(struct hostd *h, struct vm_entry *v,
			       struct err *e);

/* The last line of v's vmware.log, for a task's error. */
void vm_log_tail(const struct vm_entry *v, char *buf, size_t size);

#endif
