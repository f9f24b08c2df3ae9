/*
 * vm.c: KVM plumbing: VM and vCPU creation, the run loop and exit dispatch.
 * KVM API: Documentation/virt/kvm/api.rst in the Linux tree.
 */
#include "vmx/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/thread.h"

#define KVM_DEVICE	 "/dev/kvm"
#define KVM_API_EXPECTED 12
/* Three pages below 4 GiB that KVM needs on Intel for real-mode emulation. */
#define VM_TSS_GPA		 0xfffbd000ULL
#define VM_IDENTITY_GPA		 0xfffbc000ULL
#define VM_CPUID_ENTRIES_MAX	 256
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
/* Sent to a vCPU thread to get it out of KVM_RUN; its handler is empty. */
#define VM_KICK_SIGNAL SIGUSR1

/* MSRs and LAPIC registers set at vCPU creation (Intel SDM vol. 4, vol. 3A
 * 11.5.1) */
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MISC_ENABLE_FAST_STRING 1ULL
#define MSR_MTRR_DEF_TYPE	0x2ff
#define MTRR_DEF_TYPE_E_WB	0x806ULL /* MTRRs on, default write-back */
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_LINT1		0x360
#define LAPIC_DELIVERY_EXTINT	0x700u
#define LAPIC_DELIVERY_NMI	0x400u
#define LAPIC_DELIVERY_MASK	0x700u

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

static void vm_kick_handler(int sig)
{
	(void)sig; /* interrupting KVM_RUN is all it is for */
}

