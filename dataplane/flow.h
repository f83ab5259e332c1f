/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The normalized flow record: what every decoder (NetFlow v5/v9, IPFIX, sFlow v5, tap mode)
 * produces and what the flow table, the analytics, the flow files and `flowhound decode`
 * consume. One fixed-size struct for IPv4 and IPv6 alike: IPv4 addresses are stored
 * IPv4-mapped (::ffff:a.b.c.d) so that comparisons and hashing never branch on family.
 *
 * `packets` and `bytes` are as the exporter sent them (sFlow: 1 and the frame length);
 * `sampling` says how to scale (1 = unsampled, N = one packet in N).
 */
#ifndef FH_DATAPLANE_FLOW_H
#define FH_DATAPLANE_FLOW_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- types ---------------------------------------------------------------------------- */

struct fh_ip {
	uint8_t a[16];
};

/* Export protocol of a record (fh_flow_rec.version). */
enum fh_version {
	FH_VER_NF5 = 5,
	FH_VER_NF9 = 9,
	FH_VER_IPFIX = 10,
	FH_VER_SFLOW5 = 50,
	FH_VER_TAP = 60, /* metered from raw packets (tap mode) */
};

/* Optional fields present in a record (fh_flow_rec.fields). */
enum {
	FH_F_NEXTHOP = 1u << 0,
	FH_F_AS = 1u << 1,
	FH_F_MASK = 1u << 2,
	FH_F_VLAN = 1u << 3,
	FH_F_MAC = 1u << 4,
	FH_F_DIRECTION = 1u << 5,
	FH_F_TOS = 1u << 6,
	FH_F_IF = 1u << 7,
	FH_F_TIMES = 1u << 8, /* first/last came from the exporter (else: arrival time) */
};

struct fh_flow_rec {
	struct fh_ip src, dst;
	struct fh_ip exporter; /* UDP source of the export, or sFlow agent address */
	struct fh_ip nexthop;
	uint64_t packets, bytes; /* as exported, unscaled */
	uint64_t first_ms, last_ms; /* UTC, milliseconds since the Unix epoch */
	uint32_t domain; /* v5 engine type<<8|id, v9 source id, IPFIX domain, sFlow sub-agent */
	uint32_t sampling; /* 1 = unsampled, N = 1:N */
	uint32_t in_if, out_if;
	uint32_t src_as, dst_as;
	uint16_t sport, dport; /* ICMP: sport 0, dport type<<8|code (as nfdump) */
	uint16_t vlan;
	uint16_t fields; /* FH_F_* */
	uint8_t proto, tcp_flags, tos;
	uint8_t direction; /* 0 ingress, 1 egress */
	uint8_t src_mask, dst_mask;
	uint8_t version; /* enum fh_version */
	uint8_t af; /* 4 or 6 */
	uint8_t src_mac[6], dst_mac[6];
};

/* Interface counters from an sFlow counter sample (generic + Ethernet records). Kept per
 * agent and interface; not flows. */
struct fh_if_counters {
	struct fh_ip agent;
	uint32_t sub_agent;
	uint32_t ifindex;
	uint64_t speed; /* bits/s */
	uint64_t in_octets, out_octets;
	uint64_t in_packets, out_packets; /* unicast + multicast + broadcast */
	uint32_t in_errors, out_errors, in_discards, out_discards;
	uint64_t time_ms; /* arrival time of the datagram */
};

/*
 * Where decoded records go. `emit` is called once per record, on the decoding thread; the
 * record is only valid during the call (copy what you keep).
 */
struct fh_rec_sink {
	void (*emit)(void *arg, const struct fh_flow_rec *rec);
	/* optional (may be NULL): sFlow interface counters */
	void (*counters)(void *arg, const struct fh_if_counters *c);
	void *arg;
};

/* ---- addresses ------------------------------------------------------------------------ */

/* IPv4 address in network byte order (as it sits in a packet) to IPv4-mapped form. */
static inline void fh_ip_from_v4(struct fh_ip *ip, const uint8_t v4[4])
{
	memset(ip->a, 0, 10);
	ip->a[10] = 0xff;
	ip->a[11] = 0xff;
	memcpy(ip->a + 12, v4, 4);
}

