"""syslogd (issue 10) against rsyslog from Debian as the collector on
loopback (tests/e2e/syslog_peers.py): messages in RFC 3164, RFC 5424 and
raw text to the files by source and to UDP, TCP and TLS targets with their
host name, app name and severity; a collector away for 30 s while 10,000
messages are logged gets all of them afterwards, in order, once each; a
queue smaller than the burst drops exactly the rest and says how many;
rotation keeps the configured number of files; settings change without a
restart."""
import os
import re
import socket
import time

import pytest

from syslog_peers import Collector, Syslogd, make_ca

HOST = socket.gethostname()
DROPPED = (r"(\d+) message\(s\) for tcp://\S+ dropped: its queue \(memory "
           r"and spill file\) was full \((\d+) in all\)")


@pytest.fixture
def collector(tmp_path):
    c = Collector(tmp_path / "collector")
    yield c
    c.stop()


@pytest.fixture
def syslogd(syslogd_bin, tmp_path):
    s = Syslogd(syslogd_bin, tmp_path / "root")
    yield s
    s.stop()


def test_files_by_source_and_raw_text(syslogd):
    syslogd.start()
    syslogd.send(b"<38>Dec  2 09:05:07 sshd[77]: Accepted password for eve")
    syslogd.send(b"<110>1 2026-12-02T10:00:00.123+02:00 - hostd 812 - - "
                 b"\xef\xbb\xbfTask done")
    syslogd.send(b"<13>1 - - hostd 812 audit [audit@6876 user=\"eve\"] "
                 b"Login")
    syslogd.send(b"not syslog at all\x01\x02 but kept\n")
    syslogd.send(b"<999>bad pri")
    syslogd.wait_file("syslog.log", "<999>bad pri")
    auth = syslogd.file("auth.log")
    assert re.search(r"^\d{4}-12-02T09:05:07\.000000Z \S+ sshd\[77\]: "
                     r"Accepted password for eve$", auth, re.M), auth
    hostd = syslogd.file("hostd.log")
    assert f"2026-12-02T08:00:00.123000Z {HOST} hostd[812]: Task done" \
        in hostd, hostd
    audit = syslogd.file("audit.log")
    assert 'hostd[812]: [audit@6876 user="eve"] Login' in audit, audit
    rest = syslogd.file("syslog.log")
    assert f"{HOST} -: not syslog at all#001#002 but kept" in rest, rest


def test_udp_and_tcp_targets_get_host_app_and_severity(syslogd, collector):
    syslogd.settings(logHost=f"udp://127.0.0.1:{collector.udp_port},"
                             f"tcp://127.0.0.1:{collector.tcp_port}")
    syslogd.start()
    syslogd.send(b"<11>app-one[5]: an error over both")     # user.err
    syslogd.send(b"<134>1 - - app-two 6 - - informational")  # local0.info
    one = collector.wait_lines(lambda ln: "app-one" in ln, 2)
    assert one == [f"{HOST}|app-one|3|5| an error over both"] * 2 or \
        one == [f"{HOST}|app-one|3|5|an error over both"] * 2, one
    two = collector.wait_lines(lambda ln: "app-two" in ln, 2)
    assert all(ln.startswith(f"{HOST}|app-two|6|6|") for ln in two), two


def test_collector_away_for_30_s_loses_nothing(syslogd, collector):
    """10,000 messages over TCP while the collector is stopped for 30 s:
    all arrive once it is back, in order, none twice."""
    syslogd.settings(logHost=f"tcp://127.0.0.1:{collector.tcp_port}")
    syslogd.start()
    s = syslogd.sender()
    s.send(b"<14>burst: before")
    collector.wait_lines(lambda ln: "before" in ln, 1)
    collector.stop()
    stopped = time.monotonic()
    for i in range(10000):
        s.send(f"<14>burst: seq {i}".encode())
        if i % 1000 == 999:
            time.sleep(2.5)     # spread over the outage
    time.sleep(max(0, 30 - (time.monotonic() - stopped)))
    collector.start()
    got = collector.wait_lines(lambda ln: "seq " in ln, 10000, timeout=90)
    seqs = [int(ln.rsplit("seq ", 1)[1]) for ln in got]
    assert seqs == list(range(10000)), (len(seqs), seqs[:5], seqs[-5:])
    time.sleep(1)
    assert len([ln for ln in collector.lines() if "seq " in ln]) == 10000
    assert "dropped" not in syslogd.file("syslog.log")
    s.close()


