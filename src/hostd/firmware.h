/*
 * firmware.h: the host's configuration as a bundle (HostFirmwareSystem,
 * issue 8). A bundle is the state archive stated keeps
 * (docs/formats/state.md) made from <confdir>; a backup is offered once
 * at /downloads/<token>/configBundle-<host>.tgz (the reference's name;
 * the token is the capability, as there) for FIRMWARE_DOWNLOAD_TTL_S; a
 * restore is uploaded to /tmp/configBundle.tgz, checked whole and
 * against this host's version, and becomes the slot's pending
 * configuration, applied at the next boot before anything reads it.
 */
#ifndef BASALT_HOSTD_FIRMWARE_H
#define BASALT_HOSTD_FIRMWARE_H

#include <stddef.h>

#include "common/err.h"
#include "stated/state_archive.h"

#define FIRMWARE_DOWNLOAD_TTL_S 900
#define FIRMWARE_UPLOAD_URL	"/tmp/configBundle.tgz"
#define FIRMWARE_UPLOAD_MAX	STATE_ARCHIVE_MAX_BYTES

struct hostd;

/* Make a backup; url gets its path ("/downloads/..."). */
int firmware_backup(struct hostd *h, char *url, size_t size, struct err *e);

/* The file behind "/downloads/<rel>" if it is a live backup: 0 and path,
 * else -ENOENT (expired ones are removed on the way). */
int firmware_download_path(struct hostd *h, const char *rel, char *path,
			   size_t size);

/* Where an upload to FIRMWARE_UPLOAD_URL goes. */
void firmware_upload_path(const struct hostd *h, char *path, size_t size);

/*
 * Check the uploaded bundle and make it the configuration of the next
 * boot. 0; -ENOENT nothing uploaded; -EINVAL/-EBADMSG not a sound
 * bundle; -ESTALE another version of Basalt wrote it (force=0); other
 * negative errno: it could not be kept. e says why; info what it is.
 */
int firmware_restore(struct hostd *h, int force, struct state_info *info,
		     struct err *e);

/* The factory defaults (no files) as the configuration of the next
 * boot. */
int firmware_reset(struct hostd *h, struct err *e);

#endif