int vm_create(struct vm **vmp, uint64_t mem_bytes, struct err *e)
{
	struct sigaction sa;
	struct kvm_userspace_memory_region region;
	struct kvm_pit_config pit = {.flags = 0};
	struct vm *vm;
	pthread_condattr_t cattr;
	int rc, api;

	vm = calloc(1, sizeof(*vm));
	if (vm == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	vm->vm_kvm_fd = -1;
	vm->vm_fd = -1;
	pthread_mutex_init(&vm->vm_stop_lock, NULL);
	pthread_mutex_init(&vm->vm_dev_lock, NULL);
	/* Monotonic: the drain thread's periodic wait must not follow
	 * changes of the wall clock. */
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->vm_pause_cond, &cattr);
	pthread_condattr_destroy(&cattr);
	/* No SA_RESTART: the kick must make KVM_RUN return EINTR. Installed
	 * here, before vmx sandboxes itself. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vm_kick_handler;
	sigemptyset(&sa.sa_mask);
	sigaction(VM_KICK_SIGNAL, &sa, NULL);
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
	pthread_mutex_destroy(&vm->vm_stop_lock);
	pthread_mutex_destroy(&vm->vm_dev_lock);
	pthread_cond_destroy(&vm->vm_pause_cond);
	free(vm);
}

/* Bits needed to number n things: the APIC id field widths. */
static uint32_t id_bits(int n)
{
	uint32_t b = 0;

	while ((1 << b) < n)
		b++;
	return b;
}

/*
 * Present ncpus cores of one package, one thread each, APIC id = vCPU id:
 * leaf 1 (initial APIC id, logical count), leaves 0xb/0x1f (x2APIC
 * topology), leaf 4 (cores per package) and AMD's 0x80000008 (core count).
 */
static void cpuid_topology(struct kvm_cpuid_entry2 *ent, int id, int ncpus)
{
	uint32_t fn = ent->function;

	if (fn == 1) {
		ent->ebx &= 0x0000ffffu;
		ent->ebx |= (uint32_t)id << 24 | (uint32_t)ncpus << 16;
		if (ncpus > 1)
			ent->edx |= 1u << 28; /* HTT: the count is valid */
		/* KVM leaves the hypervisor bit to us; without it guests
		 * skip the KVM leaves (kvm-clock, PV EOI, ...). */
		ent->ecx |= 1u << 31;
	} else if (fn == 4) {
		ent->eax &= 0x03ffffffu;
		ent->eax |= (uint32_t)(ncpus - 1) << 26;
	} else if (fn == 0xb || fn == 0x1f) {
		uint32_t level = ent->index;
		ent->edx = (uint32_t)id;
		if (level == 0) { /* SMT: one thread per core */
			ent->eax = 0;
			ent->ebx = 1;
			ent->ecx = 1u << 8 | level;
		} else if (level == 1) { /* cores */
			ent->eax = id_bits(ncpus);
			ent->ebx = (uint32_t)ncpus;
			ent->ecx = 2u << 8 | level;
		} else {
			ent->eax = ent->ebx = 0;
			ent->ecx = level;
		}
	} else if (fn == 0x80000008) {
		ent->ecx = (id_bits(ncpus) << 12) | (uint32_t)(ncpus - 1);
	}
}

static int vcpu_set_cpuid(struct vcpu *vcpu, int ncpus, struct err *e)
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
	for (uint32_t i = 0; i < cpuid->nent; i++)
		cpuid_topology(&cpuid->entries[i], vcpu->vc_id, ncpus);
	/*
	 * KVM emulates the LAPIC's TSC-deadline mode but leaves announcing
	 * it to us. Without it Linux calibrates the LAPIC timer against the
	 * PIT at boot (a tenth of a second) and programs a countdown.
	 */
	if (ioctl(vcpu->vc_vm->vm_kvm_fd, KVM_CHECK_EXTENSION,
		  KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		for (uint32_t i = 0; i < cpuid->nent; i++)
			if (cpuid->entries[i].function == 1)
				cpuid->entries[i].ecx |=
					CPUID_1_ECX_TSC_DEADLINE;
	if (ioctl(vcpu->vc_fd, KVM_SET_CPUID2, cpuid) < 0)
		rc = err_set(e, -errno, "KVM_SET_CPUID2: %s", strerror(errno));
out:
	free(cpuid);
	return rc;
}

/*
 * What firmware leaves behind: fast strings on, MTRRs on with write-back
 * default (otherwise Linux turns PAT off and maps everything uncached),
 * and the LAPIC's LINT0 as ExtINT (the 8259) and LINT1 as NMI.
 */
static int vcpu_set_firmware_state(struct vcpu *vcpu, struct err *e)
{
	/* struct kvm_msrs ends in a flexible array: room for two after it. */
	uint64_t buf[(sizeof(struct kvm_msrs) +
		      2 * sizeof(struct kvm_msr_entry)) /
		     sizeof(uint64_t)] = {0};
	struct kvm_msrs *msrs = (struct kvm_msrs *)buf;
	struct kvm_lapic_state lapic;
	uint32_t lvt;

	msrs->nmsrs = 2;
	msrs->entries[0].index = MSR_IA32_MISC_ENABLE;
	msrs->entries[0].data = MISC_ENABLE_FAST_STRING;
	msrs->entries[1].index = MSR_MTRR_DEF_TYPE;
	msrs->entries[1].data = MTRR_DEF_TYPE_E_WB;
	if (ioctl(vcpu->vc_fd, KVM_SET_MSRS, msrs) != 2)
		return err_set(e, -EIO, "KVM_SET_MSRS on vCPU %d failed",
			       vcpu->vc_id);
	if (ioctl(vcpu->vc_fd, KVM_GET_LAPIC, &lapic) < 0)
		return err_set(e, -errno, "KVM_GET_LAPIC: %s", strerror(errno));
	memcpy(&lvt, &lapic.regs[LAPIC_LVT_LINT0], 4);
	lvt = (lvt & ~LAPIC_DELIVERY_MASK) | LAPIC_DELIVERY_EXTINT;
	memcpy(&lapic.regs[LAPIC_LVT_LINT0], &lvt, 4);
	memcpy(&lvt, &lapic.regs[LAPIC_LVT_LINT1], 4);
	lvt = (lvt & ~LAPIC_DELIVERY_MASK) | LAPIC_DELIVERY_NMI;
	memcpy(&lapic.regs[LAPIC_LVT_LINT1], &lvt, 4);
	if (ioctl(vcpu->vc_fd, KVM_SET_LAPIC, &lapic) < 0)
		return err_set(e, -errno, "KVM_SET_LAPIC: %s", strerror(errno));
	return 0;
}

int vm_add_vcpu(struct vm *vm, int id, int ncpus, struct vcpu **vcpup,
		struct err *e)
{
	struct vcpu *vcpu;
	int size, rc;

	if (ncpus < 1 || ncpus > VM_VCPUS_MAX || id < 0 || id >= ncpus ||
	    vm->vm_vcpus[id] != NULL)
		return err_set(e, -EINVAL,
			       "vCPU id %d of %d: unused id below %d "
			       "expected",
			       id, ncpus, VM_VCPUS_MAX);
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
	rc = vcpu_set_cpuid(vcpu, ncpus, e);
	if (rc == 0)
		rc = vcpu_set_firmware_state(vcpu, e);
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

/*
 * Get every running vCPU out of KVM_RUN (vm_stop_lock held):
 * immediate_exit covers a thread about to enter it, the signal one
 * already inside.
 */
static void vm_kick_all(struct vm *vm)
{
	for (int i = 0; i < VM_VCPUS_MAX; i++) {
		struct vcpu *v = vm->vm_vcpus[i];
		if (v == NULL || !v->vc_thread_live)
			continue;
		__atomic_store_n(&v->vc_run->immediate_exit, 1,
				 __ATOMIC_SEQ_CST);
		if (!pthread_equal(v->vc_thread, pthread_self()))
			pthread_kill(v->vc_thread, VM_KICK_SIGNAL);
	}
}

void vm_request_stop(struct vm *vm, enum vm_stop_reason reason,
		     const char *detail)
{
	pthread_mutex_lock(&vm->vm_stop_lock);
	if (vm->vm_stop != VM_RUNNING) {
		pthread_mutex_unlock(&vm->vm_stop_lock);
		return;
	}
	snprintf(vm->vm_stop_detail, sizeof(vm->vm_stop_detail), "%s",
		 detail != NULL ? detail : "");
	vm->vm_stop = reason;
	vm_kick_all(vm);
	pthread_cond_broadcast(&vm->vm_pause_cond); /* parked ones too */
	pthread_mutex_unlock(&vm->vm_stop_lock);
}

void vm_pause(struct vm *vm)
{
	int live;

	pthread_mutex_lock(&vm->vm_stop_lock);
	vm->vm_pause_req = 1;
	vm_kick_all(vm);
	for (;;) {
		live = 0;
		for (int i = 0; i < VM_VCPUS_MAX; i++)
			if (vm->vm_vcpus[i] != NULL &&
			    vm->vm_vcpus[i]->vc_thread_live)
				live++;
		if (vm->vm_parked >= live || vm->vm_stop != VM_RUNNING)
			break;
		pthread_cond_wait(&vm->vm_pause_cond, &vm->vm_stop_lock);
	}
	pthread_mutex_unlock(&vm->vm_stop_lock);
	/* Device threads (net rx) work under vm_lock and check for a pause
	 * there: once we hold it, a batch begun before the pause is done,
	 * and none starts until resume. */
	vm_lock(vm);
	vm_unlock(vm);
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->vm_stop_lock);
	vm->vm_pause_req = 0;
	pthread_cond_broadcast(&vm->vm_pause_cond);
	pthread_mutex_unlock(&vm->vm_stop_lock);
}

int vm_is_paused(struct vm *vm)
{
	return __atomic_load_n(&vm->vm_pause_req, __ATOMIC_ACQUIRE);
}

uint64_t vm_exits(struct vm *vm)
{
	uint64_t n = 0;

	for (int i = 0; i < VM_VCPUS_MAX; i++)
		if (vm->vm_vcpus[i] != NULL)
			n += __atomic_load_n(&vm->vm_vcpus[i]->vc_exits,
					     __ATOMIC_RELAXED);
	return n;
}

/* Park the calling vCPU thread while a pause is requested. */
static void vcpu_park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vc_vm;

	pthread_mutex_lock(&vm->vm_stop_lock);
	vm->vm_parked++;
	pthread_cond_broadcast(&vm->vm_pause_cond);
	while (vm->vm_pause_req && vm->vm_stop == VM_RUNNING)
		pthread_cond_wait(&vm->vm_pause_cond, &vm->vm_stop_lock);
	vm->vm_parked--;
	pthread_mutex_unlock(&vm->vm_stop_lock);
}

void vm_lock(struct vm *vm)
{
	pthread_mutex_lock(&vm->vm_dev_lock);
}

void vm_unlock(struct vm *vm)
{
	pthread_mutex_unlock(&vm->vm_dev_lock);
}

int vm_ioeventfd(struct vm *vm, uint64_t gpa, unsigned len, uint64_t datamatch,
		 int fd, int assign)
{
	struct kvm_ioeventfd io = {
		.datamatch = datamatch,
		.addr = gpa,
		.len = len,
		.fd = fd,
		.flags = KVM_IOEVENTFD_FLAG_DATAMATCH |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &io) < 0)
		return -errno;
	return 0;
}

