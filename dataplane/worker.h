/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A dataplane worker's packet path, independent of where packets come from (DPDK queue, UDP
 * socket, pcap file): an Ethernet frame is either an export datagram for us (UDP to a
 * collector port, or recognised by content) and goes to the worker's decoder, or raw traffic
 * that tap mode meters as a sampled packet. Decoded and metered records go to one sink (the
 * worker's flow table). One worker per lcore/queue/socket set; nothing here is shared.
 */
#ifndef FH_DATAPLANE_WORKER_H
#define FH_DATAPLANE_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/decode/decoder.h"
#include "dataplane/flow.h"

#define FH_WORKER_MAX_PORTS 32

struct fh_worker_cfg {
	uint16_t ports[FH_WORKER_MAX_PORTS]; /* collector ports; 0 entries ignored */
	unsigned n_ports;
	bool sniff; /* also recognise export datagrams by content on other UDP ports */
	bool tap; /* meter non-export IP packets as flows (tap mode) */
	uint32_t tap_sampling; /* 1 = every packet of the feed is seen */
	struct fh_decoder_cfg dec;
};

struct fh_worker_stats {
	uint64_t frames; /* frames seen (DPDK, pcap) */
	uint64_t datagrams; /* export datagrams handed to the decoder */
	uint64_t decode_errors; /* ... of which malformed */
	uint64_t records; /* flow records out (decoded + tap) */
	uint64_t tap_packets; /* packets metered in tap mode */
	uint64_t not_ip; /* frames that are not IPv4/IPv6 (ARP, LLDP, ...) */
	uint64_t bad_ip; /* frames with a broken IP header */
	uint64_t fragments; /* IP fragments of UDP datagrams for us: not reassembled, counted */
	uint64_t ignored; /* IP packets that are neither exports nor metered (tap off) */
};

struct fh_worker;

/* Default collector ports (DESIGN.md §4). */
extern const uint16_t fh_default_collector_ports[5];

/* Create a worker whose records go to out (called on the worker's thread). NULL on
 * allocation failure. */
struct fh_worker *fh_worker_new(unsigned id, const struct fh_worker_cfg *cfg,
	const struct fh_rec_sink *out);
void fh_worker_free(struct fh_worker *w);

/* An export datagram (UDP payload) from exporter, e.g. from a socket. Returns what
 * fh_decode returned. Calling context: the worker's thread. */
int fh_worker_datagram(struct fh_worker *w, const struct fh_ip *exporter, const uint8_t *buf,
	size_t len, uint64_t now_ms);

/* What became of a frame. */
enum fh_worker_verdict {
	FH_WV_EXPORT, /* an export datagram, decoded (in part or whole) */
	FH_WV_EXPORT_BAD, /* an export datagram refused as malformed: fh_worker_last_export() */
	FH_WV_TAP, /* metered in tap mode */
	FH_WV_IGNORED, /* IP, neither for us nor metered */
	FH_WV_FRAGMENT, /* a fragment of a datagram for us: counted */
	FH_WV_NOT_IP,
	FH_WV_BAD_IP,
};

/* An Ethernet frame (DPDK, pcap). now_ms: wall clock when live, capture time offline.
 * Returns an enum fh_worker_verdict. */
int fh_worker_frame(struct fh_worker *w, const uint8_t *frame, size_t len, uint64_t now_ms);

/* The same from an IP header (captures with raw-IP or cooked link layers). */
int fh_worker_ip(struct fh_worker *w, const uint8_t *l3, size_t len, uint64_t now_ms);

/* The exporter and fh_decode() result of the last export datagram this worker handled. */
void fh_worker_last_export(const struct fh_worker *w, struct fh_ip *exporter, int *rc);

/* Whether a UDP packet to dport with this payload is an export datagram for us. */
bool fh_worker_is_export(const struct fh_worker *w, uint16_t dport, const uint8_t *payload,
	size_t len);

/* Periodic work (about once a second): decoder expiry of held data sets. */
void fh_worker_tick(struct fh_worker *w, uint64_t now_ms);

const struct fh_worker_stats *fh_worker_stats(const struct fh_worker *w);
struct fh_decoder *fh_worker_decoder(struct fh_worker *w);

#endif
