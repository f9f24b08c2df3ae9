/*
 * crash.h: crash dumps on the core-dump partition, mounted at /var/core
 * (issue 8). The kernel's last messages before a crash come back after
 * the reboot through pstore (ramoops: reserved memory the next boot
 * finds, boot options ramoops.*) and are copied there as
 * kernel-<time>-<record>.txt; an agent's core dump goes there as
 * <program>-<pid>.core through the kernel's core pipe to this binary
 * ("init core ..."). The newest CRASH_KEEP of each kind stay. hostd
 * serves them to administrators at /host/core/.
 */
#ifndef BASALT_INIT_CRASH_H
#define BASALT_INIT_CRASH_H

#include "init/modules.h"

#define CRASH_DIR	     "/var/core"
#define CRASH_KEEP	     6
#define CRASH_CORE_MAX_BYTES (48u << 20)

/* At boot, once /var/core is mounted: route core dumps to us, and
 * collect what pstore kept of a crash before this boot. */
void crash_setup(struct mod_index *mi);

/* The kernel's core pipe: argv "core" program pid signal; the core on
 * stdin. */
int crash_core_main(int argc, char **argv);

#endif
