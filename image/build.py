#!/usr/bin/env python3
"""Build Basalt's bootable disk image, without root (make image).

    image/build.py [--build build/release] [--out build/basalt.img]

The disk (GPT; docs/formats/image.md):
  1 bios-boot   GRUB's core.img (BIOS boot; the MBR holds boot.img)
  2 boot        FAT: grub/grub.cfg (the menu lists both banks), grubenv
  3 bootbank1   ext4: vmlinuz, basalt.zst (the initramfs), manifest
  4 bootbank2   ext4: the same at first; an update writes the other bank
  5 store       ext4: persistent files of the host (locker, support)
  6 coredump    ext4: the kernel's last log (pstore) and agents' core dumps

Everything comes from Debian packages: the kernel and modules from
linux-image-amd64 (downloaded once into build/image/), GRUB from
grub-pc-bin, busybox-static, mke2fs, the shared libraries ldd names.
"""
import argparse
import fnmatch
import glob
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile

import cpio

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MiB = 1024 * 1024
SECTOR = 512
BANK_BUDGET = 48 * MiB  # the payload of one boot bank (issue 7)

BIOS_BOOT = "21686148-6449-6E6F-744E-656564454649"
ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
LINUX_FS = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
# Basalt's own partition types (docs/formats/image.md); init finds the
# core-dump partition and datastores by them.
COREDUMP = "9D3C8A5E-3A1B-4B7E-9C6F-6B61736C7401"

# name, MiB, GPT type, file system, file-system label
LAYOUT = [
    ("bios-boot", 1, BIOS_BOOT, None, None),
    ("boot", 16, ESP, "vfat", "BASALTBOOT"),
    ("bootbank1", 128, LINUX_FS, "ext4", "BOOTBANK1"),
    ("bootbank2", 128, LINUX_FS, "ext4", "BOOTBANK2"),
    ("store", 256, LINUX_FS, "ext4", "BASALTSTORE"),
    ("coredump", 112, COREDUMP, "ext4", "COREDUMP"),
]
FIRST_LBA = 2048

# GRUB's modules built into core.img: the whole boot needs no module
# directory on disk.
GRUB_MODULES = ["biosdisk", "part_gpt", "part_msdos", "fat", "ext2",
                "normal", "configfile", "linux", "echo", "test", "loadenv",
                "regexp", "probe", "search", "search_label", "serial",
                "terminal", "sleep", "halt", "reboot", "cat", "ls"]
# boot.img: the LBA of core.img's first sector (a 64-bit little-endian
# number at 0x5c); core.img's first sector ends with a block list whose
# first entry (start LBA, 64 bits) says where the rest is.
BOOT_KERNEL_SECTOR = 0x5C
BLOCKLIST_START = SECTOR - 12

AGENTS = ["src/init/init", "src/hostd/hostd", "src/vmx/vmx",
          "src/rhttpproxy/rhttpproxy", "src/dcui/dcui", "src/stated/stated",
          "src/syslogd/syslogd",
          "src/update/basalt-update", "src/cli/vmxctl"]
TERMINFO = ["linux", "xterm", "xterm-256color", "vt100", "vt102", "vt220",
            "screen", "tmux"]
# Programs from Debian's packages, with the libraries ldd names.
HOST_PROGRAMS = {"/sbin/mke2fs": "sbin/mke2fs"}


class BuildError(Exception):
    pass


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise BuildError(f"{' '.join(cmd)}: status {r.returncode}\n"
                         f"{r.stderr.strip()[-2000:]}")
    return r.stdout


# -- the kernel ----------------------------------------------------------
def kernel_package():
    """The package linux-image-amd64 currently depends on."""
    out = run(["apt-cache", "depends", "linux-image-amd64"])
    m = re.search(r"Depends: (linux-image-(\S+)-amd64)\b", out)
    if not m:
        raise BuildError("cannot resolve linux-image-amd64 to a kernel "
                         "package (apt-cache depends)")
    return m.group(1), m.group(2) + "-amd64"


