/*
 * vmxconf_fuzz.c: libFuzzer target for the .vmx reader (vmxconf.c and the
 * kvcfg.c parser under it). The input is a whole file. An accepted file
 * must name a kernel and print without trouble.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmx/vmxconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmxconf vc;
	static FILE *sink;
	struct vmx_options o = {.vo_memory_mib = 128, .vo_cpus = 1};
	struct err e;

	if (sink == NULL)
		sink = fopen("/dev/null", "w");
	if (vmxconf_parse(&vc, "fuzz.vmx", "/fuzz", (const char *)data, size,
			  &o, &e) < 0)
		return 0;
	if (o.vo_kernel == NULL || o.vo_cpus < 1 || o.vo_ndisks > 8)
		abort();
	if (sink != NULL)
		vmxconf_print(&vc, &o, sink);
	vmxconf_free(&vc);
	return 0;
}
