/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Export encoders for the benchmark/test generator: build NetFlow v5, NetFlow v9, IPFIX and
 * sFlow v5 datagrams from struct fh_flow_rec, as real exporters lay them out (templates
 * re-sent periodically, 4-byte set padding, sFlow raw-header samples). Not part of the core
 * library: bench programs and tests link it (target fh_gen).
 */
#ifndef FH_BENCH_GEN_ENC_H
#define FH_BENCH_GEN_ENC_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/flow.h"

enum fh_gen_format { FH_GEN_V5, FH_GEN_V9, FH_GEN_IPFIX, FH_GEN_SFLOW };

#define FH_GEN_MTU 1400 /* datagram payload budget */

struct fh_gen_enc {
	enum fh_gen_format fmt;
	uint32_t domain; /* v9 source id / IPFIX domain / sFlow sub-agent / v5 engine id */
	uint32_t sampling; /* written to the v5 header, the sFlow sample; v9/IPFIX: options */
	uint32_t seq; /* next sequence number (per the format's rules) */
	uint32_t tpl_every; /* re-send templates every N datagrams (v9/IPFIX); 0 = 20 */
	uint32_t n_dgrams;
	uint64_t boot_ms; /* exporter boot time, for sysUptime-relative times */
	uint8_t agent[4]; /* sFlow agent address / nothing else */
	/* the datagram being built */
	uint8_t buf[FH_GEN_MTU + 256];
	size_t len;
	unsigned nrec;
	size_t set_start; /* where the open v9/IPFIX data set starts */
	int set_v6; /* its template: 0 v4, 1 v6, -1 none open */
};

/* Prepare an encoder. */
void fh_gen_enc_init(struct fh_gen_enc *e, enum fh_gen_format fmt, uint32_t domain,
	uint32_t sampling, uint64_t boot_ms);

/*
 * Add one record to the datagram being built. Returns 1 when the record was added, 0 when
 * the datagram is full: call fh_gen_enc_finish, use it, then add the record again.
 * IPv6 records are skipped by the v5 encoder (returns 1 without adding).
 */
int fh_gen_enc_add(struct fh_gen_enc *e, const struct fh_flow_rec *r, uint64_t now_ms);

/* Close the datagram (headers, lengths, counts). Returns its length (0 when empty) and
 * leaves it in e->buf; the next add starts a new datagram. */
size_t fh_gen_enc_finish(struct fh_gen_enc *e, uint64_t now_ms);

/* pcap output: a classic pcap file of Ethernet/IPv4/UDP frames. */
struct fh_gen_pcap;
struct fh_gen_pcap *fh_gen_pcap_open(const char *path);
int fh_gen_pcap_write(struct fh_gen_pcap *p, const uint8_t src_ip[4], uint16_t sport,
	const uint8_t dst_ip[4], uint16_t dport, const uint8_t *payload, size_t len,
	uint64_t ts_us);
int fh_gen_pcap_close(struct fh_gen_pcap *p);

#endif
