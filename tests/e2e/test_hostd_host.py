"""The host through the API: HostSystem.config (product, networks,
datastore mounts, settings), port groups from host bridges, and the
advanced settings of OptionManager ha-adv-options, with pyVmomi
(issue 4)."""
import os
import shutil
import socket
import subprocess
import uuid

import pytest

from hostd import Hostd

pytest.importorskip("pyVmomi")
from pyVmomi import VmomiSupport, vim, vmodl  # noqa: E402

LONG = VmomiSupport.vmodlTypes["long"]


def the_host(si):
    return si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]


def host_bridges():
    return sorted(n for n in os.listdir("/sys/class/net")
                  if os.path.isdir(f"/sys/class/net/{n}/bridge"))


def ipv4_interfaces():
    out = subprocess.run(["ip", "-o", "-4", "addr", "show"],
                         capture_output=True, text=True).stdout
    return sorted({line.split()[1] for line in out.splitlines()
                   if line.split()[1] != "lo"})


def test_host_config_product_mounts_and_addresses(hostd):
    si = hostd.connect()
    host = the_host(si)
    cfg = host.config
    assert cfg.host._moId == "ha-host"
    assert cfg.product.apiType == "HostAgent"
    assert cfg.product.fullName == si.content.about.fullName
    mounts = {m.volume.name: m.mountInfo.path
              for m in cfg.fileSystemVolume.mountInfo}
    assert mounts == {"datastore1": os.path.join(
        hostd.root, "vmfs", "volumes", "datastore1")}
    if shutil.which("ip"):
        assert sorted(v.device for v in cfg.network.vnic) == \
            ipv4_interfaces()
    for v in cfg.network.vnic:
        socket.inet_aton(v.spec.ip.ipAddress)
        assert v.spec.mtu >= 68
    assert host.configManager.advancedOption._moId == "ha-adv-options"
    assert host.configManager.vsanSystem is None
    assert host.datastoreBrowser._moId == "ha-host-datastorebrowser"


def test_one_port_group_and_network_per_host_bridge(hostd):
    si = hostd.connect()
    made = None
    if os.geteuid() == 0 and shutil.which("ip"):
        # A bridge of our own (no members, down): it must show at once.
        made = "bst" + uuid.uuid4().hex[:8]
        subprocess.run(["ip", "link", "add", made, "type", "bridge"],
                       check=True)
    try:
        bridges = host_bridges()
        if made:
            assert made in bridges
        host = the_host(si)
        net = host.config.network
        assert [p.spec.name for p in net.portgroup] == bridges
        assert [s.name for s in net.vswitch] == bridges
        assert [n.name for n in host.network] == bridges
        folder = si.content.rootFolder.childEntity[0].networkFolder
        assert [n._moId for n in folder.childEntity] == \
            [f"HaNetwork-{b}" for b in bridges]
        for n in folder.childEntity:
            assert n.summary.accessible
            assert [h._moId for h in n.host] == ["ha-host"]
            assert n.parent._moId == "ha-folder-network"
    finally:
        if made:
            subprocess.run(["ip", "link", "del", made], check=True)
    if made:
        assert made not in [n.name for n in the_host(si).network]


def options(si):
    return si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0].configManager.advancedOption


def test_advanced_settings_query_update_and_persist(hostd):
    si = hostd.connect()
    om = options(si)
    sec = {o.key: o.value for o in om.QueryOptions("Security.")}
    assert sec == {"Security.AccountLockFailures": 5,
                   "Security.AccountUnlockTime": 900,
                   "Security.PasswordQualityControl":
                   "retry=3 min=disabled,disabled,disabled,7,7"}
    defs = {d.key: d.optionType for d in om.supportedOption}
    assert isinstance(defs["Security.AccountLockFailures"], vim.option.
                      LongOption)
    assert defs["Security.AccountLockFailures"].max == 100
    om.UpdateOptions([vim.option.OptionValue(
        key="Security.AccountLockFailures", value=LONG(3)),
        vim.option.OptionValue(key="Syslog.global.logHost",
                               value="udp://10.0.0.9:514")])
    assert om.QueryOptions("Security.AccountLockFailures")[0].value == 3
    with open(os.path.join(hostd.root, "etc", "basalt",
                           "advanced.conf")) as f:
        text = f.read()
    assert 'Security.AccountLockFailures = "3"' in text
    assert 'Syslog.global.logHost = "udp://10.0.0.9:514"' in text
    hostd.stop()
    hostd.start()
    si = hostd.connect()
    host = the_host(si)
    got = {o.key: o.value for o in host.config.option}
    assert got["Security.AccountLockFailures"] == 3
    assert got["Syslog.global.logHost"] == "udp://10.0.0.9:514"
    # Back to the default: the file no longer names it.
    options(si).UpdateOptions([vim.option.OptionValue(
        key="Security.AccountLockFailures", value=LONG(5))])
    with open(os.path.join(hostd.root, "etc", "basalt",
                           "advanced.conf")) as f:
        assert "AccountLockFailures" not in f.read()


