/*
 * aml.h: a small builder for ACPI Machine Language (ACPI 6.5, chapter 20
 * "ACPI Machine Language Specification"), just enough for vmx's DSDT:
 * names, integers, strings, packages, buffers, scopes, devices and
 * resource templates. Objects nest by building the inner part into its own
 * buffer and wrapping it, so package lengths are always exact.
 */
#ifndef BASALT_VMX_BOOT_AML_H
#define BASALT_VMX_BOOT_AML_H

#include <stddef.h>
#include <stdint.h>

#include "common/compiler.h"

#define AML_MAX_BYTES 8192

/* A growing byte string; a failed append sets ab_overflow and nothing
 * more is added, so callers check once at the end. */
struct aml {
	uint8_t ab_buf[AML_MAX_BYTES];
	size_t ab_len;
	int ab_overflow;
};

void aml_init(struct aml *a);
void aml_bytes(struct aml *a, const void *p, size_t n);
void aml_byte(struct aml *a, uint8_t b);
/* Integer in the shortest encoding (ZeroOp, OneOp, Byte/Word/DWord/QWord). */
void aml_int(struct aml *a, uint64_t v);
/* A NameString: "\\_SB_", "PCI0", "_S5_" (segments padded with '_'). */
void aml_namestring(struct aml *a, const char *name);
/* Name(name, <object already built in obj>) */
void aml_name(struct aml *a, const char *name, const struct aml *obj);
/* Name(name, integer) */
void aml_name_int(struct aml *a, const char *name, uint64_t v);
/* Name(name, EISAID("PNP0A03")) */
void aml_name_eisaid(struct aml *a, const char *name, const char *id);
/* Package(){ elements already built in elems }, n elements */
void aml_package(struct aml *a, unsigned n, const struct aml *elems);
/* Buffer(){ bytes } */
void aml_buffer(struct aml *a, const struct aml *bytes);
/* Scope(name){ body } and Device(name){ body } */
void aml_scope(struct aml *a, const char *name, const struct aml *body);
void aml_device(struct aml *a, const char *name, const struct aml *body);

/* Resource descriptors (ACPI 6.5, 6.4), appended to a template buffer. */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
void aml_res_irq(struct aml *a, unsigned irq);
void aml_res_bus(struct aml *a, uint16_t min, uint16_t max);
void aml_res_wordio(struct aml *a, uint16_t min, uint16_t max);
void aml_res_dwordmem(struct aml *a, uint32_t min, uint32_t max);
/* The end tag; call last, before wrapping the template with aml_buffer. */
void aml_res_end(struct aml *a);

/* EISA id compression: "PNP0A03" -> 0x030ad041; 0 if malformed. */
uint32_t aml_eisaid(const char *id);

#endif