def fetch_kernel(cache):
    """Debian's generic kernel, unpacked once into cache: (version, dir)."""
    pkg, version = kernel_package()
    root = os.path.join(cache, f"linux-{version}")
    if os.path.exists(os.path.join(root, "lib/modules", version,
                                   "modules.dep")):
        return version, root
    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    run(["apt-get", "-o", "APT::Sandbox::User=root", "download", pkg],
        cwd=tmp)
    debs = glob.glob(os.path.join(tmp, "*.deb"))
    if len(debs) != 1:
        raise BuildError(f"apt-get download {pkg} gave {debs}")
    run(["dpkg-deb", "-x", debs[0], tmp])
    os.unlink(debs[0])
    run(["/sbin/depmod", "-b", tmp, version])  # the package's postinst would
    os.replace(tmp, root)
    return version, root


def read_modules_dep(moddir):
    deps = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod.strip()] = rest.split()
    return deps


def module_name(path):
    return os.path.basename(path).split(".ko")[0].replace("-", "_")


def select_modules(moddir, listfile):
    """Paths (relative to moddir) of the listed modules and what they
    need, in modules.dep's terms."""
    deps = read_modules_dep(moddir)
    chosen = set()
    with open(listfile) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            hits = fnmatch.filter(deps, "kernel/" + line)
            if not hits:
                raise BuildError(f"{listfile}:{n}: no module matches "
                                 f"{line!r} in {moddir}")
            for h in hits:
                chosen.add(h)
                chosen.update(deps[h])
    # softdeps ("pre: crc32c") are loaded through modprobe by name; carry
    # the ones the chosen modules name, if they exist as modules.
    by_name = {module_name(m): m for m in deps}
    with open(os.path.join(moddir, "modules.softdep")) as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3 or parts[0] != "softdep":
                continue
            if by_name.get(parts[1].replace("-", "_")) not in chosen:
                continue
            for p in parts[2:]:
                m = by_name.get(p.replace("-", "_"))
                if m is not None:
                    chosen.add(m)
                    chosen.update(deps[m])
    return sorted(chosen), deps