int vm_irq_line(struct vm *vm, unsigned irq, int level)
{
	struct kvm_irq_level lvl = {.irq = irq, .level = level ? 1 : 0};

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &lvl) < 0)
		return -errno;
	return 0;
}

int vm_coalesce_pio(struct vm *vm, uint16_t port, unsigned len)
{
	struct vcpu *v = vm->vm_vcpus[0];
	long page = sysconf(_SC_PAGESIZE);
	struct kvm_coalesced_mmio_zone zone = {
		.addr = port, .size = len, .pio = 1};
	int off;

	if (v == NULL || len == 0 || page <= 0)
		return -EINVAL;
	/* KVM_CAP_COALESCED_MMIO answers with the ring's page offset. */
	off = ioctl(vm->vm_kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	if (off <= 0 ||
	    ioctl(vm->vm_kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <=
		    0 ||
	    (size_t)(off + 1) * (size_t)page > v->vc_run_size)
		return -ENOTSUP;
	if (ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &zone) < 0)
		return -errno;
	vm->vm_ring_max = (uint32_t)(((size_t)page -
				      sizeof(struct kvm_coalesced_mmio_ring)) /
				     sizeof(struct kvm_coalesced_mmio));
	vm->vm_ring = (struct kvm_coalesced_mmio_ring *)((char *)v->vc_run +
							 (size_t)off * page);
	return 0;
}

void vm_drain(struct vm *vm)
{
	struct kvm_coalesced_mmio_ring *ring = vm->vm_ring;
	uint32_t first;

	if (ring == NULL)
		return;
	/* KVM fills [first, last) and moves last; we consume and move
	 * first. Acquire pairs with KVM's barrier before it moves last. */
	first = __atomic_load_n(&ring->first, __ATOMIC_RELAXED);
	while (first != __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE)) {
		struct kvm_coalesced_mmio *c;

		if (first >= vm->vm_ring_max) {
			/* Only KVM writes the ring; not a guest's doing. */
			vm_request_stop(vm, VM_STOP_ERROR,
					"coalesced write ring out of range");
			return;
		}
		c = &ring->coalesced_mmio[first];
		if (c->len >= 1 && c->len <= sizeof(c->data)) {
			if (c->pio)
				iobus_write(&vm->vm_pio, c->phys_addr, c->data,
					    c->len);
			else
				iobus_write(&vm->vm_mmio, c->phys_addr, c->data,
					    c->len);
		}
		vm->vm_ring_writes++;
		first = (first + 1) % vm->vm_ring_max;
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
	}
}

