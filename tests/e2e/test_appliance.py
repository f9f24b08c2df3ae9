"""The appliance (issue 7): build/basalt.img boots in QEMU under emulation
(-cpu max, so that KVM works inside), init makes the empty second disk
datastore1 and starts the agents; pyVmomi connects through the forwarded
443, uploads a Debian kernel and initramfs to the datastore over /folder,
creates and powers on a VM whose console shows its init ran; an agent
killed is restarted by init; "restart management agents" keeps the VM
running; ShutdownHost_Task powers QEMU off cleanly."""
import hashlib
import os
import re
import socket
import ssl
import subprocess
import time

import pytest
import requests
import urllib3

import l2guest
from appliance import PASSWORD, Appliance
from tagged_lan import TaggedLan

pytest.importorskip("pyVmomi")
from pyVim.connect import Disconnect, SmartConnect  # noqa: E402
from pyVmomi import vim, vmodl  # noqa: E402

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
IMAGE = os.environ.get("BASALT_IMAGE", os.path.join(ROOT, "build",
                                                    "basalt.img"))
DS = "/vmfs/volumes/datastore1"
BOOT_TIMEOUT_S = 300  # a bound, not a measure (docs/performance.md)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # A second NIC on a segment tagged VLAN 42 (tests/e2e/tagged_lan.py):
    # the management network moved there from the console.
    lan = TaggedLan(vlan=42)
    a = Appliance(tmp_path_factory.mktemp("appliance"), IMAGE,
                  netdevs=[lan.netdev()])
    a.lan = lan
    try:
        a.boot(BOOT_TIMEOUT_S)
        print(f"appliance ready {a.ready_seconds:.1f} s after QEMU started")
        yield a
    finally:
        print("--- appliance console (last lines)\n" +
              "\n".join(a.console().splitlines()[-40:]))
        a.close()
        lan.close()


def connect(app):
    ctx = ssl._create_unverified_context()
    for attempt in range(3):
        try:
            return SmartConnect(host="127.0.0.1", port=app.https_port,
                                user="root", pwd=PASSWORD, sslContext=ctx)
        except (ConnectionError, OSError) as e:
            if attempt == 2:
                raise
            print(f"connect attempt {attempt + 1}: {e!r}")
            time.sleep(5)


def wait_task(task, timeout=180):
    deadline = time.monotonic() + timeout
    while task.info.state not in ("success", "error"):
        assert time.monotonic() < deadline, f"task still {task.info.state}"
        time.sleep(1)
    if task.info.state == "error":
        raise task.info.error
    return task.info.result


def upload(app, path, data):
    r = requests.put(f"https://127.0.0.1:{app.https_port}/folder/{path}",
                     params={"dsName": "datastore1"}, data=data,
                     auth=("root", PASSWORD), verify=False, timeout=300)
    assert r.status_code in (200, 201), (r.status_code, r.text)


def download(app, path):
    r = requests.get(f"https://127.0.0.1:{app.https_port}/folder/{path}",
                     params={"dsName": "datastore1"},
                     auth=("root", PASSWORD), verify=False, timeout=60)
    return r.status_code, r.content


def vm_spec():
    dev = vim.vm.device
    serial = dev.VirtualSerialPort(
        key=-103, backing=dev.VirtualSerialPort.FileBackingInfo(
            fileName="console.log"))
    boot = {"basalt.kernel": f"{DS}/l2/vmlinuz",
            "basalt.initrd": f"{DS}/l2/initrd",
            "basalt.cmdline": "console=ttyS0 panic=-1 basalt.action=button"}
    return vim.vm.ConfigSpec(
        name="deb", guestId="debian12_64Guest", numCPUs=1, memoryMB=256,
        files=vim.vm.FileInfo(vmPathName="[datastore1]"),
        deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="add",
                                                      device=serial)],
        extraConfig=[vim.option.OptionValue(key=k, value=v)
                     for k, v in boot.items()])


def wait_guest_console(app, text, timeout=300):
    deadline = time.monotonic() + timeout
    while True:
        status, body = download(app, "deb/console.log")
        if status == 200 and text.encode() in body:
            return body.decode(errors="replace")
        assert time.monotonic() < deadline, \
            f"no {text!r} on the guest's console:\n{body[-2000:]!r}"
        time.sleep(3)


