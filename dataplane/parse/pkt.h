/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet parsing: Ethernet / 802.1Q / QinQ / IPv4 / IPv6 (extension headers) / TCP / UDP /
 * ICMP, from a byte buffer that may be cut short (sFlow sampled headers, capture snaplen).
 * Used by every rx path (DPDK, socket-less pcap replay, tap mode) and by the sFlow decoder
 * for its raw-header records. A pure function over bytes: no allocation, no I/O.
 */
#ifndef FH_DATAPLANE_PARSE_PKT_H
#define FH_DATAPLANE_PARSE_PKT_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/flow.h"

enum fh_pkt_err {
	FH_PKT_OK = 0,
	FH_PKT_SHORT = -1, /* cut before the L3 header ended */
	FH_PKT_NOT_IP = -2, /* ethertype is not IPv4/IPv6 (ARP, LLDP, ...) */
	FH_PKT_BAD_IP = -3, /* version/IHL/length inconsistent */
};

/* PKT flags */
enum {
	FH_PKT_FRAG = 1u << 0, /* a fragment (first or later) */
	FH_PKT_FRAG_LATER = 1u << 1, /* a non-first fragment: no L4 header */
	FH_PKT_L4 = 1u << 2, /* sport/dport/tcp_flags were read */
	FH_PKT_VLAN = 1u << 3,
};

struct fh_pkt {
	const uint8_t *l3; /* start of the IP header */
	const uint8_t *l4; /* start of the L4 header, or NULL */
	const uint8_t *payload; /* start of the L4 payload, or NULL */
	uint32_t payload_len; /* payload bytes present in the buffer */
	uint32_t ip_len; /* IP total length as the header says (IPv6: 40 + payload length) */
	struct fh_ip src, dst;
	uint16_t sport, dport; /* ICMP: 0 and type<<8|code */
	uint16_t vlan; /* innermost 802.1Q id */
	uint16_t ethertype; /* after VLAN tags */
	uint16_t flags; /* FH_PKT_* */
	uint16_t frag_id_lo; /* low 16 bits of the fragment id */
	uint8_t proto, tcp_flags, tos, ttl;
	uint8_t af; /* 4 or 6 */
	uint8_t src_mac[6], dst_mac[6];
};

/* Parse from an Ethernet header. len is the number of bytes present. Returns FH_PKT_OK or
 * a negative enum fh_pkt_err; on FH_PKT_OK the L3 fields are valid and L4 fields are valid
 * when FH_PKT_L4 is set. */
int fh_pkt_parse_eth(const uint8_t *frame, size_t len, struct fh_pkt *p);

/* Parse from an IP header (raw IP, sFlow "sampled IPv4/IPv6" or DLT_RAW captures). */
int fh_pkt_parse_ip(const uint8_t *l3, size_t len, struct fh_pkt *p);

/* Fill the flow fields (addresses, ports, proto, flags, tos, vlan, macs) of rec from p. */
void fh_pkt_to_rec(const struct fh_pkt *p, struct fh_flow_rec *rec);

#endif
