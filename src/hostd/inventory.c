/*
 * inventory.c: vmInventory, in the .vmx file format (common/kvcfg.c):
 *
 *   nextId = "4"
 *   vm.1 = "/vmfs/volumes/datastore1/web/web.vmx"
 *
 * Ids are never reused, so a stale reference to a removed VM answers
 * "not found" rather than naming another VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/kvcfg.h"
#include "common/log.h"
#include "hostd/hostd.h"
#include "hostd/inventory.h"

static void inventory_path(struct hostd *h, char *buf, size_t size)
{
	snprintf(buf, size, "%.*s/vmInventory", (int)(size - 16),
		 h->hd_confdir);
}

int inventory_load(struct hostd *h, struct err *e)
{
	struct inventory *iv = &h->hd_inventory;
	char path[PATH_MAX];
	struct kvcfg cfg;
	int rc;

	inventory_path(h, path, sizeof(path));
	rc = kvcfg_load(&cfg, path, e);
	if (rc == -ENOENT) {
		err_clear(e);
		iv->iv_next_id = 1;
		return 0;
	}
	if (rc < 0)
		return rc;
	iv->iv_vms = calloc((size_t)cfg.kc_count + 1, sizeof(*iv->iv_vms));
	if (iv->iv_vms == NULL) {
		kvcfg_free(&cfg);
		return err_set(e, -ENOMEM, "out of memory");
	}
	iv->iv_next_id = 1;
	for (int i = 0; i < cfg.kc_count; i++) {
		const struct kvcfg_entry *en = &cfg.kc_entries[i];
		char *end;
		long id;
		if (strcasecmp(en->ke_key, "nextId") == 0) {
			id = strtol(en->ke_value, &end, 10);
			if (*end == '\0' && id > iv->iv_next_id && id < 1 << 30)
				iv->iv_next_id = (int)id;
			continue;
		}
		if (strncasecmp(en->ke_key, "vm.", 3) != 0 ||
		    (id = strtol(en->ke_key + 3, &end, 10)) <= 0 ||
		    *end != '\0' || id >= 1 << 30 || en->ke_value[0] != '/' ||
		    strlen(en->ke_value) >= PATH_MAX) {
			log_warnx("%s:%d: '%s' is not a VM entry; left out",
				  path, en->ke_line, en->ke_key);
			continue;
		}
		iv->iv_vms[iv->iv_n].ve_id = (int)id;
		strcpy(iv->iv_vms[iv->iv_n].ve_vmx, en->ke_value);
		iv->iv_n++;
		if (id >= iv->iv_next_id)
			iv->iv_next_id = (int)id + 1;
	}
	kvcfg_free(&cfg);
	return 0;
}

int inventory_save(struct hostd *h, struct err *e)
{
	const struct inventory *iv = &h->hd_inventory;
	char path[PATH_MAX], esc[PATH_MAX * 3 + 1];
	size_t cap = 64 + iv->iv_n * (sizeof(esc) + 32), len = 0;
	char *buf = malloc(cap);
	int rc;

	if (buf == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	len += (size_t)snprintf(buf + len, cap - len, "nextId = \"%d\"\n",
				iv->iv_next_id);
	for (size_t i = 0; i < iv->iv_n; i++) {
		if (kvcfg_escape(iv->iv_vms[i].ve_vmx, esc, sizeof(esc)) < 0) {
			free(buf);
			return err_set(e, -ENAMETOOLONG, "path too long");
		}
		len += (size_t)snprintf(buf + len, cap - len,
					"vm.%d = \"%s\"\n", iv->iv_vms[i].ve_id,
					esc);
	}
	inventory_path(h, path, sizeof(path));
	rc = file_write_atomic(path, buf, len, 0644, e);
	free(buf);
	return rc;
}

struct vm_entry *inventory_find(struct hostd *h, int id)
{
	for (size_t i = 0; i < h->hd_inventory.iv_n; i++)
		if (h->hd_inventory.iv_vms[i].ve_id == id)
			return &h->hd_inventory.iv_vms[i];
	return NULL;
}

struct vm_entry *inventory_find_text(struct hostd *h, const char *id)
{
	char *end;
	long n;

	if (id[0] < '1' || id[0] > '9')
		return NULL;
	n = strtol(id, &end, 10);
	if (*end != '\0' || n >= 1 << 30)
		return NULL;
	return inventory_find(h, (int)n);
}

struct vm_entry *inventory_find_vmx(struct hostd *h, const char *vmx)
{
	for (size_t i = 0; i < h->hd_inventory.iv_n; i++)
		if (strcmp(h->hd_inventory.iv_vms[i].ve_vmx, vmx) == 0)
			return &h->hd_inventory.iv_vms[i];
	return NULL;
}

struct vm_entry *inventory_add(struct hostd *h, const char *vmx, struct err *e)
{
	struct inventory *iv = &h->hd_inventory;
	struct vm_entry *v;

	if (iv->iv_n >= INVENTORY_VMS_MAX) {
		err_set(e, -ENOSPC, "the host has %d VMs, the most it keeps",
			INVENTORY_VMS_MAX);
		return NULL;
	}
	if (strlen(vmx) >= PATH_MAX) {
		err_set(e, -ENAMETOOLONG, "path too long");
		return NULL;
	}
	v = realloc(iv->iv_vms, (iv->iv_n + 1) * sizeof(*v));
	if (v == NULL) {
		err_set(e, -ENOMEM, "out of memory");
		return NULL;
	}
	iv->iv_vms = v;
	v = &iv->iv_vms[iv->iv_n];
	memset(v, 0, sizeof(*v));
	v->ve_id = iv->iv_next_id++;
	strcpy(v->ve_vmx, vmx);
	iv->iv_n++;
	if (inventory_save(h, e) < 0) {
		iv->iv_n--; /* nothing half done: not registered */
		iv->iv_next_id--;
		return NULL;
	}
	return v;
}

int inventory_remove(struct hostd *h, int id, struct err *e)
{
	struct inventory *iv = &h->hd_inventory;
	struct vm_entry *v = inventory_find(h, id), saved;
	size_t at;
	int rc;

	if (v == NULL)
		return err_set(e, -ENOENT, "no VM %d", id);
	at = (size_t)(v - iv->iv_vms);
	saved = *v;
	memmove(v, v + 1, (iv->iv_n - at - 1) * sizeof(*v));
	iv->iv_n--;
	rc = inventory_save(h, e);
	if (rc < 0) {
		/* Put it back where it was. */
		memmove(&iv->iv_vms[at + 1], &iv->iv_vms[at],
			(iv->iv_n - at) * sizeof(*v));
		iv->iv_vms[at] = saved;
		iv->iv_n++;
	}
	return rc;
}
