/*
 * logview.h: a host log on the whole screen (the reference's "View
 * System Logs"): its last LOGVIEW_LINES_MAX lines from hostd's
 * DiagnosticManager, scrolled and searched.
 */
#ifndef BASALT_DCUI_LOGVIEW_H
#define BASALT_DCUI_LOGVIEW_H

#include "dcui/api.h"

#define LOGVIEW_LINES_MAX 5000

/* Show log key ("hostd", "syslog", "vmkernel", "rhttpproxy") until q
 * or Esc. 0, or -1 when the session ended (hostd restarted). */
int logview_show(struct api *a, const char *key, const char *label);

#endif
