/*
 * harness.h: the host side of a tiny-guest test. It builds the standard
 * machine from libvmx (src/vmx/machine.c), loads the guest ELF built from
 * the same source file, captures the console, claims UCALL_PORT and runs
 * the vCPU until the guest reports DONE or a failure.
 */
#ifndef BASALT_GUEST_LIB_HARNESS_H
#define BASALT_GUEST_LIB_HARNESS_H

#include <stdint.h>

#include "guest/lib/ucall.h"
#include "vmx/machine.h"

#define HARNESS_TIMEOUT_S      10
#define HARNESS_CONSOLE_BYTES  65536
#define HARNESS_DEFAULT_MEM_MB 32

struct harness {
	struct machine *h_m;
	int h_console_fd; /* memfd the UART writes to */
	char h_console[HARNESS_CONSOLE_BYTES];
	/* Called for GUEST_SYNC(stage); return 0 to continue, -1 to fail. */
	int (*h_on_sync)(struct harness *h, uint64_t stage);
	void *h_opaque;
	uint64_t h_syncs;
	int h_done;
	int h_asserted;
	struct ucall h_last;
	/* Set by a test that expects the run to fail: report, don't fail. */
	int h_expect_failure;
	char h_failure[512]; /* why harness_run returned -1 */
};

/*
 * If /dev/kvm cannot be used, return a reason (and tap_skip_rest it, so the
 * tests report as skipped, never as passed); NULL when KVM is usable.
 */
const char *harness_require_kvm(void);

/* Build the machine and load elf_path. Fails the current test on error. */
int harness_init(struct harness *h, const char *elf_path, uint64_t mem_mb);

/* Same, with a machine description (disks, vCPUs; its console fd and,
 * if 0, its memory size are filled in). */
int harness_init_cfg(struct harness *h, const char *elf_path,
		     struct machine_config *cfg);

/*
 * Claim a one-byte read-only port that reads *mode at each access: how a
 * host test tells its guest which scenario to play. Fails the current test
 * on error.
 */
int harness_add_mode_port(struct harness *h, uint16_t port, uint8_t *mode);

/*
 * Run until DONE (returns 0), a failed guest assertion, an unexpected
 * stop, or the timeout (each returns -1 after tap_fail with details).
 */
int harness_run(struct harness *h);

/* NUL-terminated console output so far. */
const char *harness_console(struct harness *h);

void harness_fini(struct harness *h);

#endif
