/*
 * longmode.c: 64-bit entry state for freestanding guests (see longmode.h).
 * Intel SDM vol. 3A, 2.5 (control registers), 3.4.5 (segment descriptors),
 * 4.5 (4-level paging).
 */
#include "vmx/boot/longmode.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "vmx/boot/layout.h"

#define CR0_PE	       (1ULL << 0)
#define CR0_MP	       (1ULL << 1)
#define CR0_ET	       (1ULL << 4)
#define CR0_NE	       (1ULL << 5)
#define CR0_WP	       (1ULL << 16)
#define CR0_PG	       (1ULL << 31)
#define CR4_PAE	       (1ULL << 5)
#define CR4_OSFXSR     (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME       (1ULL << 8)
#define EFER_LMA       (1ULL << 10)
#define PTE_P	       (1ULL << 0)
#define PTE_RW	       (1ULL << 1)
#define PTE_PS	       (1ULL << 7)

/*
 * Flat descriptors. The accessed bit is preset: with the GDT in memory the
 * guest could make read-only, KVM would otherwise loop setting it
 * (docs/testbed.md, quirks).
 */
static const uint64_t longmode_gdt[] = {
	0,		       /* null */
	0,		       /* 0x08: unused */
	0x00af9b000000ffffULL, /* 0x10: code, 64-bit (L=1), DPL 0 */
	0x00cf93000000ffffULL, /* 0x18: data, read/write */
};

int longmode_build_tables(struct guest_mem *mem, struct err *e)
{
	uint64_t *pml4, *pdpt, *pd;
	unsigned i;

	pml4 = mem_ptr(mem, LAYOUT_PML4_GPA, 4096);
	pdpt = mem_ptr(mem, LAYOUT_PDPT_GPA, 4096);
	pd = mem_ptr(mem, LAYOUT_PD_GPA, 4096ULL * LAYOUT_PD_COUNT);
	if (pml4 == NULL || pdpt == NULL || pd == NULL ||
	    mem_write(mem, LAYOUT_GDT_GPA, longmode_gdt, sizeof(longmode_gdt)) <
		    0)
		return err_set(e, -EINVAL,
			       "guest memory too small for boot tables");
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT_GPA | PTE_P | PTE_RW;
	for (i = 0; i < LAYOUT_PD_COUNT; i++)
		pdpt[i] = (LAYOUT_PD_GPA + 4096ULL * i) | PTE_P | PTE_RW;
	/* Identity map 0..4 GiB, RAM and MMIO hole alike, in 2 MiB pages. */
	for (i = 0; i < 512 * LAYOUT_PD_COUNT; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
	return 0;
}

static void longmode_segment(struct kvm_segment *s, uint16_t sel, int code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	if (code) {
		s->type = 0xb; /* execute/read, accessed */
		s->l = 1;
	} else {
		s->type = 0x3; /* read/write, accessed */
		s->db = 1;
	}
}

int longmode_enter(struct vcpu *vcpu, uint64_t entry, uint64_t stack_top,
		   uint64_t rsi, struct err *e)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int rc;

	rc = longmode_build_tables(&vcpu->vc_vm->vm_mem, e);
	if (rc < 0)
		return rc;
	if (ioctl(vcpu->vc_fd, KVM_GET_SREGS, &sregs) < 0)
		return err_set(e, -errno, "KVM_GET_SREGS: %s", strerror(errno));
	longmode_segment(&sregs.cs, LAYOUT_SEL_CODE64, 1);
	longmode_segment(&sregs.ds, LAYOUT_SEL_DATA, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = LAYOUT_GDT_GPA;
	sregs.gdt.limit = sizeof(longmode_gdt) - 1;
	sregs.cr3 = LAYOUT_PML4_GPA;
	sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.efer = EFER_LME | EFER_LMA;
	if (ioctl(vcpu->vc_fd, KVM_SET_SREGS, &sregs) < 0)
		return err_set(e, -errno, "KVM_SET_SREGS: %s", strerror(errno));

	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsp = stack_top;
	regs.rsi = rsi;
	regs.rflags = 0x2; /* reserved bit 1; IF clear */
	if (ioctl(vcpu->vc_fd, KVM_SET_REGS, &regs) < 0)
		return err_set(e, -errno, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}
