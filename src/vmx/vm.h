/*
 * vm.h: one KVM virtual machine: its memory, vCPUs, buses and the reason
 * it stopped. Everything /dev/kvm-specific lives in vm.c.
 */
#ifndef BASALT_VMX_VM_H
#define BASALT_VMX_VM_H

#include <pthread.h>
#include <stdint.h>

#include "common/compiler.h"
#include "common/err.h"
#include "vmx/iobus.h"
#include "vmx/mem.h"

#define VM_VCPUS_MAX 64

struct kvm_coalesced_mmio_ring;
#define VM_OWNED_MAX 128

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
	uint64_t vc_exits;   /* exits to user space handled */
	pthread_t vc_thread; /* the thread in KVM_RUN, once started */
	int vc_thread_live;  /* vc_thread is valid */
};

struct vm {
	int vm_kvm_fd;
	int vm_fd;
	struct guest_mem vm_mem;
	struct iobus vm_pio;
	struct iobus vm_mmio;
	struct vcpu *vm_vcpus[VM_VCPUS_MAX];
	int vm_nvcpus;
	/* Set once by whoever stops the VM first (under vm_stop_lock); read
	 * by every run loop. */
	volatile enum vm_stop_reason vm_stop;
	char vm_stop_detail[128];
	pthread_mutex_t vm_stop_lock;
	/* Pause: vCPU threads park while vm_pause_req (under vm_stop_lock). */
	volatile int vm_pause_req;
	int vm_parked; /* vCPU threads parked */
	pthread_cond_t vm_pause_cond;
	/*
	 * Serializes device models: vCPU threads take it around each exit
	 * they dispatch, other threads (control, I/O) around any call into
	 * a device.
	 */
	pthread_mutex_t vm_dev_lock;
	/*
	 * KVM's ring of coalesced writes (vm_coalesce_pio), a page of the
	 * first vCPU's run mapping; NULL while no zone is registered. Read
	 * under vm_dev_lock.
	 */
	struct kvm_coalesced_mmio_ring *vm_ring;
	uint32_t vm_ring_max;	 /* entries in the ring */
	uint64_t vm_ring_writes; /* writes taken from it so far */
	/* vm_set_tick's callback. */
	void (*vm_tick_fn)(void *opaque);
	void *vm_tick_opaque;
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

/*
 * Add vCPU number id (0..ncpus-1, below VM_VCPUS_MAX) of ncpus, with the
 * host's supported CPUID, its APIC id and the topology of ncpus cores in
 * one package, and the MSR and LAPIC state firmware would leave.
 */
BASALT_MUST_CHECK int vm_add_vcpu(struct vm *vm, int id, int ncpus,
				  struct vcpu **vcpup, struct err *e);

/*
 * Run every vCPU but the first on its own thread and the first on the
 * calling one, until the VM stops; joins them all and returns the stop
 * reason. With a coalescing zone or a tick, a "drain" thread runs beside
 * them: every 20 ms it delivers queued writes and calls the tick.
 */
enum vm_stop_reason vm_run(struct vm *vm);

/*
 * Run the vCPU until the VM stops; returns the stop reason. Exits are
 * dispatched to vm_pio and vm_mmio.
 */
enum vm_stop_reason vcpu_run_loop(struct vcpu *vcpu);

/*
 * Stop the VM with reason (the first reason wins) and a short detail for
 * the log, and kick every vCPU out of KVM_RUN. Safe to call from any
 * thread, device callbacks included.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason,
		     const char *detail);

/*
 * Stop every vCPU outside KVM_RUN and return once all are parked (or the
 * VM stopped); vm_resume lets them go on. Devices keep their state.
 */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
int vm_is_paused(struct vm *vm);

/* Exits handled by all vCPUs so far. */
uint64_t vm_exits(struct vm *vm);

void vm_lock(struct vm *vm);
void vm_unlock(struct vm *vm);

/*
 * Have KVM signal eventfd fd itself when the guest writes len bytes equal
 * to datamatch at gpa (the vCPU goes straight back to the guest), or stop
 * that (assign 0). Returns 0 or -errno.
 */
BASALT_MUST_CHECK int vm_ioeventfd(struct vm *vm, uint64_t gpa, unsigned len,
				   uint64_t datamatch, int fd, int assign);

/*
 * Have KVM queue the guest's writes to ports port..port+len-1 in a ring
 * instead of exiting for each (KVM_CAP_COALESCED_PIO); vm_drain delivers
 * them to vm_pio in order before any other exit is handled (and vm_run's
 * drain thread every 20 ms), so devices see the same sequence as without
 * the ring, only later. For registers
 * whose writes need no immediate answer (a UART's transmit register).
 * Needs vCPU 0. Returns 0, or -errno (-ENOTSUP: KVM cannot; the writes
 * then simply exit as before).
 */
BASALT_MUST_CHECK int vm_coalesce_pio(struct vm *vm, uint16_t port,
				      unsigned len);

/* Deliver the queued writes (vm_lock held). */
void vm_drain(struct vm *vm);

/*
 * Have vm_run's drain thread call fn(opaque) under vm_lock every 20 ms,
 * after delivering queued writes, and once more when the VM has stopped:
 * for device output that is batched (the console). Set before vm_run.
 */
void vm_set_tick(struct vm *vm, void (*fn)(void *opaque), void *opaque);

/* Drive an interrupt line of the in-kernel PIC/IOAPIC. */
BASALT_MUST_CHECK int vm_irq_line(struct vm *vm, unsigned irq, int level);

/* Name of a stop reason for logs ("poweroff", "reset", ...). */
const char *vm_stop_name(enum vm_stop_reason reason);

#endif