def test_a_small_queue_drops_exactly_the_rest_and_says_so(syslogd,
                                                           collector):
    syslogd.settings(logHost=f"tcp://127.0.0.1:{collector.tcp_port}",
                     queue_memoryMessages="1000", queue_fileSize="0")
    syslogd.start()
    collector.stop()
    s = syslogd.sender()
    for i in range(2500):
        s.send(f"<14>burst: seq {i}".encode())
    s.close()
    # Said once the drops have stopped for a second.
    syslogd.wait_file("syslog.log", "was full (1500 in all)", timeout=25)
    said = re.findall(DROPPED, syslogd.file("syslog.log"))
    assert sum(int(n) for n, _ in said) == 1500, said
    collector.start()
    got = collector.wait_lines(lambda ln: "seq " in ln, 1000)
    assert [int(ln.rsplit("seq ", 1)[1]) for ln in got] == list(range(1000))
    # The reports themselves reach the collector too (beyond the bound).
    collector.wait_lines(lambda ln: "(1500 in all)" in ln, 1)
    time.sleep(1)
    assert len([ln for ln in collector.lines() if "seq " in ln]) == 1000


def test_the_spill_file_holds_what_memory_cannot(syslogd, collector):
    """100 messages in memory and 1 MiB on disk: 5,000 of about 130
    bytes wait through an outage, in order; 20,000 more than the file
    holds: the first ones arrive, the rest are dropped, and the count
    said is exactly what did not arrive."""
    syslogd.settings(logHost=f"tcp://127.0.0.1:{collector.tcp_port}",
                     queue_memoryMessages="100", queue_fileSize="1")
    syslogd.start()
    collector.stop()
    s = syslogd.sender()
    for i in range(5000):
        s.send(f"<14>spill: seq {i}".encode())
    time.sleep(1)
    collector.start()
    got = collector.wait_lines(lambda ln: "|spill|" in ln, 5000, timeout=60)
    assert [int(ln.rsplit("seq ", 1)[1]) for ln in got] == \
        list(range(5000))
    assert "dropped" not in syslogd.file("syslog.log")

    collector.stop()
    for i in range(20000):
        s.send(f"<14>over: seq {i} ".encode() + b"y" * 40)
    s.close()
    # Said once the drops have stopped for a second.
    syslogd.wait_file("syslog.log", "dropped", timeout=25)
    said = re.findall(DROPPED, syslogd.file("syslog.log"))
    assert len(said) == 1 and said[0][0] == said[0][1], said
    dropped = int(said[-1][1])
    collector.start()
    kept = 20000 - dropped
    assert 0 < kept < 20000, said
    collector.wait_lines(lambda ln: "|over|" in ln, kept, timeout=60)
    time.sleep(1)
    got = [ln for ln in collector.lines() if "|over|" in ln]
    assert [int(ln.split("seq ")[1].split()[0]) for ln in got] == \
        list(range(kept)), (len(got), kept)


def test_rotation_keeps_the_configured_number(syslogd):
    syslogd.settings(defaultSize="10", defaultRotate="3")   # 10 KiB
    syslogd.start()
    s = syslogd.sender()
    for i in range(600):
        s.send(f"<14>rot: line {i:04d} ".encode() + b"x" * 100)
    s.close()
    syslogd.wait_file("syslog.log", "line 0599")
    names = sorted(n for n in os.listdir(syslogd.logdir)
                   if n.startswith("syslog"))
    assert names == ["syslog.1.log", "syslog.2.log", "syslog.3.log",
                     "syslog.log"], names
    for n in names:
        assert os.path.getsize(os.path.join(syslogd.logdir, n)) <= 10240
    # The newest lines are in syslog.log, the ones before in .1.
    assert "line 0599" in syslogd.file("syslog.log")
    first = int(re.search(r"line (\d{4})", syslogd.file("syslog.log"))
                .group(1))
    assert f"line {first - 1:04d}" in syslogd.file("syslog.1.log")


def test_settings_change_without_a_restart(syslogd, collector):
    syslogd.start()
    pid = syslogd.proc.pid
    syslogd.send(b"<14>early: not forwarded")
    syslogd.wait_file("syslog.log", "not forwarded")
    syslogd.settings(logHost=f"tcp://127.0.0.1:{collector.tcp_port}")
    syslogd.wait_file("syslog.log", "settings read again: 1 remote")
    syslogd.send(b"<14>late: forwarded")
    collector.wait_lines(lambda ln: "late" in ln, 1)
    assert not [ln for ln in collector.lines() if "early" in ln]
    assert syslogd.proc.pid == pid


