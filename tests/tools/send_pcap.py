#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Send the UDP payloads of classic pcap files to a loopback port (stdlib only).
usage: send_pcap.py HOST PORT FILE...   (HOST must be a loopback address)"""
import socket
import struct
import sys
import time


def payloads(path):
    data = open(path, 'rb').read()
    e = '<' if data[:4] == b'\xd4\xc3\xb2\xa1' else '>'
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if frame[12:14] == b'\x08\x00':
            ihl = (frame[14] & 15) * 4
            if frame[23] == 17:
                yield frame[14 + ihl + 8:]


host, port = sys.argv[1], int(sys.argv[2])
assert host.startswith('127.') or host == '::1', 'loopback only'
s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)
n = 0
for f in sys.argv[3:]:
    for p in payloads(f):
        s.sendto(p, (host, port))
        n += 1
        if n % 50 == 0:
            time.sleep(0.001)
print(n)
