/*
 * hostd.h: the management agent's state, one per process.
 */
#ifndef BASALT_HOSTD_HOSTD_H
#define BASALT_HOSTD_HOSTD_H

#include <limits.h>
#include <pthread.h>
#include <time.h>

#include "common/netcfg.h"
#include "common/syslog_send.h"
#include "hostd/adv_options.h"
#include "hostd/helper.h"
#include "hostd/datastore.h"
#include "hostd/inventory.h"
#include "hostd/lockdown.h"
#include "hostd/vim/authorization.h"
#include "hostd/vim/event.h"
#include "hostd/vim/task.h"
#include "hostd/vim/vim.h"

/* Failed logins of one account (session_manager.c); only accounts that
 * exist have one, so names made up cannot push a real one out. */
#define LOCKOUTS_MAX 256
struct lockout {
	char lo_user[VIM_USER_MAX];
	unsigned lo_failures;
	unsigned lo_inflight; /* checks running now (outside the lock) */
	time_t lo_until;      /* locked until then */
	time_t lo_last;	      /* the last attempt */
};

struct hostd {
	char hd_root[PATH_MAX];	      /* hosted mode's root ("./run") */
	char hd_confdir[PATH_MAX];    /* <root>/etc/basalt */
	char hd_rundir[PATH_MAX];     /* <root>/var/run/basalt: sockets */
	char hd_vmx[PATH_MAX];	      /* the vmx binary */
	pthread_cond_t hd_child_cond; /* a vmx was started (reaper) */
	struct helper_slot hd_helpers[HELPERS_MAX]; /* helper.h */
	pthread_cond_t hd_helper_cond;		    /* a helper ended */
	char hd_update_tool[PATH_MAX];		    /* basalt-update */
	int hd_children; /* vmx processes not yet reaped */
	char hd_hostname[256];
	int hd_appliance;  /* under Basalt's init (hostd --appliance) */
	int hd_supervised; /* hosted under scripts/hosted.sh (--supervised) */
	/* Maintenance mode (<confdir>/maintenance exists): no VM powers
	 * on; restore and reset of the configuration may go ahead. */
	int hd_maintenance;
	struct lockdown hd_lockdown; /* lockdown.h */
	struct netcfg hd_net;	     /* the management network's setting */
	/* The interface it goes on (its VLAN's base): the appliance's
	 * vSwitch0, hosted --manage-network's; "": none here. */
	char hd_mgmt_iface[IFNAMSIZ];
	/* Set when hostd ends to be started again (restart management
	 * agents): hosted, it exits with HOSTD_EXIT_RESTART. */
	volatile int hd_restart;
	char hd_instance_uuid[40];
	/* Every API call runs under this lock (one at a time). */
	pthread_mutex_t hd_lock;
	/* Broadcast (vim_changed) when anything a client may watch changes:
	 * property waits sleep on it, under hd_lock. */
	pthread_cond_t hd_changed;
	unsigned long long hd_generation;
	/* Longest a property wait sleeps (vim_init: VIM_WAIT_MAX_S; the
	 * fuzz target makes it 0, so waits only poll). */
	long hd_wait_max_s;
	struct vim_session hd_sessions[VIM_SESSIONS_MAX];
	struct inventory hd_inventory;
	struct datastore hd_datastores[DATASTORES_MAX]; /* datastore_list */
	size_t hd_ndatastores;
	/* Advanced settings set (NULL: the default). */
	char *hd_adv[ADV_OPTIONS_MAX];
	struct authz_store hd_authz; /* roles and permissions */
	struct lockout hd_lockouts[LOCKOUTS_MAX];
	pthread_cond_t hd_login_done; /* a password check ended */
	char hd_dummy_hash[128];      /* auth_init: for unknown names */
	struct syslog_sink hd_syslog; /* audit records (ss_fd -1: none) */
	struct vim_task hd_tasks[TASKS_KEPT]; /* a ring */
	unsigned hd_task_next;
	struct vim_event hd_events[EVENTS_KEPT]; /* a ring */
	unsigned hd_event_next;
};

/* The system user the console (DCUI) acts as. */
#define CONSOLE_USER "dcui"
#define CONSOLE_UID  100 /* its uid (auth.c's system users) */
/* hosted hostd's exit status when it asks to be started again
 * (scripts/hosted.sh does): sysexits' EX_TEMPFAIL. */
#define HOSTD_EXIT_RESTART 75

/* Restart the management agents (hostd and rhttpproxy), VMs running on:
 * the appliance asks init; hosted and --supervised, hostd ends with
 * HOSTD_EXIT_RESTART. After HOST_POWER_DELAY_S, so the call's answer
 * goes out first. 0; -EOPNOTSUPP hosted without a runner; -1 when no
 * thread starts (vim/host_system.c). */
int host_restart_agents(struct hostd *h);

/* The run folder's mark of a running support shell ("until=<epoch>"),
 * read by init (vim/service_system.c). */
#define SHELL_MARK "support-shell"
/* Turn the support shell on or off (the appliance's; -EOPNOTSUPP
 * hosted). */
int service_shell_set(struct hostd *h, int on, struct err *e);
/* At start: the support shell on when its policy says so. */
void service_start_policy(struct hostd *h);

/* Is the host in maintenance mode (vim/host_system.c)? */
int host_maintenance_load(const struct hostd *h);

/* Time for a task's answer to reach the client before init stops hostd. */
#define HOST_POWER_DELAY_S 2
/* Ask init (PID 1) for sig (SIGTERM: reboot, SIGUSR2: power off) after
 * HOST_POWER_DELAY_S, from a thread of its own: 0, or -1 if none
 * started (vim/host_system.c). */
int host_ask_init(int sig);

#endif
