/*
 * harness.c: see harness.h.
 */
#include "guest/lib/harness.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "lib/tap.h"

static struct harness *harness_current;
static char harness_skip_reason[256];

const char *harness_require_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return NULL;
	}
	snprintf(harness_skip_reason, sizeof(harness_skip_reason),
		 "/dev/kvm not usable (%s): VMM tests need KVM",
		 strerror(errno));
	printf("# skipped: %s\n", harness_skip_reason);
	tap_skip_rest(harness_skip_reason);
	return harness_skip_reason;
}

static void harness_ucall(void *opaque, uint64_t off, const void *data,
			  unsigned size)
{
	struct harness *h = opaque;
	struct vm *vm = h->h_m->m_vm;
	uint32_t gpa = 0;

	(void)off;
	if (size != 4) {
		vm_request_stop(vm, VM_STOP_ERROR, "ucall with a bad size");
		return;
	}
	memcpy(&gpa, data, 4);
	if (mem_read(&vm->vm_mem, gpa, &h->h_last, sizeof(h->h_last)) < 0) {
		vm_request_stop(vm, VM_STOP_ERROR, "ucall outside guest RAM");
		return;
	}
	h->h_last.uc_file[UCALL_FILE_BYTES - 1] = '\0';
	h->h_last.uc_msg[UCALL_MSG_BYTES - 1] = '\0';
	switch (h->h_last.uc_cmd) {
	case UCALL_SYNC:
		h->h_syncs++;
		if (h->h_on_sync != NULL &&
		    h->h_on_sync(h, h->h_last.uc_args[0]) < 0)
			vm_request_stop(vm, VM_STOP_REQUEST, "sync failed");
		break;
	case UCALL_ASSERT:
		h->h_asserted = 1;
		vm_request_stop(vm, VM_STOP_REQUEST, "guest assertion");
		break;
	case UCALL_DONE:
		h->h_done = 1;
		vm_request_stop(vm, VM_STOP_REQUEST, "guest done");
		break;
	default:
		vm_request_stop(vm, VM_STOP_ERROR, "unknown ucall");
		break;
	}
}

static const struct iobus_ops harness_ucall_ops = {
	.read = NULL,
	.write = harness_ucall,
};

static void harness_timeout(int sig)
{
	static const char msg[] = "# harness: guest timed out\nnot ok - "
				  "timeout\n";
	(void)sig;
	/* Only async-signal-safe calls here. */
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(2);
}

int harness_init(struct harness *h, const char *elf_path, uint64_t mem_mb)
{
	struct machine_config cfg = {0};

	cfg.mc_mem_bytes = (mem_mb ? mem_mb : HARNESS_DEFAULT_MEM_MB) << 20;
	return harness_init_cfg(h, elf_path, &cfg);
}

int harness_init_cfg(struct harness *h, const char *elf_path,
		     struct machine_config *cfg_in)
{
	struct machine_config cfg = *cfg_in;
	struct machine_boot boot = {.mb_kernel = elf_path};
	struct err e = {0};

	memset(h, 0, sizeof(*h));
	h->h_console_fd = memfd_create("guest-console", MFD_CLOEXEC);
	if (h->h_console_fd < 0) {
		tap_fail(__FILE__, __LINE__, "memfd_create: %s",
			 strerror(errno));
		return -1;
	}
	if (cfg.mc_mem_bytes == 0)
		cfg.mc_mem_bytes = (uint64_t)HARNESS_DEFAULT_MEM_MB << 20;
	cfg.mc_console_fd = h->h_console_fd;
	if (machine_create(&h->h_m, &cfg, &e) < 0 ||
	    iobus_register(&h->h_m->m_vm->vm_pio, UCALL_PORT, 4,
			   &harness_ucall_ops, h, "ucall", &e) < 0 ||
	    machine_load_kernel(h->h_m, &boot, &e) < 0) {
		tap_fail(__FILE__, __LINE__, "machine setup: %s", err_msg(&e));
		harness_fini(h);
		return -1;
	}
	return 0;
}

static void harness_mode_read(void *opaque, uint64_t off, void *data,
			      unsigned size)
{
	(void)off;
	memset(data, 0, size);
	*(uint8_t *)data = *(uint8_t *)opaque;
}

static const struct iobus_ops harness_mode_ops = {
	.read = harness_mode_read,
	.write = NULL,
};

int harness_add_mode_port(struct harness *h, uint16_t port, uint8_t *mode)
{
	struct err e = {0};

	if (iobus_register(&h->h_m->m_vm->vm_pio, port, 1, &harness_mode_ops,
			   mode, "mode", &e) < 0) {
		tap_fail(__FILE__, __LINE__, "mode port: %s", err_msg(&e));
		return -1;
	}
	return 0;
}

const char *harness_console(struct harness *h)
{
	ssize_t n = pread(h->h_console_fd, h->h_console,
			  sizeof(h->h_console) - 1, 0);

	h->h_console[n > 0 ? n : 0] = '\0';
	return h->h_console;
}

/* Record why the run failed; fail the current test unless expected. */
static void harness_failed(struct harness *h, const char *file, int line,
			   const char *fmt, ...) BASALT_PRINTF(4, 5);
static void harness_failed(struct harness *h, const char *file, int line,
			   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->h_failure, sizeof(h->h_failure), fmt, ap);
	va_end(ap);
	if (!h->h_expect_failure)
		tap_fail(file, line, "%s", h->h_failure);
}

int harness_run(struct harness *h)
{
	enum vm_stop_reason reason;

	harness_current = h;
	signal(SIGALRM, harness_timeout);
	alarm(HARNESS_TIMEOUT_S);
	reason = machine_run(h->h_m);
	alarm(0);
	harness_current = NULL;
	if (h->h_asserted) {
		harness_failed(h, h->h_last.uc_file, (int)h->h_last.uc_line,
			       "guest assertion %s failed (0x%llx vs 0x%llx)",
			       h->h_last.uc_msg,
			       (unsigned long long)h->h_last.uc_args[0],
			       (unsigned long long)h->h_last.uc_args[1]);
		return -1;
	}
	if (!h->h_done) {
		harness_failed(
			h, __FILE__, __LINE__,
			"guest stopped without GUEST_DONE: %s (%s); console: "
			"%s",
			vm_stop_name(reason), h->h_m->m_vm->vm_stop_detail,
			harness_console(h));
		return -1;
	}
	return 0;
}

void harness_fini(struct harness *h)
{
	machine_destroy(h->h_m);
	h->h_m = NULL;
	if (h->h_console_fd >= 0)
		close(h->h_console_fd);
	h->h_console_fd = -1;
}
