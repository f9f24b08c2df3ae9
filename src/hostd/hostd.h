/*
 * hostd.h: the management agent's state, one per process.
 */
#ifndef BASALT_HOSTD_HOSTD_H
#define BASALT_HOSTD_HOSTD_H

#include <limits.h>
#include <pthread.h>

#include "hostd/vim/vim.h"

struct hostd {
	char hd_root[PATH_MAX];	   /* hosted mode's root ("./run") */
	char hd_confdir[PATH_MAX]; /* <root>/etc/basalt */
	char hd_hostname[256];
	char hd_instance_uuid[40];
	/* Every API call runs under this lock (one at a time). */
	pthread_mutex_t hd_lock;
	struct vim_session hd_sessions[VIM_SESSIONS_MAX];
};

#endif