def module_indexes(moddir, chosen, deps):
    """modules.dep, modules.alias and modules.softdep limited to chosen
    (init reads these; docs/formats/image.md)."""
    names = {module_name(m) for m in chosen}
    dep = "".join(f"{m}: {' '.join(deps[m])}\n" for m in chosen)
    alias = []
    with open(os.path.join(moddir, "modules.alias")) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "alias" and \
                    parts[2].replace("-", "_") in names:
                alias.append(line)
    soft = []
    with open(os.path.join(moddir, "modules.softdep")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "softdep" and \
                    parts[1].replace("-", "_") in names:
                soft.append(line)
    with open(os.path.join(moddir, "modules.builtin")) as f:
        builtin = f.read()
    return {"modules.dep": dep, "modules.alias": "".join(alias),
            "modules.softdep": "".join(soft), "modules.builtin": builtin}


# -- the initramfs -------------------------------------------------------
def libraries(binary):
    out = run(["ldd", binary])
    return [m.group(1) for m in re.finditer(r"(/\S+) \(0x", out)]


def stripped(path):
    with tempfile.NamedTemporaryFile() as t:
        run(["strip", "--strip-unneeded", "-o", t.name, path])
        with open(t.name, "rb") as f:
            return f.read()


def build_initramfs(build, version, kroot, out_path, report, pubkey):
    moddir = os.path.join(kroot, "lib/modules", version)
    chosen, deps = select_modules(moddir, os.path.join(HERE, "modules.txt"))
    buf = io.BytesIO()
    w = cpio.CpioWriter(buf)
    for d in ("proc", "sys", "dev", "tmp", "run", "var", "etc/basalt",
              "vmfs/volumes", "bin", "sbin", "root"):
        w.mkdir(d)
    w.chardev("dev/console", 5, 1)
    # Account files live in /etc/basalt, saved with the host's state
    # (docs/decisions/004).
    for name in ("passwd", "shadow", "group"):
        w.symlink("etc/" + name, "basalt/" + name)
    # The release key updates are checked against (src/update).
    for d in ("usr", "usr/share", "usr/share/basalt"):
        w.mkdir(d)
    with open(pubkey, "rb") as f:
        w.file("usr/share/basalt/update-key.pem", f.read())

    sizes = {"Basalt programs": 0, "shared libraries": 0,
             "busybox (support shell)": 0, "mke2fs": 0,
             f"kernel modules ({len(chosen)})": 0}
    libs = set()
    for rel in AGENTS:
        src = os.path.join(build, rel)
        if not os.path.exists(src):
            raise BuildError(f"{src} is missing: run `make build` first")
        data = stripped(src)
        name = os.path.basename(rel)
        w.file("init" if name == "init" else "bin/" + name, data, 0o755)
        sizes["Basalt programs"] += len(data)
        libs.update(libraries(src))
    # init is also the kernel's modprobe (it loads modules by alias) and
    # the DHCP client's event handler (src/init/README.md).
    w.symlink("sbin/modprobe", "../init")
    w.symlink("sbin/dhcp-event", "../init")
    for src, dst in HOST_PROGRAMS.items():
        data = stripped(src)
        w.file(dst, data, 0o755)
        sizes["mke2fs"] += len(data)
        libs.update(libraries(src))
    # The console's terminals (src/dcui): the VGA console, a serial
    # console's emulator, and their common fallbacks (ncurses-base).
    for t in TERMINFO:
        path = os.path.join("/lib/terminfo", t[0], t)
        with open(path, "rb") as f:
            w.file(path, f.read())
    with open("/bin/busybox", "rb") as f:
        data = f.read()
    w.file("bin/busybox", data, 0o755)
    w.symlink("bin/sh", "busybox")
    sizes["busybox (support shell)"] += len(data)
    for lib in sorted(libs):
        with open(lib, "rb") as f:
            data = f.read()
        w.file(lib, data, 0o755)
        sizes["shared libraries"] += len(data)

    for m in chosen:
        with open(os.path.join(moddir, m), "rb") as f:
            data = f.read()
        w.file(f"lib/modules/{version}/{m}", data)
        sizes[f"kernel modules ({len(chosen)})"] += len(data)
    for name, text in module_indexes(moddir, chosen, deps).items():
        w.file(f"lib/modules/{version}/{name}", text.encode())
    w.close()

    raw = buf.getvalue()
    r = subprocess.run(["zstd", "-q", "-19", "-T0", "-c"], input=raw,
                       capture_output=True)
    if r.returncode != 0:
        raise BuildError(f"zstd: {r.stderr.decode(errors='replace')}")
    with open(out_path, "wb") as f:
        f.write(r.stdout)
    report.append(("initramfs, uncompressed", len(raw)))
    for k, v in sizes.items():
        report.append(("  " + k, v))
    report.append(("initramfs, zstd -19", len(r.stdout)))


# -- the boot banks ------------------------------------------------------
def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_version():
    with open(os.path.join(ROOT, "meson.build")) as f:
        m = re.search(r"version: '([^']+)'", f.read())
    version = m.group(1) if m else "0"
    r = subprocess.run(["git", "-C", ROOT, "describe", "--always",
                        "--dirty"], capture_output=True, text=True)
    return version, (r.stdout.strip() or "unknown")


def release_key(build_dir, out_dir):
    """The ed25519 key updates are signed with: made once per build tree
    (build/keys/); its public half goes into the image. A release build
    brings its own: BASALT_RELEASE_KEY names the private key's PEM, the
    public one beside it as <name>.pub."""
    env = os.environ.get("BASALT_RELEASE_KEY")
    if env:
        return env, env + ".pub"
    keys = os.path.join(out_dir, "keys")
    priv = os.path.join(keys, "update-signing.pem")
    pub = os.path.join(keys, "update-key.pem")
    if not (os.path.exists(priv) and os.path.exists(pub)):
        os.makedirs(keys, mode=0o700, exist_ok=True)
        run([os.path.join(build_dir, "src/update/basalt-update"), "keygen",
             priv, pub])
    return priv, pub


def write_manifest(bankdir, version, build_id, kversion):
    """Version and checksum of every file of the bank
    (docs/formats/image.md)."""
    lines = ["# Basalt boot bank manifest (docs/formats/image.md)",
             "product=Basalt", f"version={version}", f"build={build_id}",
             f"kernel={kversion}"]
    for name in sorted(os.listdir(bankdir)):
        path = os.path.join(bankdir, name)
        lines.append(f"file={name} {os.path.getsize(path)} "
                     f"{sha256_file(path)}")
    with open(os.path.join(bankdir, "manifest"), "w") as f:
        f.write("\n".join(lines) + "\n")


GRUB_CFG = """\
# Basalt's boot menu: two boot banks (docs/formats/image.md). grubenv's
# "bank" says which one boots by default; an update sets "try_bank" and
# "try_left" (src/update): the new bank boots once, and if it is asked
# to boot again with no try left (it did not mark itself healthy, or
# its kernel panicked), the previous bank boots and "fallback_from"
# tells init so.
serial --unit=0 --speed=115200
terminal_input console serial
terminal_output console serial
set timeout=3
load_env
# The disk GRUB booted from: $prefix is (hdN,gpt2)/grub.
regexp --set=disk '^\\(([^,]+),' "$prefix"
set boot="$bank"
if [ -n "$try_bank" ]; then
\tif [ "$try_left" = 1 ]; then
\t\tset try_left=0
\t\tset boot="$try_bank"
\telse
\t\tset fallback_from="$try_bank"
\t\tset try_bank=
\tfi
\tsave_env try_bank try_left fallback_from
fi
if [ "$boot" = 2 ]; then set default=bank2; else set default=bank1; fi
"""
GRUB_ENTRY = """\
# What the bank holds: its bankenv names the version.
set version=
load_env --file ($disk,gpt{part})/bankenv version
set version{n}="$version"
menuentry "{product} $version{n} (boot bank {n})" --id bank{n} {{
\tprobe --part-uuid --set=bankuuid ($disk,gpt{part})
\techo "Loading Basalt $version{n} from boot bank {n}..."
\tlinux ($disk,gpt{part})/vmlinuz basalt.bootbank=$bankuuid \
console=tty0 console=ttyS0,115200n8 loglevel=3 panic=10 \
memmap=1M\\$0x10000000 ramoops.mem_address=0x10000000 \
ramoops.mem_size=0x100000 ramoops.record_size=0x40000 ramoops.ecc=1
\tinitrd ($disk,gpt{part})/basalt.zst
}}
"""


# -- the disk ------------------------------------------------------------
def partition_table(layout):
    """sfdisk's script and each partition's (start, size) in bytes."""
    lines = ["label: gpt", f"first-lba: {FIRST_LBA}"]
    at = FIRST_LBA * SECTOR
    places = {}
    for name, mib, ptype, _, _ in layout:
        size = mib * MiB
        lines.append(f"start={at // SECTOR}, size={size // SECTOR}, "
                     f"type={ptype}, name=\"{name}\"")
        places[name] = (at, size)
        at += size
    total = at + MiB  # room for the backup GPT
    return "\n".join(lines) + "\n", places, total


def make_fs(img, fs, label, offset, size, srcdir):
    if fs == "ext4":
        cmd = ["mke2fs", "-q", "-F", "-t", "ext4", "-L", label, "-m", "0",
               "-E", f"offset={offset},root_owner=0:0"]
        if srcdir:
            cmd += ["-d", srcdir]
        run(cmd + [img, str(size // 1024)])
    elif fs == "vfat":
        run(["mkfs.fat", "-F", "16", "-n", label,
             f"--offset={offset // SECTOR}", img, str(size // 1024)])
        if srcdir:
            target = f"{img}@@{offset}"
            for d in sorted(os.listdir(srcdir)):
                run(["mcopy", "-s", "-o", "-i", target,
                     os.path.join(srcdir, d), "::/"])


def install_grub(img, places, work):
    core = os.path.join(work, "core.img")
    run(["grub-mkimage", "-O", "i386-pc", "-p", "(,gpt2)/grub", "-o", core]
        + GRUB_MODULES)
    start, size = places["bios-boot"]
    with open(core, "rb") as f:
        data = bytearray(f.read())
    if len(data) > size:
        raise BuildError(f"GRUB's core.img ({len(data)} bytes) does not "
                         f"fit the BIOS boot partition ({size})")
    data[BLOCKLIST_START:BLOCKLIST_START + 8] = \
        (start // SECTOR + 1).to_bytes(8, "little")
    with open("/usr/lib/grub/i386-pc/boot.img", "rb") as f:
        boot = bytearray(f.read())
    boot[BOOT_KERNEL_SECTOR:BOOT_KERNEL_SECTOR + 8] = \
        (start // SECTOR).to_bytes(8, "little")
    with open(img, "r+b") as f:
        f.seek(start)
        f.write(data)
        f.seek(0)
        f.write(boot[:440])  # code only: keep the protective MBR's table
    return len(data)


def build(args):
    build_dir = os.path.abspath(args.build)
    out = os.path.abspath(args.out)
    cache = os.path.join(os.path.dirname(out), "image")
    os.makedirs(cache, exist_ok=True)
    report = []
    version, build_id = build_version()
    kversion, kroot = fetch_kernel(cache)

    work = tempfile.mkdtemp(prefix="basalt-image-", dir=cache)
    try:
        bank = os.path.join(work, "bank")
        os.makedirs(bank)
        shutil.copyfile(os.path.join(kroot, "boot", f"vmlinuz-{kversion}"),
                        os.path.join(bank, "vmlinuz"))
        report.append((f"kernel {kversion}",
                       os.path.getsize(os.path.join(bank, "vmlinuz"))))
        priv, pub = release_key(build_dir, os.path.dirname(out))
        build_initramfs(build_dir, kversion, kroot,
                        os.path.join(bank, "basalt.zst"), report, pub)
        env = os.path.join(bank, "bankenv")
        run(["grub-editenv", env, "create"])
        run(["grub-editenv", env, "set", f"version={version}"])
        write_manifest(bank, version, build_id, kversion)
        payload = sum(os.path.getsize(os.path.join(bank, n))
                      for n in os.listdir(bank))
        report.append(("boot bank payload", payload))
        if payload > BANK_BUDGET:
            raise BuildError(f"a boot bank's payload is {payload} bytes, "
                             f"over the budget of {BANK_BUDGET}")

        boot = os.path.join(work, "boot")
        os.makedirs(os.path.join(boot, "grub"))
        with open(os.path.join(boot, "grub", "grub.cfg"), "w") as f:
            f.write(GRUB_CFG)
            for n, part in ((1, 3), (2, 4)):
                f.write(GRUB_ENTRY.format(product="Basalt", version=version,
                                          n=n, part=part))
        bundle = os.path.join(os.path.dirname(out),
                              f"basalt-{version}.bub")
        run([os.path.join(build_dir, "src/update/basalt-update"), "pack",
             "--key", priv, "--dir", bank, "--out", bundle])
        env = os.path.join(boot, "grub", "grubenv")
        run(["grub-editenv", env, "create"])
        run(["grub-editenv", env, "set", "bank=1"])

        script, places, total = partition_table(LAYOUT)
        tmp = out + ".tmp"
        with open(tmp, "wb") as f:
            f.truncate(total)
        run(["sfdisk", "-q", "--no-reread", "--no-tell-kernel", tmp],
            input=script)
        sources = {"boot": boot, "bootbank1": bank, "bootbank2": bank}
        for name, _, _, fs, label in LAYOUT:
            if fs:
                at, size = places[name]
                make_fs(tmp, fs, label, at, size, sources.get(name))
        core = install_grub(tmp, places, work)
        os.replace(tmp, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"{out}: Basalt {version} ({build_id}), "
          f"{total / MiB:.0f} MiB disk")
    print("  partitions:")
    for name, mib, _, fs, label in LAYOUT:
        print(f"    {name:<10} {mib:>4} MiB  {fs or 'raw':<5} {label or ''}")
    print(f"  GRUB core.img: {core / 1024:.0f} KiB")
    print("  boot bank contents:")
    for what, size in report:
        print(f"    {what:<34} {size / MiB:7.2f} MiB")
    print(f"  budget of a bank's payload: {BANK_BUDGET / MiB:.0f} MiB")
    print(f"  update bundle: {bundle} (signed with {priv})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build",
                                                    "release"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build",
                                                  "basalt.img"))
    try:
        build(ap.parse_args())
    except BuildError as e:
        print(f"image/build.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
