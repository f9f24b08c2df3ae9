/*
 * modules.h: kernel modules by name, alias and device (coldplug), from
 * the indexes the image builder writes into /lib/modules/<release>
 * (modules.dep, modules.alias, modules.softdep, modules.builtin).
 */
#ifndef BASALT_INIT_MODULES_H
#define BASALT_INIT_MODULES_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

struct mod_index {
	char mi_dir[256];   /* /lib/modules/<release> */
	char *mi_dep;	    /* modules.dep, NUL-terminated */
	char *mi_alias;	    /* modules.alias */
	char *mi_softdep;   /* modules.softdep */
	char *mi_builtin;   /* modules.builtin */
	unsigned mi_loaded; /* modules this process loaded */
	/* Modaliases coldplug has handled (FNV-1a hashes): each later pass
	 * probes only devices that are new. */
	uint64_t *mi_seen;
	size_t mi_nseen, mi_capseen;
};

/* Read the indexes under dir (NULL: /lib/modules/`uname -r`). */
int mod_index_open(struct mod_index *mi, const char *dir, struct err *e);
void mod_index_close(struct mod_index *mi);

/*
 * Load the module called name (a module's name or an alias such as
 * "fs-vfat" or a device's modalias) with what it needs first. 1 if
 * something matched (loaded now, before, or built in), 0 if nothing
 * did, -errno if loading failed (e says why).
 */
int mod_probe(struct mod_index *mi, const char *name, struct err *e);

/*
 * The modules a modalias (or alias) matches, by their names, each
 * passed to fn; returns how many. Exposed for the unit tests.
 */
size_t mod_match_alias(const struct mod_index *mi, const char *alias,
		       void (*fn)(const char *module, void *arg), void *arg);

/*
 * Coldplug: load the drivers of every device in /sys/devices that has
 * one (its modalias), again until a pass loads nothing new. Returns the
 * number of modules loaded.
 */
unsigned mod_coldplug(struct mod_index *mi);

/* The kernel's modprobe (argv as /sbin/modprobe gets it): exit status. */
int mod_modprobe_main(int argc, char **argv);

#endif
