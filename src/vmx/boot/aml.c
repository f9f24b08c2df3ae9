/*
 * aml.c: AML encoding (see aml.h). Opcode values are from ACPI 6.5,
 * 20.3 "AML Grammar Definition".
 */
#include "vmx/boot/aml.h"

#include <string.h>

#define AML_ZERO_OP	 0x00
#define AML_ONE_OP	 0x01
#define AML_NAME_OP	 0x08
#define AML_BYTE_PREFIX	 0x0a
#define AML_WORD_PREFIX	 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP	 0x10
#define AML_BUFFER_OP	 0x11
#define AML_PACKAGE_OP	 0x12
#define AML_EXT_PREFIX	 0x5b
#define AML_DEVICE_OP	 0x82 /* after AML_EXT_PREFIX */
#define AML_ROOT_CHAR	 0x5c
#define AML_DUAL_PREFIX	 0x2e
#define AML_MULTI_PREFIX 0x2f
#define AML_ONES_OP	 0xff

void aml_init(struct aml *a)
{
	a->ab_len = 0;
	a->ab_overflow = 0;
}

void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (a->ab_overflow || n > sizeof(a->ab_buf) - a->ab_len) {
		a->ab_overflow = 1;
		return;
	}
	memcpy(a->ab_buf + a->ab_len, p, n);
	a->ab_len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

static void aml_le(struct aml *a, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

void aml_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffffu) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

/* One NameSeg: up to four characters, padded with '_'. */
static void aml_nameseg(struct aml *a, const char *seg, size_t n)
{
	char s[4] = {'_', '_', '_', '_'};

	if (n > 4)
		n = 4;
	memcpy(s, seg, n);
	aml_bytes(a, s, 4);
}

void aml_namestring(struct aml *a, const char *name)
{
	const char *segs[8];
	size_t lens[8];
	unsigned n = 0;

	if (*name == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		name++;
	}
	while (*name != '\0' && n < 8) {
		const char *dot = strchr(name, '.');
		size_t len = dot != NULL ? (size_t)(dot - name) : strlen(name);
		segs[n] = name;
		lens[n++] = len;
		name += len + (dot != NULL);
	}
	if (n == 2) {
		aml_byte(a, AML_DUAL_PREFIX);
	} else if (n > 2) {
		aml_byte(a, AML_MULTI_PREFIX);
		aml_byte(a, (uint8_t)n);
	}
	for (unsigned i = 0; i < n; i++)
		aml_nameseg(a, segs[i], lens[i]);
}

/*
 * PkgLength counts itself: one byte up to 63, else a lead byte with the
 * count of following bytes in bits 7-6 and the low nibble in bits 3-0.
 */
static void aml_pkglength(struct aml *a, size_t body)
{
	size_t total;

	if (body + 1 < 0x40) {
		aml_byte(a, (uint8_t)(body + 1));
		return;
	}
	if (body + 2 < 0x1000) {
		total = body + 2;
		aml_byte(a, (uint8_t)(0x40 | (total & 0xf)));
		aml_byte(a, (uint8_t)(total >> 4));
		return;
	}
	total = body + 3;
	aml_byte(a, (uint8_t)(0x80 | (total & 0xf)));
	aml_byte(a, (uint8_t)(total >> 4));
	aml_byte(a, (uint8_t)(total >> 12));
}

static void aml_append(struct aml *a, const struct aml *b)
{
	if (b->ab_overflow)
		a->ab_overflow = 1;
	aml_bytes(a, b->ab_buf, b->ab_len);
}

void aml_name(struct aml *a, const char *name, const struct aml *obj)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, name);
	aml_append(a, obj);
}

void aml_name_int(struct aml *a, const char *name, uint64_t v)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, name);
	aml_int(a, v);
}

uint32_t aml_eisaid(const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7)
		return 0;
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z')
			return 0;
		v = v << 5 | (uint32_t)(id[i] - 'A' + 1);
	}
	for (int i = 3; i < 7; i++) {
		char c = id[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return 0;
		v = v << 4 | d;
	}
	/* Stored big-endian: swap to the little-endian DWORD AML wants. */
	return __builtin_bswap32(v);
}

