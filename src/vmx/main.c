/*
 * main.c: vmx, the monitor of one virtual machine. It builds the machine,
 * loads the guest, runs it in the foreground, and exits with a status that
 * says why the VM stopped (options.h, enum vmx_exit).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/thread.h"
#include "vmx/control.h"
#include "vmx/machine.h"
#include "vmx/options.h"
#include "vmx/sandbox.h"
#include "vmx/vmxconf.h"

_Static_assert(VMX_DISKS_MAX <= MACHINE_DISKS_MAX, "every --disk fits");
_Static_assert(VMX_NICS_MAX <= MACHINE_NICS_MAX, "every --net fits");

static int vmx_open_console(const char *where, struct err *e)
{
	int fd;

	if (where == NULL || strcmp(where, "stdio") == 0)
		return STDOUT_FILENO;
	fd = open(where, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY,
		  0640);
	if (fd < 0)
		return err_set(e, -errno, "--console %s: %s", where,
			       strerror(errno));
	return fd;
}

static int vmx_exit_status(enum vm_stop_reason reason)
{
	switch (reason) {
	case VM_STOP_POWEROFF:
	case VM_STOP_REQUEST:
		return VMX_EXIT_POWEROFF;
	case VM_STOP_RESET:
		return VMX_EXIT_RESET;
	case VM_STOP_CRASH:
		return VMX_EXIT_CRASH;
	case VM_RUNNING:
	case VM_STOP_ERROR:
		break;
	}
	return VMX_EXIT_ERROR;
}

/*
 * SIGTERM, SIGINT and SIGHUP are blocked in every thread and taken here,
 * where stopping the VM is safe (a handler could not take its locks).
 * SIGUSR2 is how main() ends this thread (pthread_cancel would need
 * libgcc_s at run time).
 */
#define VMX_SIGNAL_THREAD_EXIT SIGUSR2
static void *vmx_signal_thread(void *arg)
{
	struct machine *m = arg;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, VMX_SIGNAL_THREAD_EXIT);
	if (sigwait(&set, &sig) == 0 && sig != VMX_SIGNAL_THREAD_EXIT) {
		log_info("signal %d: powering the VM off", sig);
		vm_request_stop(m->m_vm, VM_STOP_REQUEST, strsignal(sig));
		vm_resume(m->m_vm);
	}
	return NULL;
}

#define VMX_LOGS_KEPT 3 /* vmware.log, vmware-1.log, vmware-2.log */

/*
 * Start a fresh vmware.log beside the .vmx, keeping the previous ones
 * as vmware-1.log and vmware-2.log, as the reference does.
 */
static int vmx_open_log(const char *dir, enum log_level level, struct err *e)
{
	char from[PATH_MAX], to[PATH_MAX];
	int fd;

	if (strlen(dir) + sizeof("/vmware-9.log") > sizeof(to))
		return err_set(e, -ENAMETOOLONG, "%s: path too long", dir);
	for (int i = VMX_LOGS_KEPT - 1; i >= 1; i--) {
		int n = i == 1 ? snprintf(from, sizeof(from), "%s/vmware.log",
					  dir)
			       : snprintf(from, sizeof(from),
					  "%s/vmware-%d.log", dir, i - 1);
		if (n < 0 ||
		    snprintf(to, sizeof(to), "%s/vmware-%d.log", dir, i) < 0)
			continue;
		(void)rename(from, to); /* missing ones are fine */
	}
	if (snprintf(to, sizeof(to), "%s/vmware.log", dir) < 0)
		return err_set(e, -EINVAL, "%s: bad path", dir);
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0640);
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", to, strerror(errno));
	log_set_file(fd, level);
	return fd;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash != NULL ? slash + 1 : path;
}