def test_first_boot(app):
    con = app.console()
    # GRUB booted bank 1; init found the boot disk and the agents ran.
    assert "boot disk vda, boot bank 1" in con, con[-3000:]
    for agent in ("syslogd", "dhcp", "hostd", "rhttpproxy"):
        assert re.search(rf"started {agent} \(pid \d+\)", con), agent
    assert "KVM ready" in con
    # The empty disk became datastore1 (first boot), the answer file
    # was applied and removed.
    assert "/dev/vdb: empty; formatting it as datastore1" in con
    assert "/bootpart/basalt.cfg removed" in con
    out, rc = app.shell(f"busybox grep ' {DS} ' /proc/mounts; "
                        "ls /bootpart; busybox stat -f -c %T /")
    assert rc == 0, out
    assert "/dev/vdb1 /vmfs/volumes/datastore1 ext4" in out
    assert "basalt.cfg" not in out
    assert "tmpfs" in out.splitlines()[-1]
    # The console screen (dcui on the serial console) shows the
    # thumbprint of the certificate 443 serves.
    with socket.create_connection(("127.0.0.1", app.https_port), 30) as s:
        ctx = ssl._create_unverified_context()
        with ctx.wrap_socket(s) as t:
            der = t.getpeercert(binary_form=True)
    hexes = [f"{b:02X}" for b in hashlib.sha256(der).digest()]
    # On two lines of the screen (80 columns).
    app.wait_console(re.escape(":".join(hexes[16:])), 30)
    assert ":".join(hexes[:16]) + ":" in app.console()
    assert "Manage this host at https://10.0.2.15/" in app.console()
    # Port 80 sends everything to https.
    r = requests.get(f"http://127.0.0.1:{app.http_port}/sdk",
                     allow_redirects=False, timeout=30)
    assert r.status_code == 301, r.status_code
    # The agents log through syslogd (issue 10): each program's lines in
    # its file with an RFC 5424 timestamp, the kernel's in vmkernel.log.
    # (No cd: a longer prompt wraps the shell's echo into the output.)
    out, _ = app.shell("ls /var/log; busybox head -n3 /var/log/hostd.log")
    names = out.split()
    for f in ("hostd.log", "rhttpproxy.log", "vmkernel.log", "stated.log",
              "syslog.log"):
        assert f in names, out
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z \S+ "
                     r"hostd\[\d+\]: ", out, re.M), out
    out, _ = app.shell("busybox grep -c 'vmkernel: Linux version' "
                       "/var/log/vmkernel.log")
    assert out.strip() == "1", out


def type_keys(text):
    """QEMU sendkey names for text (letters, digits, '-')."""
    keys = []
    for ch in text:
        if ch == "-":
            keys.append("minus")
        elif ch.isupper():
            keys.append("shift-" + ch.lower())
        else:
            keys.append(ch)
    return keys


