/*
 * test_modules.c: init's module index (init/modules.c): a device's
 * modalias finds its driver through modules.alias patterns, names are
 * matched with '-' and '_' alike, and a missing index is an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "init/modules.h"
#include "lib/tap.h"

static char dir[] = "/tmp/test_modules.XXXXXX";

static void put(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
}

static void collect(const char *module, void *arg)
{
	char *out = arg;

	strcat(out, module);
	strcat(out, " ");
}

static void aliases_find_drivers(void)
{
	struct mod_index mi;
	struct err e;
	char got[256];

	CHECK_EQ(mod_index_open(&mi, dir, &e), 0);
	got[0] = '\0';
	CHECK_EQ(
		mod_match_alias(&mi, "virtio:d00000001v00001AF4", collect, got),
		1);
	CHECK_STR(got, "virtio_net ");
	got[0] = '\0';
	CHECK_EQ(mod_match_alias(&mi,
				 "pci:v00008086d000010D3sv00008086sd0000A01Fbc"
				 "02sc00i00",
				 collect, got),
		 1);
	CHECK_STR(got, "e1000e ");
	/* A module's name spelled with '-' is the '_' one. */
	got[0] = '\0';
	CHECK_EQ(mod_match_alias(&mi, "crypto-crc32c", collect, got), 1);
	CHECK_STR(got, "crc32c_generic ");
	got[0] = '\0';
	CHECK_EQ(mod_match_alias(&mi, "pci:v0000FFFFd0000FFFF", collect, got),
		 0);
	CHECK_STR(got, "");
	mod_index_close(&mi);
}

static void a_missing_index_is_an_error(void)
{
	struct mod_index mi;
	struct err e;

	CHECK_EQ(mod_index_open(&mi, "/nonexistent/modules", &e), -1);
	CHECK_CONTAINS(err_msg(&e), "modules.dep");
	/* Closed (as init keeps it when there is none): asking is an error,
	 * not a crash. */
	CHECK(mod_probe(&mi, "ext4", &e) < 0);
	CHECK_CONTAINS(err_msg(&e), "no module index");
}

int main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	put("modules.dep",
	    "kernel/drivers/net/virtio_net.ko: "
	    "kernel/drivers/net/net_failover.ko "
	    "kernel/net/core/failover.ko\n"
	    "kernel/drivers/net/ethernet/intel/e1000e/e1000e.ko:\n"
	    "kernel/crypto/crc32c_generic.ko:\n");
	put("modules.alias",
	    "# Aliases extracted from modules themselves.\n"
	    "alias virtio:d00000001v* virtio_net\n"
	    "alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e\n"
	    "alias crypto-crc32c crc32c-generic\n");
	put("modules.softdep", "softdep virtio_net pre: crc32c\n");
	put("modules.builtin", "kernel/drivers/tty/serial/8250/8250.ko\n");
	RUN(aliases_find_drivers);
	RUN(a_missing_index_is_an_error);
	for (const char *n = "modules.dep\0modules.alias\0modules.softdep\0"
			     "modules.builtin\0";
	     *n; n += strlen(n) + 1) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", dir, n);
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