/* Queued writes and the tick, from a thread not handling an exit. */
static void vm_drain_and_tick(struct vm *vm)
{
	vm_lock(vm);
	vm_drain(vm);
	if (vm->vm_tick_fn != NULL)
		vm->vm_tick_fn(vm->vm_tick_opaque);
	vm_unlock(vm);
}

void vm_set_tick(struct vm *vm, void (*fn)(void *opaque), void *opaque)
{
	vm->vm_tick_fn = fn;
	vm->vm_tick_opaque = opaque;
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

/* Log where a vCPU stands: for crash and triple-fault reports. */
static void vcpu_log_state(struct vcpu *vcpu, const char *why)
{
	struct kvm_regs r;
	struct kvm_sregs sr;

	if (ioctl(vcpu->vc_fd, KVM_GET_REGS, &r) < 0 ||
	    ioctl(vcpu->vc_fd, KVM_GET_SREGS, &sr) < 0) {
		log_warnx("vCPU %d: %s (registers unavailable)", vcpu->vc_id,
			  why);
		return;
	}
	log_warnx("vCPU %d: %s: rip 0x%llx rsp 0x%llx rflags 0x%llx cs 0x%x "
		  "cr0 0x%llx cr2 0x%llx cr3 0x%llx cr4 0x%llx efer 0x%llx",
		  vcpu->vc_id, why, (unsigned long long)r.rip,
		  (unsigned long long)r.rsp, (unsigned long long)r.rflags,
		  sr.cs.selector, (unsigned long long)sr.cr0,
		  (unsigned long long)sr.cr2, (unsigned long long)sr.cr3,
		  (unsigned long long)sr.cr4, (unsigned long long)sr.efer);
}

enum vm_stop_reason vcpu_run_loop(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vc_vm;
	struct kvm_run *run = vcpu->vc_run;
	char detail[96];

	while (vm->vm_stop == VM_RUNNING) {
		if (vm->vm_pause_req) {
			vcpu_park(vcpu);
			continue;
		}
		if (ioctl(vcpu->vc_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&run->immediate_exit, 0,
						 __ATOMIC_SEQ_CST);
				continue;
			}
			snprintf(detail, sizeof(detail), "KVM_RUN: %s",
				 strerror(errno));
			vm_request_stop(vm, VM_STOP_ERROR, detail);
			break;
		}
		__atomic_add_fetch(&vcpu->vc_exits, 1, __ATOMIC_RELAXED);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vm_lock(vm);
			vm_drain(vm); /* writes queued before this access */
			vcpu_handle_io(vcpu);
			vm_unlock(vm);
			break;
		case KVM_EXIT_MMIO:
			vm_lock(vm);
			vm_drain(vm);
			vcpu_handle_mmio(vcpu);
			vm_unlock(vm);
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
			vcpu_log_state(vcpu, "triple fault");
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
			vcpu_log_state(vcpu, detail);
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

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	char name[16];

	/* From inside: naming another thread would open /proc, which the
	 * sandbox forbids. */
	snprintf(name, sizeof(name), "vcpu%d", vcpu->vc_id);
	pthread_setname_np(pthread_self(), name);

	vcpu_run_loop(vcpu);
	return NULL;
}

/*
 * Deliver what a guest queued and then left there, going idle without
 * another exit (vm_coalesce_pio): the bytes of a console prompt, say.
 * This period bounds how late they show.
 */
#define VM_DRAIN_PERIOD_NS (20 * 1000 * 1000L)

static void *vm_drain_thread(void *arg)
{
	struct vm *vm = arg;
	struct timespec at;

	pthread_setname_np(pthread_self(), "drain");
	pthread_mutex_lock(&vm->vm_stop_lock);
	while (vm->vm_stop == VM_RUNNING) {
		/* From now, not from the last deadline: a thread that fell
		 * behind does not then run ticks back to back. */
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_nsec += VM_DRAIN_PERIOD_NS;
		if (at.tv_nsec >= 1000000000L) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000L;
		}
		/* Woken early by a stop (vm_request_stop broadcasts). */
		if (pthread_cond_timedwait(&vm->vm_pause_cond,
					   &vm->vm_stop_lock, &at) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&vm->vm_stop_lock);
		vm_drain_and_tick(vm);
		pthread_mutex_lock(&vm->vm_stop_lock);
	}
	pthread_mutex_unlock(&vm->vm_stop_lock);
	return NULL;
}