def test_console_on_tty1(app):
    """The console on the machine's own screen (tty1, TERM=linux): the
    idle screen, F2 and a login typed on the emulated keyboard, the
    menu, Esc back out; the screen read from /dev/vcs1."""
    def wait_tty1(text, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            screen = "\n".join(app.tty1())
            if text in screen:
                return screen
            assert time.monotonic() < deadline, screen
            time.sleep(1)
    out, _ = app.shell("busybox ps -o user,tty,args | busybox grep "
                       "'[b]in/dcui'")
    assert "4,1 " in out, out     # busybox shows tty1 as its numbers
    screen = wait_tty1("To manage this host")
    assert "Manage this host at https://" in screen, screen
    app.sendkeys("f2")
    wait_tty1("Authentication Required")
    app.sendkeys(*type_keys(PASSWORD), "ret")
    screen = wait_tty1("System Customization (root)")
    assert "Configure Management Network" in screen, screen
    app.sendkeys("esc")
    wait_tty1("To manage this host")


def test_vm_on_the_appliance(app, tmp_path):
    si = connect(app)
    try:
        content = si.content
        dc = content.rootFolder.childEntity[0]
        host = dc.hostFolder.childEntity[0].host[0]
        ds = {d.name: d for d in host.datastore}
        assert "datastore1" in ds, list(ds)
        cap = ds["datastore1"].summary.capacity
        assert 3 << 30 < cap <= 4 << 30, cap

        version, kernel = l2guest.find_kernel()
        with open(kernel, "rb") as f:
            upload(app, "l2/vmlinuz", f.read())
        upload(app, "l2/initrd", l2guest.initramfs())

        task = dc.vmFolder.CreateVM_Task(
            vm_spec(), dc.hostFolder.childEntity[0].resourcePool)
        vm = wait_task(task)
        wait_task(vm.PowerOnVM_Task())
        out = wait_guest_console(app, l2guest.MARKER)
        assert "action=button" in out

        # "Restart management agents" on the console (the DCUI on the
        # serial line, running as the system user dcui): hostd and the
        # proxy start again, the VM keeps running.
        before, _ = app.shell("busybox pidof hostd")
        vmx_before, _ = app.shell("busybox pidof vmx")
        out, _ = app.shell("busybox ps -o user,args | busybox grep "
                           "'[b]in/dcui'")
        assert out.split()[0] in ("dcui", "100"), out
        mark = len(app.console())
        con = app.dcui(tmp_path)
        try:
            con.wait("To manage this host", 60)
            con.login(PASSWORD)
            # The support shell on tty2, off again by itself after the
            # timeout set here (UserVars.ESXiShellTimeOut).
            con.troubleshooting(1, 60)
            con.wait("Timeout (seconds):", 60)
            con.keys("C-u")
            con.type("6")
            con.keys("Enter")
            con.wait("Enable Support Shell", 60)
            shell_mark = len(app.console())
            con.keys("Up", "Enter")       # from the timeout line
            con.wait("Disable Support Shell", 60)
            app.wait_console(r"the support shell is on, on /dev/tty2, "
                             r"for [3-6] s", 30, shell_mark)
            out, _ = app.shell("busybox ps -o args")
            assert "shell-login /dev/tty2" in out, out
            app.wait_console(r"the support shell is off: its time", 30,
                             shell_mark)
            out, _ = app.shell("busybox ps -o args")
            assert "shell-login /dev/tty2" not in out, out
            host = si.content.rootFolder.childEntity[0].hostFolder \
                .childEntity[0].host[0]
            tsm = [x for x in host.configManager.serviceSystem.serviceInfo
                   .service if x.key == "TSM"][0]
            assert not tsm.running
            con.keys("Escape")
            con.troubleshooting(2, 60)
            con.wait("Running VMs keep running", 60)
            con.keys("y")
            con.wait("The management agents are restarting", 60)
            con.keys("Enter")
        finally:
            con.close()
        app.wait_console(r"restarting the management agents", 30, mark)
        app.wait_console(r"started rhttpproxy", 90, mark)
        after, _ = app.shell("busybox pidof hostd")
        vmx_after, _ = app.shell("busybox pidof vmx")
        assert before.strip() and after.strip() != before.strip()
        assert vmx_after.strip() == vmx_before.strip() != ""
        Disconnect(si)
        si = connect(app)
        vm = si.content.searchIndex.FindByInventoryPath("ha-datacenter/vm/deb")
        assert vm.runtime.powerState == "poweredOn"
        wait_task(vm.PowerOffVM_Task())
    finally:
        Disconnect(si)


def test_killed_agent_is_restarted(app):
    mark = len(app.console())
    out, rc = app.shell("busybox kill -9 $(busybox pidof rhttpproxy)")
    assert rc == 0, out
    app.wait_console(r"rhttpproxy killed by signal 9 \(Killed\)", 30, mark)
    app.wait_console(r"restarting it in 1 s", 5, mark)
    app.wait_console(r"started rhttpproxy \(pid \d+\)", 30, mark)
    # And it serves again.
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", app.https_port),
                                          timeout=10) as s:
                ctx = ssl._create_unverified_context()
                with ctx.wrap_socket(s) as t:
                    t.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                    assert t.recv(100).startswith(b"HTTP/1.1")
                    break
        except (OSError, ssl.SSLError):
            assert time.monotonic() < deadline, "the proxy did not return"
            time.sleep(2)


def guest_console_on_disk(app):
    """The VM's console.log, read from the datastore disk once QEMU is
    gone (debugfs; the partition starts at 1 MiB)."""
    r = subprocess.run(["debugfs", "-R", "cat /deb/console.log",
                        f"{app.datastore}?offset=1048576"],
                       capture_output=True)
    return r.stdout.decode(errors="replace")


