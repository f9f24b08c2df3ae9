/*
 * virtio_pci_fuzz.c: libFuzzer target for everything a guest reaches
 * through PCI: configuration mechanism #1, BAR and MSI-X decoding, the
 * virtio-pci common config and status machine, and queue processing in
 * virtio-blk (on a memfd disk) and virtio-rng. The input is a program of
 * 8-byte operations {kind and size, address (3 bytes), value (4 bytes)}:
 * port write/read, MMIO write/read in the BAR window, guest RAM write, so the
 * fuzzer can set up rings and drive the devices the way a hostile driver would.
 * Any crash or sanitizer report is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmx/boot/layout.h"
#include "vmx/devices/pci.h"
#include "vmx/devices/virtio_blk.h"
#include "vmx/devices/virtio_rng.h"
#include "vmx/vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_RAM_BYTES (256u << 10)
#define OP_BYTES       8
#define WINDOW_BYTES   0x20000u

static uint8_t ram[FUZZ_RAM_BYTES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char disk[64];
	struct virtio_blk_config bc = {.vbc_path = disk};
	struct pci_bus *bus;
	struct vm *vm;
	struct err e;

	if (disk[0] == '\0') {
		int fd = memfd_create("fuzz-disk", 0);
		if (fd < 0 || ftruncate(fd, 1 << 20) < 0)
			return 0;
		snprintf(disk, sizeof(disk), "/proc/self/fd/%d", fd);
	}
	vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return 0;
	vm->vm_kvm_fd = vm->vm_fd = -1;
	pthread_mutex_init(&vm->vm_stop_lock, NULL);
	pthread_mutex_init(&vm->vm_dev_lock, NULL);
	pthread_cond_init(&vm->vm_pause_cond, NULL);
	iobus_init(&vm->vm_pio, "pio");
	iobus_init(&vm->vm_mmio, "mmio");
	memset(ram, 0, sizeof(ram));
	mem_init_fake(&vm->vm_mem, ram, sizeof(ram));
	if (pci_bus_create(vm, &bus, &e) < 0 ||
	    virtio_rng_create(bus, &e) < 0 ||
	    virtio_blk_create(bus, &bc, NULL, &e) < 0)
		goto out;
	for (size_t i = 0; i + OP_BYTES <= size; i += OP_BYTES) {
		const uint8_t *op = data + i;
		uint8_t buf[8];
		unsigned sz = 1u << ((op[0] / 5) % 4);
		uint32_t v;
		uint64_t a = (uint64_t)op[1] << 8 | op[2];
		memcpy(&v, op + 4, 4);
		memset(buf, 0, sizeof(buf));
		memcpy(buf, &v, 4);
		switch (op[0] % 5) {
		case 0: /* config port write; 8-byte port I/O does not exist */
			iobus_write(&vm->vm_pio, PCI_CONFIG_ADDR_PORT + a % 8,
				    buf, sz > 4 ? 4 : sz);
			break;
		case 1:
			iobus_read(&vm->vm_pio, PCI_CONFIG_ADDR_PORT + a % 8,
				   buf, sz > 4 ? 4 : sz);
			break;
		case 2:
			a = (a << 8 | op[3]) % WINDOW_BYTES;
			iobus_write(&vm->vm_mmio, LAYOUT_PCI_MMIO_GPA + a, buf,
				    sz);
			break;
		case 3:
			a = (a << 8 | op[3]) % WINDOW_BYTES;
			iobus_read(&vm->vm_mmio, LAYOUT_PCI_MMIO_GPA + a, buf,
				   sz);
			break;
		case 4: /* guest RAM: rings, descriptors, requests */
			a = (a << 8 | op[3]) * 4 % FUZZ_RAM_BYTES;
			memcpy(ram + a, &v, 4);
			break;
		}
	}
out:
	vm->vm_mem.gm_host = NULL; /* static: not ours to unmap */
	vm_destroy(vm);
	return 0;
}