enum vm_stop_reason vm_run(struct vm *vm)
{
	struct vcpu *boot = vm->vm_vcpus[0];
	pthread_t drain;
	int drain_live = 0;
	sigset_t kick;

	if (boot == NULL) {
		vm_request_stop(vm, VM_STOP_ERROR, "no boot vCPU");
		return vm->vm_stop;
	}
	sigemptyset(&kick);
	sigaddset(&kick, VM_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);

	pthread_mutex_lock(&vm->vm_stop_lock);
	boot->vc_thread = pthread_self();
	boot->vc_thread_live = 1;
	for (int i = 1; i < VM_VCPUS_MAX && vm->vm_stop == VM_RUNNING; i++) {
		struct vcpu *v = vm->vm_vcpus[i];
		if (v == NULL)
			continue;
		if (thread_start(&v->vc_thread, THREAD_STACK_BYTES, vcpu_thread,
				 v) != 0) {
			pthread_mutex_unlock(&vm->vm_stop_lock);
			vm_request_stop(vm, VM_STOP_ERROR,
					"cannot start a vCPU thread");
			pthread_mutex_lock(&vm->vm_stop_lock);
			break;
		}
		v->vc_thread_live = 1;
	}
	pthread_mutex_unlock(&vm->vm_stop_lock);
	if (vm->vm_ring != NULL || vm->vm_tick_fn != NULL)
		drain_live = thread_start(&drain, THREAD_STACK_BYTES,
					  vm_drain_thread, vm) == 0;

	vcpu_run_loop(boot);

	for (int i = 1; i < VM_VCPUS_MAX; i++) {
		struct vcpu *v = vm->vm_vcpus[i];
		if (v == NULL || !v->vc_thread_live)
			continue;
		pthread_join(v->vc_thread, NULL);
		pthread_mutex_lock(&vm->vm_stop_lock);
		v->vc_thread_live = 0;
		pthread_mutex_unlock(&vm->vm_stop_lock);
	}
	pthread_mutex_lock(&vm->vm_stop_lock);
	boot->vc_thread_live = 0;
	pthread_mutex_unlock(&vm->vm_stop_lock);
	if (drain_live)
		pthread_join(drain, NULL);
	/* What the guest wrote last, before a triple fault say. */
	vm_drain_and_tick(vm);
	return vm->vm_stop;
}
