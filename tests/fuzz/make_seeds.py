#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write a seed corpus for a fuzz target from the shared captures.

usage: make_seeds.py TARGET SHARED_CAPTURES_DIR OUT_DIR
fuzz_decode_*: each raw datagram, framed as the target reads it (2-byte length, exporter byte)
fuzz_capture_raw: the raw payload files as they are
fuzz_pkt: Ethernet frames from the classic pcap files
"""
import glob
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'tools'))
from tshark_oracle import raw_split  # noqa: E402


def pcap_frames(path):
    with open(path, 'rb') as f:
        data = f.read()
    if len(data) < 24 or data[:4] not in (b'\xd4\xc3\xb2\xa1', b'\xa1\xb2\xc3\xd4'):
        return
    e = '<' if data[:4] == b'\xd4\xc3\xb2\xa1' else '>'
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(e + 'I', data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl


def main():
    target, root, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    n = 0
    raws = sorted(glob.glob(root + '/**/*.dat', recursive=True) +
                  glob.glob(root + '/**/*.bin', recursive=True) +
                  glob.glob(root + '/**/*.ipfix', recursive=True))
    if target.startswith('fuzz_decode'):
        for p in raws:
            with open(p, 'rb') as f:
                for d in raw_split(f.read())[:20]:
                    d = d[:65535]
                    with open(os.path.join(out, 'seed%04d' % n), 'wb') as o:
                        o.write(struct.pack('!HB', len(d), 0) + d)
                    n += 1
        # templates then data in one input, from the pcaps (UDP payload after 42 bytes)
        for p in sorted(glob.glob(root + '/**/*.pcap', recursive=True))[:80]:
            blob = b''
            for fr in list(pcap_frames(p))[:8]:
                d = fr[42:]
                blob += struct.pack('!HB', len(d), 0) + d
            if blob:
                with open(os.path.join(out, 'seed%04d' % n), 'wb') as o:
                    o.write(blob)
                n += 1
    elif target == 'fuzz_capture_raw':
        for p in raws:
            with open(p, 'rb') as f, open(os.path.join(out, 'seed%04d' % n), 'wb') as o:
                o.write(f.read()[:1 << 16])
            n += 1
    elif target == 'fuzz_pkt':
        for p in sorted(glob.glob(root + '/**/*.pcap', recursive=True)):
            for fr in list(pcap_frames(p))[:2]:
                with open(os.path.join(out, 'seed%04d' % n), 'wb') as o:
                    o.write(fr)
                n += 1
    print('%s: %d seeds' % (target, n))


if __name__ == '__main__':
    main()
