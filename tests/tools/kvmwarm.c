/*
 * kvmwarm.c: create and tear down one KVM VM the way vmx sets one up
 * (in-kernel irqchip, PIT, a vCPU), then exit 0. The test bed runs it
 * once in every fresh L1, under a kill timeout: in the emulated L1 the
 * first VM creation after boot now and then locks up a CPU
 * (docs/testing.md), and a bed that does so is booted again before any
 * test depends on it. Static, for the tiny L1 userland.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

int main(void)
{
	struct kvm_pit_config pit = {.flags = 0};
	int kvm, vm, vcpu;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("kvmwarm: /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("kvmwarm: KVM_CREATE_VM");
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail("kvmwarm: KVM_CREATE_IRQCHIP");
	if (ioctl(vm, KVM_CREATE_PIT2, &pit) < 0)
		return fail("kvmwarm: KVM_CREATE_PIT2");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("kvmwarm: KVM_CREATE_VCPU");
	close(vcpu);
	close(vm);
	close(kvm);
	puts("kvmwarm: ok");
	return 0;
}
