#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write traffic.pcap: a small deterministic raw-traffic capture (written, never sent) for the
real exporters in make.sh. Documentation ranges only: inside 198.51.100.0/24 and
2001:db8:1::/64, outside 203.0.113.0/24, 192.0.2.0/24 and 2001:db8:2::/64. TCP sessions with
handshake, data and FIN (some reset), DNS-like UDP, ICMP echo, IPv6; about 2 minutes."""
import random
import sys

from scapy.all import Ether, ICMP, IP, IPv6, TCP, UDP, Raw, wrpcap

random.seed(7)
T0 = 1764374400.0
pkts = []


def add(t, p):
    p.time = t
    pkts.append(p)


def eth():
    return Ether(src='02:00:00:00:00:01', dst='02:00:00:00:00:02')


def tcp_session(t, cli, srv, sport, dport, n_data, v6=False, rst=False):
    L3 = IPv6 if v6 else IP
    c2s = lambda: eth() / L3(src=cli, dst=srv)
    s2c = lambda: eth() / L3(src=srv, dst=cli)
    add(t, c2s() / TCP(sport=sport, dport=dport, flags='S', seq=1000))
    add(t + 0.01, s2c() / TCP(sport=dport, dport=sport, flags='SA', seq=5000, ack=1001))
    add(t + 0.02, c2s() / TCP(sport=sport, dport=dport, flags='A', seq=1001, ack=5001))
    for i in range(n_data):
        add(t + 0.03 + i * 0.05, c2s() / TCP(sport=sport, dport=dport, flags='PA') / Raw(b'q' * 64))
        add(t + 0.04 + i * 0.05, s2c() / TCP(sport=dport, dport=sport, flags='PA') / Raw(b'r' * 900))
    end = t + 0.05 + n_data * 0.05
    if rst:
        add(end, s2c() / TCP(sport=dport, dport=sport, flags='R'))
    else:
        add(end, c2s() / TCP(sport=sport, dport=dport, flags='FA'))
        add(end + 0.01, s2c() / TCP(sport=dport, dport=sport, flags='FA'))
        add(end + 0.02, c2s() / TCP(sport=sport, dport=dport, flags='A'))


for i in range(40):
    t = T0 + i * 3
    cli = '198.51.100.%d' % (10 + i % 20)
    srv = '203.0.113.%d' % (1 + i % 7)
    tcp_session(t, cli, srv, 40000 + i, random.choice([80, 443, 22, 25]), 1 + i % 5,
                rst=(i % 9 == 0))
for i in range(10):
    tcp_session(T0 + 1.5 + i * 10, '2001:db8:1::%x' % (i + 1), '2001:db8:2::1', 50000 + i, 443,
                2, v6=True)
for i in range(30):
    t = T0 + i * 4 + 0.7
    cli = '198.51.100.%d' % (40 + i % 10)
    add(t, eth() / IP(src=cli, dst='192.0.2.53') / UDP(sport=30000 + i, dport=53) / Raw(b'd' * 40))
    add(t + 0.02, eth() / IP(src='192.0.2.53', dst=cli) / UDP(sport=53, dport=30000 + i) /
        Raw(b'a' * 120))
for i in range(10):
    t = T0 + i * 11 + 0.3
    add(t, eth() / IP(src='198.51.100.99', dst='203.0.113.200') / ICMP(type=8, id=1, seq=i))
    add(t + 0.01, eth() / IP(src='203.0.113.200', dst='198.51.100.99') / ICMP(type=0, id=1, seq=i))
pkts.sort(key=lambda p: p.time)
wrpcap(sys.argv[1] if len(sys.argv) > 1 else 'traffic.pcap', pkts)
print('%d packets' % len(pkts))
