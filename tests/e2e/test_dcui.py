"""The direct console user interface (src/dcui, issue 9), driven through
tmux against a hosted host as `make hosted` and `make dcui` run them: the
login (root or localadmin, audited), root's password on a fresh host,
lockdown mode, the log view, restart management agents, reset system
configuration, the terminal's size. Every change goes through hostd's
console socket, as the system user dcui."""
import os
import re
import socket
import time

import pytest

from conftest import built
from dcui import Console, Hosted
from hostd import Hostd

pytest.importorskip("pyVmomi")
from pyVmomi import vim, vmodl  # noqa: E402

PASSWORD = "Dcui-pass-73"


def spec(name, password):
    s = vim.host.LocalAccountManager.AccountSpecification()
    s.id, s.password, s.description = name, password, name
    return s


@pytest.fixture
def hosted(tmp_path):
    h = Hosted(tmp_path, password=PASSWORD)
    yield h
    h.stop()


def dcui(tmp_path, host, cols=80, lines=25):
    return Console(tmp_path, [built("src/dcui/dcui"), "--root", host.root],
                   cols, lines)


@pytest.fixture
def console(tmp_path, hosted):
    c = dcui(tmp_path, hosted)
    c.wait("To manage this host")
    yield c
    c.close()


def test_idle_screen_shows_the_host(console, hosted):
    s = console.wait("Manage this host at https://")
    assert "Basalt" in s and "Host name:" in s
    assert "<F2> Customize System" in s and "<F12> Shut Down/Restart" in s
    # The thumbprint of the certificate the proxy serves, on two lines.
    import hashlib
    import ssl
    with socket.create_connection((hosted.addr, hosted.https_port)) as s0:
        with ssl._create_unverified_context().wrap_socket(s0) as t:
            der = t.getpeercert(binary_form=True)
    hexes = [f"{b:02X}" for b in hashlib.sha256(der).digest()]
    assert ":".join(hexes[:16]) + ":" in s
    assert ":".join(hexes[16:]) in s
    assert "Root's password is not set" not in s


def test_wrong_password_is_refused_and_audited(console, hosted):
    console.login("Not-the-pass-1")
    s = console.wait("Login Failed")
    assert "incorrect user name or password" in s
    console.keys("Enter")
    # A user who is neither root nor in localadmin.
    si = hosted.connect()
    si.content.accountManager.CreateUser(spec("eve", "Pass-for-ev3-31"))
    console.keys("Escape")
    console.wait("To manage this host")
    console.login("Pass-for-ev3-31", user="eve")
    s = console.wait("Login Failed")
    assert "Only root and members of the group localadmin" in s
    log = hosted.log()
    assert re.search(r"audit: root from console: Login on SessionManager:"
                     r"ha-sessionmgr: InvalidLogin", log), log
    assert re.search(r"audit: eve from console: Login on SessionManager:"
                     r"ha-sessionmgr: NotConsoleUser", log), log
    assert "Not-the-pass-1" not in log and "Pass-for-ev3-31" not in log
    # A localadmin member may use the console; its changes are the
    # system user dcui's, audited with who logged in.
    group = vim.host.LocalAccountManager.AccountSpecification(id="localadmin")
    del group
    si.content.accountManager.AssignUserToGroup(user="eve",
                                                group="localadmin")
    console.keys("Enter")
    console.keys("C-u")
    console.type("Pass-for-ev3-31")
    console.keys("Enter")
    console.wait("System Customization (eve)")
    console.open_item("Configure Lockdown Mode")
    console.wait("Lockdown mode is OFF")
    console.keys("y")
    console.wait("Lockdown mode is on.")
    assert re.search(r"audit: dcui from console:eve: ChangeLockdownMode on "
                     r"HostAccessManager:ha-host-access-manager: ok",
                     hosted.log()), hosted.log()


