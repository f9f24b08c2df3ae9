/*
 * test_elf.c: the ELF loader accepts a well-formed executable and refuses
 * each kind of broken one with a message that says what is wrong.
 */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/tap.h"
#include "vmx/boot/elf.h"

#define RAM_BYTES (4u << 20)

static uint8_t *ram;
static struct guest_mem mem;
static uint8_t img[8192];
static struct err e;

/* One text segment at 1 MiB (file offset 4096, 16 bytes) + bss. */
static Elf64_Phdr *build(void)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph = (Elf64_Phdr *)(img + sizeof(*eh));

	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_entry = 0x100000;
	eh->e_phoff = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = 2;
	ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_flags = PF_R | PF_X,
			     .p_offset = 4096,
			     .p_vaddr = 0x100000,
			     .p_paddr = 0x100000,
			     .p_filesz = 16,
			     .p_memsz = 16};
	ph[1] = (Elf64_Phdr){.p_type = PT_LOAD,
			     .p_flags = PF_R | PF_W,
			     .p_offset = 0,
			     .p_vaddr = 0x200000,
			     .p_paddr = 0x200000,
			     .p_filesz = 0,
			     .p_memsz = 0x1000};
	memset(img + 4096, 0x90, 16);
	memset(ram, 0xcc, RAM_BYTES);
	return ph;
}

static int load(uint64_t *entry)
{
	err_clear(&e);
	return elf_load(&mem, "t.elf", img, sizeof(img), entry, &e);
}

static void good_image_loads(void)
{
	uint64_t entry = 0;

	build();
	CHECK_EQ(load(&entry), 0);
	CHECK_EQ(entry, 0x100000);
	CHECK_EQ(ram[0x100000], 0x90);
	CHECK_EQ(ram[0x10000f], 0x90);
	CHECK_EQ(ram[0x100010], 0xcc); /* past memsz: untouched */
	CHECK_EQ(ram[0x200000], 0);    /* bss zeroed */
	CHECK_EQ(ram[0x200fff], 0);
}

static void header_errors(void)
{
	uint64_t entry = 7;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;

	build();
	CHECK(elf_load(&mem, "t.elf", img, 10, &entry, &e) < 0);
	CHECK_STR(err_msg(&e), "t.elf: not an ELF file");
	build();
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "64-bit little-endian");
	build();
	eh->e_machine = EM_AARCH64;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "expected an x86_64 executable");
	build();
	eh->e_phnum = 0;
	CHECK(load(&entry) < 0);
	build();
	eh->e_phnum = 1000;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "program headers");
	build();
	eh->e_phoff = sizeof(img) - 8;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "past the end of the file");
	CHECK_EQ(entry, 7); /* out-parameter untouched on failure */
}

static void segment_errors(void)
{
	uint64_t entry;
	Elf64_Phdr *ph;

	ph = build();
	ph[0].p_filesz = 32;
	ph[0].p_memsz = 16;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "file size 0x20 > memory size 0x10");
	ph = build();
	ph[0].p_offset = UINT64_MAX - 4;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "data past the end");
	ph = build();
	ph[1].p_paddr = ph[1].p_vaddr = RAM_BYTES - 0x800;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "expected inside guest RAM");
	ph = build();
	ph[1].p_paddr = ph[1].p_vaddr = UINT64_MAX - 0x100;
	CHECK(load(&entry) < 0);
	ph = build();
	ph[0].p_paddr = ph[0].p_vaddr = 0x9000; /* the monitor's page tables */
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "expected inside guest RAM from 0x100000");
	ph = build();
	ph[1].p_paddr = ph[1].p_vaddr = 0x100008;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "overlaps");
	ph = build();
	ph[1].p_vaddr = 0xffffffff80200000ULL;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "identity-mapped");
}

static void entry_must_be_executable(void)
{
	uint64_t entry;
	Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
	Elf64_Phdr *ph;

	build();
	eh->e_entry = 0x200000; /* in the data segment */
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "not inside an executable segment");
	ph = build();
	ph[0].p_type = PT_NOTE;
	ph[1].p_type = PT_NOTE;
	CHECK(load(&entry) < 0);
	CHECK_CONTAINS(err_msg(&e), "no loadable segment");
}

int main(void)
{
	ram = malloc(RAM_BYTES);
	mem_init_fake(&mem, ram, RAM_BYTES);
	RUN(good_image_loads);
	RUN(header_errors);
	RUN(segment_errors);
	RUN(entry_must_be_executable);
	free(ram);
	return tap_done();
}
