/*
 * machine.c: assemble the standard machine (see machine.h).
 */
#include "vmx/machine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/file.h"
#include "common/log.h"
#include "vmx/boot/elf.h"
#include "vmx/boot/layout.h"
#include "vmx/boot/longmode.h"
#include "vmx/devices/acpi_pm.h"
#include "vmx/devices/i8042.h"

static int machine_console_tx(void *opaque, uint8_t byte)
{
	struct machine *m = opaque;
	ssize_t n;

	if (m->m_console_fd < 0)
		return -EBADF;
	do {
		n = write(m->m_console_fd, &byte, 1);
	} while (n < 0 && errno == EINTR);
	return n == 1 ? 0 : -EIO;
}

static void machine_console_irq(void *opaque, int level)
{
	struct machine *m = opaque;

	/* A failure here is KVM's state, not the guest's: keep running. */
	if (vm_irq_line(m->m_vm, UART8250_COM1_IRQ, level) < 0)
		log_debug("COM1 irq line: %s", strerror(errno));
}

static void machine_uart_free(void *p)
{
	uart8250_free(p);
}

int machine_create(struct machine **mp, const struct machine_config *cfg,
		   struct err *e)
{
	struct machine *m;
	int rc;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	m->m_console_fd = cfg->mc_console_fd;
	rc = vm_create(&m->m_vm, cfg->mc_mem_bytes, e);
	if (rc < 0)
		goto fail;
	rc = vm_add_vcpu(m->m_vm, 0, &m->m_boot_vcpu, e);
	if (rc < 0)
		goto fail;
	rc = uart8250_create(&m->m_uart, machine_console_tx,
			     machine_console_irq, m, e);
	if (rc < 0)
		goto fail;
	rc = vm_own(m->m_vm, m->m_uart, machine_uart_free, e);
	if (rc < 0) {
		uart8250_free(m->m_uart);
		goto fail;
	}
	rc = iobus_register(&m->m_vm->vm_pio, UART8250_COM1_PORT, 8,
			    &uart8250_iobus_ops, m->m_uart, "com1", e);
	if (rc < 0)
		goto fail;
	rc = acpi_pm_create(m->m_vm, e);
	if (rc < 0)
		goto fail;
	rc = i8042_create(m->m_vm, e);
	if (rc < 0)
		goto fail;
	*mp = m;
	return 0;
fail:
	machine_destroy(m);
	return rc;
}

int machine_load_kernel(struct machine *m, const char *path, struct err *e)
{
	uint64_t entry;
	void *img;
	size_t len;
	int rc;

	rc = file_read_all(path, MACHINE_KERNEL_MAX_BYTES, &img, &len, e);
	if (rc < 0)
		return rc;
	if (!elf_is_elf(img, len)) {
		free(img);
		return err_set(e, -ENOEXEC,
			       "%s: not a kernel vmx can boot yet (expected a "
			       "freestanding x86_64 ELF executable)",
			       path);
	}
	rc = elf_load(&m->m_vm->vm_mem, path, img, len, &entry, e);
	free(img);
	if (rc < 0)
		return rc;
	return longmode_enter(m->m_boot_vcpu, entry, LAYOUT_STACK_TOP_GPA, e);
}

enum vm_stop_reason machine_run(struct machine *m)
{
	return vcpu_run_loop(m->m_boot_vcpu);
}

void machine_destroy(struct machine *m)
{
	if (m == NULL)
		return;
	vm_destroy(m->m_vm); /* frees the devices it owns */
	free(m);
}
