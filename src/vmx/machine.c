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
#include "vmx/boot/acpi.h"
#include "vmx/boot/bzimage.h"
#include "vmx/boot/elf.h"
#include "vmx/boot/layout.h"
#include "vmx/boot/longmode.h"
#include "vmx/devices/acpi_pm.h"
#include "vmx/devices/i8042.h"
#include "vmx/devices/pci.h"
#include "vmx/devices/rtc_cmos.h"
#include "vmx/devices/virtio_blk.h"
#include "vmx/devices/virtio_net.h"
#include "vmx/devices/virtio_rng.h"

void machine_set_console_hook(struct machine *m, machine_console_hook_fn fn,
			      void *opaque)
{
	vm_lock(m->m_vm);
	m->m_console_hook = fn;
	m->m_console_hook_opaque = opaque;
	vm_unlock(m->m_vm);
}

/* Write out the buffered console bytes (VM lock held). */
static void machine_console_flush(void *opaque)
{
	struct machine *m = opaque;
	size_t done = 0;
	ssize_t n;

	while (done < m->m_console_len) {
		n = write(m->m_console_fd, m->m_console_buf + done,
			  m->m_console_len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!m->m_console_failed)
				log_warn("console: output lost");
			m->m_console_failed = 1;
			break;
		}
		done += (size_t)n;
	}
	m->m_console_len = 0;
}

static int machine_console_tx(void *opaque, uint8_t byte)
{
	struct machine *m = opaque;

	/* Called with the VM lock held, like machine_set_console_hook. */
	if (m->m_console_hook != NULL)
		m->m_console_hook(m->m_console_hook_opaque, byte);
	if (m->m_console_fd < 0)
		return -EBADF;
	m->m_console_buf[m->m_console_len++] = byte;
	if (byte == '\n' || m->m_console_len == sizeof(m->m_console_buf))
		machine_console_flush(m);
	return 0;
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
	m->m_cpus = cfg->mc_cpus > 0 ? cfg->mc_cpus : 1;
	if (m->m_cpus > VM_VCPUS_MAX) {
		rc = err_set(e, -EINVAL, "%d vCPUs: at most %d", m->m_cpus,
			     VM_VCPUS_MAX);
		goto fail;
	}
	rc = vm_create(&m->m_vm, cfg->mc_mem_bytes, e);
	if (rc < 0)
		goto fail;
	for (int i = 0; i < m->m_cpus; i++) {
		struct vcpu *v;
		rc = vm_add_vcpu(m->m_vm, i, m->m_cpus, &v, e);
		if (rc < 0)
			goto fail;
		if (i == 0)
			m->m_boot_vcpu = v;
	}
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
	if (m->m_console_fd >= 0)
		vm_set_tick(m->m_vm, machine_console_flush, m);
	/*
	 * Linux writes its console a byte at a time, polling the line
	 * status before each: two exits a byte, most of a boot's exits.
	 * The transmit register's writes need no answer, so KVM queues
	 * them and the status read delivers them: one exit a byte. (With
	 * DLAB set, offset 0 is the divisor latch; the in-order delivery
	 * keeps that right.)
	 */
	rc = vm_coalesce_pio(m->m_vm, UART8250_COM1_PORT, 1);
	if (rc < 0)
		log_debug("COM1 transmit writes are not queued: %s",
			  strerror(-rc));
	rc = acpi_pm_create(m->m_vm, ACPI_SCI_IRQ, &m->m_acpi_pm, e);
	if (rc < 0)
		goto fail;
	rc = i8042_create(m->m_vm, e);
	if (rc < 0)
		goto fail;
	rc = rtc_cmos_create(m->m_vm, NULL, e);
	if (rc < 0)
		goto fail;
	rc = pci_bus_create(m->m_vm, &m->m_pci, e);
	if (rc < 0)
		goto fail;
	/* Every VM gets entropy: guests without it stall at boot waiting
	 * for their random pool. */
	rc = virtio_rng_create(m->m_pci, e);
	if (rc < 0)
		goto fail;
	for (int i = 0; i < cfg->mc_ndisks && i < MACHINE_DISKS_MAX; i++) {
		struct virtio_blk_config bc = {
			.vbc_path = cfg->mc_disks[i].md_path,
			.vbc_ro = cfg->mc_disks[i].md_ro,
			.vbc_serial = cfg->mc_disks[i].md_serial,
		};
		rc = virtio_blk_create(m->m_pci, &bc, NULL, e);
		if (rc < 0)
			goto fail;
	}
	for (int i = 0; i < cfg->mc_nnics && i < MACHINE_NICS_MAX; i++) {
		struct virtio_net_config nc = {
			.vnc_tap = cfg->mc_nics[i].mn_tap,
			.vnc_bridge = cfg->mc_nics[i].mn_bridge,
		};
		if (cfg->mc_nics[i].mn_mac != NULL) {
			if (virtio_net_parse_mac(cfg->mc_nics[i].mn_mac,
						 nc.vnc_mac) < 0) {
				rc = err_set(e, -EINVAL,
					     "MAC address '%s': expected a "
					     "unicast aa:bb:cc:dd:ee:ff",
					     cfg->mc_nics[i].mn_mac);
				goto fail;
			}
			nc.vnc_mac_set = 1;
		}
		rc = virtio_net_create(m->m_pci, &nc, e);
		if (rc < 0)
			goto fail;
	}
	*mp = m;
	return 0;
fail:
	machine_destroy(m);
	return rc;
}

