/*
 * main.c: stated's commands (issue 8, first part). init runs
 * `stated --restore` before hostd starts and `stated --save` once every
 * agent has stopped at power-off or reboot, so a clean restart keeps the
 * host's state. Saving on every change and hourly (the daemon) is next.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "stated/state_archive.h"

static const char usage[] =
	"usage: stated --restore|--save [--root DIR] [--slot DIR]\n"
	"The host's state: the files under DIR/etc/basalt as one archive in\n"
	"the boot bank's state slot (docs/formats/state.md).\n"
	"  --restore    the newest sound generation into DIR/etc/basalt\n"
	"               (exit 0; 3 when the slot has none: defaults)\n"
	"  --save       a new generation from DIR/etc/basalt (exit 0)\n"
	"  --root DIR   the host's root (default /)\n"
	"  --slot DIR   the slot (default DIR/bootbank/state)\n"
	"Exit status 1 on an error (one line on stderr), 2 on a bad command\n"
	"line.\n";

int main(int argc, char **argv)
{
	const char *root = "/", *slot = NULL;
	char etc[4096], slotbuf[4096];
	int restore = 0, save = 0;
	struct err e;

	log_procinit("stated");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--restore") == 0) {
			restore = 1;
		} else if (strcmp(argv[i], "--save") == 0) {
			save = 1;
		} else if ((strcmp(argv[i], "--root") == 0 ||
			    strcmp(argv[i], "--slot") == 0) &&
			   i + 1 < argc) {
			if (argv[i][2] == 'r')
				root = argv[++i];
			else
				slot = argv[++i];
		} else if (strcmp(argv[i], "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			fprintf(stderr, "stated: unknown option '%s'\n%s",
				argv[i], usage);
			return 2;
		}
	}
	if (restore == save) {
		fputs(usage, stderr);
		return 2;
	}
	snprintf(etc, sizeof(etc), "%s/etc/basalt",
		 strcmp(root, "/") == 0 ? "" : root);
	if (slot == NULL) {
		snprintf(slotbuf, sizeof(slotbuf), "%s/bootbank/state",
			 strcmp(root, "/") == 0 ? "" : root);
		slot = slotbuf;
	}
	if (restore) {
		uint64_t gen = 0;
		unsigned skipped = 0;
		int rc = state_slot_restore(slot, etc, &gen, &skipped, &e);
		if (rc < 0) {
			fprintf(stderr, "stated: %s\n", err_msg(&e));
			return 1;
		}
		if (skipped > 0)
			log_warnx("%u newer state generation(s) in %s are "
				  "damaged; restored the one before",
				  skipped, slot);
		if (rc == 0) {
			log_warnx("NO SAVED STATE in %s: the host starts with "
				  "defaults",
				  slot);
			return 3;
		}
		log_info("restored state generation %llu from %s",
			 (unsigned long long)gen, slot);
		return 0;
	}

	uint64_t gen = state_slot_next(slot);
	uint8_t *buf;
	size_t len;

	if (state_archive_build(etc, gen, &buf, &len, &e) < 0 ||
	    state_slot_save(slot, buf, len, gen, &e) < 0) {
		fprintf(stderr, "stated: %s\n", err_msg(&e));
		return 1;
	}
	free(buf);
	log_info("saved state generation %llu (%zu bytes) to %s",
		 (unsigned long long)gen, len, slot);
	return 0;
}