def test_log_dir_on_a_datastore(syslogd):
    """Syslog.global.logDir "[datastore1] logs/host-a": the files move
    there at once (persistent, unlike the in-memory /var/log)."""
    ds = os.path.join(syslogd.root, "vmfs", "volumes", "datastore1")
    os.makedirs(ds)
    syslogd.start()
    syslogd.send(b"<14>app: before the move")
    syslogd.wait_file("syslog.log", "before the move")
    syslogd.settings(logDir="[datastore1] logs/host-a")
    syslogd.wait_file("syslog.log", "the logs move to")
    syslogd.send(b"<14>app: after the move")
    moved = os.path.join(ds, "logs", "host-a", "syslog.log")
    deadline = time.monotonic() + 10
    while "after the move" not in (open(moved).read()
                                   if os.path.exists(moved) else ""):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    text = open(moved).read()
    assert "the logs moved here from" in text
    assert "after the move" not in syslogd.file("syslog.log")


def test_tls_target_checks_the_collector_certificate(syslogd, tmp_path):
    """ssl:// against rsyslog's gtls: a certificate from a CA the host's
    store does not hold is refused (nothing sent, the messages kept);
    with its CA in etc/basalt/ssl/castore.pem they arrive."""
    good = make_ca(str(tmp_path / "ca-good"), "Good CA")
    other = make_ca(str(tmp_path / "ca-other"), "Other CA")
    c = Collector(tmp_path / "tls-collector", tls=good)
    try:
        ssl_dir = os.path.join(syslogd.root, "etc", "basalt", "ssl")
        os.makedirs(ssl_dir)
        store = os.path.join(ssl_dir, "castore.pem")
        with open(other[0]) as f, open(store, "w") as out:
            out.write(f.read())
        syslogd.settings(logHost=f"ssl://127.0.0.1:{c.tcp_port}")
        syslogd.start()
        syslogd.send(b"<13>tls-app[3]: sealed one")
        deadline = time.monotonic() + 20
        while "its certificate is refused" not in syslogd.output():
            assert time.monotonic() < deadline, syslogd.output()
            time.sleep(0.2)
        assert not [ln for ln in c.lines() if "sealed" in ln]
        with open(good[0]) as f, open(store, "w") as out:
            out.write(f.read())
        syslogd.send(b"<13>tls-app[3]: sealed two")
        got = c.wait_lines(lambda ln: "sealed" in ln, 2, timeout=30)
        assert got == [f"{HOST}|tls-app|5|3|sealed one",
                       f"{HOST}|tls-app|5|3|sealed two"], got
        # A target added before it: it stays, with its session, in
        # another place of the daemon's table.
        syslogd.settings(logHost=f"udp://127.0.0.1:9,"
                                 f"ssl://127.0.0.1:{c.tcp_port}")
        syslogd.wait_file("syslog.log", "settings read again: 2 remote")
        syslogd.send(b"<13>tls-app[3]: sealed three")
        got = c.wait_lines(lambda ln: "sealed" in ln, 3, timeout=30)
        assert got[-1] == f"{HOST}|tls-app|5|3|sealed three", got
    finally:
        c.stop()


def test_the_api_sets_the_target_and_audits_reach_it(hostd, syslogd_bin,
                                                     collector):
    """Syslog.global.logHost set through pyVmomi's OptionManager on a
    hosted hostd: syslogd (same root) forwards from then on, without a
    restart; hostd's audit records go through it to audit.log and the
    collector; a value syslogd could not use is refused by the API."""
    from pyVmomi import vim, vmodl
    s = Syslogd(syslogd_bin, hostd.root)
    s.start()
    try:
        pid = s.proc.pid
        si = hostd.connect()
        om = si.content.rootFolder.childEntity[0].hostFolder \
            .childEntity[0].host[0].configManager.advancedOption
        with pytest.raises(vmodl.fault.InvalidArgument):
            om.UpdateOptions([vim.option.OptionValue(
                key="Syslog.global.logHost", value="tcp://[::1:514")])
        om.UpdateOptions([vim.option.OptionValue(
            key="Syslog.global.logHost",
            value=f"tcp://127.0.0.1:{collector.tcp_port}")])
        s.wait_file("syslog.log", "settings read again: 1 remote")
        s.send(b"<14>after-api: forwarded")
        collector.wait_lines(lambda ln: "after-api" in ln, 1)
        # An audited call after the change: its record on both ends.
        om.UpdateOptions([vim.option.OptionValue(
            key="Annotations.WelcomeMessage", value="hello")])
        got = collector.wait_lines(
            lambda ln: "|hostd|" in ln and "UpdateOptions" in ln, 1)
        assert "root" in got[-1], got
        s.wait_file("audit.log", "UpdateOptions")
        assert s.proc.pid == pid
    finally:
        s.stop()
