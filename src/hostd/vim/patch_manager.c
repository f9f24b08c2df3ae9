/*
 * patch_manager.c: HostPatchManager ha-host-patch-manager (issue 8):
 * InstallHostPatchV2_Task with an update bundle on a datastore
 * ("[datastore1] basalt-0.2.0.bub" or its /vmfs/volumes path), as the
 * reference's clients hand a bundle to the host. The work is the update
 * tool's (src/update: verify, write the other boot bank, boot it next
 * once); the task ends when it has, and the host runs the new system
 * after its next reboot.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/thread.h"
#include "hostd/datastore.h"
#include "hostd/helper.h"
#include "hostd/hostd.h"
#include "hostd/soap/soap.h"
#include "hostd/vim/mo.h"

#define PATCHMGR_ID "ha-host-patch-manager"
#define OUTPUT_MAX  2048

static int pm_exists(struct vim_call *c, const char *id)
{
	(void)c;
	return strcmp(id, PATCHMGR_ID) == 0;
}

static enum mo_prop_result pm_prop(struct vim_call *c, const char *id,
				   const char *name, struct vval **out)
{
	(void)c, (void)id, (void)name;
	*out = NULL;
	return MO_PROP_UNKNOWN;
}

static const char *const pm_props[] = {NULL};

const struct mo_type mo_patch_manager = {
	.mt_name = "HostPatchManager",
	.mt_exists = pm_exists,
	.mt_prop = pm_prop,
	.mt_props = pm_props,
};

struct install_job {
	struct hostd *ij_h;
	char ij_task[128];
	char ij_path[PATH_MAX];
	char ij_root[PATH_MAX];
};

/* The tool's last line, for a fault's text. */
static const char *last_line(char *out)
{
	size_t n = strlen(out);
	char *nl;

	while (n > 0 && out[n - 1] == '\n')
		out[--n] = '\0';
	nl = strrchr(out, '\n');
	return nl != NULL ? nl + 1 : out;
}

static void *install(void *arg)
{
	struct install_job *j = arg;
	struct hostd *h = j->ij_h;
	const char *argv[] = {h->hd_update_tool, "apply",    "--root",
			      j->ij_root,	 j->ij_path, NULL};
	char out[OUTPUT_MAX];
	struct vim_task *t;
	int rc;

	pthread_setname_np(pthread_self(), "update");
	rc = helper_run(h, argv, out, sizeof(out));
	log_info("update: %s apply %s: status %d: %s", h->hd_update_tool,
		 j->ij_path, rc, out);
	pthread_mutex_lock(&h->hd_lock);
	t = vim_task_find(h, j->ij_task);
	if (t != NULL) {
		const char *why = last_line(out);
		if (rc == 0) {
			struct vval *r =
				vval_obj(NULL, NULL, "HostPatchManagerResult");
			vval_str(r, "version", "1.0");
			vval_str(r, "xmlResult", out);
			vim_task_succeed(h, t, r);
		} else if (rc == 3) {
			/* PlatformConfigFault's text: fixed, so no escaping;
			 * the tool's own words are the message. */
			vim_task_fail(h, t, "PatchIntegrityError",
				      "<text>the bundle is refused; nothing "
				      "was written</text>",
				      "%s", why);
		} else {
			vim_task_fail(h, t, "PatchInstallFailed",
				      "<rolledBack>true</rolledBack>", "%s",
				      why[0] ? why : "the update tool failed");
		}
	}
	vim_changed(h);
	pthread_mutex_unlock(&h->hd_lock);
	free(j);
	return NULL;
}

static int install_v2(struct vim_call *c)
{
	struct hostd *h = c->vc_hostd;
	struct soap_node *n = soap_arg(c->vc_req, "bundleUrls");
	char url[PATH_MAX];
	struct install_job *j;
	struct vim_task *t;
	pthread_t th;

	if (!pm_exists(c, c->vc_req->sr_this))
		return vim_fault_not_found(c);
	if (n == NULL)
		n = soap_arg(c->vc_req, "vibUrls");
	if (n == NULL || soap_text(n, url, sizeof(url)) < 0 || url[0] == '\0')
		return vim_fault_invalid_argument(c, "bundleUrls");
	if (soap_next(n, "bundleUrls") != NULL)
		return vim_fault(c, "InvalidArgument", NULL,
				 "one update bundle at a time");
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return vim_fault(c, "SystemError", NULL, "out of memory");
	/* A datastore path, or a file under a datastore's folder. */
	if (url[0] == '[') {
		if (datastore_resolve(h, url, j->ij_path, sizeof(j->ij_path)) <
		    0) {
			free(j);
			return vim_fault_field(c, "InvalidArgument",
					       "invalidProperty", "bundleUrls",
					       "%s: no such datastore path",
					       url);
		}
	} else {
		char ds[PATH_MAX];
		if (url[0] != '/' ||
		    datastore_name_of(h, url, ds, sizeof(ds)) < 0 ||
		    strstr(url, "/../") != NULL) {
			free(j);
			return vim_fault_field(c, "InvalidArgument",
					       "invalidProperty", "bundleUrls",
					       "%s: not a file on a datastore "
					       "([datastore1] path)",
					       url);
		}
		snprintf(j->ij_path, sizeof(j->ij_path), "%s", url);
	}
	t = vim_task_start(c, "InstallHostPatchV2_Task",
			   "HostPatchManager.installV2", "HostSystem",
			   "ha-host", h->hd_hostname);
	if (t == NULL) {
		free(j);
		return vim_fault(c, "SystemError", NULL, "out of memory");
	}
	j->ij_h = h;
	snprintf(j->ij_task, sizeof(j->ij_task), "%s", t->vt_id);
	snprintf(j->ij_root, sizeof(j->ij_root), "%s", h->hd_root);
	log_info("api: %s installs the update %s", c->vc_session->vs_user,
		 j->ij_path);
	if (thread_start(&th, THREAD_STACK_BYTES, install, j) != 0) {
		free(j);
		vim_task_fail(h, t, "SystemError", "<reason>thread</reason>",
			      "cannot start the task");
		return vim_task_return(c, t);
	}
	pthread_detach(th);
	return vim_task_return(c, t);
}

const struct vim_method vim_patch_manager_methods[] = {
	{"InstallHostPatchV2_Task", "HostPatchManager", 0, install_v2},
	{NULL, NULL, 0, NULL},
};
