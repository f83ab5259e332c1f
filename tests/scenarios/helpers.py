#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Small traffic helpers for tests/scenarios/make.sh (run inside its namespaces).

  helpers.py listen PORT ADDR...     TCP listeners that read and discard (closed elsewhere)
  helpers.py thin ADDR:PORT SRC SECS GAP   one TCP connection kept open SECS seconds,
                                     a short HTTP-like line every GAP seconds (thin tunnel)
  helpers.py echo PORT ADDR          a TCP server that answers each line with a short line
  helpers.py rate KBPS SECS          writes KBPS kB/s of random bytes to stdout for SECS
  helpers.py type SECS GAP           writes a keystroke-sized line every GAP s for SECS s
"""
import os
import selectors
import socket
import sys
import time


def listen(port, addrs):
    sel = selectors.DefaultSelector()
    for a in addrs:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((a, port))
        s.listen(128)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, 'l')
    while True:
        for k, _ in sel.select():
            if k.data == 'l':
                c, _ = k.fileobj.accept()
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, 'c')
            else:
                try:
                    d = k.fileobj.recv(65536)
                except OSError:
                    d = b''
                if not d:
                    sel.unregister(k.fileobj)
                    k.fileobj.close()


def echo(port, addr):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ, 'l')
    while True:
        for k, _ in sel.select():
            if k.data == 'l':
                c, _ = s.accept()
                sel.register(c, selectors.EVENT_READ, 'c')
            else:
                d = k.fileobj.recv(4096)
                if not d:
                    sel.unregister(k.fileobj)
                    k.fileobj.close()
                else:
                    k.fileobj.sendall(b'HTTP/1.1 204 ok\r\n\r\n')


def thin(target, src, secs, gap):
    host, port = target.rsplit(':', 1)
    c = socket.create_connection((host, int(port)), source_address=(src, 0))
    end = time.time() + secs
    while time.time() < end:
        c.sendall(b'GET /p HTTP/1.1\r\n\r\n')
        c.recv(4096)
        time.sleep(gap)
    c.close()


def rate(kbps, secs):
    out = sys.stdout.buffer
    chunk = os.urandom(kbps * 1024 // 10)
    end = time.time() + secs
    while time.time() < end:
        out.write(chunk)
        out.flush()
        time.sleep(0.1)


def typing(secs, gap):
    end = time.time() + secs
    i = 0
    while time.time() < end:
        sys.stdout.write('echo line %d\n' % i)
        sys.stdout.flush()
        i += 1
        time.sleep(gap)
    sys.stdout.write('exit\n')
    sys.stdout.flush()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'listen':
        listen(int(args[0]), args[1:])
    elif cmd == 'echo':
        echo(int(args[0]), args[1])
    elif cmd == 'thin':
        thin(args[0], args[1], float(args[2]), float(args[3]))
    elif cmd == 'rate':
        rate(int(args[0]), float(args[1]))
    elif cmd == 'type':
        typing(float(args[0]), float(args[1]))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
