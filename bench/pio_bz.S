/*
 * pio_bz.S: the port-I/O exit bench guest as a minimal bzImage, so vmx
 * and QEMU can boot the very same file with -kernel. Its first
 * instruction after the entry writes "!\n" to the UART (bench/run.py
 * times exec to that byte: start-up); then, in 64-bit mode on both, it
 * reads the UART scratch register PIO_EXITS times (one exit each) and
 * powers off.
 *
 * QEMU's option ROM enters the real-mode setup code at 0x200: that path
 * builds an identity map of the first 2 MiB at 0x70000, enters long mode
 * and jumps to the common loop in the protected-mode part (loaded at
 * 0x100000). vmx enters the 64-bit entry, load address + 0x200, with
 * paging on. The mode matters: a nested KVM may charge real-mode exits
 * differently. Power-off: QEMU's isa-debug-exit at 0xf4 (bench/run.py
 * adds the device; vmx ignores the port), then vmx's ACPI PM1a_CNT at
 * 0x604 with SLP_TYP 5 (src/vmx/devices/acpi_pm.h).
 *
 * Linked flat (-Wl,--oformat=binary): file offsets are what the boot
 * protocol specifies (Documentation/arch/x86/boot.rst).
 */
#ifndef PIO_EXITS
#error "PIO_EXITS must be defined by the build"
#endif

#define SETUP_SECTS 1
#define PM_BYTES    0x1000 /* protected-mode part, after the setup */
#define PM_GPA	    0x100000
#define PM_FILE_OFF ((SETUP_SECTS + 1) * 512)
#define LOOP_OFF    0x300 /* the common 64-bit loop, in the PM part */
#define PT_SEG	    0x7000 /* QEMU path: page tables at 0x70000 */

	.section .text
	.globl	_start
_start:
	.code16
	.org	0x1f1
	.byte	SETUP_SECTS		/* setup_sects */
	.word	0			/* root_flags */
	.long	PM_BYTES / 16		/* syssize */
	.word	0, 0xffff, 0		/* ram_size, vid_mode, root_dev */
	.word	0xaa55			/* boot_flag */
	.byte	0xeb, start16 - _start - 0x202	/* 0x200: jump past the header */
	.ascii	"HdrS"
	.word	0x020c			/* protocol 2.12 */
	.long	0			/* realmode_swtch */
	.word	0, 0			/* start_sys_seg, kernel_version */
	.byte	0, 0x01			/* type_of_loader, LOADED_HIGH */
	.word	0			/* setup_move_size */
	.long	0x100000		/* code32_start */
	.long	0, 0, 0			/* ramdisk_image, _size, kludge */
	.word	0			/* heap_end_ptr */
	.byte	0, 0			/* ext_loader_ver, _type */
	.long	0			/* cmd_line_ptr */
	.long	0x7fffffff		/* initrd_addr_max */
	.long	0x200000		/* kernel_alignment */
	.byte	0, 21			/* relocatable_kernel, min_alignment */
	.word	0x0001			/* xloadflags: XLF_KERNEL_64 */
	.long	255			/* cmdline_size */
	.long	0			/* hardware_subarch */
	.quad	0			/* hardware_subarch_data */
	.long	0, 0			/* payload_offset, _length */
	.quad	0			/* setup_data */
	.quad	0x100000		/* pref_address */
	.long	0x100000		/* init_size */
	.long	0			/* handover_offset */
	.long	0			/* kernel_info_offset */

start16:				/* QEMU: real mode */
	cli
	mov	$0x3f8, %dx
	mov	$'!', %al
	outb	%al, %dx
	mov	$'\n', %al
	outb	%al, %dx
	/* PML4 at 0x70000 -> PDPT at 0x71000 -> PD at 0x72000, whose first
	 * entry maps 0-2 MiB (a large page). */
	mov	$PT_SEG, %ax
	mov	%ax, %es
	xor	%di, %di
	xor	%eax, %eax
	mov	$3 * 1024, %cx
	cld
	rep stosl
	movl	$0x71003, %es:0
	movl	$0x72003, %es:0x1000
	movl	$0x83, %es:0x2000
	mov	$0x70000, %eax
	mov	%eax, %cr3
	mov	%cr4, %eax
	or	$0x20, %eax		/* PAE */
	mov	%eax, %cr4
	mov	$0xc0000080, %ecx	/* EFER.LME */
	rdmsr
	or	$0x100, %eax
	wrmsr
	/* The GDT's linear address: cs * 16 plus where it sits from here. */
	call	1f
1:	pop	%bx
	mov	%cs, %ax
	mov	%ax, %ds
	movzwl	%ax, %eax
	shl	$4, %eax
	movzwl	%bx, %ebx
	add	%ebx, %eax
	add	$gdt - 1b, %eax
	mov	%eax, %ds:(gdt_ptr + 2 - 1b)(%bx)
	lgdtl	%ds:(gdt_ptr - 1b)(%bx)
	mov	%cr0, %eax
	or	$0x80000001, %eax	/* PG | PE */
	mov	%eax, %cr0
	ljmpl	$0x08, $PM_GPA + LOOP_OFF

	.balign	8
gdt:	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
gdt_ptr:
	.word	2 * 8 - 1
	.long	0			/* filled in above */

	/* Protected-mode part, loaded at 0x100000. */
	.org	PM_FILE_OFF
	.code32
entry32:				/* 32-bit entry: unused */
	cli
	hlt
	jmp	entry32

	.org	PM_FILE_OFF + 0x200
	.code64
entry64:				/* vmx: long mode, paging on */
	cli
	mov	$0x3f8, %dx
	mov	$'!', %al
	outb	%al, %dx
	mov	$'\n', %al		/* vmx writes its console by the line */
	outb	%al, %dx
	jmp	loop64

	.org	PM_FILE_OFF + LOOP_OFF
loop64:
	mov	$0x3ff, %dx
	mov	$PIO_EXITS, %ecx
	test	%ecx, %ecx
	jz	2f
1:	inb	%dx, %al
	dec	%ecx
	jnz	1b
2:	mov	$0xf4, %dx		/* QEMU: isa-debug-exit */
	xor	%al, %al
	outb	%al, %dx
	mov	$0x604, %dx		/* vmx: PM1a_CNT: SLP_EN | SLP_TYP 5 */
	mov	$0x3400, %ax
	outw	%ax, %dx
3:	hlt
	jmp	3b

	.org	PM_FILE_OFF + PM_BYTES
