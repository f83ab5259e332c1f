/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet parsing (see pkt.h). Every read is bounds-checked against the bytes present; a
 * header cut short leaves the later fields zero rather than failing, because sFlow samples
 * and short snaplens cut packets on purpose.
 */
#include <string.h>

#include "dataplane/parse/pkt.h"

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void parse_l4(struct fh_pkt *p, const uint8_t *l4, size_t avail)
{
	p->l4 = l4;
	switch (p->proto) {
	case 6: /* TCP */
		if (avail >= 14) {
			p->sport = rd16(l4);
			p->dport = rd16(l4 + 2);
			p->tcp_flags = l4[13];
			p->flags |= FH_PKT_L4;
			size_t off = (size_t)(l4[12] >> 4) * 4;
			if (off >= 20 && off <= avail) {
				p->payload = l4 + off;
				p->payload_len = (uint32_t)(avail - off);
			}
		}
		break;
	case 17: /* UDP */
	case 132: /* SCTP: ports in the same place */
	case 136: /* UDP-Lite */
		if (avail >= 4) {
			p->sport = rd16(l4);
			p->dport = rd16(l4 + 2);
			p->flags |= FH_PKT_L4;
			if (avail >= 8 && p->proto != 132) {
				p->payload = l4 + 8;
				p->payload_len = (uint32_t)(avail - 8);
			}
		}
		break;
	case 1: /* ICMP */
	case 58: /* ICMPv6 */
		if (avail >= 2) {
			p->sport = 0;
			p->dport = (uint16_t)(l4[0] << 8 | l4[1]);
			p->flags |= FH_PKT_L4;
			if (avail >= 8) {
				p->payload = l4 + 8;
				p->payload_len = (uint32_t)(avail - 8);
			}
		}
		break;
	default:
		break;
	}
}

static int parse_ipv4(const uint8_t *l3, size_t len, struct fh_pkt *p)
{
	if (len < 20)
		return FH_PKT_SHORT;
	unsigned ihl = (unsigned)(l3[0] & 0x0f) * 4;
	if (ihl < 20)
		return FH_PKT_BAD_IP;
	p->af = 4;
	p->l3 = l3;
	p->tos = l3[1];
	p->ip_len = rd16(l3 + 2);
	p->frag_id_lo = rd16(l3 + 4);
	p->ttl = l3[8];
	p->proto = l3[9];
	fh_ip_from_v4(&p->src, l3 + 12);
	fh_ip_from_v4(&p->dst, l3 + 16);
	uint16_t frag = rd16(l3 + 6);
	if (frag & 0x3fff) { /* MF set or offset non-zero */
		p->flags |= FH_PKT_FRAG;
		if (frag & 0x1fff) {
			p->flags |= FH_PKT_FRAG_LATER;
			return FH_PKT_OK;
		}
	}
	if (ihl > len)
		return FH_PKT_OK; /* options cut: no L4 */
	size_t avail = len - ihl;
	/* do not read past what the IP header claims (Ethernet padding) */
	if (p->ip_len >= ihl && p->ip_len - ihl < avail)
		avail = p->ip_len - ihl;
	parse_l4(p, l3 + ihl, avail);
	return FH_PKT_OK;
}

