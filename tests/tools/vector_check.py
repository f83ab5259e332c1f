#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Check `flowhound decode` on the real-exporter vectors (tests/vectors/).

usage: vector_check.py FLOWHOUND VECTORS_DIR
- softflowd-{v5,v9,ipfix}.pcap and nfreplay-v9.pcap against nfcapd/nfdump's records
  (*.nfdump.csv; nfreplay's against the softflowd v9 stream it replays): the multisets of
  (src, dst, sport, dport, proto, packets, bytes) must be equal.
- pmacct-*.pcap against tshark's decoding of the same capture (tshark_oracle.py).
- pmacct-sflow.pcap (1:1 sampling) against the raw traffic: every sampled packet is one of
  the packets of traffic.pcap (same addresses, ports, protocol and frame length).
Prints one line per vector and 'N passed, N failed'.
"""
import collections
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import tshark_oracle  # noqa: E402

PROTO = {'TCP': 6, 'UDP': 17, 'ICMP': 1, 'ICMP6': 58, 'IPv6-ICMP': 58}


def ours(fh, pcap):
    r = subprocess.run([fh, 'decode', '--format', 'json', pcap], capture_output=True,
                       text=True, check=True)
    return [json.loads(l) for l in r.stdout.splitlines()]


def key(src, dst, sp, dp, pr, pk, by):
    return (src, dst, int(sp), int(dp), int(pr), int(pk), int(by))


def nfdump_csv(path):
    out = collections.Counter()
    for line in open(path):
        f = line.strip().split(',')
        if len(f) < 13 or f[0] == 'ts':
            continue
        pr = PROTO.get(f[7].strip(), None)
        if pr is None:
            pr = int(f[7])
        sp, dp = int(float(f[5])), int(float(f[6]))
        out[key(tshark_oracle.norm_ip(f[3]), tshark_oracle.norm_ip(f[4]), sp, dp, pr,
                int(f[11]), int(f[12]))] += 1
    return out


def ours_counter(recs):
    return collections.Counter(key(r['src'], r['dst'], r['sport'], r['dport'], r['proto'],
                                   r['packets'], r['bytes']) for r in recs)


def raw_packets(traffic):
    r = subprocess.run(['tshark', '-r', traffic, '-T', 'fields', '-e', 'ip.src', '-e', 'ipv6.src',
                        '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.srcport', '-e',
                        'udp.srcport', '-e', 'tcp.dstport', '-e', 'udp.dstport', '-e',
                        'frame.len'], capture_output=True, text=True, check=True)
    out = collections.Counter()
    for line in r.stdout.splitlines():
        f = line.split('\t')
        src, dst = f[0] or f[1], f[2] or f[3]
        sp, dp = f[4] or f[5] or '0', f[6] or f[7] or '0'
        out[(src, dst, int(sp), int(dp), int(f[8]))] += 1
    return out


def main():
    fh, vec = sys.argv[1:3]
    results = []

    def check(name, ok, detail=''):
        results.append(ok)
        print('%-28s %s %s' % (name, 'ok' if ok else 'FAIL', detail))

    for name, oracle in (('softflowd-v5', 'softflowd-v5'), ('softflowd-v9', 'softflowd-v9'),
                         ('softflowd-ipfix', 'softflowd-ipfix'),
                         ('nfreplay-v9', 'softflowd-v9')):
        o = ours_counter(ours(fh, os.path.join(vec, name + '.pcap')))
        n = nfdump_csv(os.path.join(vec, oracle + '.nfdump.csv'))
        check(name, o == n, 'flowhound %d records, nfdump %d; only ours %d, only nfdump %d' % (
            sum(o.values()), sum(n.values()), sum((o - n).values()), sum((n - o).values())))

    for name in ('pmacct-sflow', 'pmacct-sflow-s4', 'pmacct-nfv9'):
        pcap = os.path.join(vec, name + '.pcap')
        recs = ours(fh, pcap)
        trecs = tshark_oracle.tshark_records(pcap, tshark_oracle.udp_ports(pcap))
        missing, extra = tshark_oracle.compare(trecs, recs)
        ok = not missing and not extra and len(recs) > 0
        detail = 'flowhound %d, tshark %d' % (len(recs), len(trecs))
        if name == 'pmacct-sflow-s4':
            ok = ok and all(r['sampling'] == 4 for r in recs)
            detail += ', all 1:4'
        check(name, ok, detail)

    # 1:1 sFlow: every sample is a packet of the raw traffic
    raw = raw_packets(os.path.join(vec, 'traffic.pcap'))
    samples = collections.Counter(
        (r['src'], r['dst'], r['sport'] if r['proto'] in (6, 17) else 0,
         r['dport'] if r['proto'] in (6, 17) else 0, r['bytes'] - 4)  # frame length has the FCS
        for r in ours(fh, os.path.join(vec, 'pmacct-sflow.pcap')))
    not_in_raw = samples - raw
    check('pmacct-sflow vs traffic', not not_in_raw and sum(samples.values()) >= 0.99 * sum(raw.values()),
          '%d samples of %d packets; %d not in the traffic' % (
              sum(samples.values()), sum(raw.values()), sum(not_in_raw.values())))
    print('%d passed, %d failed' % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == '__main__':
    sys.exit(main())
