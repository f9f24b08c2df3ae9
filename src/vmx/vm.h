/*
 * vm.h: one KVM virtual machine: its memory, vCPUs, buses and the reason
 * it stopped. Everything /dev/kvm-specific lives in vm.c.
 */
#ifndef BASALT_VMX_VM_H
#define BASALT_VMX_VM_H

#include <stdint.h>

#include "common/compiler.h"
#include "common/err.h"
#include "vmx/iobus.h"
#include "vmx/mem.h"

#define VM_VCPUS_MAX 64
#define VM_OWNED_MAX 32

/* Why a VM stopped running; vmx turns this into its exit status. */
enum vm_stop_reason {
	VM_RUNNING = 0,
	VM_STOP_POWEROFF, /* guest asked for power off (ACPI S5) */
	VM_STOP_RESET,	  /* guest asked for reset (i8042, triple fault) */
	VM_STOP_CRASH,	  /* KVM could not continue the guest */
	VM_STOP_REQUEST,  /* the host asked (harness, control socket) */
	VM_STOP_ERROR,	  /* the monitor failed */
};

struct vcpu {
	int vc_id;
	int vc_fd;
	struct kvm_run *vc_run; /* shared with KVM, vc_run_size bytes */
	size_t vc_run_size;
	struct vm *vc_vm;
	uint64_t vc_exits; /* exits to user space handled */
};

struct vm {
	int vm_kvm_fd;
	int vm_fd;
	struct guest_mem vm_mem;
	struct iobus vm_pio;
	struct iobus vm_mmio;
	struct vcpu *vm_vcpus[VM_VCPUS_MAX];
	int vm_nvcpus;
	/* Set once by whoever stops the VM first; read by the run loop. */
	volatile enum vm_stop_reason vm_stop;
	char vm_stop_detail[128];
	/* Device state freed with the VM (see vm_own). */
	struct {
		void *vo_ptr;
		void (*vo_free)(void *);
	} vm_owned[VM_OWNED_MAX];
	int vm_nowned;
};

/*
 * Create a VM with mem_bytes of RAM at guest physical 0, an in-kernel
 * irqchip and PIT. Fails with a message naming what was missing (no
 * /dev/kvm, no permission, wrong KVM API).
 */
BASALT_MUST_CHECK int vm_create(struct vm **vmp, uint64_t mem_bytes,
				struct err *e);
void vm_destroy(struct vm *vm);

/*
 * Hand ptr to the VM: vm_destroy() calls free_fn(ptr), last owned first.
 * Fails only when the table is full; ptr then still belongs to the caller.
 */
BASALT_MUST_CHECK int vm_own(struct vm *vm, void *ptr, void (*free_fn)(void *),
			     struct err *e);

/* Add vCPU number id (0..VM_VCPUS_MAX-1) with the host's supported CPUID. */
BASALT_MUST_CHECK int vm_add_vcpu(struct vm *vm, int id, struct vcpu **vcpup,
				  struct err *e);

/*
 * Run the vCPU until the VM stops; returns the stop reason. Exits are
 * dispatched to vm_pio and vm_mmio.
 */
enum vm_stop_reason vcpu_run_loop(struct vcpu *vcpu);

/*
 * Stop the VM with reason (the first reason wins) and a short detail for
 * the log. Safe to call from device callbacks.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason,
		     const char *detail);

/* Drive an interrupt line of the in-kernel PIC/IOAPIC. */
BASALT_MUST_CHECK int vm_irq_line(struct vm *vm, unsigned irq, int level);

/* Name of a stop reason for logs ("poweroff", "reset", ...). */
const char *vm_stop_name(enum vm_stop_reason reason);

#endif