unsigned machine_e820(uint64_t mem_bytes, struct e820_entry *map)
{
	unsigned n = 0;

	/* Conventional memory, then the EBDA and the BIOS area (where the
	 * ACPI tables are), then RAM from 1 MiB. */
	map[n++] = (struct e820_entry){0, LAYOUT_EBDA_GPA, E820_RAM};
	map[n++] = (struct e820_entry){
		LAYOUT_EBDA_GPA, 0xa0000 - LAYOUT_EBDA_GPA, E820_RESERVED};
	map[n++] = (struct e820_entry){LAYOUT_ACPI_GPA,
				       LAYOUT_HIGH_GPA - LAYOUT_ACPI_GPA,
				       E820_RESERVED};
	if (mem_bytes > LAYOUT_HIGH_GPA)
		map[n++] = (struct e820_entry){
			LAYOUT_HIGH_GPA, mem_bytes - LAYOUT_HIGH_GPA, E820_RAM};
	return n;
}

/* A bzImage's start: the setup header and more (boot.rst). */
#define MACHINE_KERNEL_HEAD_BYTES 4096

static int machine_pread(void *opaque, uint64_t off, void *dst, size_t len)
{
	return file_pread_all(*(int *)opaque, off, dst, len);
}

/*
 * The kernel file is open as kfd, head holds its first head_len bytes;
 * the rest of it and the initrd are read straight into guest memory.
 */
static int machine_load_bzimage(struct machine *m, const struct machine_boot *b,
				int kfd, const void *head, size_t head_len,
				size_t kernel_len, uint64_t *entry,
				struct err *e)
{
	struct e820_entry map[MACHINE_E820_MAX];
	struct bzimage_boot bb = {0};
	int ifd = -1, rc;

	if (b->mb_initrd != NULL) {
		rc = file_open_bounded(b->mb_initrd, MACHINE_INITRD_MAX_BYTES,
				       &ifd, &bb.bb_initrd_len, e);
		if (rc < 0)
			return rc;
		bb.bb_initrd_read = machine_pread;
		bb.bb_initrd_opaque = &ifd;
	}
	rc = acpi_build(&m->m_vm->vm_mem, (unsigned)m->m_cpus, &bb.bb_rsdp_gpa,
			e);
	if (rc < 0)
		goto out;
	bb.bb_kernel = head;
	bb.bb_kernel_len = head_len;
	bb.bb_kernel_file_len = kernel_len;
	bb.bb_kernel_read = machine_pread;
	bb.bb_kernel_opaque = &kfd;
	bb.bb_cmdline = b->mb_cmdline;
	bb.bb_e820 = map;
	bb.bb_ne820 = machine_e820(m->m_vm->vm_mem.gm_size, map);
	rc = bzimage_load(&m->m_vm->vm_mem, b->mb_kernel, &bb, entry, e);
out:
	if (ifd >= 0)
		close(ifd);
	return rc;
}

/* The kernel file is open as fd, len bytes long. */
static int machine_load_elf(struct machine *m, const struct machine_boot *b,
			    int fd, size_t len, uint64_t *entry, struct err *e)
{
	uint64_t rsdp;
	void *img;
	int rc;

	if (b->mb_initrd != NULL || b->mb_cmdline != NULL)
		return err_set(e, -EINVAL,
			       "%s: an ELF kernel takes no initrd or command "
			       "line",
			       b->mb_kernel);
	rc = file_read_fd(fd, b->mb_kernel, len, &img, e);
	if (rc < 0)
		return rc;
	rc = elf_load(&m->m_vm->vm_mem, b->mb_kernel, img, len, entry, e);
	free(img);
	if (rc == 0)
		rc = acpi_build(&m->m_vm->vm_mem, (unsigned)m->m_cpus, &rsdp,
				e);
	return rc;
}

int machine_load_kernel(struct machine *m, const struct machine_boot *b,
			struct err *e)
{
	uint8_t head[MACHINE_KERNEL_HEAD_BYTES];
	size_t len, head_len;
	uint64_t entry;
	int fd, rc;

	/* Only the start is read here: a kernel's megabytes are read once,
	 * into guest memory, not into a buffer first. */
	rc = file_open_bounded(b->mb_kernel, MACHINE_KERNEL_MAX_BYTES, &fd,
			       &len, e);
	if (rc < 0)
		return rc;
	head_len = len < sizeof(head) ? len : sizeof(head);
	rc = file_pread_all(fd, 0, head, head_len);
	if (rc < 0) {
		close(fd);
		return err_set(e, rc, "%s: read failed: %s", b->mb_kernel,
			       file_strerror(rc));
	}
	if (bzimage_is_bzimage(head, head_len)) {
		rc = machine_load_bzimage(m, b, fd, head, head_len, len, &entry,
					  e);
		close(fd);
		if (rc < 0)
			return rc;
		return longmode_enter(m->m_boot_vcpu, entry,
				      LAYOUT_STACK_TOP_GPA,
				      LAYOUT_ZERO_PAGE_GPA, e);
	}
	if (!elf_is_elf(head, head_len)) {
		close(fd);
		return err_set(e, -ENOEXEC,
			       "%s: not a kernel vmx can boot (expected a "
			       "Linux bzImage or a freestanding x86_64 ELF "
			       "executable)",
			       b->mb_kernel);
	}
	rc = machine_load_elf(m, b, fd, len, &entry, e);
	close(fd);
	if (rc < 0)
		return rc;
	return longmode_enter(m->m_boot_vcpu, entry, LAYOUT_STACK_TOP_GPA, 0,
			      e);
}

enum vm_stop_reason machine_run(struct machine *m)
{
	return vm_run(m->m_vm);
}

void machine_destroy(struct machine *m)
{
	if (m == NULL)
		return;
	vm_destroy(m->m_vm); /* frees the devices it owns */
	free(m);
}