int main(int argc, char *argv[])
{
	static struct vmxconf vc;
	struct sandbox_id who = {SANDBOX_DEFAULT_UID, SANDBOX_DEFAULT_GID};
	struct control *ctl = NULL;
	int log_fd = -1;
	pthread_t sig_thread;
	int sig_live = 0;
	sigset_t stop_sigs;
	struct machine_config cfg = {0};
	struct machine_boot boot = {0};
	struct vmx_options opts;
	struct machine *m = NULL;
	enum vm_stop_reason reason;
	struct err e = {0};
	int console_fd, status;

	/* The VM's lines go to its vmware.log and stderr, not to the host's
	 * syslog: the descriptors are closed below, and its sandbox is for
	 * the VM's own. */
	unsetenv("BASALT_SYSLOG");
	log_procinit("vmx");
	/* Descriptors a parent leaked to us are none of the VM's business. */
	close_range(3, ~0U, 0);
	if (vmx_options_parse(argc, (const char *const *)argv, &opts, &e) < 0) {
		fprintf(stderr, "vmx: %s\nTry 'vmx --help'.\n", err_msg(&e));
		return VMX_EXIT_USAGE;
	}
	if (opts.vo_help) {
		fputs(vmx_usage, stdout);
		return 0;
	}
	if (opts.vo_version) {
		printf("vmx (Basalt) %s\n", BASALT_VERSION);
		return 0;
	}
	log_setlevel(opts.vo_verbose >= 2   ? LOG_LEVEL_DEBUG
		     : opts.vo_verbose == 1 ? LOG_LEVEL_INFO
					    : LOG_LEVEL_WARN);
	if (opts.vo_user != NULL) {
		if (sandbox_parse_user(opts.vo_user, &who, &e) < 0) {
			fprintf(stderr, "vmx: %s\n", err_msg(&e));
			return VMX_EXIT_USAGE;
		}
	}
	/* glibc reads the time zone on the first gmtime_r (the RTC): do it
	 * now, while files may still be opened. */
	tzset();
	/* Before any thread exists, so that all inherit it. */
	if (!opts.vo_check && sandbox_no_new_privs(&e) < 0) {
		fprintf(stderr, "vmx: %s\n", err_msg(&e));
		return VMX_EXIT_ERROR;
	}
	if (opts.vo_config != NULL) {
		if (vmxconf_load(&vc, opts.vo_config, &opts, &e) < 0) {
			fprintf(stderr, "vmx: %s\n", err_msg(&e));
			return VMX_EXIT_ERROR;
		}
		if (opts.vo_check) {
			vmxconf_print(&vc, &opts, stdout);
			vmxconf_free(&vc);
			return 0;
		}
		log_fd = vmx_open_log(vc.vc_dir,
				      opts.vo_verbose >= 2 ? LOG_LEVEL_DEBUG
							   : LOG_LEVEL_INFO,
				      &e);
		if (log_fd < 0) {
			fprintf(stderr, "vmx: %s\n", err_msg(&e));
			return VMX_EXIT_ERROR;
		}
		log_info("vmx %s starting %s (pid %d)", BASALT_VERSION,
			 opts.vo_config, (int)getpid());
	}
	for (int i = 0; i < opts.vo_nnics; i++)
		if (opts.vo_nics[i].vn_tap[0] == '\0') /* unique per vmx */
			snprintf(opts.vo_nics[i].vn_tap,
				 sizeof(opts.vo_nics[i].vn_tap), "vmx%un%u",
				 (unsigned)getpid() % 1000000u,
				 (unsigned)i % 10u);
	/* A console reader that goes away must not kill the VM. */
	signal(SIGPIPE, SIG_IGN);
	/* Blocked before any thread exists, so every thread inherits it. */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGHUP);
	sigaddset(&stop_sigs, VMX_SIGNAL_THREAD_EXIT);
	pthread_sigmask(SIG_BLOCK, &stop_sigs, NULL);

	console_fd = vmx_open_console(opts.vo_console, &e);
	if (console_fd < 0)
		goto fail;
	cfg.mc_mem_bytes = opts.vo_memory_mib << 20;
	cfg.mc_cpus = opts.vo_cpus;
	cfg.mc_console_fd = console_fd;
	for (int i = 0; i < opts.vo_ndisks; i++) {
		cfg.mc_disks[i].md_path = opts.vo_disks[i].vd_path;
		cfg.mc_disks[i].md_ro = opts.vo_disks[i].vd_ro;
		cfg.mc_disks[i].md_serial = opts.vo_disks[i].vd_serial[0]
						    ? opts.vo_disks[i].vd_serial
						    : NULL;
	}
	cfg.mc_ndisks = opts.vo_ndisks;
	for (int i = 0; i < opts.vo_nnics; i++) {
		struct vmx_net_opt *n = &opts.vo_nics[i];
		cfg.mc_nics[i].mn_tap = n->vn_tap;
		cfg.mc_nics[i].mn_bridge =
			n->vn_bridge[0] ? n->vn_bridge : NULL;
		cfg.mc_nics[i].mn_mac = n->vn_mac[0] ? n->vn_mac : NULL;
	}
	cfg.mc_nnics = opts.vo_nnics;
	boot.mb_kernel = opts.vo_kernel;
	boot.mb_initrd = opts.vo_initrd;
	boot.mb_cmdline = opts.vo_cmdline;
	if (machine_create(&m, &cfg, &e) < 0)
		goto fail;
	if (machine_load_kernel(m, &boot, &e) < 0)
		goto fail;
	if (opts.vo_control != NULL &&
	    control_start(&ctl, m, opts.vo_control,
			  opts.vo_name ? opts.vo_name
				       : base_name(opts.vo_kernel),
			  &e) < 0)
		goto fail;
	sig_live = thread_start(&sig_thread, THREAD_STACK_BYTES,
				vmx_signal_thread, m) == 0;
	/*
	 * Everything is open: from here vmx is who it will stay. The socket
	 * is handed to the new owner so that vmx can remove it at exit.
	 */
	if (opts.vo_control != NULL && geteuid() == 0 &&
	    chown(opts.vo_control, who.sb_uid, who.sb_gid) < 0)
		log_warn("chown %s", opts.vo_control);
	if (sandbox_drop_identity(&who, &e) < 0 || sandbox_seccomp(&e) < 0)
		goto fail_running;
	log_info("running %s with %llu MiB and %d vCPUs", opts.vo_kernel,
		 (unsigned long long)opts.vo_memory_mib, opts.vo_cpus);

	reason = machine_run(m);
	status = vmx_exit_status(reason);
	control_stop(ctl, reason, status);
	if (sig_live) {
		pthread_kill(sig_thread, VMX_SIGNAL_THREAD_EXIT);
		pthread_join(sig_thread, NULL);
	}
	log_debug("exits to vmx: %llu; writes KVM queued instead: %llu",
		  (unsigned long long)vm_exits(m->m_vm),
		  (unsigned long long)m->m_vm->vm_ring_writes);
	iobus_log_hits(&m->m_vm->vm_pio);
	iobus_log_hits(&m->m_vm->vm_mmio);
	if (status == VMX_EXIT_POWEROFF)
		log_info("guest stopped: %s (%s)", vm_stop_name(reason),
			 m->m_vm->vm_stop_detail);
	else
		log_warnx("guest stopped: %s (%s)", vm_stop_name(reason),
			  m->m_vm->vm_stop_detail);
	machine_destroy(m);
	if (console_fd != STDOUT_FILENO)
		close(console_fd);
	vmxconf_free(&vc);
	if (log_fd >= 0) {
		log_set_file(-1, LOG_LEVEL_INFO);
		close(log_fd);
	}
	return status;
fail_running:
	control_stop(ctl, VM_STOP_ERROR, VMX_EXIT_ERROR);
	ctl = NULL;
	if (sig_live) {
		pthread_kill(sig_thread, VMX_SIGNAL_THREAD_EXIT);
		pthread_join(sig_thread, NULL);
	}
fail:
	fprintf(stderr, "vmx: %s\n", err_msg(&e));
	log_info("failed to start: %s", err_msg(&e));
	machine_destroy(m);
	vmxconf_free(&vc);
	return VMX_EXIT_ERROR;
}
