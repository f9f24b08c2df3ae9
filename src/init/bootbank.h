/*
 * bootbank.h: which boot bank runs, and an update's trial (issue 8).
 * basalt-update writes the other bank and sets grubenv's try_bank and
 * try_left; GRUB boots it once (try_left 1 -> 0) and, if asked again
 * with no try left, boots the previous bank and sets fallback_from. Here
 * init says which bank runs (/var/run/basalt/boot.status), reports a
 * fallback loudly, and on a trial boot makes the new bank the default
 * once the agents have run for a while, or reboots (into the previous
 * bank) when they have not by the deadline.
 */
#ifndef BASALT_INIT_BOOTBANK_H
#define BASALT_INIT_BOOTBANK_H

#include <stdint.h>

#include "init/disks.h"

#define BOOTBANK_STATUS	     "/var/run/basalt/boot.status"
#define BOOTBANK_GRUBENV     "/bootpart/grub/grubenv"
#define BOOTBANK_HEALTHY_MS  15000  /* the agents ran this long */
#define BOOTBANK_DEADLINE_MS 300000 /* after init started */

struct bank_trial {
	int bt_bank;  /* the bank running, 0 if none */
	int bt_trial; /* an update's first boot, not yet healthy */
	uint64_t bt_deadline_ms;
};

/* At boot, once /bootpart is mounted. */
void bootbank_start(const struct boot_disk *bd, struct bank_trial *t,
		    uint64_t now_ms);

/* On a trial boot: healthy says whether the agents run and have for
 * BOOTBANK_HEALTHY_MS. Returns 1 when the deadline passed (the caller
 * reboots: GRUB then boots the previous bank). */
int bootbank_check(struct bank_trial *t, int healthy, uint64_t now_ms);

#endif
