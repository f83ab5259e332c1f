#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Detection on generated export streams: for each format, fh-gen injects activities at known
times into background traffic; `flowhound analyze` must alert every one (type + offender)
and nothing else. Prints precision, recall and detection delay per format.

usage: detection_eval.py FLOWHOUND FH_GEN [--markdown]
"""
import json
import subprocess
import sys
import tempfile

INJECT = 'scan.horizontal@30,scan.vertical@60,flood.syn@90,dns.tunnel@120'


def offender(a, label):
    # floods: the victim; spoofed sources are 0.0.0.0
    if a['type'].startswith('flood.'):
        return a['dst'] == label['dst']
    return a['src'] == label['src']


def main():
    fh, gen = sys.argv[1:3]
    md = '--markdown' in sys.argv
    rows, bad = [], 0
    # fh-gen writes one sFlow sample a record, so at 1:1 its flood (1,000 records a second)
    # would be exactly the default 1,000 pps threshold; at 1:10, as sFlow is run, each
    # sample stands for 10 packets
    for fmt, sampling in (('v5', 1), ('v9', 1), ('ipfix', 1), ('sflow', 10)):
        with tempfile.TemporaryDirectory() as t:
            subprocess.run([gen, '--format', fmt, '--flows', '30000', '--hosts', '2000',
                            '--sampling', str(sampling), '--inject', INJECT,
                            '--labels', t + '/l', '--pcap', t + '/g.pcap'],
                           check=True, capture_output=True)
            labels = [json.loads(l) for l in open(t + '/l')]
            r = subprocess.run([fh, 'analyze', '--home-net', '198.18.0.0/15', t + '/g.pcap'],
                               capture_output=True, text=True, check=True)
            alerts = [json.loads(l) for l in r.stdout.splitlines()]
        tp, delays, used = 0, [], set()
        for lab in labels:
            hit = [i for i, a in enumerate(alerts) if a['type'] == lab['type'] and offender(a, lab)]
            if hit:
                tp += 1
                used.update(hit)
                a = alerts[hit[0]]
                # detected_at is RFC 3339; the label gives ms since the epoch
                import datetime
                d = datetime.datetime.strptime(a['detected_at'], '%Y-%m-%dT%H:%M:%S.%fZ')
                d = d.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000
                delays.append((lab['type'], (d - lab['start_ms']) / 1000))
        fp = len(alerts) - len(used)
        fn = len(labels) - tp
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / len(labels) if labels else 1.0
        rows.append((fmt, tp, fp, fn, prec, rec, delays))
        if fp or fn:
            bad += 1
    if md:
        print('| format | true pos. | false pos. | missed | precision | recall | detection delay (s) |')
        print('|---|---|---|---|---|---|---|')
    for fmt, tp, fp, fn, prec, rec, delays in rows:
        dl = ', '.join('%s %.1f' % (t, d) for t, d in delays)
        if md:
            print('| %s | %d | %d | %d | %.2f | %.2f | %s |' % (fmt, tp, fp, fn, prec, rec, dl))
        else:
            print('%-6s tp %d fp %d missed %d precision %.2f recall %.2f  delay: %s'
                  % (fmt, tp, fp, fn, prec, rec, dl))
    print('%d passed, %d failed' % (len(rows) - bad, bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
