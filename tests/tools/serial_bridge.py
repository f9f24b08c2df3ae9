#!/usr/bin/python3
"""Join this terminal to a serial console behind a Unix socket (QEMU's
`-chardev socket`): keys typed here go to the machine, its output comes
here, raw. The tests run it in a tmux pane to drive the appliance's
console (src/dcui) as a terminal emulator on a serial line would.
Usage: serial_bridge.py SOCKET"""
import os
import select
import socket
import sys
import termios
import tty


def main():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    fd = sys.stdin.fileno()
    old = termios.tcgetattr(fd)
    tty.setraw(fd)
    try:
        while True:
            r, _, _ = select.select([fd, s], [], [])
            if fd in r:
                data = os.read(fd, 4096)
                if not data:
                    break
                s.sendall(data)
            if s in r:
                data = s.recv(65536)
                if not data:
                    break
                os.write(sys.stdout.fileno(), data)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, old)


if __name__ == "__main__":
    main()