static int parse_ipv6(const uint8_t *l3, size_t len, struct fh_pkt *p)
{
	if (len < 40)
		return FH_PKT_SHORT;
	p->af = 6;
	p->l3 = l3;
	p->tos = (uint8_t)((rd16(l3) >> 4) & 0xff);
	p->ip_len = 40u + rd16(l3 + 4);
	p->ttl = l3[7];
	fh_ip_from_v6(&p->src, l3 + 8);
	fh_ip_from_v6(&p->dst, l3 + 24);

	uint8_t nh = l3[6];
	size_t off = 40;
	size_t end = len;
	if (p->ip_len < end)
		end = p->ip_len;
	/* walk extension headers: hop-by-hop, routing, fragment, destination options, AH */
	for (int guard = 0; guard < 8; guard++) {
		if (nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44) {
			if (off + 8 > end) {
				p->proto = nh;
				return FH_PKT_OK;
			}
			const uint8_t *h = l3 + off;
			if (nh == 44) {
				p->flags |= FH_PKT_FRAG;
				uint16_t fo = rd16(h + 2);
				nh = h[0];
				off += 8;
				if (fo & 0xfff8) {
					p->flags |= FH_PKT_FRAG_LATER;
					p->proto = nh;
					return FH_PKT_OK;
				}
				continue;
			}
			size_t hl = nh == 51 ? ((size_t)h[1] + 2) * 4 : ((size_t)h[1] + 1) * 8;
			nh = h[0];
			off += hl;
			continue;
		}
		break;
	}
	p->proto = nh;
	if (off <= end)
		parse_l4(p, l3 + off, end - off);
	return FH_PKT_OK;
}

int fh_pkt_parse_ip(const uint8_t *l3, size_t len, struct fh_pkt *p)
{
	memset(p, 0, sizeof(*p));
	if (len < 1)
		return FH_PKT_SHORT;
	switch (l3[0] >> 4) {
	case 4:
		p->ethertype = ETH_P_IPV4;
		return parse_ipv4(l3, len, p);
	case 6:
		p->ethertype = ETH_P_IPV6;
		return parse_ipv6(l3, len, p);
	default:
		return FH_PKT_BAD_IP;
	}
}

int fh_pkt_parse_eth(const uint8_t *frame, size_t len, struct fh_pkt *p)
{
	uint8_t dmac[6], smac[6];
	uint16_t vlan = 0, flags = 0;

	if (len < 14) {
		memset(p, 0, sizeof(*p));
		return FH_PKT_SHORT;
	}
	memcpy(dmac, frame, 6);
	memcpy(smac, frame + 6, 6);
	size_t off = 12;
	uint16_t et = rd16(frame + off);
	off += 2;
	for (int tags = 0; tags < 4 && (et == ETH_P_8021Q || et == ETH_P_8021AD ||
					   et == ETH_P_QINQ1); tags++) {
		if (off + 4 > len) {
			memset(p, 0, sizeof(*p));
			return FH_PKT_SHORT;
		}
		vlan = rd16(frame + off) & 0x0fff;
		flags |= FH_PKT_VLAN;
		et = rd16(frame + off + 2);
		off += 4;
	}
	int rc;
	if (et == ETH_P_IPV4 || et == ETH_P_IPV6)
		rc = fh_pkt_parse_ip(frame + off, len - off, p);
	else {
		memset(p, 0, sizeof(*p));
		rc = FH_PKT_NOT_IP;
	}
	p->ethertype = et;
	p->vlan = vlan;
	p->flags |= flags;
	memcpy(p->dst_mac, dmac, 6);
	memcpy(p->src_mac, smac, 6);
	return rc;
}

void fh_pkt_to_rec(const struct fh_pkt *p, struct fh_flow_rec *rec)
{
	rec->src = p->src;
	rec->dst = p->dst;
	rec->sport = p->sport;
	rec->dport = p->dport;
	rec->proto = p->proto;
	rec->tcp_flags = p->tcp_flags;
	rec->tos = p->tos;
	rec->af = p->af;
	rec->fields |= FH_F_TOS;
	if (p->flags & FH_PKT_VLAN) {
		rec->vlan = p->vlan;
		rec->fields |= FH_F_VLAN;
	}
	if (p->l3 && (p->src_mac[0] | p->src_mac[1] | p->src_mac[2] | p->src_mac[3] |
			     p->src_mac[4] | p->src_mac[5] | p->dst_mac[0] | p->dst_mac[5])) {
		memcpy(rec->src_mac, p->src_mac, 6);
		memcpy(rec->dst_mac, p->dst_mac, 6);
		rec->fields |= FH_F_MAC;
	}
}
