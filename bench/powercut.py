#!/usr/bin/python3
"""Power cuts on the whole appliance while it saves what the VI API
changed (issue 8), for the figures in docs/performance.md. Each trial:
pyVmomi adds a user u<k> and sets Syslog.global.logHost to k's target,
QEMU is killed (SIGKILL: a power cut) at a random moment 0-4 s after the
second call (stated saves within 1-5 s of a change), the same disks boot
again, and the host must come up with a whole state: before change k,
after its first call, or after both; never a damaged generation, never
an error. tests/e2e/test_state_powercut.py runs 50 such cuts on a small
machine in every `make test`; this runs them on the appliance itself
(about 25 s a trial under emulation).

Usage: bench/powercut.py [TRIALS] [SEED]   (default 50; make image first)
"""
import os
import random
import re
import ssl
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from appliance import PASSWORD, Appliance  # noqa: E402

from pyVim.connect import Disconnect, SmartConnect  # noqa: E402
from pyVmomi import vim  # noqa: E402

IMAGE = os.path.join(ROOT, "build", "basalt.img")


def connect(app):
    for attempt in range(5):
        try:
            return SmartConnect(host="127.0.0.1", port=app.https_port,
                                user="root", pwd=PASSWORD,
                                sslContext=ssl._create_unverified_context())
        except OSError:
            time.sleep(2)
    raise RuntimeError("no API")


def target(k):
    return f"tcp://10.0.{k // 250}.{k % 250 + 1}:514"


def state(si):
    """(users u<k> there, logHost) as the host has them."""
    host = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]
    users = {u.principal for u in si.content.userDirectory
             .RetrieveUserGroups(None, "u", None, None, False, True, False)
             if re.fullmatch(r"u\d+", u.principal)}
    opt = host.configManager.advancedOption.QueryOptions(
        "Syslog.global.logHost")[0].value
    return users, opt, host


def check(app, k, done, outcomes):
    """After cut k-1: the host's state is change `done` whole, or change
    done+1 half or whole. Returns the new `done` and the host."""
    si = connect(app)
    users, opt, host = state(si)
    want = {f"u{i}" for i in range(1, done + 1)}
    nxt = done + 1
    con = app.console()
    if "damaged" in con or "NO SAVED STATE" in con:
        raise SystemExit(f"after cut {k}: {con[-2000:]}")
    if users == want and opt == target(done):
        outcomes["before"] += 1
    elif users == want | {f"u{nxt}"} and opt == target(done):
        outcomes["first call"] += 1
        done = nxt
        # Its second call is lost: send it again.
        host.configManager.advancedOption.UpdateOptions(
            [vim.option.OptionValue(key="Syslog.global.logHost",
                                    value=target(done))])
    elif users == want | {f"u{nxt}"} and opt == target(nxt):
        outcomes["both calls"] += 1
        done = nxt
    else:
        raise SystemExit(f"after cut {k}: a state that never was: users "
                         f"{sorted(users)}, logHost {opt!r}; change {done} "
                         f"was the last whole one")
    return done, si, host


def main():
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else int(time.time())
    rng = random.Random(seed)
    print(f"seed {seed}")
    with tempfile.TemporaryDirectory(prefix="powercut-") as d:
        app = Appliance(d, IMAGE)
        app.boot(300)
        done = 0
        outcomes = {"before": 0, "first call": 0, "both calls": 0}
        si = connect(app)
        host = state(si)[2]
        start = time.monotonic()
        for k in range(1, trials + 1):
            n = done + 1
            si.content.accountManager.CreateUser(
                vim.host.LocalAccountManager.AccountSpecification(
                    id=f"u{n}", password=f"Pc-secret-{n:04d}x"))
            host.configManager.advancedOption.UpdateOptions(
                [vim.option.OptionValue(key="Syslog.global.logHost",
                                        value=target(n))])
            Disconnect(si)
            time.sleep(rng.uniform(0, 4))
            app.proc.kill()               # the power cut
            app.proc.wait()
            app.proc = None
            app.sock = None
            app.boot(300)
            done, si, host = check(app, k, done, outcomes)
            print(f"cut {k}: {outcomes}", flush=True)
        took = time.monotonic() - start
        print(f"{trials} power cuts on the appliance in {took:.0f} s: the "
              f"change being saved came back not at all "
              f"{outcomes['before']} times, after its first call "
              f"{outcomes['first call']}, whole {outcomes['both calls']}; "
              f"never a damaged or mixed state")
        app.close()


if __name__ == "__main__":
    main()