void aml_name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, name);
	aml_byte(a, AML_DWORD_PREFIX);
	aml_le(a, aml_eisaid(id), 4);
}

void aml_package(struct aml *a, unsigned n, const struct aml *elems)
{
	aml_byte(a, AML_PACKAGE_OP);
	aml_pkglength(a, 1 + elems->ab_len);
	aml_byte(a, (uint8_t)n);
	aml_append(a, elems);
}

void aml_buffer(struct aml *a, const struct aml *bytes)
{
	struct aml size;

	aml_init(&size);
	aml_int(&size, bytes->ab_len);
	aml_byte(a, AML_BUFFER_OP);
	aml_pkglength(a, size.ab_len + bytes->ab_len);
	aml_append(a, &size);
	aml_append(a, bytes);
}

static void aml_named_block(struct aml *a, const char *name,
			    const struct aml *body)
{
	struct aml n;

	aml_init(&n);
	aml_namestring(&n, name);
	aml_pkglength(a, n.ab_len + body->ab_len);
	aml_append(a, &n);
	aml_append(a, body);
}

void aml_scope(struct aml *a, const char *name, const struct aml *body)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_named_block(a, name, body);
}

void aml_device(struct aml *a, const char *name, const struct aml *body)
{
	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	aml_named_block(a, name, body);
}

/* Small I/O port descriptor (6.4.2.5), 16-bit decode. */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len)
{
	aml_byte(a, 0x47);
	aml_byte(a, 0x01);
	aml_le(a, base, 2);
	aml_le(a, base, 2);
	aml_byte(a, 0x01); /* alignment */
	aml_byte(a, len);
}

/* Small IRQ descriptor (6.4.2.1) without flags: edge, active high. */
void aml_res_irq(struct aml *a, unsigned irq)
{
	aml_byte(a, 0x22);
	aml_le(a, irq < 16 ? 1u << irq : 0, 2);
}

/* Word address space descriptor (6.4.3.5.3) of a given resource type. */
static void aml_res_word(struct aml *a, uint8_t type, uint8_t tflags,
			 uint16_t min, uint16_t max)
{
	aml_byte(a, 0x88);
	aml_le(a, 0x0d, 2);
	aml_byte(a, type);
	aml_byte(a, 0x0c); /* MinFixed, MaxFixed, positive decode */
	aml_byte(a, tflags);
	aml_le(a, 0, 2); /* granularity */
	aml_le(a, min, 2);
	aml_le(a, max, 2);
	aml_le(a, 0, 2); /* translation */
	aml_le(a, (uint32_t)max - min + 1, 2);
}

void aml_res_bus(struct aml *a, uint16_t min, uint16_t max)
{
	aml_res_word(a, 2, 0, min, max);
}

void aml_res_wordio(struct aml *a, uint16_t min, uint16_t max)
{
	aml_res_word(a, 1, 0x03 /* ISA and non-ISA ranges */, min, max);
}

/* DWord address space descriptor (6.4.3.5.2), memory, read/write,
 * non-cacheable. */
void aml_res_dwordmem(struct aml *a, uint32_t min, uint32_t max)
{
	aml_byte(a, 0x87);
	aml_le(a, 0x17, 2);
	aml_byte(a, 0);	   /* memory range */
	aml_byte(a, 0x0c); /* MinFixed, MaxFixed */
	aml_byte(a, 0x01); /* read/write, non-cacheable */
	aml_le(a, 0, 4);
	aml_le(a, min, 4);
	aml_le(a, max, 4);
	aml_le(a, 0, 4);
	aml_le(a, (uint64_t)max - min + 1, 4);
}

void aml_res_end(struct aml *a)
{
	aml_byte(a, 0x79);
	aml_byte(a, 0x00); /* checksum 0: "treated as if it summed to zero" */
}
