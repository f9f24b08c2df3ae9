/*
 * main.c: stated, the host's state keeper (issue 8). init runs
 * `stated --restore` before any agent reads /etc/basalt, then `stated
 * --daemon` as an agent that saves every change, and `stated --save`
 * once every agent has stopped at power-off or reboot.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "stated/stated.h"

static const char usage[] =
	"usage: stated --restore|--save|--daemon|--show [--root DIR] "
	"[--slot DIR]\n"
	"              [--quiet-ms N] [--max-delay-ms N] [--interval S]\n"
	"The host's state: the files under DIR/etc/basalt as one archive in\n"
	"the boot bank's state slot (docs/formats/state.md).\n"
	"  --restore    the newest sound generation into DIR/etc/basalt\n"
	"               (exit 0; 3 when the slot has none: defaults)\n"
	"  --save       a new generation from DIR/etc/basalt unless nothing\n"
	"               changed since the newest (exit 0)\n"
	"  --daemon     save on every change (once quiet for --quiet-ms,\n"
	"               default 1000; at the latest --max-delay-ms, default\n"
	"               5000, after the first) and compare every --interval\n"
	"               seconds (default 3600; the advanced option\n"
	"               UserVars.StateSaveInterval wins); SIGTERM saves and\n"
	"               stops, SIGHUP saves now\n"
	"  --show       the newest sound generation: number, version, files\n"
	"  --root DIR   the host's root (default /)\n"
	"  --slot DIR   the slot (default DIR/bootbank/state)\n"
	"  --other-slot DIR  the other boot bank's (default\n"
	"               DIR/altbootbank/state when DIR/altbootbank is there\n"
	"               and --slot is not given): generations count across\n"
	"               both, a restore takes the newer\n"
	"Exit status 1 on an error (one line on stderr), 2 on a bad command\n"
	"line.\n";

static int number(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int restore(const struct stated_opts *o)
{
	struct state_info info;
	unsigned skipped = 0;
	const char *from;
	struct err e;
	int rc = state_slot_apply_pending(o->so_slot, stated_next_generation(o),
					  &info, &e);

	if (rc == 0 && o->so_other_slot != NULL)
		rc = state_slot_apply_pending(
			o->so_other_slot, stated_next_generation(o), &info, &e);
	if (rc < 0)
		log_warnx("the configuration restored before this boot is not "
			  "applied: %s",
			  err_msg(&e));
	else if (rc == 1)
		log_info("applied the configuration restored before this boot "
			 "(%u files, from Basalt %s) as generation %llu",
			 info.si_count, info.si_version,
			 (unsigned long long)info.si_gen);
	if (stated_newest(o, &info, &from, &skipped) == 0)
		from = o->so_slot;
	rc = state_slot_restore(from, o->so_etc, &info, &skipped, &e);
	if (rc < 0) {
		fprintf(stderr, "stated: %s\n", err_msg(&e));
		return 1;
	}
	if (skipped > 0)
		log_warnx("%u newer state generation(s) in %s are damaged; "
			  "restored the one before",
			  skipped, o->so_slot);
	if (rc == 0) {
		log_warnx("NO SAVED STATE in %s: the host starts with "
			  "defaults",
			  o->so_slot);
		return 3;
	}
	log_info("restored state generation %llu (%u files, written by "
		 "Basalt %s) from %s",
		 (unsigned long long)info.si_gen, info.si_count,
		 info.si_version, from);
	return 0;
}

static int show(const struct stated_opts *o)
{
	struct state_info info;
	unsigned skipped = 0;

	const char *from;

	if (stated_newest(o, &info, &from, &skipped) != 1) {
		printf("no saved state in %s (%u damaged)\n", o->so_slot,
		       skipped);
		return 3;
	}
	printf("generation %llu\nslot %s\nversion %s\nfiles %u\n"
	       "damaged newer %u\n",
	       (unsigned long long)info.si_gen, from, info.si_version,
	       info.si_count, skipped);
	printf("content ");
	for (int i = 0; i < 32; i++)
		printf("%02x", info.si_content[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct stated_opts o = {.so_quiet_ms = 1000,
				.so_max_delay_ms = 5000,
				.so_interval_s = 3600};
	const char *root = "/", *slot = NULL, *cmd = NULL, *other = NULL;
	char etc[4096], slotbuf[4096], otherbuf[4096];
	long v;

	log_procinit("stated");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--restore") == 0 || strcmp(a, "--save") == 0 ||
		    strcmp(a, "--daemon") == 0 || strcmp(a, "--show") == 0) {
			if (cmd != NULL) {
				fputs(usage, stderr);
				return 2;
			}
			cmd = a + 2;
		} else if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (i + 1 >= argc) {
			fprintf(stderr, "stated: '%s' needs a value\n%s", a,
				usage);
			return 2;
		} else if (strcmp(a, "--root") == 0) {
			root = argv[++i];
		} else if (strcmp(a, "--slot") == 0) {
			slot = argv[++i];
		} else if (strcmp(a, "--other-slot") == 0) {
			other = argv[++i];
		} else if (strcmp(a, "--quiet-ms") == 0 &&
			   number(argv[i + 1], 10, 60000, &v) == 0) {
			o.so_quiet_ms = (int)v;
			i++;
		} else if (strcmp(a, "--max-delay-ms") == 0 &&
			   number(argv[i + 1], 10, 600000, &v) == 0) {
			o.so_max_delay_ms = (int)v;
			i++;
		} else if (strcmp(a, "--interval") == 0 &&
			   number(argv[i + 1], STATED_INTERVAL_MIN_S,
				  STATED_INTERVAL_MAX_S, &v) == 0) {
			o.so_interval_s = v;
			i++;
		} else {
			fprintf(stderr, "stated: bad option '%s %s'\n%s", a,
				argv[i + 1], usage);
			return 2;
		}
	}
	if (cmd == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	if (strcmp(root, "/") == 0)
		root = "";
	snprintf(etc, sizeof(etc), "%s/etc/basalt", root);
	if (slot == NULL) {
		snprintf(slotbuf, sizeof(slotbuf), "%s/bootbank/state", root);
		slot = slotbuf;
	}
	if (other == NULL && slot == slotbuf) {
		/* The other bank's slot, when that bank is there. */
		struct stat st;
		snprintf(otherbuf, sizeof(otherbuf), "%s/altbootbank", root);
		if (stat(otherbuf, &st) == 0) {
			snprintf(otherbuf, sizeof(otherbuf),
				 "%s/altbootbank/state", root);
			other = otherbuf;
		}
	}
	o.so_etc = etc;
	o.so_slot = slot;
	o.so_other_slot = other;
	if (strcmp(cmd, "restore") == 0)
		return restore(&o);
	if (strcmp(cmd, "show") == 0)
		return show(&o);
	if (strcmp(cmd, "daemon") == 0)
		return stated_daemon(&o);

	struct state_info info;
	unsigned skipped;
	uint8_t saved[32];
	struct err e;
	int have = stated_newest(&o, &info, NULL, &skipped) == 1;
	int rc = stated_save(&o, have ? info.si_content : NULL, saved, &e);

	if (rc < 0) {
		fprintf(stderr, "stated: %s\n", err_msg(&e));
		return 1;
	}
	if (rc == 0)
		log_info("nothing changed since generation %llu",
			 (unsigned long long)info.si_gen);
	return 0;
}
