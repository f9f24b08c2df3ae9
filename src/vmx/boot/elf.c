/*
 * elf.c: ELF64 executable loader for freestanding guests (see elf.h).
 * Format: System V ABI, "ELF-64 Object File Format" 1.5; only ET_EXEC,
 * EM_X86_64, little endian, PT_LOAD segments.
 */
#include "vmx/boot/elf.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "vmx/boot/layout.h"

int elf_is_elf(const void *img, size_t len)
{
	return len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0;
}

struct elf_span {
	uint64_t start, end; /* [start, end) in guest physical memory */
};

int elf_load(struct guest_mem *mem, const char *name, const void *img,
	     size_t len, uint64_t *entryp, struct err *e)
{
	const uint8_t *bytes = img;
	struct elf_span spans[ELF_PHDRS_MAX];
	unsigned nspans = 0, i, j;
	int entry_ok = 0;
	Elf64_Ehdr eh;

	if (len < sizeof(eh) || !elf_is_elf(img, len))
		return err_set(e, -ENOEXEC, "%s: not an ELF file", name);
	/* Copy in, then validate: never read a header field twice. */
	memcpy(&eh, img, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return err_set(e, -ENOEXEC,
			       "%s: expected a 64-bit little-endian ELF", name);
	if (eh.e_type != ET_EXEC || eh.e_machine != EM_X86_64)
		return err_set(e, -ENOEXEC,
			       "%s: expected an x86_64 executable (ET_EXEC), "
			       "got type %u machine %u",
			       name, eh.e_type, eh.e_machine);
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > ELF_PHDRS_MAX)
		return err_set(e, -ENOEXEC,
			       "%s: %u program headers of %u bytes: expected 1 "
			       "to %d of %zu bytes",
			       name, eh.e_phnum, eh.e_phentsize, ELF_PHDRS_MAX,
			       sizeof(Elf64_Phdr));
	if (eh.e_phoff > len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
		return err_set(e, -ENOEXEC,
			       "%s: program headers past the end of the file",
			       name);

	for (i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		memcpy(&ph, bytes + eh.e_phoff + (uint64_t)i * sizeof(ph),
		       sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (ph.p_filesz > ph.p_memsz)
			return err_set(e, -ENOEXEC,
				       "%s: segment %u: file size 0x%llx > "
				       "memory size 0x%llx",
				       name, i, (unsigned long long)ph.p_filesz,
				       (unsigned long long)ph.p_memsz);
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset)
			return err_set(e, -ENOEXEC,
				       "%s: segment %u: data past the end of "
				       "the file",
				       name, i);
		if (ph.p_vaddr != ph.p_paddr)
			return err_set(e, -ENOEXEC,
				       "%s: segment %u: virtual 0x%llx != "
				       "physical 0x%llx; the guest starts "
				       "identity-mapped",
				       name, i, (unsigned long long)ph.p_vaddr,
				       (unsigned long long)ph.p_paddr);
		dst = mem_ptr(mem, ph.p_paddr, ph.p_memsz);
		if (ph.p_paddr < ELF_LOAD_MIN_GPA || dst == NULL)
			return err_set(e, -ENOEXEC,
				       "%s: segment %u at 0x%llx+0x%llx: "
				       "expected inside guest RAM from 0x%llx "
				       "to 0x%llx",
				       name, i, (unsigned long long)ph.p_paddr,
				       (unsigned long long)ph.p_memsz,
				       ELF_LOAD_MIN_GPA,
				       (unsigned long long)mem->gm_size);
		for (j = 0; j < nspans; j++) {
			if (ph.p_paddr < spans[j].end &&
			    spans[j].start < ph.p_paddr + ph.p_memsz)
				return err_set(e, -ENOEXEC,
					       "%s: segment %u overlaps an "
					       "earlier segment",
					       name, i);
		}
		spans[nspans].start = ph.p_paddr;
		spans[nspans].end = ph.p_paddr + ph.p_memsz;
		nspans++;
		memcpy(dst, bytes + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		if ((ph.p_flags & PF_X) && eh.e_entry >= ph.p_paddr &&
		    eh.e_entry - ph.p_paddr < ph.p_memsz)
			entry_ok = 1;
	}
	if (nspans == 0)
		return err_set(e, -ENOEXEC, "%s: no loadable segment", name);
	if (!entry_ok)
		return err_set(e, -ENOEXEC,
			       "%s: entry point 0x%llx is not inside an "
			       "executable segment",
			       name, (unsigned long long)eh.e_entry);
	*entryp = eh.e_entry;
	return 0;
}