def test_bad_settings_are_faults_and_change_nothing(hostd):
    si = hostd.connect()
    om = options(si)
    before = {o.key: o.value for o in om.setting}
    with pytest.raises(vim.fault.InvalidName) as ei:
        om.QueryOptions("No.Such.Option")
    assert ei.value.name == "No.Such.Option"
    bad = [
        # A valid change with a bad one: neither lands.
        [("Security.AccountUnlockTime", LONG(60)),
         ("Security.AccountLockFailures", LONG(101))],
        [("Security.AccountLockFailures", "five")],
        [("Net.BlockGuestBPDU", LONG(1))],
        [("Annotations.WelcomeMessage", "two\nlines")],
        # syslog targets and folders syslogd could not use
        [("Syslog.global.logHost", "tcp://ok.example:514,ftp://x")],
        [("Syslog.global.logHost", "udp://10.0.0.1:70000")],
        [("Syslog.global.logHost", "tcp://fe80::1:514")],
        [("Syslog.global.logDir", "[datastore1] ../../etc")],
        [("Syslog.global.logDir", "/var/log")],
        [("Syslog.global.defaultRotate", LONG(101))],
    ]
    for changes in bad:
        with pytest.raises(vmodl.fault.InvalidArgument):
            om.UpdateOptions([vim.option.OptionValue(key=k, value=v)
                              for k, v in changes])
    with pytest.raises(vim.fault.InvalidName):
        om.UpdateOptions([vim.option.OptionValue(key="Not.AnOption",
                                                 value="x")])
    assert {o.key: o.value for o in om.setting} == before
    assert not os.path.exists(os.path.join(hostd.root, "etc", "basalt",
                                           "advanced.conf"))


def test_a_bad_line_in_the_settings_file(hostd_bin, tmp_path):
    conf = tmp_path / "root" / "etc" / "basalt"
    conf.mkdir(parents=True)
    (conf / "advanced.conf").write_text(
        'Security.AccountLockFailures = "7"\n'
        'Security.AccountUnlockTime = "not a number"\n'
        'No.Such.Key = "1"\n')
    h = Hostd(hostd_bin, tmp_path / "root")
    try:
        got = {o.key: o.value for o in options(h.connect()).setting}
        assert got["Security.AccountLockFailures"] == 7
        assert got["Security.AccountUnlockTime"] == 900
    finally:
        log = h.stop()
    assert "advanced.conf:2: Security.AccountUnlockTime: 'not a number' " \
        "is not a number; the default stays" in log
    assert "advanced.conf:3: no option 'No.Such.Key'; left out" in log
    # A file that does not parse stops hostd with the reason.
    (conf / "advanced.conf").write_text('Security.AccountLockFailures = "7\n')
    with pytest.raises(AssertionError, match="advanced.conf:1"):
        Hostd(hostd_bin, tmp_path / "root")


def test_host_power_needs_force_and_the_appliance(hostd):
    """ShutdownHost_Task and RebootHost_Task: without maintenance mode
    only force=true goes ahead, and only hostd under the appliance's
    init (--appliance) may power the machine off (test_appliance.py);
    hosted, it says so."""
    si = hostd.connect()
    host = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]
    for call in (host.ShutdownHost_Task, host.RebootHost_Task):
        with pytest.raises(vim.fault.InvalidState) as ei:
            call(force=False)
        assert "maintenance mode" in ei.value.msg
        with pytest.raises(vmodl.fault.NotSupported) as ei:
            call(force=True)
        assert "hosted" in ei.value.msg
    assert hostd.proc.poll() is None
