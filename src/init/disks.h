/*
 * disks.h: the boot disk (found by the boot bank GRUB booted, which it
 * names on the kernel command line), its partitions mounted, and the
 * datastores: every Basalt datastore partition mounted under
 * /vmfs/volumes/<label>; on first boot, empty disks made datastores.
 */
#ifndef BASALT_INIT_DISKS_H
#define BASALT_INIT_DISKS_H

#include "common/err.h"

#define DISK_NAME_MAX 32

struct boot_disk {
	char bd_disk[DISK_NAME_MAX];	/* "sda" */
	char bd_bank[DISK_NAME_MAX];	/* the partition booted from */
	char bd_altbank[DISK_NAME_MAX]; /* the other bank */
	char bd_store[DISK_NAME_MAX];
	char bd_bootpart[DISK_NAME_MAX]; /* GRUB's FAT partition */
	char bd_coredump[DISK_NAME_MAX];
	int bd_bank_no; /* 1 or 2 */
};

/* Find the disk holding the partition whose GPT unique GUID is
 * bank_uuid, and name its partitions. */
int disks_find_boot(const char *bank_uuid, struct boot_disk *bd, struct err *e);

/* Mount /bootbank, /altbootbank, /store and /bootpart (what exists). */
void disks_mount_boot(const struct boot_disk *bd);

/*
 * Mount every datastore partition of every disk but the boot disk under
 * /vmfs/volumes; with format set (first boot), first make each empty
 * disk one datastore (GPT, ext4 labelled datastoreN). Returns how many
 * are mounted.
 */
int disks_datastores(const struct boot_disk *bd, int format);

/* Unmount what disks_* mounted, datastores first (at shutdown). */
void disks_unmount_all(void);

#endif
