/*
 * inventory.h: the registered VMs: ids (the VirtualMachine objects' "1",
 * "2", ...) and their .vmx files, kept in <config root>/vmInventory, and
 * what hostd knows of each one at run time.
 */
#ifndef BASALT_HOSTD_INVENTORY_H
#define BASALT_HOSTD_INVENTORY_H

#include <limits.h>
#include <sys/types.h>
#include <time.h>

#include "common/compiler.h"
#include "common/err.h"

#define INVENTORY_VMS_MAX 4096

struct hostd;

enum vm_power { VM_POWERED_OFF, VM_POWERED_ON, VM_SUSPENDED };

struct vm_entry {
	int ve_id;
	char ve_vmx[PATH_MAX]; /* absolute path of the .vmx file */
	enum vm_power ve_power;
	pid_t ve_pid;	  /* the running vmx, or 0 */
	time_t ve_boot;	  /* when it powered on */
	int ve_stopping;  /* a power-off was asked for: no restart */
	int ve_adopted;	  /* its vmx was started by an earlier hostd */
	int ve_last_exit; /* vmx's exit status, last time */
	int ve_busy;	  /* a power task runs on it */
};

struct inventory {
	struct vm_entry *iv_vms;
	size_t iv_n;
	int iv_next_id;
};

/* Read <confdir>/vmInventory (a missing file is an empty inventory). */
BASALT_MUST_CHECK int inventory_load(struct hostd *h, struct err *e);
/* Write it back, atomically. */
BASALT_MUST_CHECK int inventory_save(struct hostd *h, struct err *e);

struct vm_entry *inventory_find(struct hostd *h, int id);
/* The VM with id text ("3"), or NULL for anything else. */
struct vm_entry *inventory_find_text(struct hostd *h, const char *id);
struct vm_entry *inventory_find_vmx(struct hostd *h, const char *vmx);

/* Register vmx (absolute) under a new id and save; the entry or NULL. */
struct vm_entry *inventory_add(struct hostd *h, const char *vmx, struct err *e);
/* Unregister id and save. */
BASALT_MUST_CHECK int inventory_remove(struct hostd *h, int id, struct err *e);

/* The VM's display name, for events (vim/virtual_machine.c). */
const char *vm_name_of(const struct vm_entry *v);

#endif
