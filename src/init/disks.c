/*
 * disks.c: the boot disk's partitions and the datastores (disks.h).
 * Disks are untrusted input: a table is parsed by gpt.c with every
 * check, and a disk is formatted only when its first and last MiB are
 * all zero (no table, no file system, nothing a user might miss).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "init/agents.h"
#include "init/disks.h"
#include "init/gpt.h"

#define HEAD_BYTES	    (1u << 20) /* what is read of a disk's start */
#define DISKS_MAX	    64
#define DATASTORE_MIN_BYTES (1ull << 30)
#define PART_WAIT_MS	    10000
#define VOLUMES		    "/vmfs/volumes"
#define MKE2FS		    "/sbin/mke2fs"
#define EXT4_MAGIC	    0xef53

static void sys_line(const char *disk, const char *file, char *buf, size_t size)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/block/%s/%s", disk, file);
	file_read_line(path, buf, size);
}

static unsigned long long sys_num(const char *disk, const char *file)
{
	char v[32];

	sys_line(disk, file, v, sizeof(v));
	return strtoull(v, NULL, 10);
}

/* Whole disks a datastore or the boot disk may be: not loop, RAM,
 * optical or device-mapper devices. */
static size_t list_disks(char (*out)[DISK_NAME_MAX], size_t max)
{
	static const char *const skip[] = {"loop", "ram", "zram", "sr",
					   "dm-",  "md",  "fd"};
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < max) {
		int bad = de->d_name[0] == '.' ||
			  strlen(de->d_name) >= DISK_NAME_MAX;
		for (size_t i = 0; !bad && i < sizeof(skip) / sizeof(*skip);
		     i++)
			bad = strncmp(de->d_name, skip[i], strlen(skip[i])) ==
			      0;
		if (!bad)
			snprintf(out[n++], DISK_NAME_MAX, "%s", de->d_name);
	}
	closedir(d);
	qsort(out, n, DISK_NAME_MAX,
	      (int (*)(const void *, const void *))strcmp);
	return n;
}

/* The partition of disk numbered index ("sda3", "nvme0n1p3"). */
static int part_name(const char *disk, unsigned index, char *out, size_t size)
{
	char path[256];
	DIR *d;
	struct dirent *de;
	int found = 0;

	snprintf(path, sizeof(path), "/sys/block/%s", disk);
	d = opendir(path);
	if (d == NULL)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		char f[600], v[16];
		if (strncmp(de->d_name, disk, strlen(disk)) != 0)
			continue;
		snprintf(f, sizeof(f), "%s/%s/partition", path, de->d_name);
		file_read_line(f, v, sizeof(v));
		if (v[0] != '\0' && strtoul(v, NULL, 10) == index &&
		    strlen(de->d_name) < size) {
			memcpy(out, de->d_name, strlen(de->d_name) + 1);
			found = 1;
		}
	}
	closedir(d);
	return found;
}

static unsigned sector_of(const char *disk)
{
	unsigned long long s = sys_num(disk, "queue/logical_block_size");

	return s >= 512 && s <= 65536 ? (unsigned)s : 512;
}

/* Read the first HEAD_BYTES of /dev/disk and parse its GPT. */
static int read_gpt(const char *disk, struct gpt *g, uint8_t *head,
		    struct err *e)
{
	char dev[64];
	int fd, rc;
	ssize_t n;

	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", dev, strerror(errno));
	n = pread(fd, head, HEAD_BYTES, 0);
	close(fd);
	if (n < 0)
		return err_set(e, -errno, "%s: %s", dev, strerror(errno));
	memset(head + n, 0, HEAD_BYTES - (size_t)n);
	rc = gpt_parse(head, (size_t)n, sector_of(disk), g, e);
	if (rc < 0)
		err_set(e, e->e_code, "%s: %s", dev, err_msg(e));
	return rc;
}

