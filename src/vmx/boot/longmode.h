/*
 * longmode.h: put a vCPU straight into 64-bit mode at an entry point, with
 * the first 4 GiB identity-mapped (2 MiB pages). Used for freestanding ELF
 * guests (and the tests' tiny guests); Linux boots differently (boot/linux.c
 * in a later change).
 */
#ifndef BASALT_VMX_BOOT_LONGMODE_H
#define BASALT_VMX_BOOT_LONGMODE_H

#include <stdint.h>

#include "common/err.h"
#include "vmx/vm.h"

/* Write GDT and page tables into guest memory (below ELF_LOAD_MIN_GPA). */
BASALT_MUST_CHECK int longmode_build_tables(struct guest_mem *mem,
					    struct err *e);

/*
 * Build the tables and set the vCPU's registers: long mode, paging, CS a
 * 64-bit code segment, RIP = entry, RSP = stack_top, RSI = rsi (the zero
 * page for Linux), interrupts off.
 */
BASALT_MUST_CHECK int longmode_enter(struct vcpu *vcpu, uint64_t entry,
				     uint64_t stack_top, uint64_t rsi,
				     struct err *e);

#endif