def test_management_network_vlan_on_a_second_nic(app, tmp_path):
    """From the console on the serial line: the management network moved
    to the second NIC (eth1) on VLAN 42 by DHCP. Only tagged frames get
    answers there, so the lease and a ping of the segment's server prove
    the tagging both ways; the API's NIC (eth0) has left vSwitch0. Then
    Network Restore Options: DHCP on the first NIC with a link (eth0),
    no VLAN, and the API answers over eth0 again."""
    def shell(cmd):
        out, _ = app.shell(cmd)
        return out
    con = app.dcui(tmp_path)
    try:
        con.to_idle()
        con.login(PASSWORD)
        con.open_item("Configure Management Network")
        con.wait("Network Adapters", 60)
        con.keys("Enter")
        s = con.wait("eth1", 30)
        assert "eth0" in s and "link up" in s, s
        con.keys("Down", "Enter")                # eth1
        con.wait(f"{'Network Adapters':<22} eth1", 30)
        con.keys("Down", "Enter")                # VLAN (optional)
        con.wait("VLAN ID:", 30)
        con.keys("C-u")
        con.type("4095")
        con.keys("Enter")
        con.wait("A number from 0 (none) to 4094.", 30)
        con.keys("Enter")
        con.keys("C-u")
        con.type("42")
        con.keys("Enter")
        con.wait(f"{'VLAN (optional)':<22} 42", 30)
        con.keys("Escape")
        con.wait("Apply the changes and restart the management network",
                 30)
        con.keys("y")
        con.wait("The management network is applied.", 120)
        con.keys("Enter")
        deadline = time.monotonic() + 90
        while not app.lan.leases and time.monotonic() < deadline:
            time.sleep(1)
        assert app.lan.leases, (app.lan.frames, shell("busybox ip addr"))
        deadline = time.monotonic() + 30
        while "inet 192.168.42.10/24" not in shell(
                "busybox ip -4 addr show vSwitch0.42"):
            assert time.monotonic() < deadline, shell("busybox ip addr")
            time.sleep(1)
        out = shell("busybox ping -c 2 -W 3 192.168.42.1")
        assert "2 packets received" in out and app.lan.pings >= 2, out
        out = shell("cat /proc/net/vlan/config")
        assert "vSwitch0.42" in out and "| 42" in out, out
        out = shell("ls /sys/class/net/vSwitch0/brif")
        assert out.split() == ["eth1"], out
        out = shell("cat /etc/basalt/network.conf")
        assert 'mgmt.uplink = "eth1"' in out, out
        assert 'mgmt.vlan = "42"' in out, out

        # Back to the factory setting from the console.
        con.open_item("Network Restore Options")
        con.wait("Put the management network back", 30)
        con.keys("y")
        con.wait("The management network is back to DHCP.", 120)
        con.keys("Enter")
        out = shell("ls /sys/class/net/vSwitch0/brif; "
                    "ls /sys/class/net | busybox grep -c [.]")
        assert out.split() == ["eth0", "0"], out
    finally:
        con.close()
    si = connect(app)
    net = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0].config.network
    vsw = [v for v in net.vswitch if v.name == "vSwitch0"][0]
    pg = [p for p in net.portgroup
          if p.spec.name == "Management Network"][0]
    assert pg.spec.vlanId == 0 and pg.vswitch == vsw.key
    assert list(vsw.spec.bridge.nicDevice) == ["eth0"]
    vmk = [(v.portgroup, v.spec.ip.dhcp) for v in net.vnic
           if v.device == "vmk0"]
    assert vmk == [("Management Network", True)], net.vnic
    Disconnect(si)


