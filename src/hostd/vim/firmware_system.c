/*
 * firmware_system.c: HostFirmwareSystem ha-firmwareSystem (issue 8):
 * backup, restore and reset of the host's configuration as the
 * reference's clients call them (firmware.h). Restore and reset need
 * maintenance mode, as there; they take effect at the next boot, which
 * the appliance starts at once (hostd asks init to reboot); a hosted
 * hostd leaves the pending configuration for `stated --restore`.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "hostd/firmware.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/mo.h"

#define FIRMWARE_ID "ha-firmwareSystem"

static int fw_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, FIRMWARE_ID) == 0;
}

static enum mo_prop_result fw_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	/* No properties: methods only. */
	(void)c, (void)id, (void)name;
	*out = NULL;
	return MO_PROP_UNKNOWN;
}

static const char *const fw_props[] = {NULL};

const struct mo_type mo_firmware_system = {
	.mt_name = "HostFirmwareSystem",
	.mt_exists = fw_exists,
	.mt_prop = fw_prop,
	.mt_props = fw_props,
};

static int url_reply(struct vim_call *c, const char *path)
{
	char url[PATH_MAX + 32];

	/* '*' is the host as the client reached it (the reference's
	 * convention: clients put their host name in its place). */
	snprintf(url, sizeof(url), "https://*%s", path);
	xmlout_elem(&c->vc_out, "returnval", url);
	return 0;
}

static int backup(struct vim_call *c)
{
	char path[PATH_MAX];
	struct err e = {0};

	if (!fw_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (firmware_backup(c->vc_hostd, path, sizeof(path), &e) < 0)
		return vim_fault(c, "HostConfigFault", NULL,
				 "cannot make the backup: %s", err_msg(&e));
	log_info("api: %s made a configuration backup", c->vc_session->vs_user);
	return url_reply(c, path);
}

static int upload_url(struct vim_call *c)
{
	if (!fw_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	return url_reply(c, FIRMWARE_UPLOAD_URL);
}

/* The appliance reboots into the new configuration. */
static void reboot_host(struct vim_call *c, const char *why)
{
	if (!c->vc_hostd->hd_appliance) {
		/* Under scripts/hosted.sh, which applies it as it starts
		 * hostd again (stated --restore), like the reboot. */
		if (c->vc_hostd->hd_supervised &&
		    host_restart_agents(c->vc_hostd) == 0) {
			log_info("firmware: %s; hostd starts again with it",
				 why);
			return;
		}
		log_info("firmware: %s; hosted, it applies when the host "
			 "starts next (stated --restore)",
			 why);
		return;
	}
	log_info("firmware: %s; the host reboots in %d s", why,
		 HOST_POWER_DELAY_S);
	if (host_ask_init(SIGTERM) < 0)
		log_warnx("firmware: cannot start the reboot; reboot the "
			  "host to apply the configuration");
}

static int need_maintenance(struct vim_call *c, const char *method)
{
	return vim_fault(c, "InvalidState", NULL,
			 "%s needs the host in maintenance mode "
			 "(EnterMaintenanceMode_Task)",
			 method);
}

static int restore(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct state_info info;
	struct err e = {0};
	char fields[512], why[256];
	int rc;

	if (!fw_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (!h->hd_maintenance)
		return need_maintenance(c, "RestoreFirmwareConfiguration");
	rc = firmware_restore(h, soap_bool(soap_arg(c->vc_req, "force"), 0),
			      &info, &e);
	if (rc == -ENOENT)
		return vim_fault_field(c, "FileNotFound", "file",
				       FIRMWARE_UPLOAD_URL, "%s", err_msg(&e));
	if (rc == -EINVAL || rc == -EBADMSG)
		return vim_fault_field(c, "InvalidBundle", "text",
				       "not a Basalt configuration bundle",
				       "the bundle is not sound: %s",
				       err_msg(&e));
	if (rc == -ESTALE) {
		snprintf(fields, sizeof(fields),
			 "<bundleUuid></bundleUuid><hostUuid>%s</hostUuid>"
			 "<bundleBuildNumber>0</bundleBuildNumber>"
			 "<hostBuildNumber>0</hostBuildNumber>",
			 h->hd_instance_uuid);
		return vim_fault(c, "MismatchedBundle", fields, "%s",
				 err_msg(&e));
	}
	if (rc < 0)
		return vim_fault(c, "HostConfigFault", NULL,
				 "cannot keep the bundle: %s", err_msg(&e));
	snprintf(why, sizeof(why),
		 "%s restored a configuration (%u files, from Basalt %s)",
		 c->vc_session->vs_user, info.si_count, info.si_version);
	reboot_host(c, why);
	return 0;
}

static int reset(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct err e = {0};
	char why[128];

	if (!fw_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (!h->hd_maintenance)
		return need_maintenance(c, "ResetFirmwareToFactoryDefaults");
	if (firmware_reset(h, &e) < 0)
		return vim_fault(c, "HostConfigFault", NULL,
				 "cannot reset the configuration: %s",
				 err_msg(&e));
	snprintf(why, sizeof(why),
		 "%s reset the configuration to the factory defaults",
		 c->vc_session->vs_user);
	reboot_host(c, why);
	return 0;
}

const struct vim_method vim_firmware_system_methods[] = {
	{"BackupFirmwareConfiguration", "HostFirmwareSystem", 0, backup},
	{"QueryFirmwareConfigUploadURL", "HostFirmwareSystem", 0, upload_url},
	{"RestoreFirmwareConfiguration", "HostFirmwareSystem", 0, restore},
	{"ResetFirmwareToFactoryDefaults", "HostFirmwareSystem", 0, reset},
	{NULL, NULL, 0, NULL},
};
