/*
 * vm.c: KVM plumbing: VM and vCPU creation, the run loop and exit dispatch.
 * KVM API: Documentation/virt/kvm/api.rst in the Linux tree.
 */
#include "vmx/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"

#define KVM_DEVICE	 "/dev/kvm"
#define KVM_API_EXPECTED 12
/* Three pages below 4 GiB that KVM needs on Intel for real-mode emulation. */
#define VM_TSS_GPA	     0xfffbd000ULL
#define VM_IDENTITY_GPA	     0xfffbc000ULL
#define VM_CPUID_ENTRIES_MAX 256

const char *vm_stop_name(enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_RUNNING:
		return "running";
	case VM_STOP_POWEROFF:
		return "poweroff";
	case VM_STOP_RESET:
		return "reset";
	case VM_STOP_CRASH:
		return "crash";
	case VM_STOP_REQUEST:
		return "requested";
	case VM_STOP_ERROR:
		return "error";
	}
	return "unknown";
}

static int kvm_ioctl_retry(int fd, unsigned long req, unsigned long arg)
{
	int rc;

	do {
		rc = ioctl(fd, req, arg);
	} while (rc < 0 && errno == EINTR);
	return rc;
}

int vm_create(struct vm **vmp, uint64_t mem_bytes, struct err *e)
{
	struct kvm_userspace_memory_region region;
	struct kvm_pit_config pit = {.flags = 0};
	struct vm *vm;
	int rc, api;

	vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	vm->vm_kvm_fd = -1;
	vm->vm_fd = -1;
	iobus_init(&vm->vm_pio, "pio");
	iobus_init(&vm->vm_mmio, "mmio");

	vm->vm_kvm_fd = open(KVM_DEVICE, O_RDWR | O_CLOEXEC);
	if (vm->vm_kvm_fd < 0) {
		rc = err_set(e, -errno, "cannot open %s: %s", KVM_DEVICE,
			     strerror(errno));
		goto fail;
	}
	api = ioctl(vm->vm_kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_EXPECTED) {
		rc = err_set(e, -ENOTSUP, "%s: KVM API version %d, expected %d",
			     KVM_DEVICE, api, KVM_API_EXPECTED);
		goto fail;
	}
	if (ioctl(vm->vm_kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0 ||
	    ioctl(vm->vm_kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0) {
		rc = err_set(
			e, -ENOTSUP,
			"%s: no in-kernel irqchip or PIT (KVM_CAP_IRQCHIP, "
			"KVM_CAP_PIT2)",
			KVM_DEVICE);
		goto fail;
	}
	vm->vm_fd = kvm_ioctl_retry(vm->vm_kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		rc = err_set(e, -errno, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VM_TSS_GPA) < 0) {
		rc = err_set(e, -errno, "KVM_SET_TSS_ADDR: %s",
			     strerror(errno));
		goto fail;
	}
	{
		uint64_t ident = VM_IDENTITY_GPA;
		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0) {
			rc = err_set(e, -errno, "KVM_SET_IDENTITY_MAP_ADDR: %s",
				     strerror(errno));
			goto fail;
		}
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		rc = err_set(e, -errno, "KVM_CREATE_IRQCHIP: %s",
			     strerror(errno));
		goto fail;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		rc = err_set(e, -errno, "KVM_CREATE_PIT2: %s", strerror(errno));
		goto fail;
	}
	rc = mem_init(&vm->vm_mem, mem_bytes, e);
	if (rc < 0)
		goto fail;
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->vm_mem.gm_size,
		.userspace_addr = (uintptr_t)vm->vm_mem.gm_host,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		rc = err_set(e, -errno, "KVM_SET_USER_MEMORY_REGION: %s",
			     strerror(errno));
		goto fail;
	}
	*vmp = vm;
	return 0;
fail:
	vm_destroy(vm);
	return rc;
}

static void vcpu_free(struct vcpu *vcpu)
{
	if (vcpu == NULL)
		return;
	if (vcpu->vc_run != NULL)
		munmap(vcpu->vc_run, vcpu->vc_run_size);
	if (vcpu->vc_fd >= 0)
		close(vcpu->vc_fd);
	free(vcpu);
}