def test_management_network_set_static(app):
    """The management network through HostNetworkSystem (what the
    console's Configure Management Network calls): the host name and DNS,
    then a static address and gateway (the one QEMU's network expects):
    init's DHCP client stops, the address, route and resolv.conf are
    there, the API still answers; the next boot (test_state_survives_...)
    sets it from network.conf."""
    si = connect(app)
    host = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]
    ns = host.configManager.networkSystem
    def dhcp_clients():
        # Short: the shell's echo of a longer line wraps into the output.
        out, _ = app.shell("busybox grep -l [u]dhc /proc/*/cm*")
        return out.strip()
    assert dhcp_clients() != ""
    ns.UpdateDnsConfig(config=vim.host.DnsConfig(
        dhcp=False, hostName="esx-b", domainName="lab.example",
        address=["10.0.2.3"]))
    ns.UpdateVirtualNic(device="vmk0", nic=vim.host.VirtualNic.Specification(
        ip=vim.host.IpConfig(dhcp=False, ipAddress="10.0.2.15",
                             subnetMask="255.255.255.0")))
    ns.UpdateIpRouteConfig(config=vim.host.IpRouteConfig(
        defaultGateway="10.0.2.2"))
    out, _ = app.shell("busybox ip -4 addr show vSwitch0; busybox ip "
                       "route; cat /etc/resolv.conf; busybox hostname")
    assert "inet 10.0.2.15/24" in out, out
    assert "default via 10.0.2.2 dev vSwitch0" in out, out
    assert "nameserver 10.0.2.3" in out and "search lab.example" in out
    assert out.strip().splitlines()[-1] == "esx-b", out
    assert dhcp_clients() == ""
    with pytest.raises(vmodl.fault.InvalidArgument):
        ns.UpdateIpRouteConfig(config=vim.host.IpRouteConfig(
            defaultGateway="10.9.9.9"))
    Disconnect(si)
    si = connect(app)
    net = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0].config.network
    assert net.ipRouteConfig.defaultGateway == "10.0.2.2"
    assert net.dnsConfig.hostName == "esx-b"
    assert [(v.spec.ip.ipAddress, v.spec.ip.dhcp) for v in net.vnic
            if v.device == "vmk0"] == [("10.0.2.15", False)]
    Disconnect(si)


def test_shutdown_through_the_api(app):
    si = connect(app)
    host = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]
    with pytest.raises(vim.fault.InvalidState):
        host.ShutdownHost_Task(force=False)
    # A VM left running is shut down by its guest (the ACPI button).
    vm = si.content.searchIndex.FindByInventoryPath("ha-datacenter/vm/deb")
    r = requests.delete(f"https://127.0.0.1:{app.https_port}/folder/deb/"
                        "console.log", params={"dsName": "datastore1"},
                        auth=("root", PASSWORD), verify=False, timeout=60)
    assert r.status_code == 204, r.status_code
    wait_task(vm.PowerOnVM_Task())
    wait_guest_console(app, "L2-WAITING-FOR-BUTTON")
    mark = len(app.console())
    wait_task(host.ShutdownHost_Task(force=True))
    status = app.wait_exit(240)
    con = app.console()[mark:]
    assert status == 0, con
    assert "power off requested" in con
    assert "unmounted /vmfs/volumes/datastore1" in con
    assert "powering off" in con
    guest = guest_console_on_disk(app)
    last = guest.rfind("L2-WAITING-FOR-BUTTON")
    assert last >= 0 and "L2-POWER-BUTTON" in guest[last:], guest[-1500:]


def test_state_survives_a_clean_restart(app):
    """Booted again from the same disks after the shutdown above: the
    state saved at power-off comes back (root's password without the
    answer file, which is gone; the VM in the inventory), the datastore
    is mounted, not formatted again."""
    con = app.console()
    # stated's daemon saved every change as it came; the last save at
    # power-off found nothing new.
    m = re.search(r"nothing changed since generation (\d+)", con)
    assert m, con[-2000:]
    app.proc = None
    app.sock = None
    app.boot(BOOT_TIMEOUT_S)
    con = app.console()
    assert f"restored state generation {m.group(1)} " in con, con[-3000:]
    assert "first boot" not in con and "formatting" not in con
    assert "datastore datastore1 on /dev/vdb1" in con
    # The management network set through the API before the shutdown.
    assert "management network: vSwitch0 on uplink eth0, static " \
        "10.0.2.15/24" in con, con[-3000:]
    si = connect(app)
    try:
        vm = si.content.searchIndex.FindByInventoryPath(
            "ha-datacenter/vm/deb")
        assert vm is not None and vm.runtime.powerState == "poweredOff"
    finally:
        Disconnect(si)


def host_of(si):
    return si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]


def stated_saves(app):
    out, status = app.shell("cat /var/log/stated.log")
    assert status == 0, out
    return [int(g) for g in re.findall(r"saved state generation (\d+)",
                                       out)]


def etc_digest(app):
    out, status = app.shell("cd /etc/basalt && find . -type f | sort | "
                            "xargs md5sum")
    assert status == 0, out
    return out