def test_root_password_set_on_a_fresh_host(tmp_path):
    host = Hosted(tmp_path, password=None)
    c = dcui(tmp_path, host)
    try:
        s = c.wait("Root's password is not set")
        from pyVmomi import vim as v
        with pytest.raises(v.fault.InvalidLogin):
            host.connect(password="")
        c.keys("F2")
        c.wait("log in as root with an")
        c.keys("Enter")                   # root, the blank password
        c.wait("Root's password is not set. Set it now")
        c.type("short")
        c.keys("Enter")
        c.type("short")
        c.keys("Enter")
        s = c.wait("Password Not Set")
        assert "password rules" in s
        c.keys("Enter")
        c.keys("Up", "C-u")
        c.type(PASSWORD)
        c.keys("Down", "C-u")
        c.type(PASSWORD + "x")
        c.keys("Enter")
        c.wait("The passwords differ")
        c.keys("Enter")
        c.keys("C-u")
        c.type(PASSWORD)
        c.keys("Enter")
        c.wait("Root's password is set.")
        si = host.connect(password=PASSWORD)
        assert si.content.about.productLineId
        c.keys("Enter")
        c.wait("System Customization (root)")
        c.keys("Escape")
        s = c.wait("To manage this host")
        assert "Root's password is not set" not in s
    finally:
        c.close()
        host.stop()


def test_log_view_shows_what_hostd_just_logged(console, hosted):
    marker = f"marker{os.getpid()}x{int(time.time())}"
    from pyVmomi import vim as v
    with pytest.raises(v.fault.InvalidLogin):
        hosted.connect(user=marker, password="nope")
    console.login(PASSWORD)
    console.wait("System Customization (root)")
    console.open_item("View System Logs")
    console.wait("1) hostd")
    console.keys("1")
    s = console.wait("hostd (management agent): lines")
    assert marker in s, s
    # Search: '/' and a word, the line comes to the screen marked.
    console.keys("g")
    console.keys("/")
    console.type(marker)
    console.keys("Enter")
    s = console.wait(marker)
    console.keys("/")
    console.type("no-such-text-anywhere")
    console.keys("Enter")
    console.wait('"no-such-text-anywhere" not found')
    # The kernel's messages through the same view.
    console.keys("q")
    console.wait("1) hostd")
    console.keys("3")
    s = console.wait("Kernel (vmkernel): lines")
    console.keys("q", "Escape")
    console.wait("System Customization")


def test_lockdown_mode_refuses_api_logins(console, hosted):
    si = hosted.connect()
    si.content.accountManager.CreateUser(spec("auto", "Pass-for-au7-27"))
    host = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]
    access = host.configManager.hostAccessManager
    si.content.authorizationManager.SetEntityPermissions(
        entity=si.content.rootFolder,
        permission=[vim.AuthorizationManager.Permission(
            principal="auto", group=False, roleId=-2, propagate=True)])
    access.UpdateLockdownExceptions(users=["auto"])
    console.login(PASSWORD)
    console.open_item("Configure Lockdown Mode")
    s = console.wait("Lockdown mode is OFF")
    assert "(auto)" in s
    console.keys("y")
    console.wait("Lockdown mode is on.")
    from pyVmomi import vim as v
    with pytest.raises(v.fault.NoPermission) as f:
        hosted.connect()
    assert "lockdown mode" in f.value.msg
    # The session that was open before ended with it.
    with pytest.raises(v.fault.NotAuthenticated):
        si.content.sessionManager.currentSession.userName
    # The exception logs in; the host says so.
    auto = hosted.connect(user="auto", password="Pass-for-au7-27")
    h2 = auto.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]
    assert h2.config.lockdownMode == "lockdownNormal"
    assert h2.config.adminDisabled is True
    # And it stays across a restart of hostd.
    console.keys("Enter")
    console.troubleshooting(2)
    old = hosted.hostd_pid()
    console.keys("y")
    console.wait("The management agents are restarting")
    hosted.wait_ready(after_pid=old)
    with pytest.raises(v.fault.NoPermission):
        hosted.connect()
    # Off again from the console.
    console.keys("Enter")
    console.wait("To manage this host")
    console.login(PASSWORD)
    console.open_item("Configure Lockdown Mode")
    console.wait("Lockdown mode is ON")
    console.keys("n")
    console.wait("System Customization")
    with pytest.raises(v.fault.NoPermission):
        hosted.connect()
    console.open_item("Configure Lockdown Mode")
    console.keys("y")
    console.wait("Lockdown mode is off.")
    assert hosted.connect().content.about.productLineId


