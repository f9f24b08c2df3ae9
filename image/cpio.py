"""Write initramfs archives in the cpio "newc" format the kernel unpacks
(Documentation/driver-api/early-userspace/buffer-format.rst). Several
archives may be concatenated; the kernel unpacks them in order."""
import stat

TRAILER = "TRAILER!!!"


class CpioWriter:
    def __init__(self, fileobj):
        self.f = fileobj
        self.ino = 1
        self.dirs = set()

    def _entry(self, name, mode, data=b"", nlink=1, rdev=(0, 0)):
        name_b = name.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(name_b), 0]
        self.ino += 1
        hdr = b"070701" + b"".join(b"%08X" % v for v in fields)
        self.f.write(hdr + name_b)
        self.f.write(b"\0" * (-(len(hdr) + len(name_b)) % 4))
        self.f.write(data)
        self.f.write(b"\0" * (-len(data) % 4))

    def mkdir(self, path):
        """Create path and its parents (once each)."""
        path = path.strip("/")
        parts = path.split("/")
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d and d not in self.dirs:
                self.dirs.add(d)
                self._entry(d, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, path, data, mode=0o644):
        path = path.strip("/")
        if "/" in path:
            self.mkdir(path.rsplit("/", 1)[0])
        self._entry(path, stat.S_IFREG | (mode & 0o7777), data)

    def symlink(self, path, target):
        path = path.strip("/")
        if "/" in path:
            self.mkdir(path.rsplit("/", 1)[0])
        self._entry(path, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, path, major, minor, mode=0o600):
        """A character device node: /dev/console must exist before init
        mounts devtmpfs, or init starts without a console."""
        path = path.strip("/")
        if "/" in path:
            self.mkdir(path.rsplit("/", 1)[0])
        self._entry(path, stat.S_IFCHR | mode, rdev=(major, minor))

    def close(self):
        self._entry(TRAILER, 0)
        # Pad to 512 bytes so a following archive starts aligned.
        pos = self.f.tell()
        self.f.write(b"\0" * (-pos % 512))
