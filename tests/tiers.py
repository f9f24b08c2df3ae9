#!/usr/bin/python3
"""Run Basalt's test tiers and print one count line per tier and a total.

Tiers (docs/testing.md):
  format  clang-format check of every C file
  unit    tier 1: C unit tests and fuzz-corpus replays (sanitizer build)
  vmm     tier 2: tiny guests on the local /dev/kvm (sanitizer build)
  e2e     tier 3: pytest against the real binaries and the nested test bed

Usage: tests/tiers.py TIER...   Exit status 1 if anything failed.
Environment: BASALT_ASAN_DIR, BASALT_RELEASE_DIR (build directories).
"""
import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ASAN = os.environ.get("BASALT_ASAN_DIR", os.path.join(ROOT, "build/asan"))
RELEASE = os.environ.get("BASALT_RELEASE_DIR",
                         os.path.join(ROOT, "build/release"))


class Count:
    def __init__(self, name):
        self.name, self.passed, self.failed, self.skipped = name, 0, 0, 0
        self.notes = []

    def line(self):
        return (f"{self.name}: {self.passed} passed, {self.failed} failed, "
                f"{self.skipped} skipped")


def c_files():
    try:
        # Tracked files and new ones not yet added (not ignored ones).
        out = subprocess.run(["git", "ls-files", "--cached", "--others",
                              "--exclude-standard", "*.c", "*.h"], cwd=ROOT,
                             check=True, capture_output=True, text=True)
        files = out.stdout.split()
    except (OSError, subprocess.CalledProcessError):
        files = []
    if not files:  # not a git checkout: every C file under the tree
        for top in ("src", "tests", "fuzz", "bench", "include"):
            for d, _, names in os.walk(os.path.join(ROOT, top)):
                files += [os.path.relpath(os.path.join(d, n), ROOT)
                          for n in names if n.endswith((".c", ".h"))]
    return sorted(files)


def tier_format():
    c = Count("format")
    files = c_files()
    r = subprocess.run(["clang-format", "--dry-run", "-Werror"] + files,
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode == 0:
        c.passed = 1
    else:
        c.failed = 1
        bad = sorted(set(re.findall(r"^(\S+?):\d+:\d+: error",
                                    r.stderr, re.M)))
        c.notes.append("not clang-formatted (run `make format`): " +
                       " ".join(bad))
    return c


TAP_LINE = re.compile(r"^(not ok|ok)\b(.*)$")


def tier_meson(suite):
    c = Count(suite)
    logfile = os.path.join(ASAN, "meson-logs", "testlog.json")
    if os.path.exists(logfile):
        os.unlink(logfile)
    subprocess.run(["meson", "test", "-C", ASAN, "--suite", suite,
                    "--no-rebuild", "--print-errorlogs"], cwd=ROOT)
    if not os.path.exists(logfile):
        c.failed = 1
        c.notes.append("meson test wrote no log")
        return c
    with open(logfile) as f:
        results = [json.loads(line) for line in f if line.strip()]
    for res in results:
        out = res.get("stdout") or ""
        points = 0
        for line in out.splitlines():
            m = TAP_LINE.match(line)
            if m:
                points += 1
                if m.group(1) == "not ok":
                    c.failed += 1
                elif "# SKIP" in m.group(2):
                    c.skipped += 1
                else:
                    c.passed += 1
            elif line.startswith("# skipped: "):
                note = line[len("# skipped: "):]
                if note not in c.notes:
                    c.notes.append("skipped: " + note)
        # A binary that crashed or failed without a "not ok" line still
        # failed: count it once.
        if res.get("result") not in ("OK", "SKIP") and \
                "not ok" not in out:
            c.failed += 1
            c.notes.append(f"{res.get('name')}: {res.get('result')}")
        elif points == 0 and res.get("result") == "OK":
            c.failed += 1
            c.notes.append(f"{res.get('name')}: ran no test point")
    return c


def tier_e2e():
    c = Count("e2e")
    junit = os.path.join(RELEASE, "e2e-junit.xml")
    if os.path.exists(junit):
        os.unlink(junit)
    env = dict(os.environ, BASALT_BUILD_DIR=RELEASE)
    # The slowest tests listed: the suite's 20-minute budget is kept
    # by trimming what this shows.
    args = ["/usr/bin/python3", "-m", "pytest", "-rs", "-v",
            "--durations=25",
            "-p", "no:cacheprovider", f"--junitxml={junit}",
            os.path.join(ROOT, "tests/e2e")]
    args += os.environ.get("BASALT_PYTEST_ARGS", "").split()
    r = subprocess.run(args, cwd=ROOT, env=env)
    if not os.path.exists(junit):
        c.failed = 1
        c.notes.append(f"pytest exited {r.returncode} without results")
        return c
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        total = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        c.failed += failed
        c.skipped += skipped
        c.passed += total - failed - skipped
    if r.returncode not in (0, 5) and c.failed == 0:
        c.failed = 1
        c.notes.append(f"pytest exited {r.returncode}")
    return c


TIERS = {"format": tier_format, "unit": lambda: tier_meson("unit"),
         "vmm": lambda: tier_meson("vmm"), "e2e": tier_e2e}


def main(argv):
    names = argv[1:] or ["format", "unit", "vmm", "e2e"]
    for n in names:
        if n not in TIERS:
            print(f"tiers.py: unknown tier '{n}' "
                  f"(expected {', '.join(TIERS)})", file=sys.stderr)
            return 2
    counts = []
    for n in names:
        print(f"==> tier {n}", flush=True)
        counts.append(TIERS[n]())
    print()
    for c in counts:
        print(c.line())
        for note in c.notes:
            print(f"    {note}")
    total = Count("total")
    for c in counts:
        total.passed += c.passed
        total.failed += c.failed
        total.skipped += c.skipped
    if len(counts) > 1:
        print(total.line())
    if total.passed == 0 and total.failed == 0:
        print("no test ran")
        return 1
    return 1 if total.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
