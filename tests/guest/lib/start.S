/*
 * start.S: entry of a tiny guest. vmx enters here in 64-bit mode with
 * interrupts off (src/vmx/boot/longmode.c).
 */
	.section .text.start, "ax"
	.globl _start
_start:
	/*
	 * docs/testbed.md: on the nested development KVM, an I/O exit in the
	 * first instructions after entering long mode can resume from stale
	 * state; a short loop first avoids it.
	 */
	mov	$256, %ecx
1:	pause
	dec	%ecx
	jnz	1b
	mov	$__stack_top, %rsp
	xor	%ebp, %ebp
	call	guest_code
	call	guest_poweroff

	.section .note.GNU-stack, "", @progbits