int vm_own(struct vm *vm, void *ptr, void (*free_fn)(void *), struct err *e)
{
	if (vm->vm_nowned >= VM_OWNED_MAX)
		return err_set(e, -ENOSPC, "more than %d device objects",
			       VM_OWNED_MAX);
	vm->vm_owned[vm->vm_nowned].vo_ptr = ptr;
	vm->vm_owned[vm->vm_nowned].vo_free = free_fn;
	vm->vm_nowned++;
	return 0;
}

void vm_destroy(struct vm *vm)
{
	int i;

	if (vm == NULL)
		return;
	while (vm->vm_nowned > 0) {
		vm->vm_nowned--;
		vm->vm_owned[vm->vm_nowned].vo_free(
			vm->vm_owned[vm->vm_nowned].vo_ptr);
	}
	for (i = 0; i < VM_VCPUS_MAX; i++)
		vcpu_free(vm->vm_vcpus[i]);
	mem_fini(&vm->vm_mem);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->vm_kvm_fd >= 0)
		close(vm->vm_kvm_fd);
	free(vm);
}

static int vcpu_set_cpuid(struct vcpu *vcpu, struct err *e)
{
	struct kvm_cpuid2 *cpuid;
	size_t size;
	int rc = 0;

	size = sizeof(*cpuid) +
	       VM_CPUID_ENTRIES_MAX * sizeof(struct kvm_cpuid_entry2);
	cpuid = calloc(1, size);
	if (cpuid == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	cpuid->nent = VM_CPUID_ENTRIES_MAX;
	if (ioctl(vcpu->vc_vm->vm_kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		rc = err_set(e, -errno, "KVM_GET_SUPPORTED_CPUID: %s",
			     strerror(errno));
		goto out;
	}
	/* Leaf 1: the initial APIC id in EBX[31:24] must match the vCPU. */
	for (uint32_t i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *ent = &cpuid->entries[i];
		if (ent->function == 1) {
			ent->ebx &= 0x00ffffffu;
			ent->ebx |= (uint32_t)vcpu->vc_id << 24;
		}
	}
	if (ioctl(vcpu->vc_fd, KVM_SET_CPUID2, cpuid) < 0)
		rc = err_set(e, -errno, "KVM_SET_CPUID2: %s", strerror(errno));
out:
	free(cpuid);
	return rc;
}

int vm_add_vcpu(struct vm *vm, int id, struct vcpu **vcpup, struct err *e)
{
	struct vcpu *vcpu;
	int size, rc;

	if (id < 0 || id >= VM_VCPUS_MAX || vm->vm_vcpus[id] != NULL)
		return err_set(e, -EINVAL,
			       "vCPU id %d: unused id below %d "
			       "expected",
			       id, VM_VCPUS_MAX);
	vcpu = calloc(1, sizeof(*vcpu));
	if (vcpu == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	vcpu->vc_id = id;
	vcpu->vc_vm = vm;
	vcpu->vc_fd =
		kvm_ioctl_retry(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (vcpu->vc_fd < 0) {
		rc = err_set(e, -errno, "KVM_CREATE_VCPU %d: %s", id,
			     strerror(errno));
		goto fail;
	}
	size = ioctl(vm->vm_kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run)) {
		rc = err_set(e, -EINVAL, "KVM_GET_VCPU_MMAP_SIZE: %d", size);
		goto fail;
	}
	vcpu->vc_run_size = (size_t)size;
	vcpu->vc_run = mmap(NULL, vcpu->vc_run_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, vcpu->vc_fd, 0);
	if (vcpu->vc_run == MAP_FAILED) {
		vcpu->vc_run = NULL;
		rc = err_set(e, -errno, "mmap of vCPU %d run area: %s", id,
			     strerror(errno));
		goto fail;
	}
	rc = vcpu_set_cpuid(vcpu, e);
	if (rc < 0)
		goto fail;
	vm->vm_vcpus[id] = vcpu;
	vm->vm_nvcpus++;
	*vcpup = vcpu;
	return 0;
fail:
	vcpu_free(vcpu);
	return rc;
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason,
		     const char *detail)
{
	if (vm->vm_stop != VM_RUNNING)
		return;
	snprintf(vm->vm_stop_detail, sizeof(vm->vm_stop_detail), "%s",
		 detail != NULL ? detail : "");
	vm->vm_stop = reason;
}

int vm_irq_line(struct vm *vm, unsigned irq, int level)
{
	struct kvm_irq_level lvl = {.irq = irq, .level = level ? 1 : 0};

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &lvl) < 0)
		return -errno;
	return 0;
}

static void vcpu_handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->vc_run;
	/*
	 * SAFETY: KVM places the data inside the run area it sized; check
	 * the offset and count anyway before touching it, since a wrong
	 * value would make us scribble over our own memory.
	 */
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	if (run->io.data_offset >= vcpu->vc_run_size ||
	    bytes > vcpu->vc_run_size - run->io.data_offset ||
	    (run->io.size != 1 && run->io.size != 2 && run->io.size != 4)) {
		vm_request_stop(vcpu->vc_vm, VM_STOP_ERROR,
				"KVM_EXIT_IO with a bad data area");
		return;
	}
	for (uint32_t i = 0; i < run->io.count; i++) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			iobus_write(&vcpu->vc_vm->vm_pio, run->io.port, data,
				    run->io.size);
		else
			iobus_read(&vcpu->vc_vm->vm_pio, run->io.port, data,
				   run->io.size);
		data += run->io.size;
	}
}

