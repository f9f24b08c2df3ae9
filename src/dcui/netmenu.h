/*
 * netmenu.h: the console's management network screens: configure it
 * (NIC, VLAN, IPv4, DNS and host name; applied together once confirmed),
 * restart it, test it (ping and name lookup), restore its defaults. The
 * current setting is read from network.conf (public); every change goes
 * through hostd. Each returns 0, or -1 when the session ended (hostd
 * restarted).
 */
#ifndef BASALT_DCUI_NETMENU_H
#define BASALT_DCUI_NETMENU_H

#include "dcui/api.h"

int netmenu_configure(struct api *a, const char *conf_path);
int netmenu_restart(struct api *a);
int netmenu_test(struct api *a, const char *conf_path);
int netmenu_restore(struct api *a);

#endif