def test_restart_management_agents(console, hosted):
    si = hosted.connect()
    before = hosted.hostd_pid()
    console.login(PASSWORD)
    # Hosted, there is no support shell to turn on: hostd says why.
    console.troubleshooting(0)
    s = console.wait("the support shell is the appliance's")
    console.keys("Enter")
    console.wait("Enable Support Shell")
    console.keys("Escape")
    console.troubleshooting(2)
    s = console.wait("Running VMs keep running")
    console.keys("n")                    # not yet
    console.wait("Support shell: off")
    console.keys("Escape")
    console.wait("System Customization")
    time.sleep(3)
    assert hosted.hostd_pid() == before
    console.troubleshooting(2)
    console.keys("y")
    console.wait("The management agents are restarting")
    after = hosted.wait_ready(after_pid=before)
    assert after != before
    assert "hostd asked to be started again" in hosted.log()
    # The old session is gone (asked again over a new connection: the
    # old one went with the old proxy); a new login works.
    from pyVmomi import vim as v
    si._stub.DropConnections()
    with pytest.raises(v.fault.NotAuthenticated):
        si.content.sessionManager.currentSession.userName
    assert hosted.connect().content.about.productLineId
    # The console's session ended too: it asks for a login again.
    console.keys("Enter")
    s = console.wait("To manage this host")
    del s


def test_configure_syslog(console, hosted):
    """Configure Syslog: the form shows the settings; a target syslogd
    could not use is refused with hostd's reason and nothing saved; a
    good change is one UpdateOptions, audited as the console's."""
    conf = os.path.join(hosted.root, "etc", "basalt", "advanced.conf")
    console.login(PASSWORD)
    console.open_item("Configure Syslog")
    s = console.wait("Log hosts:")
    assert "[] /scratch/log" in s and "1024" in s, s
    console.keys("Home", "C-u")
    console.type("ftp://collector.example")
    console.keys("End", "Enter")            # Enter on the last accepts
    s = console.wait("the scheme must be udp, tcp or ssl")
    assert not os.path.exists(conf) or "logHost" not in open(conf).read()
    console.keys("Enter")                   # back to the form
    console.wait("Log hosts:")
    console.keys("Home", "C-u")
    console.type("tcp://127.0.0.1:1514,udp://127.0.0.1")
    console.keys("Down", "Down", "C-u")
    console.type("4")
    console.keys("End", "Enter")
    console.wait("Saved: syslogd uses it from now on.")
    text = open(conf).read()
    assert 'Syslog.global.logHost = "tcp://127.0.0.1:1514,udp://127.0.0.1"' \
        in text, text
    assert 'Syslog.global.defaultRotate = "4"' in text, text
    assert "defaultSize" not in text      # the default, not written
    assert re.search(r"audit: dcui from console:root: UpdateOptions on "
                     r"OptionManager:ha-adv-options: ok", hosted.log())


def test_reset_system_configuration(console, hosted):
    si = hosted.connect()
    si.content.accountManager.CreateUser(spec("alice", "Pass-for-al1-16"))
    conf = os.path.join(hosted.root, "etc", "basalt")
    console.login(PASSWORD)
    console.open_item("Reset System Configuration")
    s = console.wait("Reset the host's configuration")
    for lost in ("every local user and group", "root's password becomes",
                 "roles and permissions", "lockdown mode",
                 "advanced settings", "certificate and key",
                 "VM inventory"):
        assert lost in s, s
    # Not before the confirmation.
    console.keys("n")
    console.wait("System Customization")
    time.sleep(3)
    assert "alice:" in open(os.path.join(conf, "passwd")).read()
    assert hosted.connect(user="alice", password="Pass-for-al1-16")
    old = hosted.hostd_pid()
    console.open_item("Reset System Configuration")
    console.keys("y")
    console.wait("The configuration is reset; the host restarts")
    hosted.wait_ready(after_pid=old)
    passwd = open(os.path.join(conf, "passwd")).read()
    assert "alice:" not in passwd and passwd.startswith("root:")
    assert open(os.path.join(conf, "shadow")).readline().startswith("root::")
    assert not os.path.exists(os.path.join(conf, "maintenance"))
    console.keys("Enter")
    console.wait("Root's password is not set")
    from pyVmomi import vim as v
    with pytest.raises(v.fault.InvalidLogin):
        hosted.connect()


def test_terminal_size_and_resize(console):
    console.resize(70, 20)
    console.wait("The console needs 80x25; this terminal is 70x20.")
    console.resize(100, 30)
    s = console.wait("To manage this host")
    assert "needs 80x25" not in s
    console.resize(80, 25)
    console.wait("To manage this host")


