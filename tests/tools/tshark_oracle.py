#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Compare `flowhound decode` with tshark's decoding of the same export captures.

Usage: tshark_oracle.py FLOWHOUND CAPTURES_DIR DISAGREEMENTS_MD [--only SUBSTR] [-v]

Captures are grouped as a collector would receive them (template files before data files of
the same exporter, see ../shared/captures/MANIFEST.md), each group merged into one pcap, then
decoded by flowhound and by tshark (`-d udp.port==P,cflow|sflow` for every UDP port in it).
Records are compared as multisets of (src, dst, sport, dport, proto, packets, bytes): a
field tshark does not give is not compared. A group whose results differ fails unless it is
listed in DISAGREEMENTS_MD (a markdown table: | group | reason |) with its justification.
Exit status: 0 when every group agrees or is a listed disagreement, 1 otherwise.
"""
import collections
import ipaddress
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

PCAP_EXT = ('.pcap', '.pcapng')
RAW_EXT = ('.dat', '.bin', '.ipfix')


def group_key(path):
    d = os.path.basename(os.path.dirname(path))
    stem = os.path.splitext(os.path.basename(path))[0]
    if d == 'logstash':
        return d + '/' + re.sub(r'_(opttpl|tpldata|tpls|tpl|data).*$', '', stem)
    if d == 'akvorado':
        return d + '/' + re.sub(r'-(options-)?(data|templates?)$', '', stem)
    if d == 'pmacct':
        return d + '/' + stem
    # more/<kind>/...: telegraf__case__part, goflow2/vflow/graylog pairs
    if stem.count('__') >= 2:
        return d + '/' + stem.rsplit('__', 1)[0]
    return d + '/' + re.sub(r'(_data|_template|_tpl|_payload|-\d+)$', '', stem)


def is_template_file(path):
    n = os.path.basename(path).lower()
    return ('tpl' in n or 'template' in n) and not ('payload' in n or '_data' in n)


def groups(root):
    g = collections.OrderedDict()
    for dp, _, fns in sorted(os.walk(root)):
        if '/attacks' in dp:
            continue  # raw attack traffic, not exports
        for fn in sorted(fns):
            if fn.endswith(PCAP_EXT + RAW_EXT):
                p = os.path.join(dp, fn)
                g.setdefault(group_key(p), []).append(p)
    for k in g:
        g[k].sort(key=lambda p: (not is_template_file(p), p))
    return g


def raw_split(buf):
    """Split back-to-back export datagrams (same rules as fh_capture_raw_next)."""
    out, off = [], 0
    while len(buf) - off >= 4:
        b = buf[off:]
        w0 = struct.unpack('!I', b[:4])[0]
        v, n = struct.unpack('!HH', b[:4])
        if w0 == 5:
            d = len(b)
        elif v == 5:
            d = 24 + 48 * n if n and 24 + 48 * n <= len(b) else 0
        elif v == 10:
            d = n if 16 <= n <= len(b) else 0
        elif v == 9 and len(b) >= 20:
            d = 20
            while d + 4 <= len(b):
                fid, fl = struct.unpack('!HH', b[d:d + 4])
                if fid == 9 or fl < 4 or d + fl > len(b):
                    break
                d += fl
        else:
            d = 0
        if not d:
            break
        out.append(b[:d])
        off += d
    return out


def write_pcap(path, dgrams):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, d in enumerate(dgrams):
            w0 = struct.unpack('!I', d[:4])[0]
            port = 6343 if w0 == 5 else 4739 if d[:2] == b'\x00\x0a' else 2055
            udp = struct.pack('!HHHH', 50000, port, 8 + len(d), 0) + d
            ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i & 0xffff, 0,
                                       64, 17, 0, bytes([192, 0, 2, 10]), bytes([192, 0, 2, 1])))
            s = sum(struct.unpack('!10H', bytes(ip)))
            s = (s & 0xffff) + (s >> 16)
            s = (s & 0xffff) + (s >> 16)
            ip[10:12] = struct.pack('!H', ~s & 0xffff)
            frame = b'\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00' + bytes(ip) + udp
            f.write(struct.pack('<IIII', 1, i, len(frame), len(frame)) + frame)


def merged_pcap(files, tmp):
    out = os.path.join(tmp, 'group.pcap')
    raws = [f for f in files if f.endswith(RAW_EXT)]
    if raws:
        dgrams = []
        for f in raws:
            with open(f, 'rb') as fh:
                dgrams += raw_split(fh.read())
        write_pcap(out, dgrams)
    else:
        subprocess.run(['mergecap', '-a', '-F', 'pcap', '-w', out] + files, check=True,
                       capture_output=True)
    return out


def udp_ports(pcap):
    r = subprocess.run(['tshark', '-r', pcap, '-T', 'fields', '-e', 'udp.dstport',
                        '-e', 'udp.payload'], capture_output=True, text=True)
    ports = {}
    for line in r.stdout.splitlines():
        parts = line.split('\t')
        if len(parts) < 2 or not parts[0]:
            continue
        payload = parts[1].replace(':', '')
        ports[parts[0].split(',')[0]] = 'sflow' if payload.startswith('00000005') else 'cflow'
    return ports


def norm_ip(s):
    try:
        a = ipaddress.ip_address(s)
        if isinstance(a, ipaddress.IPv6Address) and a.ipv4_mapped:
            a = a.ipv4_mapped
        return str(a)
    except ValueError:
        return None


def first(d, *keys):
    for k in keys:
        if k in d:
            return d[k]
    return None


def find_layer(o, names):
    """Depth-first: the first dict under a key in names (outermost header first)."""
    if isinstance(o, dict):
        for k, v in o.items():
            if k in names and isinstance(v, dict):
                return k, v
        for v in o.values():
            r = find_layer(v, names)
            if r:
                return r
    elif isinstance(o, list):
        for v in o:
            r = find_layer(v, names)
            if r:
                return r
    return None


def tshark_records(pcap, ports):
    args = ['tshark', '-r', pcap, '-T', 'json', '-o', 'cflow.desegment:FALSE']
    for p, proto in ports.items():
        args += ['-d', 'udp.port==%s,%s' % (p, proto)]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        args.remove('-o')
        args.remove('cflow.desegment:FALSE')
        r = subprocess.run(args, capture_output=True, text=True)
    recs = []

    def cflow_walk(o):
        if isinstance(o, dict):
            keys = o.keys()
            if any(k in keys for k in ('cflow.srcaddr', 'cflow.srcaddrv6', 'cflow.dstaddr',
                                        'cflow.dstaddrv6')):
                src = [norm_ip(o[k]) for k in ('cflow.srcaddr', 'cflow.srcaddrv6') if k in o]
                dst = [norm_ip(o[k]) for k in ('cflow.dstaddr', 'cflow.dstaddrv6') if k in o]
                src = next((a for a in src if a not in (None, '0.0.0.0', '::')),
                           src[0] if src else None)
                dst = next((a for a in dst if a not in (None, '0.0.0.0', '::')),
                           dst[0] if dst else None)
                proto = first(o, 'cflow.protocol')
                rec = {'src': src, 'dst': dst,
                       'proto': int(proto) if proto else None,
                       'sport': first(o, 'cflow.srcport'), 'dport': first(o, 'cflow.dstport'),
                       'packets': first(o, 'cflow.packets', 'cflow.packets64'),
                       'bytes': first(o, 'cflow.octets', 'cflow.octets64')}
                recs.append(rec)
                return
            for v in o.values():
                cflow_walk(v)
        elif isinstance(o, list):
            for v in o:
                cflow_walk(v)

    def sflow_walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if re.match(r'(Expanded flow|Flow) sample', k) and isinstance(v, dict):
                    rec = {'packets': '1'}
                    fl = find_layer(v, ('Raw packet header',))
                    lay = find_layer(fl[1] if fl else v, ('ip', 'ipv6'))
                    if fl:
                        rec['bytes'] = fl[1].get('sflow_245.header.frame_length')
                    if lay:
                        kind, ipd = lay
                        pre = 'ip.' if kind == 'ip' else 'ipv6.'
                        rec['src'] = norm_ip(ipd.get(pre + 'src', ''))
                        rec['dst'] = norm_ip(ipd.get(pre + 'dst', ''))
                        proto = int(ipd.get('ip.proto', ipd.get('ipv6.nxt', '0')))
                        # tshark gives the first IPv6 next header; extension headers
                        # (hop-by-hop, routing, fragment, destination options) hide the L4
                        rec['proto'] = None if kind == 'ipv6' and proto in (0, 43, 44, 60) \
                            else proto
                    l4 = find_layer(fl[1] if fl else v, ('tcp', 'udp'))
                    if l4:
                        kind, l4d = l4
                        rec['sport'] = l4d.get(kind + '.srcport')
                        rec['dport'] = l4d.get(kind + '.dstport')
                    if not lay:
                        # sampled IPv4/IPv6 data records
                        s = first(v, 'sflow.flow_sample.ipv4_src', 'sflow_245.ipv4_src')
                        if s is None:
                            continue
                        rec['src'] = norm_ip(s)
                    recs.append(rec)
                else:
                    sflow_walk(v)
        elif isinstance(o, list):
            for v in o:
                sflow_walk(v)

    try:
        # tshark repeats keys (forward and [Reverse] fields): keep the first
        pkts = json.loads(r.stdout or '[]', object_pairs_hook=lambda kv: dict(reversed(kv)))
    except json.JSONDecodeError:
        pkts = []
    for p in pkts:
        layers = p.get('_source', {}).get('layers', {})
        if 'cflow' in layers:
            cflow_walk(layers['cflow'])
        if 'sflow' in layers:
            sflow_walk(layers['sflow'])
    return recs


def flowhound_records(fh, pcap, ports):
    args = [fh, 'decode', '--format', 'json']
    for p in ports:
        args += ['--port', p]
    r = subprocess.run(args + [pcap], capture_output=True, text=True)
    recs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    return recs, r.returncode, r.stderr


KEYS = ('src', 'dst', 'sport', 'dport', 'proto', 'packets', 'bytes')


def comparable(t, o):
    for k in KEYS:
        tv = t.get(k)
        if tv is None or tv == '':
            continue
        ov = o.get(k)
        if k in ('src', 'dst'):
            if tv != ov:
                return False
        elif k in ('sport', 'dport'):
            if t.get('proto') not in (6, 17):
                continue  # ICMP and others: exporters disagree on where type/code go
            if int(str(tv).split(',')[0]) != int(ov):
                return False
        elif int(str(tv).split(',')[0], 0) != int(ov):
            return False
    return True


def compare(trecs, orecs):
    left = list(orecs)
    missing = []
    for t in trecs:
        for i, o in enumerate(left):
            if comparable(t, o):
                del left[i]
                break
        else:
            missing.append(t)
    return missing, left


def load_disagreements(md):
    d = {}
    if os.path.exists(md):
        for line in open(md):
            m = re.match(r'\|\s*`?([^|`]+?)`?\s*\|\s*(.+?)\s*\|\s*$', line)
            if m and not m.group(1).startswith('-') and m.group(1) != 'group':
                d[m.group(1)] = m.group(2)
    return d


def main():
    fh, root, md = sys.argv[1:4]
    only = sys.argv[sys.argv.index('--only') + 1] if '--only' in sys.argv else None
    verbose = '-v' in sys.argv
    known = load_disagreements(md)
    bad, listed, total_o, total_t, ngroups = [], [], 0, 0, 0
    for key, files in groups(root).items():
        if only and only not in key:
            continue
        ngroups += 1
        with tempfile.TemporaryDirectory() as tmp:
            pcap = merged_pcap(files, tmp)
            ports = udp_ports(pcap)
            trecs = tshark_records(pcap, ports)
            orecs, rc, err = flowhound_records(fh, pcap, ports)
        if rc not in (0,):
            bad.append((key, 'flowhound exited %d: %s' % (rc, err.strip()[-300:])))
            continue
        if 'Sanitizer' in err or 'runtime error' in err:
            bad.append((key, 'sanitizer report: ' + err[-300:]))
            continue
        missing, extra = compare(trecs, orecs)
        total_o += len(orecs)
        total_t += len(trecs)
        ok = not missing and not extra
        line = '%-70s ours %5d  tshark %5d  %s' % (key, len(orecs), len(trecs),
                                                    'ok' if ok else 'DIFFER')
        if not ok:
            detail = ' missing(tshark only) %d, extra(ours only) %d' % (len(missing), len(extra))
            if verbose:
                detail += '\n    first missing: %s\n    first extra: %s' % (
                    missing[:1], [{k: e.get(k) for k in KEYS} for e in extra[:1]])
            if key in known:
                listed.append(key)
                line += ' (listed: %s)' % known[key][:60]
            else:
                bad.append((key, detail))
            line += detail
        print(line)
    print('\n%d groups, %d records from flowhound, %d from tshark; %d listed disagreements'
          % (ngroups, total_o, total_t, len(listed)))
    for k, why in bad:
        print('FAIL %s: %s' % (k, why))
    print('%d passed, %d failed' % (ngroups - len(bad), len(bad)))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
