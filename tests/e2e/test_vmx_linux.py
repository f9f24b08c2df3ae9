"""vmx boots Debian's own kernels, unmodified, in the nested test bed
(docs/testing.md, tier 3): the cloud kernel and the generic one
(linux-image-amd64, whose virtio and ext4 are modules), the Linux boot
protocol with initrd and command line, SMP through the MADT, the memory
size in the e820 map, the CMOS clock, and power-off and reboot reported
through vmx's exit status."""
import time

import pytest

import l2guest

# A healthy L2 boot takes 8-25 s of L1 time; the bound is for hangs (the
# open nested-bed fault: l2guest.run runs it once more).
L2_TIMEOUT_S = 60


GENERIC_MODULES = l2guest.MODULES + ["ext4", "crc32c_generic"]
SEED_ACTIONS = {"diskseed": "mount -o ro /dev/vda /mnt && "
                            "echo SEED=$(cat /mnt/seed)\n"}


@pytest.fixture(scope="module")
def l1(tmp_path_factory, vmx_bin):
    from testbed.testbed import Testbed, generic_kernel
    work = tmp_path_factory.mktemp("l1-linux")
    tb = Testbed(work)
    tb.add_program(vmx_bin, "/bin/vmx")
    tb.add_file(tb.kernel, "/l2/vmlinuz")
    tb.add_bytes(l2guest.initramfs(), "/l2/initrd")
    version, vmlinuz, root = generic_kernel()
    tb.generic_version = version
    tb.add_file(vmlinuz, "/l2/vmlinuz-generic")
    tb.add_bytes(l2guest.initramfs(SEED_ACTIONS,
                                   kernel=(version, root, GENERIC_MODULES)),
                 "/l2/initrd-generic")
    tb.add_file(l2guest.ext4_image(str(work / "seed.img"), 8,
                                   files={"seed": "seed-91e2\n"}),
                "/l2/seed.img")
    tb.boot()
    yield tb
    tb.close()


def vmx(l1, cpus=1, memory=256, action="poweroff", extra=""):
    cmd = (f"vmx -v --kernel /l2/vmlinuz --initrd /l2/initrd "
           f"--memory {memory} --cpus {cpus} "
           f"--cmdline 'console=ttyS0 panic=-1 basalt.action={action}' "
           f"{extra}")
    start = time.monotonic()
    r = l2guest.run(l1, cmd, L2_TIMEOUT_S)
    print(f"{cmd}: status {r.status} in {time.monotonic() - start:.1f}s")
    return r


@pytest.mark.parametrize("cpus", [1, 2])
def test_debian_kernel_boots_to_init(l1, cpus):
    r = vmx(l1, cpus=cpus)
    assert r.status == 0, r.output[-3000:]
    f = l2guest.facts(r.output)
    assert f is not None, r.output[-3000:]
    assert f["nproc"] == str(cpus)
    # MemTotal is RAM minus what the kernel keeps: most of 256 MiB.
    assert 180 * 1024 < int(f["mem_kb"]) <= 256 * 1024
    assert "Command line: console=ttyS0 panic=-1" in r.output
    assert "guest stopped: poweroff (ACPI S5)" in r.output
    # CPUID announces the LAPIC's TSC-deadline mode KVM emulates (L1's
    # KVM has it), so the guest skips calibrating the LAPIC timer.
    assert "TSC deadline timer available" in r.output


def test_debian_generic_kernel_boots_with_its_virtio_modules(l1):
    r = l2guest.run(l1, "vmx --kernel /l2/vmlinuz-generic --initrd "
                    "/l2/initrd-generic --memory 256 --cpus 2 "
                    "--disk /l2/seed.img,ro --cmdline 'console=ttyS0 "
                    "panic=-1 basalt.action=diskseed'", L2_TIMEOUT_S)
    assert r.status == 0, r.output[-3000:]
    assert f"Linux version {l1.generic_version} " in r.output
    f = l2guest.facts(r.output)
    assert f is not None, r.output[-3000:]
    assert f["nproc"] == "2"
    assert f["rng"] == "virtio_rng.0"
    # virtio-pci, virtio-blk and ext4 loaded as modules, the disk read.
    assert "SEED=seed-91e2" in r.output, r.output[-3000:]
    assert "L2-ACTION-DONE status=0" in r.output


def test_guest_clock_comes_from_the_cmos_rtc(l1):
    r = vmx(l1)
    f = l2guest.facts(r.output)
    assert f is not None, r.output[-3000:]
    # L1's clock is the host's (QEMU's RTC), and L2's is read from ours.
    assert abs(int(f["epoch"]) - time.time()) < 600
    assert "rtc_cmos rtc_cmos: setting system clock to" in r.output


def test_guest_reboot_ends_vmx_with_reset_status(l1):
    r = vmx(l1, action="reboot")
    assert r.status == 3, r.output[-3000:]
    assert "guest stopped: reset" in r.output
    assert l2guest.TRIPLE_FAULT not in r.output, r.output[-3000:]


def test_too_little_memory_is_a_clear_error(l1):
    r = l1.run("vmx --kernel /l2/vmlinuz --initrd /l2/initrd --memory 16")
    assert r.status == 1
    assert "vmx: /l2/vmlinuz: the kernel needs" in r.output
    assert r.output.count("\n") == 1
