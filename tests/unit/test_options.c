/*
 * test_options.c: vmx's command line.
 */
#include "lib/tap.h"
#include "vmx/options.h"

#define PARSE(...)                                                             \
	vmx_options_parse(sizeof((const char *const[]){__VA_ARGS__}) /         \
				  sizeof(char *),                              \
			  (const char *const[]){__VA_ARGS__}, &o, &e)

static struct vmx_options o;
static struct err e;

static void kernel_and_defaults(void)
{
	CHECK_EQ(PARSE("vmx", "--kernel", "k.elf"), 0);
	CHECK_STR(o.vo_kernel, "k.elf");
	CHECK_EQ(o.vo_memory_mib, VMX_DEFAULT_MEMORY_MIB);
	CHECK_EQ(o.vo_cpus, 1);
	CHECK(o.vo_console == NULL);
	CHECK(o.vo_initrd == NULL);
	CHECK(o.vo_cmdline == NULL);
}

static void linux_boot_options(void)
{
	CHECK_EQ(PARSE("vmx", "--kernel", "bzImage", "--initrd", "rd.cpio",
		       "--cmdline", "console=ttyS0 root=/dev/vda", "--cpus=4"),
		 0);
	CHECK_STR(o.vo_initrd, "rd.cpio");
	CHECK_STR(o.vo_cmdline, "console=ttyS0 root=/dev/vda");
	CHECK_EQ(o.vo_cpus, 4);
	CHECK(PARSE("vmx", "--kernel", "k", "--cpus", "0") < 0);
	CHECK_STR(err_msg(&e), "--cpus '0': expected a number from 1 to 64");
	CHECK(PARSE("vmx", "--kernel", "k", "--cpus", "65") < 0);
	CHECK(PARSE("vmx", "--kernel", "k", "--cpus", "2x") < 0);
	CHECK(PARSE("vmx", "--kernel", "k", "--cmdline") < 0);
	CHECK_STR(err_msg(&e), "--cmdline: expected a value after it");
}

static void equals_form_and_all_options(void)
{
	CHECK_EQ(PARSE("vmx", "--kernel=a", "--memory=64", "--console", "c.log",
		       "-v", "-v"),
		 0);
	CHECK_STR(o.vo_kernel, "a");
	CHECK_EQ(o.vo_memory_mib, 64);
	CHECK_STR(o.vo_console, "c.log");
	CHECK_EQ(o.vo_verbose, 2);
}

static void bad_memory_is_explained(void)
{
	CHECK(PARSE("vmx", "--kernel", "k", "--memory", "64x") < 0);
	CHECK_STR(err_msg(&e), "--memory '64x': expected a number of MiB");
	CHECK(PARSE("vmx", "--kernel", "k", "--memory", "3") < 0);
	CHECK_CONTAINS(err_msg(&e), "expected an even number of MiB");
	CHECK(PARSE("vmx", "--kernel", "k", "--memory", "-2") < 0);
	CHECK(PARSE("vmx", "--kernel", "k", "--memory",
		    "99999999999999999999999") < 0);
	CHECK(PARSE("vmx", "--kernel", "k", "--memory", "4096") < 0);
}

static void missing_and_unknown(void)
{
	CHECK(PARSE("vmx") < 0);
	CHECK_STR(err_msg(&e), "a VM.vmx file or --kernel FILE is required");
	CHECK(PARSE("vmx", "--kernel") < 0);
	CHECK_STR(err_msg(&e), "--kernel: expected a value after it");
	CHECK(PARSE("vmx", "--kernel", "k", "--frobnicate") < 0);
	CHECK_STR(err_msg(&e), "unknown option '--frobnicate'");
	CHECK(PARSE("vmx", "--kernelx", "k") < 0);
	CHECK(PARSE("vmx", "--kernel", "k", "--console=") < 0);
}

static void config_file_form(void)
{
	CHECK_EQ(PARSE("vmx", "--check", "-v", "vm.vmx"), 0);
	CHECK_STR(o.vo_config, "vm.vmx");
	CHECK_EQ(o.vo_check, 1);
	CHECK(PARSE("vmx", "a.vmx", "b.vmx") < 0);
	CHECK_CONTAINS(err_msg(&e), "one VM.vmx file at most");
	CHECK(PARSE("vmx", "a.vmx", "--cpus", "2") < 0);
	CHECK_STR(err_msg(&e),
		  "--cpus: the VM is described by a.vmx; change it there");
	CHECK(PARSE("vmx", "--check", "--kernel", "k") < 0);
	CHECK_STR(err_msg(&e), "--check needs a VM.vmx file");
	/* Runtime options go with a config file. */
	CHECK_EQ(PARSE("vmx", "--control", "/run/x.sock", "--console", "c",
		       "a.vmx"),
		 0);
}

static void help_needs_nothing_else(void)
{
	CHECK_EQ(PARSE("vmx", "--help"), 0);
	CHECK_EQ(o.vo_help, 1);
	CHECK_EQ(PARSE("vmx", "--version"), 0);
	CHECK_EQ(o.vo_version, 1);
}

int main(void)
{
	RUN(kernel_and_defaults);
	RUN(linux_boot_options);
	RUN(equals_form_and_all_options);
	RUN(bad_memory_is_explained);
	RUN(missing_and_unknown);
	RUN(config_file_form);
	RUN(help_needs_nothing_else);
	return tap_done();
}
