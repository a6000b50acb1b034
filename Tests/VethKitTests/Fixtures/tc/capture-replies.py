#!/usr/bin/env python3
# Captures the kernel's RTM_GETQDISC dump replies for the qdiscs below, as fixtures for
# QdiscDecodingTests (decoded field by field, and mutated by its property test). Run inside the
# sandbox (tbf) or the VM (netem: scripts/vmtest --exec 'python3 Tests/VethKitTests/Fixtures/tc/capture-replies.py netem');
# it prints one line per fixture, "FIXTURE NAME HEX", which the caller stores as replies/NAME.hex
# (the VM's view of the project is read-only).
import socket, struct, subprocess, sys

def sh(cmd):
    subprocess.run(cmd, shell=True, check=True)

def dump(ifname):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, socket.NETLINK_ROUTE)
    s.bind((0, 0))
    idx = socket.if_nametoindex(ifname)
    # nlmsghdr: RTM_GETQDISC (38), NLM_F_REQUEST|NLM_F_DUMP; tcmsg with the ifindex
    tcm = struct.pack('<BxxxiIII', 0, idx, 0, 0, 0)
    msg = struct.pack('<IHHII', 16 + len(tcm), 38, 0x301, 1, 0) + tcm
    s.send(msg)
    out = b''
    while True:
        d = s.recv(1 << 20)
        out += d
        if struct.unpack_from('<H', d, 4)[0] == 3:  # NLMSG_DONE
            break
    return out

sets = {
    'tbf': [
        ('tbf-latency', 'tbf rate 100mbit burst 32kb latency 50ms'),
        ('tbf-peakrate', 'tbf rate 100mbit burst 32kb latency 50ms peakrate 200mbit mtu 1600'),
        ('tbf-rate64', 'tbf rate 50gbit burst 1mb latency 10ms'),
    ],
    'netem': [
        ('netem-delay', 'netem delay 20ms 5ms 25% distribution normal'),
        ('netem-loss-ge', 'netem loss gemodel 1% 10% 70% 0.1% duplicate 0.1% 50% corrupt 0.1% 20%'),
        ('netem-loss-state', 'netem loss state 1% 10% 5% 80% 2% ecn'),
        ('netem-reorder-rate', 'netem delay 10ms reorder 25% 50% gap 5 rate 100mbit 20 100 -4 limit 5000'),
        ('netem-rate64-slot', 'netem rate 100gbit slot 10ms 20ms packets 10 bytes 15000'),
    ],
}
for kind in sys.argv[1:] or ['tbf']:
    for name, options in sets[kind]:
        sh('ip link del vkr0 2>/dev/null || true')
        sh('ip link add vkr0 type veth peer name vkr1 && ip link set vkr0 up && ip link set vkr1 up')
        sh('tc qdisc add dev vkr0 root handle 564b: ' + options)
        sh('ping -c 2 -i 0.2 -I vkr0 ff02::1%vkr0 >/dev/null 2>&1 || true')
        print('FIXTURE', name, dump('vkr0').hex(), '#', 'tc qdisc add dev vkr0 root handle 564b: ' + options, flush=True)
sh('ip link del vkr0 2>/dev/null || true')