static void vcpu_handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->vc_run;
	unsigned len = run->mmio.len;

	if (len == 0 || len > sizeof(run->mmio.data)) {
		vm_request_stop(vcpu->vc_vm, VM_STOP_ERROR,
				"KVM_EXIT_MMIO with a bad length");
		return;
	}
	if (run->mmio.is_write)
		iobus_write(&vcpu->vc_vm->vm_mmio, run->mmio.phys_addr,
			    run->mmio.data, len);
	else
		iobus_read(&vcpu->vc_vm->vm_mmio, run->mmio.phys_addr,
			   run->mmio.data, len);
}

enum vm_stop_reason vcpu_run_loop(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vc_vm;
	struct kvm_run *run = vcpu->vc_run;
	char detail[96];

	while (vm->vm_stop == VM_RUNNING) {
		if (ioctl(vcpu->vc_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(detail, sizeof(detail), "KVM_RUN: %s",
				 strerror(errno));
			vm_request_stop(vm, VM_STOP_ERROR, detail);
			break;
		}
		vcpu->vc_exits++;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vcpu_handle_io(vcpu);
			break;
		case KVM_EXIT_MMIO:
			vcpu_handle_mmio(vcpu);
			break;
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_HLT:
			/* Only without an in-kernel irqchip; we always have
			 * one. */
			vm_request_stop(vm, VM_STOP_CRASH, "halted for good");
			break;
		case KVM_EXIT_SHUTDOWN:
			/* Triple fault: a PC resets; the caller decides. */
			vm_request_stop(vm, VM_STOP_RESET, "triple fault");
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
				vm_request_stop(vm, VM_STOP_RESET,
						"system reset event");
			else
				vm_request_stop(vm, VM_STOP_POWEROFF,
						"system event");
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			snprintf(detail, sizeof(detail),
				 "KVM internal error, suberror %u at vCPU %d",
				 run->internal.suberror, vcpu->vc_id);
			vm_request_stop(vm, VM_STOP_CRASH, detail);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(detail, sizeof(detail),
				 "VM entry failed, reason 0x%llx",
				 (unsigned long long)run->fail_entry
					 .hardware_entry_failure_reason);
			vm_request_stop(vm, VM_STOP_CRASH, detail);
			break;
		default:
			snprintf(detail, sizeof(detail),
				 "unexpected KVM exit %u", run->exit_reason);
			vm_request_stop(vm, VM_STOP_CRASH, detail);
			break;
		}
	}
	return vm->vm_stop;
}