def test_console_api_pieces(hostd_bin, tmp_path):
    """The API the console uses, from pyVmomi: the log browser, the
    lockdown manager's checks, the service system without a runner, the
    console socket's identity (dcui acting for who logged in)."""
    h = Hostd(hostd_bin, tmp_path / "root")
    try:
        si = h.connect()
        c = si.content
        keys = [d.key for d in c.diagnosticManager.QueryDescriptions()]
        assert keys == ["hostd", "rhttpproxy", "syslog", "vmkernel"]
        os.makedirs(os.path.join(h.root, "var", "log"), exist_ok=True)
        with open(os.path.join(h.root, "var", "log", "hostd.log"),
                  "w") as f:
            f.write("".join(f"line {i} <&>\n" for i in range(1, 1501)))
            f.write("last without newline")
        log = c.diagnosticManager.BrowseDiagnosticLog(key="hostd", start=2,
                                                      lines=3)
        assert (log.lineStart, log.lineEnd) == (2, 4)
        assert log.lineText == ["line 2 <&>", "line 3 <&>", "line 4 <&>"]
        log = c.diagnosticManager.BrowseDiagnosticLog(key="hostd")
        assert (log.lineStart, log.lineEnd) == (1, 1000)
        log = c.diagnosticManager.BrowseDiagnosticLog(key="hostd",
                                                      start=999999999)
        assert log.lineEnd == 1501 and not log.lineText
        log = c.diagnosticManager.BrowseDiagnosticLog(key="hostd",
                                                      start=1500)
        assert log.lineText == ["line 1500 <&>", "last without newline"]
        with pytest.raises(vmodl.fault.InvalidArgument):
            c.diagnosticManager.BrowseDiagnosticLog(key="../../etc/shadow")
        host = c.rootFolder.childEntity[0].hostFolder.childEntity[0].host[0]
        access = host.configManager.hostAccessManager
        assert access.lockdownMode == "lockdownDisabled"
        with pytest.raises(vim.fault.UserNotFound):
            access.UpdateLockdownExceptions(users=["nobody-here"])
        with pytest.raises(vmodl.fault.InvalidArgument):
            access.ChangeLockdownMode("lockdownStrict")  # no exceptions
        assert set(access.QuerySystemUsers()) == {"dcui", "vpxuser"}
        services = host.configManager.serviceSystem
        info = {s.key: s for s in services.serviceInfo.service}
        assert set(info) == {"hostd", "TSM"}
        assert info["hostd"].running and info["hostd"].required
        assert not info["TSM"].running and info["TSM"].policy == "off"
        with pytest.raises(vmodl.fault.NotSupported):
            services.RestartService(id="hostd")  # no runner here
        with pytest.raises(vmodl.fault.NotSupported):
            services.StartService(id="TSM")      # the appliance's
        services.UpdateServicePolicy(id="TSM", policy="on")
        with pytest.raises(vmodl.fault.InvalidArgument):
            services.UpdateServicePolicy(id="TSM", policy="sometimes")
        info = {s.key: s for s in services.serviceInfo.service}
        assert info["TSM"].policy == "on"
        with pytest.raises(vim.fault.NotFound):
            services.RestartService(id="ntpd")
        # Lockdown on through the older HostSystem call; the console
        # still logs in, as dcui acting for root.
        host.EnterLockdownMode()
        with pytest.raises(vim.fault.NoPermission):
            h.connect()
        con = h.console(password=h.password)
        assert con.content.sessionManager.currentSession.userName == "dcui"
        chost = con.content.rootFolder.childEntity[0].hostFolder \
            .childEntity[0].host[0]
        chost.ExitLockdownMode()
        assert h.connect().content.about.productLineId
    finally:
        h.stop()



NETNS = """ip link set lo up
ip link add mgmt0 type veth peer name peer0
ip link set peer0 up
ip link set mgmt0 up
ip addr add 192.168.77.1/24 dev peer0
"""