def test_a_power_cut_keeps_what_the_api_changed(app, tmp_path):
    """A user added and the syslog target changed through the API are
    saved by stated within seconds: a power cut (QEMU killed) right after
    loses neither. The target is an rsyslog on this machine (QEMU's
    10.0.2.2 is its loopback): the appliance's syslogd forwards to it at
    once, and again from the next boot on."""
    from syslog_peers import Collector
    collector = Collector(tmp_path / "collector")
    target = f"tcp://10.0.2.2:{collector.tcp_port}"
    si = connect(app)
    before = stated_saves(app)
    si.content.accountManager.CreateUser(
        vim.host.LocalAccountManager.AccountSpecification(
            id="carol", password="Cx-secret-5678"))
    si.content.authorizationManager.SetEntityPermissions(
        si.content.rootFolder, [vim.AuthorizationManager.Permission(
            principal="carol", group=False, roleId=-1, propagate=True)])
    host_of(si).configManager.advancedOption.UpdateOptions(
        [vim.option.OptionValue(key="Syslog.global.logHost",
                                value=target)])
    collector.wait_lines(lambda ln: "|syslogd|" in ln and
                         "settings read again: 1 remote" in ln, 1)
    deadline = time.monotonic() + 30
    while len(stated_saves(app)) == len(before):
        assert time.monotonic() < deadline, "stated saved nothing"
        time.sleep(0.5)
    # Until the save has seen the last change (coalesced: usually one).
    time.sleep(6)
    saved = stated_saves(app)[-1]
    app.proc.kill()                       # the power cut
    app.proc.wait()
    app.sock = None
    app.boot(BOOT_TIMEOUT_S)
    con = app.console()
    assert f"restored state generation {saved} " in con, con[-3000:]
    assert "damaged" not in con
    si = SmartConnect(host="127.0.0.1", port=app.https_port, user="carol",
                      pwd="Cx-secret-5678",
                      sslContext=ssl._create_unverified_context())
    try:
        opt = host_of(si).configManager.advancedOption.QueryOptions(
            "Syslog.global.logHost")
        assert opt[0].value == target
        # The second boot's hostd, forwarded from its start.
        got = collector.wait_lines(lambda ln: "|hostd|" in ln and
                                   "the VI API on" in ln, 1)
        # The host name test_management_network_set_static gave it.
        assert re.match(r"esx-b\|hostd\|6\|\d+\|", got[-1]), got
    finally:
        Disconnect(si)
        collector.stop()


def test_backup_restored_onto_a_fresh_host_makes_it_the_same(
        app, tmp_path_factory):
    """Ansible's way (vmware_cfg_backup): the backup URL fetched without
    credentials, the bundle PUT with HTTP Basic on the second host,
    maintenance mode, RestoreFirmwareConfiguration; the second host
    reboots by itself into the first one's configuration."""
    si = connect(app)
    url = host_of(si).configManager.firmwareSystem \
        .BackupFirmwareConfiguration()
    assert url.startswith("https://*/downloads/"), url
    r = requests.get(url.replace("*", f"127.0.0.1:{app.https_port}"),
                     verify=False, timeout=60)
    assert r.status_code == 200 and r.content.startswith(b"BSTATE2\n")
    bundle = r.content
    Disconnect(si)
    want = etc_digest(app)
    b = Appliance(tmp_path_factory.mktemp("appliance-b"), IMAGE)
    try:
        b.boot(BOOT_TIMEOUT_S)
        assert etc_digest(b) != want
        sb = connect(b)
        fw = host_of(sb).configManager.firmwareSystem
        put = fw.QueryFirmwareConfigUploadURL().replace(
            "*", f"127.0.0.1:{b.https_port}")
        r = requests.put(put, data=bundle, auth=("root", PASSWORD),
                         verify=False, timeout=60)
        assert r.status_code in (200, 201), r.status_code
        wait_task(host_of(sb).EnterMaintenanceMode_Task(timeout=0))
        mark = len(b.console())
        fw.RestoreFirmwareConfiguration(force=False)
        assert b.wait_exit(240) == 0      # it reboots (-no-reboot: exits)
        assert "reboot requested" in b.console()[mark:]
        b.proc = None
        b.sock = None
        b.boot(BOOT_TIMEOUT_S)
        con = b.console()
        assert "applied the configuration restored before this boot" in \
            con, con[-3000:]
        assert etc_digest(b) == want
        sb = SmartConnect(host="127.0.0.1", port=b.https_port,
                          user="carol", pwd="Cx-secret-5678",
                          sslContext=ssl._create_unverified_context())
        Disconnect(sb)
    finally:
        print("--- second appliance's console (last lines)\n" +
              "\n".join(b.console().splitlines()[-30:]))
        b.close()