static inline void fh_ip_from_v6(struct fh_ip *ip, const uint8_t v6[16])
{
	memcpy(ip->a, v6, 16);
}

static inline bool fh_ip_is_v4(const struct fh_ip *ip)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(ip->a, pfx, 12) == 0;
}

static inline bool fh_ip_eq(const struct fh_ip *a, const struct fh_ip *b)
{
	return memcmp(a->a, b->a, 16) == 0;
}

static inline bool fh_ip_is_zero(const struct fh_ip *ip)
{
	static const uint8_t z[16];
	return memcmp(ip->a, z, 16) == 0;
}

/* A group address: IPv4 multicast (224.0.0.0/4) or the limited broadcast, IPv6 multicast
 * (ff00::/8): no one host receives what is sent to it. */
static inline bool fh_ip_is_group(const struct fh_ip *ip)
{
	if (!fh_ip_is_v4(ip))
		return ip->a[0] == 0xff;
	return (ip->a[12] & 0xf0) == 0xe0 ||
	       (ip->a[12] == 0xff && ip->a[13] == 0xff && ip->a[14] == 0xff && ip->a[15] == 0xff);
}

/* IPv4 address as a host-order integer; only meaningful when fh_ip_is_v4(). */
static inline uint32_t fh_ip_v4(const struct fh_ip *ip)
{
	return (uint32_t)ip->a[12] << 24 | (uint32_t)ip->a[13] << 16 | (uint32_t)ip->a[14] << 8 |
	       ip->a[15];
}

#define FH_IP_STRLEN 46 /* INET6_ADDRSTRLEN */

/* Format as dotted quad (IPv4-mapped) or RFC 5952 text. Returns buf. */
char *fh_ip_fmt(const struct fh_ip *ip, char *buf, size_t len);

/* Parse "a.b.c.d" or an IPv6 literal (brackets allowed). Returns 0 or -EINVAL. */
int fh_ip_parse(const char *s, struct fh_ip *ip);

/* Parse "addr/len" (or a bare address: full length). For IPv4, *plen is 0..32 in IPv4
 * terms; the stored prefix length in mapped form is *plen + 96. Returns 0 or -EINVAL. */
int fh_cidr_parse(const char *s, struct fh_ip *net, unsigned *plen, bool *v4);

/* The mask of a prefix of plen128 bits as two 64-bit words, in host order. */
static inline void fh_prefix_mask(unsigned plen128, uint64_t m[2])
{
	m[0] = plen128 >= 64 ? ~0ull : plen128 ? ~0ull << (64 - plen128) : 0;
	m[1] = plen128 >= 128 ? ~0ull : plen128 > 64 ? ~0ull << (128 - plen128) : 0;
}

/* Whether ip is inside net/plen (plen in 128-bit terms, i.e. +96 for IPv4). In two 64-bit
 * words, masked, and inline: a byte-wise memcmp of a variable length and two calls cost more
 * than the rest of a home_net test, which the analytics make once or twice an event. */
static inline bool fh_ip_in_prefix(const struct fh_ip *ip, const struct fh_ip *net,
	unsigned plen128)
{
	uint64_t a[2], n[2], m[2];
	memcpy(a, ip->a, sizeof(a));
	memcpy(n, net->a, sizeof(n));
	fh_prefix_mask(plen128, m);
	return !((be64toh(a[0] ^ n[0]) & m[0]) | (be64toh(a[1] ^ n[1]) & m[1]));
}

/* ---- times ---------------------------------------------------------------------------- */

/* Format epoch milliseconds as RFC 3339 UTC with milliseconds ("2026-11-29T00:00:00.000Z").
 * buf must hold FH_TIME_STRLEN bytes. Returns buf. */
#define FH_TIME_STRLEN 32
char *fh_time_fmt(uint64_t ms, char *buf, size_t len);

/* Protocol name for the common protocols ("tcp", "udp", "icmp", "icmp6", ...) or NULL. */
const char *fh_proto_name(uint8_t proto);

/* Version label as in `decode` output: 5, 9, 10, "sflow5", "tap". */
const char *fh_version_name(uint8_t version);

#endif
