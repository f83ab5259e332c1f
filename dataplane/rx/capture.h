/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Offline input: pcap and pcapng captures (libpcap), and raw export payload files (`.dat`,
 * `.bin`: export datagrams back to back, as recvfrom() returns them; `.ipfix`: RFC 5655 IPFIX
 * files). A capture yields packets (from Ethernet, Linux cooked SLL/SLL2, BSD loopback or raw
 * IP link types) with the capture's clock; a raw file yields export datagrams directly, from
 * the documentation address FH_CAPTURE_RAW_EXPORTER (raw payloads carry no exporter).
 */
#ifndef FH_DATAPLANE_RX_CAPTURE_H
#define FH_DATAPLANE_RX_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/flow.h"

#define FH_CAPTURE_RAW_EXPORTER "192.0.2.10"

struct fh_capture_ops {
	/* A packet. eth = 1: l2 points at an Ethernet header; eth = 0: at an IP header. */
	void (*packet)(void *arg, const uint8_t *l2, size_t len, int eth, uint64_t ts_ms,
		uint64_t frame_no);
	/* A datagram from a raw payload file. */
	void (*datagram)(void *arg, const struct fh_ip *exporter, const uint8_t *buf, size_t len,
		uint64_t ts_ms, uint64_t frame_no);
};

struct fh_capture_stats {
	uint64_t frames; /* packets or raw datagrams read */
	uint64_t skipped; /* frames of an unsupported link-layer protocol */
	uint64_t trailing; /* raw files: bytes after the last complete datagram */
};

/*
 * Read one file to the end, calling ops for each packet/datagram in order. The kind is taken
 * from the content (pcap/pcapng magic) and, for raw payloads, the extension (.ipfix) or the
 * first bytes. Returns 0, or a negative errno with a message in err (cannot open, not a
 * capture, unsupported link type, truncated capture: frames before the damage were
 * delivered). Calling context: any thread; the callbacks run on it.
 */
int fh_capture_read(const char *path, const struct fh_capture_ops *ops, void *arg,
	struct fh_capture_stats *st, char *err, size_t errlen);

/*
 * Split a buffer of raw export datagrams laid back to back into datagrams (NetFlow v5 by
 * its record count, v9 by walking its flowsets until a new header starts, IPFIX by its
 * message length, sFlow: the rest of the buffer). Returns the length of the first datagram
 * at buf, or 0 when no datagram can be recognised.
 */
size_t fh_capture_raw_next(const uint8_t *buf, size_t len);

#endif
