/*
 * pio_bz.S: the port-I/O exit bench guest as a minimal bzImage, so vmx
 * and QEMU can boot the very same file with -kernel. Its first
 * instruction after the entry writes '!' to the UART (bench/run.py
 * times exec to that byte: start-up), then it reads the UART scratch
 * register PIO_EXITS times (one exit each) and powers off.
 *
 * QEMU's option ROM enters the real-mode setup code at 0x200 (16-bit);
 * vmx enters the 64-bit entry, load address + 0x200. Both run the same
 * loop; the mode does not change the cost of an exit. Power-off:
 * QEMU's isa-debug-exit at 0xf4 (bench/run.py adds the device), vmx's
 * ACPI PM1a_CNT at 0x604 with SLP_TYP 5 (src/vmx/devices/acpi_pm.h).
 *
 * Linked flat (objcopy -O binary): file offsets are what the boot
 * protocol specifies (Documentation/arch/x86/boot.rst).
 */
#ifndef PIO_EXITS
#error "PIO_EXITS must be defined by the build"
#endif

/* '!' on the UART, then PIO_EXITS reads of its scratch register. The
 * same source assembles for the 16-bit and the 64-bit entry. */
.macro say_then_exit
	mov	$0x3f8, %dx
	mov	$'!', %al
	outb	%al, %dx
	mov	$0x3ff, %dx
	mov	$PIO_EXITS, %ecx
	test	%ecx, %ecx
	jz	2f
1:	inb	%dx, %al
	dec	%ecx
	jnz	1b
2:
.endm

#define SETUP_SECTS 1
#define PM_BYTES    0x1000 /* protected-mode part, after the setup */

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
	say_then_exit
	mov	$0xf4, %dx		/* isa-debug-exit */
	xor	%al, %al
	outb	%al, %dx
3:	hlt
	jmp	3b

	/* Protected-mode part, loaded at 0x100000. */
	.org	(SETUP_SECTS + 1) * 512
	.code32
entry32:				/* 32-bit entry: unused */
	cli
	hlt
	jmp	entry32

	.org	(SETUP_SECTS + 1) * 512 + 0x200
	.code64
entry64:				/* vmx: long mode, paging on */
	say_then_exit
	mov	$0x604, %dx		/* PM1a_CNT: SLP_EN | SLP_TYP 5 */
	mov	$0x3400, %ax
	outw	%ax, %dx
3:	hlt
	jmp	3b

	.org	(SETUP_SECTS + 1) * 512 + PM_BYTES
