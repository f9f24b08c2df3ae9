"""A tagged Ethernet segment for a QEMU NIC: the far end of QEMU's
`-netdev socket,udp=...` (one Ethernet frame per datagram), with one
host on one 802.1Q VLAN: a DHCP server that leases a single address,
ARP and ping for its own address. It answers only frames tagged with
its VLAN, so a lease and a ping prove the guest tags what it sends and
understands what it gets back.

    lan = TaggedLan(vlan=42)
    qemu ... -netdev {lan.netdev()},id=n1 -device virtio-net-pci,...
    lan.leases   # [(mac, address)] acknowledged
    lan.frames   # {vlan or None: count} of what the guest sent
    lan.close()
"""
import socket
import struct
import threading

BROADCAST = b"\xff" * 6
ETH_VLAN, ETH_IP, ETH_ARP = 0x8100, 0x0800, 0x0806
DHCP_MAGIC = b"\x63\x82\x53\x63"
DISCOVER, OFFER, REQUEST, ACK = 1, 2, 3, 5


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload):
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0,
                       0x4000, 64, proto, 0, src, dst)
    return head[:10] + struct.pack("!H", checksum(head)) + head[12:] \
        + payload


class TaggedLan:
    def __init__(self, vlan=42, server="192.168.42.1",
                 lease="192.168.42.10", netmask="255.255.255.0"):
        self.vlan = vlan
        self.server = socket.inet_aton(server)
        self.lease = socket.inet_aton(lease)
        self.netmask = socket.inet_aton(netmask)
        self.mac = b"\x02\x00\x00\x00\x42\x01"
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))     # free now; QEMU binds it next
            self.qemu_port = s.getsockname()[1]
        self.sock.settimeout(0.5)
        self.leases, self.frames, self.pings = [], {}, 0
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def netdev(self):
        """QEMU's -netdev for a NIC on this segment (add its id)."""
        return (f"socket,udp=127.0.0.1:{self.port},"
                f"localaddr=127.0.0.1:{self.qemu_port}")

    def close(self):
        self.stop = True
        self.thread.join()
        self.sock.close()

    def _send(self, dst, ethertype, payload):
        frame = (dst + self.mac + struct.pack("!HHH", ETH_VLAN, self.vlan,
                                              ethertype) + payload)
        self.sock.sendto(frame, ("127.0.0.1", self.qemu_port))

    def _serve(self):
        while not self.stop:
            try:
                frame = self.sock.recv(65536)
            except socket.timeout:
                continue
            if len(frame) < 14:
                continue
            src, (ethertype,) = frame[6:12], struct.unpack("!H",
                                                           frame[12:14])
            vlan, body = None, frame[14:]
            if ethertype == ETH_VLAN and len(body) >= 4:
                tci, ethertype = struct.unpack("!HH", body[:4])
                vlan, body = tci & 0xfff, body[4:]
            with self.lock:
                self.frames[vlan] = self.frames.get(vlan, 0) + 1
            if vlan != self.vlan:
                continue
            if ethertype == ETH_ARP:
                self._arp(src, body)
            elif ethertype == ETH_IP:
                self._ip(src, body)

    def _arp(self, src, body):
        if len(body) < 28:
            return
        op, = struct.unpack("!H", body[6:8])
        sha, spa, tpa = body[8:14], body[14:18], body[24:28]
        if op == 1 and tpa == self.server:
            reply = (struct.pack("!HHBBH", 1, ETH_IP, 6, 4, 2) + self.mac
                     + self.server + sha + spa)
            self._send(src, ETH_ARP, reply)

    def _ip(self, src, body):
        if len(body) < 20 or body[0] >> 4 != 4:
            return
        ihl = (body[0] & 15) * 4
        proto, saddr, daddr = body[9], body[12:16], body[16:20]
        data = body[ihl:]
        if proto == 1 and daddr == self.server and data[:1] == b"\x08":
            # ICMP echo request: the same back as a reply.
            reply = b"\0\0\0\0" + data[4:]
            reply = reply[:2] + struct.pack("!H", checksum(reply)) \
                + reply[4:]
            self._send(src, ETH_IP, ipv4(self.server, saddr, 1, reply))
            with self.lock:
                self.pings += 1
        elif proto == 17 and len(data) >= 8 and \
                struct.unpack("!H", data[2:4])[0] == 67:
            self._dhcp(src, data[8:])

    def _dhcp(self, src, msg):
        if len(msg) < 240 or msg[0] != 1 or msg[236:240] != DHCP_MAGIC:
            return
        xid, chaddr = msg[4:8], msg[28:34]
        kind, i = None, 240
        while i + 1 < len(msg) and msg[i] != 255:
            if msg[i] == 0:
                i += 1
                continue
            if msg[i] == 53 and msg[i + 1] >= 1 and i + 2 < len(msg):
                kind = msg[i + 2]
            i += 2 + msg[i + 1]
        answer = {DISCOVER: OFFER, REQUEST: ACK}.get(kind)
        if answer is None:
            return
        opts = (bytes([53, 1, answer]) + bytes([54, 4]) + self.server
                + bytes([51, 4]) + struct.pack("!I", 3600)
                + bytes([1, 4]) + self.netmask + bytes([3, 4]) + self.server
                + b"\xff")
        reply = (struct.pack("!BBBB", 2, 1, 6, 0) + xid + b"\0" * 8
                 + self.lease + self.server + b"\0" * 4 + chaddr
                 + b"\0" * 10 + b"\0" * 192 + DHCP_MAGIC + opts)
        udp = struct.pack("!HHHH", 67, 68, 8 + len(reply), 0) + reply
        self._send(BROADCAST, ETH_IP,
                   ipv4(self.server, b"\xff" * 4, 17, udp))
        if answer == ACK:
            with self.lock:
                self.leases.append((chaddr.hex(":"), socket.inet_ntoa(
                    self.lease)))
