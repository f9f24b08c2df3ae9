"""virtio-blk in the nested test bed with Debian's kernel: a file written
to the disk survives a restart of the VM; a read-only disk refuses writes;
the serial number reaches the guest; discard works through fstrim; and
Debian's own initramfs mounts an ext4 root from /dev/vda."""
import pytest

import l2guest

L2_TIMEOUT_S = 200
ACTIONS = {
    "diskwrite": ("mount /dev/vda /mnt || exit 1\n"
                  "echo $BASALT_ARG > /mnt/token\n"
                  "dd if=/dev/urandom of=/mnt/blob bs=64k count=64 2>/dev/null\n"
                  "echo BLOB=$(sha256sum /mnt/blob | cut -c1-64)\n"
                  "umount /mnt || exit 1\n"
                  "echo SERIAL=$(cat /sys/block/vda/serial)\n"),
    "diskread": ("mount /dev/vda /mnt || exit 1\n"
                 "echo TOKEN=$(cat /mnt/token)\n"
                 "echo BLOB=$(sha256sum /mnt/blob | cut -c1-64)\n"
                 "rm /mnt/blob; sync\n"
                 "fstrim -v /mnt\n"
                 "umount /mnt\n"),
    "diskro": ("echo RO=$(cat /sys/block/vda/ro)\n"
               "dd if=/dev/zero of=/dev/vda bs=512 count=1 conv=fsync "
               "2>/dev/null; echo DD=$?\n"
               "mount -o ro /dev/vda /mnt && echo SEED=$(cat /mnt/seed)\n"),
    "rootinfo": "echo ROOTDEV=$(awk '$2 == \"/\" {print $1}' /proc/mounts)\n",
}


def values(output, key):
    return [ln.split("=", 1)[1] for ln in output.splitlines()
            if ln.startswith(key + "=")]


@pytest.fixture(scope="module")
def l1(tmp_path_factory, vmx_bin):
    from testbed.testbed import Testbed
    work = tmp_path_factory.mktemp("l1-disk")
    data = l2guest.ext4_image(str(work / "data.img"), 64,
                              files={"seed": "seed-5c1d\n"})
    root = l2guest.ext4_image(str(work / "root.img"), 64, root=True,
                              actions=ACTIONS)
    tb = Testbed(work / "tb")
    tb.add_program(vmx_bin, "/bin/vmx")
    tb.add_file(tb.kernel, "/l2/vmlinuz")
    tb.add_bytes(l2guest.initramfs(ACTIONS), "/l2/initrd")
    tb.add_file(l2guest.debian_initrd(), "/l2/debian-initrd")
    tb.add_file(data, "/l2/data.img")
    tb.add_file(root, "/l2/root.img")
    tb.boot()
    yield tb
    tb.close()


def vmx(l1, disk, action, arg="", initrd="/l2/initrd", extra_cmdline=""):
    cmd = (f"vmx --kernel /l2/vmlinuz --initrd {initrd} --memory 256 "
           f"--disk {disk} --cmdline 'console=ttyS0 panic=-1 "
           f"basalt.action={action} basalt.arg={arg} {extra_cmdline}'")
    r = l2guest.run(l1, cmd, L2_TIMEOUT_S)
    assert r.status == 0, r.output[-3000:]
    assert "L2-ACTION-DONE status=0" in r.output, r.output[-3000:]
    return r.output


def test_file_survives_vm_restart_and_discard_works(l1):
    out = vmx(l1, "/l2/data.img,serial=BASALT-SER-1", "diskwrite",
              "token-7f3a")
    assert values(out, "SERIAL") == ["BASALT-SER-1"]
    blob = values(out, "BLOB")
    assert len(blob) == 1 and len(blob[0]) == 64
    # A new vmx process, the same image: the data is there.
    out = vmx(l1, "/l2/data.img", "diskread")
    assert values(out, "TOKEN") == ["token-7f3a"]
    assert values(out, "BLOB") == blob
    assert "trimmed" in out  # fstrim -v reports what it discarded


def test_read_only_disk_refuses_writes(l1):
    out = vmx(l1, "/l2/data.img,ro", "diskro")
    assert values(out, "RO") == ["1"]
    assert values(out, "DD") != ["0"]
    assert values(out, "SEED") == ["seed-5c1d"]


def test_debian_initramfs_mounts_root_from_vda(l1):
    out = vmx(l1, "/l2/root.img", "rootinfo",
              initrd="/l2/debian-initrd",
              extra_cmdline="root=/dev/vda rw init=/init")
    assert values(out, "ROOTDEV") == ["/dev/vda"]
