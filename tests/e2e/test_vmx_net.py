"""virtio-net on a TAP in a host bridge, in the nested test bed with
Debian's kernel: the guest gets its MAC, pings the host, and moves
100 MiB to it over TCP (every byte counted by the receiver)."""
import pytest

import l2guest

L2_TIMEOUT_S = 150  # a healthy run takes 30-40 s
MIB_100 = 100 << 20
ACTIONS = {
    "net": ("ip link set eth0 up\n"
            "ip addr add 10.0.3.2/24 dev eth0\n"
            "echo MAC=$(cat /sys/class/net/eth0/address)\n"
            "ping -c 3 -W 5 10.0.3.1 >/dev/null; echo PING=$?\n"
            f"tcpblast send 10.0.3.1 5001 {MIB_100}; echo BLAST=$?\n"),
}


def values(output, key):
    return [ln.split("=", 1)[1] for ln in output.splitlines()
            if ln.startswith(key + "=")]


def boot_l1(tmp_path_factory, vmx_bin, tcpblast_bin):
    from testbed.testbed import Testbed
    tb = Testbed(tmp_path_factory.mktemp("l1-net"))
    tb.add_program(vmx_bin, "/bin/vmx")
    tb.add_file(tcpblast_bin, "/bin/tcpblast", 0o755)
    tb.add_file(tb.kernel, "/l2/vmlinuz")
    tb.add_bytes(l2guest.initramfs(ACTIONS,
                                   {"/bin/tcpblast": tcpblast_bin}),
                 "/l2/initrd")
    tb.boot()
    tb.run("brctl addbr br0 && ip addr add 10.0.3.1/24 dev br0 && "
           "ip link set br0 up", check=True)
    return tb


@pytest.fixture(scope="module")
def l1(tmp_path_factory, vmx_bin, tcpblast_bin):
    tb = boot_l1(tmp_path_factory, vmx_bin, tcpblast_bin)
    yield tb
    tb.close()


def blast(l1):
    l1.run("pkill tcpblast; (tcpblast recv 5001 > /tmp/blast.log 2>&1) &",
           check=True)
    return l1.run("vmx --kernel /l2/vmlinuz --initrd /l2/initrd --memory 256 "
                  "--net tap0,bridge=br0,mac=02:00:00:00:00:42 "
                  "--cmdline 'console=ttyS0 panic=-1 basalt.action=net'",
                  timeout=L2_TIMEOUT_S)


def test_guest_pings_host_and_sends_100_mib_over_tcp(tmp_path_factory,
                                                     vmx_bin, tcpblast_bin):
    # The heaviest nested load we run. When the open fault shows (triple
    # fault or dead stop at the transfer's start; not yet explained,
    # docs/testing.md), run once more on a fresh L1 and say so; a lost L1
    # is the conftest's to retry. Any other failure, or the same one
    # twice, fails the test.
    l1 = boot_l1(tmp_path_factory, vmx_bin, tcpblast_bin)
    try:
        r = blast(l1)
        if l2guest.open_fault(r):
            print(f"open fault (status {r.status}); once more on a fresh "
                  f"L1:\n{r.output[-1500:]}")
            l1.close()
            l1 = boot_l1(tmp_path_factory, vmx_bin, tcpblast_bin)
            r = blast(l1)
        check_blast(l1, r)
    finally:
        l1.close()


def check_blast(l1, r):
    assert r.status == 0, r.output[-3000:]
    assert values(r.output, "MAC") == ["02:00:00:00:00:42"]
    assert values(r.output, "PING") == ["0"], r.output[-3000:]
    assert values(r.output, "BLAST") == ["0"], r.output[-3000:]
    # The queues' notifies reach the I/O thread through KVM (ioeventfd);
    # vmx says when it has to fall back to exits.
    assert "ioeventfd" not in r.output, r.output[-3000:]
    got = l1.run("cat /tmp/blast.log").output
    assert f"received {MIB_100} " in got
    print(got)


def test_tap_in_a_missing_bridge_is_a_clear_error(l1):
    r = l1.run("vmx --kernel /l2/vmlinuz --net tap9,bridge=nosuchbr")
    assert r.status == 1
    assert "vmx: cannot add tap tap9 to bridge nosuchbr:" in r.output
    assert r.output.count("\n") == 1
