/*
 * host.h: what the console asks of hostd, one function per action of
 * its menu, over api.h's session. Each returns 0, or -1 with hostd's
 * reason in e.
 */
#ifndef BASALT_DCUI_HOST_H
#define BASALT_DCUI_HOST_H

#include <stddef.h>

#include "common/err.h"
#include "dcui/api.h"

/* The answer of RetrieveProperties for one property of one object
 * (malloc'd XML, the value in <val>); NULL on error. */
char *host_property(struct api *a, const char *type, const char *id,
		    const char *path, struct err *e);

/* "lockdownDisabled", "lockdownNormal" or "lockdownStrict". */
int host_lockdown_mode(struct api *a, char *mode, size_t size, struct err *e);
int host_set_lockdown(struct api *a, const char *mode, struct err *e);
/* The exception users, comma-separated. */
int host_lockdown_exceptions(struct api *a, char *list, size_t size,
			     struct err *e);

/* Restart hostd and rhttpproxy (VMs keep running); the session ends
 * with them. */
int host_restart_agents(struct api *a, struct err *e);

/* Lines [start, start + lines) of log key ("hostd", "syslog",
 * "vmkernel"); fn(ctx, line) for each; the segment's first and last
 * line numbers in *first and *last (*last is the log's length when
 * start lies beyond it). */
int host_log_page(struct api *a, const char *key, long start, long lines,
		  void (*fn)(void *ctx, const char *line), void *ctx,
		  long *first, long *last, struct err *e);

/* Maintenance mode, then the configuration back to factory defaults;
 * the host then restarts (the appliance reboots). */
int host_reset_config(struct api *a, struct err *e);

/* Reboot (reboot 1) or power off the host, VMs shut down first. */
int host_power(struct api *a, int reboot, struct err *e);

/* Is the support shell (service TSM) on? Turn it on or off. */
int host_shell_running(struct api *a, int *on, struct err *e);
int host_shell_set(struct api *a, int on, struct err *e);

/* An advanced option's value as text; set a long one. */
int host_option(struct api *a, const char *key, char *value, size_t size,
		struct err *e);
int host_set_long_option(struct api *a, const char *key, long value,
			 struct err *e);
/* The syslog settings in one change, checked whole by hostd:
 * Syslog.global.logHost, .logDir, .defaultRotate, .defaultSize. */
int host_set_syslog(struct api *a, const char *hosts, const char *dir,
		    long rotate, long size_kib, struct err *e);

struct support_info {
	char si_product[128]; /* "Basalt 0.1.0 build-..." */
	char si_version[32];
	char si_build[32];
	char si_vendor[128]; /* the machine's maker */
	char si_model[128];
	char si_serial[128];
	char si_uuid[64];
	char si_bios[128];
	char si_api[16]; /* the API version */
};
int host_support_info(struct api *a, struct support_info *si, struct err *e);

/* The management network (HostNetworkSystem). Each applies at once. */
int host_net_vlan(struct api *a, int vlan, struct err *e);
int host_net_uplink(struct api *a, const char *nic, struct err *e);
/* IPv4 by DHCP (address NULL) or static. */
int host_net_ipv4(struct api *a, const char *address, const char *netmask,
		  struct err *e);
int host_net_gateway(struct api *a, const char *gateway, struct err *e);
/* Up to three servers (NULL or "" ends the list). */
int host_net_dns(struct api *a, const char *const servers[3],
		 const char *hostname, const char *domain, struct err *e);
/* Apply the configuration again ("Restart Management Network"). */
int host_net_refresh(struct api *a, struct err *e);

#endif
