/*
 * event.h: the host's event log (EventManager ha-eventmgr): what
 * happened to VMs and sessions, newest last, kept in a ring in memory and
 * written to hostd's log as it happens.
 */
#ifndef BASALT_HOSTD_EVENT_H
#define BASALT_HOSTD_EVENT_H

#include <time.h>

#include "common/compiler.h"
#include "hostd/vim/mo.h"

#define EVENTS_KEPT 512

struct vim_event {
	int ev_key;
	int ev_chain;
	time_t ev_time;
	char ev_type[40]; /* "VmPoweredOnEvent" */
	char ev_user[VIM_USER_MAX];
	int ev_vm; /* VM id, or 0 */
	char ev_vm_name[96];
	char ev_msg[200];
	char ev_ip[VIM_PEER_MAX]; /* session events */
	char ev_session[VIM_SESSION_KEY_BYTES];
};

/*
 * Record an event of type (a vim.event type name) about VM vm_id (0:
 * none) called vm_name, by user (NULL: the host itself), in task chain
 * chain (0: its own). Under the hostd lock; wakes the waits.
 */
struct vim_event *vim_event_post(struct hostd *h, const char *type,
				 const char *user, int vm_id,
				 const char *vm_name, int chain,
				 const char *fmt, ...) BASALT_PRINTF(7, 8);

extern const struct mo_type mo_event_manager;
extern const struct vim_method vim_event_manager_methods[];

#endif
