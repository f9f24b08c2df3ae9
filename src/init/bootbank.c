/*
 * bootbank.c: the running bank and an update's trial (bootbank.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/grubenv.h"
#include "common/log.h"
#include "init/bootbank.h"

static void status_write(const struct bank_trial *t, const char *fallback)
{
	char text[512], version[128] = "", path[64];
	struct err e;
	int n;

	snprintf(path, sizeof(path), "/bootbank/manifest");
	{
		void *data;
		size_t len;
		if (file_read_all(path, 8192, &data, &len, &e) == 0) {
			const char *v = memmem(data, len, "\nversion=", 9);
			if (v != NULL) {
				/* Within the file: it need not end in a
				 * newline, nor in a NUL. */
				const char *end = (const char *)data + len;
				const char *nl = memchr(v + 9, '\n',
							(size_t)(end - v - 9));
				size_t vn = (size_t)((nl ? nl : end) - v - 9);
				if (vn < sizeof(version))
					snprintf(version, sizeof(version),
						 "%.*s", (int)vn, v + 9);
			}
			free(data);
		}
	}
	n = snprintf(text, sizeof(text), "bank=%d\nversion=%s\ntrial=%d\n",
		     t->bt_bank, version, t->bt_trial);
	if (fallback != NULL && n > 0 && (size_t)n < sizeof(text))
		snprintf(text + n, sizeof(text) - (size_t)n, "fallback=%s\n",
			 fallback);
	if (file_write_atomic(BOOTBANK_STATUS, text, strlen(text), 0644, &e) <
	    0)
		log_warnx("%s", err_msg(&e));
}

void bootbank_start(const struct boot_disk *bd, struct bank_trial *t,
		    uint64_t now_ms)
{
	struct grubenv env;
	char mine[16], fallback[256];
	const char *from;
	struct err e;
	int changed = 0, have_fallback = 0;

	memset(t, 0, sizeof(*t));
	t->bt_bank = bd->bd_bank_no;
	if (t->bt_bank == 0)
		return;
	if (grubenv_load(&env, BOOTBANK_GRUBENV, &e) < 0) {
		log_warnx("%s: the boot bank's choice is unknown", err_msg(&e));
		status_write(t, NULL);
		return;
	}
	snprintf(mine, sizeof(mine), "%d", t->bt_bank);
	from = grubenv_get(&env, "fallback_from");
	if (from[0] != '\0') {
		snprintf(fallback, sizeof(fallback),
			 "the update in boot bank %s (Basalt %s) did not come "
			 "up healthy; boot bank %d runs again",
			 from, grubenv_get(&env, "try_version"), t->bt_bank);
		log_warnx("UPDATE FAILED: %s", fallback);
		have_fallback = 1;
		(void)grubenv_set(&env, "fallback_from", NULL);
		(void)grubenv_set(&env, "try_version", NULL);
		changed = 1;
	} else if (strcmp(grubenv_get(&env, "try_bank"), mine) == 0) {
		t->bt_trial = 1;
		t->bt_deadline_ms = now_ms + BOOTBANK_DEADLINE_MS;
		log_info("the update in boot bank %d boots for the first time: "
			 "it stays once the agents have run for %d s (in %d s "
			 "at most), else boot bank %d runs again",
			 t->bt_bank, BOOTBANK_HEALTHY_MS / 1000,
			 BOOTBANK_DEADLINE_MS / 1000, 3 - t->bt_bank);
	}
	if (changed && grubenv_store(&env, BOOTBANK_GRUBENV, &e) < 0)
		log_warnx("%s", err_msg(&e));
	status_write(t, have_fallback ? fallback : NULL);
}

int bootbank_check(struct bank_trial *t, int healthy, uint64_t now_ms)
{
	struct grubenv env;
	char mine[16];
	struct err e;

	if (!t->bt_trial)
		return 0;
	if (!healthy)
		return now_ms >= t->bt_deadline_ms;
	snprintf(mine, sizeof(mine), "%d", t->bt_bank);
	if (grubenv_load(&env, BOOTBANK_GRUBENV, &e) < 0 ||
	    grubenv_set(&env, "bank", mine) < 0 ||
	    grubenv_set(&env, "try_bank", NULL) < 0 ||
	    grubenv_set(&env, "try_left", NULL) < 0 ||
	    grubenv_set(&env, "try_version", NULL) < 0 ||
	    grubenv_store(&env, BOOTBANK_GRUBENV, &e) < 0) {
		log_warnx("marking boot bank %d healthy: %s", t->bt_bank,
			  err_msg(&e));
		return 0;
	}
	t->bt_trial = 0;
	log_info("the update in boot bank %d is healthy: it boots from now "
		 "on (boot bank %d keeps the previous system)",
		 t->bt_bank, 3 - t->bt_bank);
	status_write(t, NULL);
	return 0;
}