def test_management_network_in_a_namespace(tmp_path):
    """A static address, gateway, DNS and host name set on the console
    land on the host's interface (a network namespace of its own) and in
    its network configuration; the test pings the gateway; bad input is
    refused with nothing changed; restore goes back to DHCP, which a
    hosted host cannot do (it says so)."""
    host = Hosted(tmp_path, password=PASSWORD, netns=NETNS)
    # The console in the host's namespace, as on the host itself.
    c = Console(tmp_path, ["nsenter", "-t", str(host.hostd_pid()), "-n",
                           built("src/dcui/dcui"), "--root", host.root])
    try:
        c.wait("To manage this host")
        c.login(PASSWORD)
        c.open_item("Configure Management Network")
        c.wait("Network Adapters")
        c.keys("Down", "Down", "Enter")          # IPv4 Configuration
        c.wait("DHCP (yes/no):")
        c.keys("Home")                           # to the mode
        c.keys("C-u")
        c.type("no")
        c.keys("Down", "C-u")
        c.type("192.168.77.10")
        c.keys("Down", "C-u")
        c.type("255.255.255.0")
        c.keys("Down", "C-u")
        c.type("192.168.77.300")                 # not an address
        c.keys("Enter")
        c.wait("An address is four numbers")
        c.keys("Enter")
        c.keys("C-u")
        c.type("192.168.78.1")                   # not in the subnet
        c.keys("Enter")
        c.wait("not another host in the address's subnet")
        c.keys("Enter")
        c.keys("C-u")
        c.type("192.168.77.1")
        c.keys("Enter")
        s = c.wait("192.168.77.10/24")
        c.keys("Down", "Enter")                  # DNS Configuration
        c.wait("Primary DNS Server:")
        c.keys("Home", "C-u")
        c.type("192.168.77.53")
        c.keys("Down", "Down", "Down", "C-u")
        c.type("esx-a")
        c.keys("Down", "C-u")
        c.type("lab.example")
        c.keys("Enter")
        c.wait("1 server(s), esx-a")
        # Nothing applied before the confirmation.
        assert "192.168.77.10" not in host.in_netns("ip", "-4", "addr")
        c.keys("Escape")
        c.wait("Apply the changes and restart the management network")
        c.keys("y")
        c.wait("The management network is applied.")
        addrs = host.in_netns("ip", "-4", "addr", "show", "mgmt0")
        assert "inet 192.168.77.10/24" in addrs, addrs
        assert "default via 192.168.77.1 dev mgmt0" in \
            host.in_netns("ip", "route")
        conf = open(os.path.join(host.root, "etc/basalt/network.conf")).read()
        assert 'mgmt.ipv4 = "static"' in conf and "esx-a" in conf
        si = host.connect_unix()
        hs = si.content.rootFolder.childEntity[0].hostFolder \
            .childEntity[0].host[0]
        net = hs.config.network
        # The managed interface is the vmkernel NIC vmk0.
        assert ("vmk0", "Management Network", "192.168.77.10",
                "255.255.255.0", False) in [
            (v.device, v.portgroup, v.spec.ip.ipAddress,
             v.spec.ip.subnetMask, v.spec.ip.dhcp) for v in net.vnic]
        assert "mgmt0" not in [v.device for v in net.vnic]
        assert net.ipRouteConfig.defaultGateway == "192.168.77.1"
        assert list(net.dnsConfig.address) == ["192.168.77.53"]
        assert net.dnsConfig.hostName == "esx-a"
        assert re.search(r"audit: dcui from console:root: UpdateVirtualNic "
                         r"on HostNetworkSystem:ha-network-system: ok",
                         host.log()), host.log()
        # Test Management Network: the gateway answers, the DNS server
        # (nobody there) does not.
        c.keys("Enter")
        c.open_item("Test Management Network")
        c.wait("Ping Address #1:")
        c.keys("End", "Enter")
        s = c.wait("Resolving hostname", 60)
        assert "Pinging address 192.168.77.1: OK" in s, s
        assert "Pinging address 192.168.77.53: Failed" in s, s
        c.keys("Enter")
        # Restart Management Network applies it again.
        c.open_item("Restart Management Network")
        c.keys("y")
        c.wait("The management network is applied again.")
        c.keys("Enter")
        # Restore: DHCP, which a hosted host cannot run; nothing changes.
        c.open_item("Network Restore Options")
        c.keys("y")
        s = c.wait("Restore Network Settings")
        c.wait("DHCP needs the appliance")
        c.keys("Enter")
        assert "inet 192.168.77.10/24" in host.in_netns(
            "ip", "-4", "addr", "show", "mgmt0")
    finally:
        c.close()
        host.stop()