int disks_find_boot(const char *bank_uuid, struct boot_disk *bd, struct err *e)
{
	char disks[DISKS_MAX][DISK_NAME_MAX];
	uint8_t want[16];
	size_t n = list_disks(disks, DISKS_MAX);
	uint8_t *head = malloc(HEAD_BYTES);
	struct gpt *g = malloc(sizeof(*g));
	int rc = -1;

	memset(bd, 0, sizeof(*bd));
	if (head == NULL || g == NULL) {
		err_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	if (bank_uuid == NULL || gpt_guid_parse(bank_uuid, want) < 0) {
		err_set(e, -EINVAL,
			"no boot bank on the command line (basalt.bootbank=)");
		goto out;
	}
	for (size_t i = 0; i < n && rc < 0; i++) {
		struct err pe;
		if (read_gpt(disks[i], g, head, &pe) <= 0)
			continue;
		for (size_t k = 0; k < g->g_nparts; k++) {
			if (memcmp(g->g_parts[k].gp_uuid, want, 16) == 0) {
				rc = 0;
				snprintf(bd->bd_disk, sizeof(bd->bd_disk), "%s",
					 disks[i]);
				bd->bd_bank_no = strcmp(g->g_parts[k].gp_name,
							"bootbank2") == 0
							 ? 2
							 : 1;
			}
		}
		if (rc < 0)
			continue;
		for (size_t k = 0; k < g->g_nparts; k++) {
			const struct gpt_part *p = &g->g_parts[k];
			char *slot = NULL;
			if (strcmp(p->gp_name, "bootbank1") == 0)
				slot = bd->bd_bank_no == 1 ? bd->bd_bank
							   : bd->bd_altbank;
			else if (strcmp(p->gp_name, "bootbank2") == 0)
				slot = bd->bd_bank_no == 2 ? bd->bd_bank
							   : bd->bd_altbank;
			else if (strcmp(p->gp_name, "store") == 0)
				slot = bd->bd_store;
			else if (strcmp(p->gp_name, "boot") == 0)
				slot = bd->bd_bootpart;
			else if (memcmp(p->gp_type, gpt_type_coredump, 16) == 0)
				slot = bd->bd_coredump;
			if (slot != NULL)
				part_name(disks[i], p->gp_index, slot,
					  DISK_NAME_MAX);
		}
	}
	if (rc < 0)
		err_set(e, -ENOENT, "no disk holds boot bank %s", bank_uuid);
out:
	free(head);
	free(g);
	return rc;
}

static void mount_one(const char *part, const char *dir, const char *fs,
		      unsigned long flags, const char *opts)
{
	char dev[64];

	if (part[0] == '\0')
		return;
	snprintf(dev, sizeof(dev), "/dev/%s", part);
	if (file_mkdirs(dir) < 0 || mount(dev, dir, fs, flags, opts) < 0)
		log_warn("mount %s on %s", dev, dir);
	else
		log_info("mounted %s on %s", dev, dir);
}

void disks_mount_boot(const struct boot_disk *bd)
{
	mount_one(bd->bd_bank, "/bootbank", "ext4", MS_NOATIME, NULL);
	mount_one(bd->bd_altbank, "/altbootbank", "ext4", MS_NOATIME, NULL);
	mount_one(bd->bd_store, "/store", "ext4", MS_NOATIME, NULL);
	mount_one(bd->bd_coredump, "/var/core", "ext4",
		  MS_NOATIME | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	/* Root's only (an answer file may hold a password); UTF-8 names
	 * (the kernel's default character set is ASCII). */
	mount_one(bd->bd_bootpart, "/bootpart", "vfat",
		  MS_NOATIME | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "iocharset=utf8,codepage=437,umask=0077");
}

/* The ext4 label of /dev/part into label ("" if not ext4). */
static void ext4_label(const char *part, char *label, size_t size)
{
	char dev[64];
	uint8_t sb[1024];
	int fd;

	label[0] = '\0';
	snprintf(dev, sizeof(dev), "/dev/%s", part);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (pread(fd, sb, sizeof(sb), 1024) == (ssize_t)sizeof(sb) &&
	    (sb[56] | sb[57] << 8) == EXT4_MAGIC) {
		size_t n = 0;
		for (; n < 16 && n + 1 < size && sb[120 + n] != 0; n++)
			label[n] = sb[120 + n] >= 0x20 && sb[120 + n] < 0x7f &&
						   sb[120 + n] != '/'
					   ? (char)sb[120 + n]
					   : '_';
		label[n] = '\0';
	}
	close(fd);
}

static int mounted_as(const char *name)
{
	char path[128];
	struct stat st, parent;

	snprintf(path, sizeof(path), VOLUMES "/%s", name);
	return stat(path, &st) == 0 && stat(VOLUMES, &parent) == 0 &&
	       st.st_dev != parent.st_dev;
}

static int mount_datastore(const char *part)
{
	char label[32], dir[160], dev[64];

	ext4_label(part, label, sizeof(label));
	if (label[0] == '\0' || label[0] == '.') {
		log_warnx("/dev/%s: a datastore partition without an ext4 "
			  "label; left alone",
			  part);
		return 0;
	}
	if (mounted_as(label)) {
		log_warnx("/dev/%s: a datastore called %s is mounted "
			  "already; left alone",
			  part, label);
		return 0;
	}
	snprintf(dir, sizeof(dir), VOLUMES "/%s", label);
	snprintf(dev, sizeof(dev), "/dev/%s", part);
	if (file_mkdirs(dir) < 0 ||
	    mount(dev, dir, "ext4", MS_NOATIME, NULL) < 0) {
		log_warn("datastore %s (%s)", label, dev);
		return 0;
	}
	log_info("datastore %s on %s", label, dev);
	return 1;
}

static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

/* Nothing on it: the first and the last MiB read as zeros. */
static int disk_empty(const char *disk, const uint8_t *head,
		      unsigned long long bytes)
{
	char dev[64];
	uint8_t *tail;
	int fd, empty = 0;

	if (!all_zero(head, HEAD_BYTES) || bytes < 2 * HEAD_BYTES)
		return 0;
	tail = malloc(HEAD_BYTES);
	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	fd = open(dev, O_RDONLY | O_CLOEXEC);
	if (tail != NULL && fd >= 0 &&
	    pread(fd, tail, HEAD_BYTES, (off_t)(bytes - HEAD_BYTES)) ==
		    (ssize_t)HEAD_BYTES)
		empty = all_zero(tail, HEAD_BYTES);
	if (fd >= 0)
		close(fd);
	free(tail);
	return empty;
}

static void next_label(char *out, size_t size)
{
	for (int i = 1; i < 1000; i++) {
		char path[96];
		struct stat st;
		snprintf(out, size, "datastore%d", i);
		snprintf(path, sizeof(path), VOLUMES "/%s", out);
		if (stat(path, &st) < 0)
			return;
	}
}

/* An empty disk becomes one datastore: a GPT, one partition, ext4. */
static int format_disk(const char *disk, unsigned long long bytes)
{
	char dev[64], part[DISK_NAME_MAX], pdev[64], label[32];
	uint8_t uuid[16];
	struct err e;
	int fd;

	snprintf(dev, sizeof(dev), "/dev/%s", disk);
	if (getrandom(uuid, sizeof(uuid), 0) != (ssize_t)sizeof(uuid))
		return -1;
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		log_warn("%s", dev);
		return -1;
	}
	if (gpt_write_one(fd, bytes, sector_of(disk), gpt_type_datastore, uuid,
			  "datastore", &e) < 0) {
		log_warnx("%s: %s", dev, err_msg(&e));
		close(fd);
		return -1;
	}
	if (ioctl(fd, BLKRRPART) < 0)
		log_warn("%s: reading the new table", dev);
	close(fd);
	for (int ms = 0; !part_name(disk, 1, part, sizeof(part)); ms += 50) {
		if (ms >= PART_WAIT_MS) {
			log_warnx("%s: its new partition did not appear", dev);
			return -1;
		}
		nanosleep(&(struct timespec){0, 50000000}, NULL);
	}
	snprintf(pdev, sizeof(pdev), "/dev/%s", part);
	next_label(label, sizeof(label));
	log_info("%s: empty; formatting it as %s (ext4 on %s)", dev, label,
		 pdev);
	const char *argv[] = {MKE2FS, "-q", "-F",  "-t", "ext4", "-m",
			      "0",    "-L", label, pdev, NULL};
	if (agent_run(argv) != 0) {
		log_warnx("%s: mke2fs failed", pdev);
		return -1;
	}
	return 0;
}

int disks_datastores(const struct boot_disk *bd, int format)
{
	char disks[DISKS_MAX][DISK_NAME_MAX];
	size_t n = list_disks(disks, DISKS_MAX);
	uint8_t *head = malloc(HEAD_BYTES);
	struct gpt *g = malloc(sizeof(*g));
	int mounted = 0;

	if (head == NULL || g == NULL)
		goto out;
	if (file_mkdirs(VOLUMES) < 0)
		log_warn("%s", VOLUMES);
	for (size_t i = 0; i < n; i++) {
		unsigned long long bytes = sys_num(disks[i], "size") * 512;
		struct err e;
		int rc;
		if (strcmp(disks[i], bd->bd_disk) == 0)
			continue;
		rc = read_gpt(disks[i], g, head, &e);
		if (rc < 0) {
			log_warnx("%s; disk left alone", err_msg(&e));
			continue;
		}
		if (rc == 0 && format && bytes >= DATASTORE_MIN_BYTES &&
		    sys_num(disks[i], "removable") == 0 &&
		    sys_num(disks[i], "ro") == 0 &&
		    disk_empty(disks[i], head, bytes) &&
		    format_disk(disks[i], bytes) == 0)
			rc = read_gpt(disks[i], g, head, &e);
		if (rc <= 0)
			continue;
		for (size_t k = 0; k < g->g_nparts; k++) {
			char part[DISK_NAME_MAX];
			if (memcmp(g->g_parts[k].gp_type, gpt_type_datastore,
				   16) == 0 &&
			    part_name(disks[i], g->g_parts[k].gp_index, part,
				      sizeof(part)))
				mounted += mount_datastore(part);
		}
	}
out:
	free(head);
	free(g);
	return mounted;
}

void disks_unmount_all(void)
{
	static const char *const prefixes[] = {VOLUMES "/", "/bootbank",
					       "/altbootbank", "/store",
					       "/bootpart"};
	char lines[64][256];
	size_t n = 0;
	FILE *f = fopen("/proc/mounts", "r");
	char dev[256], dir[256];

	if (f == NULL)
		return;
	while (n < 64 && fscanf(f, "%255s %255s %*[^\n]", dev, dir) == 2)
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(*prefixes);
		     i++)
			if (strncmp(dir, prefixes[i], strlen(prefixes[i])) ==
			    0) {
				snprintf(lines[n++], sizeof(lines[0]), "%s",
					 dir);
				break;
			}
	fclose(f);
	/* Last mounted first. */
	while (n-- > 0)
		if (umount2(lines[n], 0) < 0) {
			log_warn("unmounting %s; read-only instead", lines[n]);
			(void)mount(NULL, lines[n], NULL,
				    MS_REMOUNT | MS_RDONLY, NULL);
		} else {
			log_info("unmounted %s", lines[n]);
		}
}
