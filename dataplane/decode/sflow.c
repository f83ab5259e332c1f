/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sFlow v5 (sflow_version_5.txt): a datagram header (agent address, sub-agent, sequence,
 * uptime) and samples. Flow samples (compact and expanded) become one flow record each:
 * packets = 1, bytes = the sampled frame's length, sampling = the sample's rate; addresses,
 * ports and flags come from the raw packet header record (parsed by dataplane/parse/pkt.c)
 * or the sampled IPv4/IPv6 records, VLAN/next hop/masks/AS from the extended records.
 * Counter samples give interface counters (sink->counters), not flows. Every length is
 * checked against its container: XDR opaque data is padded to 4 bytes.
 */
#include <stdlib.h>

#include "dataplane/decode/decoder_priv.h"
#include "dataplane/parse/pkt.h"

/* ---- a bounds-checked XDR reader ------------------------------------------------------ */

struct xdr {
	const uint8_t *p, *end;
	int bad;
};

static uint32_t x32(struct xdr *x)
{
	if (x->end - x->p < 4) {
		x->bad = 1;
		x->p = x->end;
		return 0;
	}
	uint32_t v = fh_rd32(x->p);
	x->p += 4;
	return v;
}

static uint64_t x64(struct xdr *x)
{
	uint64_t hi = x32(x);
	return hi << 32 | x32(x);
}

static const uint8_t *xbytes(struct xdr *x, size_t n)
{
	size_t padded = (n + 3) & ~(size_t)3;
	if (n > (size_t)(x->end - x->p) || padded < n) {
		x->bad = 1;
		x->p = x->end;
		return NULL;
	}
	const uint8_t *r = x->p;
	x->p += padded > (size_t)(x->end - x->p) ? (size_t)(x->end - x->p) : padded;
	return r;
}

/* A sub-reader over the next n bytes (a sample or a record); x moves past them. */
static int xsub(struct xdr *x, size_t n, struct xdr *sub)
{
	if (n > (size_t)(x->end - x->p)) {
		x->bad = 1;
		return -1;
	}
	sub->p = x->p;
	sub->end = x->p + n;
	sub->bad = 0;
	x->p += n;
	return 0;
}

/* An sFlow address: type (1 IPv4, 2 IPv6) and the address. */
static int xaddr(struct xdr *x, struct fh_ip *ip)
{
	uint32_t t = x32(x);
	const uint8_t *a;
	if (t == 1 && (a = xbytes(x, 4))) {
		fh_ip_from_v4(ip, a);
		return 0;
	}
	if (t == 2 && (a = xbytes(x, 16))) {
		fh_ip_from_v6(ip, a);
		return 0;
	}
	if (t == 0)
		return 0; /* unknown address */
	x->bad = 1;
	return -1;
}

/* ---- flow records --------------------------------------------------------------------- */

/* What a flow sample's records say, merged. */
struct sample {
	struct fh_flow_rec r;
	int have_ip;
};

static void raw_header(struct xdr *x, struct sample *s)
{
	uint32_t proto = x32(x), frame_len = x32(x);
	x32(x); /* stripped */
	uint32_t hlen = x32(x);
	const uint8_t *h = xbytes(x, hlen);
	if (!h)
		return;
	struct fh_pkt p;
	int rc;
	switch (proto) {
	case 1: rc = fh_pkt_parse_eth(h, hlen, &p); break;
	case 11:
	case 12: rc = fh_pkt_parse_ip(h, hlen, &p); break;
	default: return; /* 802.11, MPLS, PPP...: not parsed */
	}
	s->r.bytes = frame_len;
	if (rc != FH_PKT_OK)
		return;
	fh_pkt_to_rec(&p, &s->r);
	s->have_ip = 1;
}

static void sampled_ip(struct xdr *x, struct sample *s, int v6)
{
	uint32_t len = x32(x), proto = x32(x);
	const uint8_t *src = xbytes(x, v6 ? 16 : 4), *dst = xbytes(x, v6 ? 16 : 4);
	uint32_t sport = x32(x), dport = x32(x), flags = x32(x), tos = x32(x);
	if (x->bad || s->have_ip) /* a raw header, when present, is more precise */
		return;
	if (v6) {
		fh_ip_from_v6(&s->r.src, src);
		fh_ip_from_v6(&s->r.dst, dst);
	} else {
		fh_ip_from_v4(&s->r.src, src);
		fh_ip_from_v4(&s->r.dst, dst);
	}
	s->r.af = v6 ? 6 : 4;
	s->r.bytes = len;
	s->r.proto = (uint8_t)proto;
	s->r.sport = (uint16_t)sport;
	s->r.dport = (uint16_t)dport;
	s->r.tcp_flags = (uint8_t)flags;
	s->r.tos = (uint8_t)tos;
	s->r.fields |= FH_F_TOS;
	s->have_ip = 1;
}

static void flow_record(uint32_t fmt, struct xdr *x, struct sample *s)
{
	switch (fmt) {
	case 1:
		raw_header(x, s);
		break;
	case 2: { /* Ethernet frame data */
		x32(x);
		const uint8_t *src = xbytes(x, 8), *dst = xbytes(x, 8);
		if (src && dst && !(s->r.fields & FH_F_MAC)) {
			memcpy(s->r.src_mac, src, 6);
			memcpy(s->r.dst_mac, dst, 6);
			s->r.fields |= FH_F_MAC;
		}
		break;
	}
	case 3:
		sampled_ip(x, s, 0);
		break;
	case 4:
		sampled_ip(x, s, 1);
		break;
	case 1001: { /* extended switch */
		uint32_t src_vlan = x32(x);
		x32(x);
		uint32_t dst_vlan = x32(x);
		if (!x->bad && !(s->r.fields & FH_F_VLAN)) {
			s->r.vlan = (uint16_t)(src_vlan ? src_vlan : dst_vlan);
			s->r.fields |= FH_F_VLAN;
		}
		break;
	}
	case 1002: { /* extended router */
		struct fh_ip nh = {{0}};
		xaddr(x, &nh);
		uint32_t sm = x32(x), dm = x32(x);
		if (!x->bad) {
			s->r.nexthop = nh;
			s->r.src_mask = (uint8_t)sm;
			s->r.dst_mask = (uint8_t)dm;
			s->r.fields |= FH_F_NEXTHOP | FH_F_MASK;
		}
		break;
	}
	case 1003: { /* extended gateway */
		struct fh_ip nh = {{0}};
		xaddr(x, &nh);
		x32(x); /* router's own AS */
		uint32_t src_as = x32(x);
		x32(x); /* src peer AS */
		uint32_t nseg = x32(x), dst_as = 0;
		for (uint32_t i = 0; i < nseg && !x->bad; i++) {
			x32(x); /* segment type */
			uint32_t n = x32(x);
			if (n > (uint32_t)(x->end - x->p) / 4) {
				x->bad = 1;
				break;
			}
			for (uint32_t k = 0; k < n; k++)
				dst_as = x32(x);
		}
		if (!x->bad) {
			s->r.src_as = src_as;
			s->r.dst_as = dst_as;
			s->r.fields |= FH_F_AS;
			if (!(s->r.fields & FH_F_NEXTHOP)) {
				s->r.nexthop = nh;
				s->r.fields |= FH_F_NEXTHOP;
			}
		}
		break;
	}
	default:
		break; /* skipped by its length */
	}
}

/* ---- per data source: sample sequence, pool and drops --------------------------------- */

#define SFS_SLOTS 128 /* data sources per agent tracked (ports of a switch) */

struct sfs_slot {
	uint64_t key; /* sub-agent << 32 | source id (type << 24 | index); 0 = free */
	uint32_t next_seq, pool, drops;
};

struct fh_sflow_sources {
	struct sfs_slot s[SFS_SLOTS];
};

/* Account one flow sample of (sub_agent, source): a gap in its sequence is samples lost on
 * the way; the pool's and the drops counter's growth since the previous one are packets seen
 * and samples the agent dropped. Counters are 32-bit and wrap. */
static void sfs_track(struct fh_exporter *ex, uint32_t sub_agent, uint32_t source,
	uint32_t seq, uint32_t pool, uint32_t drops)
{
	ex->st.flow_samples++;
	if (!ex->sfs && !(ex->sfs = calloc(1, sizeof(*ex->sfs))))
		return;
	uint64_t key = (uint64_t)sub_agent << 32 | source | 1ull << 63; /* never 0 */
	uint32_t i = (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 57) & (SFS_SLOTS - 1);
	for (unsigned probe = 0; probe < SFS_SLOTS; probe++, i = (i + 1) & (SFS_SLOTS - 1)) {
		struct sfs_slot *sl = &ex->sfs->s[i];
		if (!sl->key) {
			*sl = (struct sfs_slot){.key = key, .next_seq = seq + 1, .pool = pool,
				.drops = drops};
			return;
		}
		if (sl->key != key)
			continue;
		uint32_t gap = seq - sl->next_seq;
		if (gap < 100000) { /* in order (0) or samples lost; else reordered or a restart */
			ex->st.sample_seq_lost += gap;
			ex->st.sample_pool += pool - sl->pool;
			ex->st.agent_drops += drops - sl->drops;
			sl->next_seq = seq + 1;
			sl->pool = pool;
			sl->drops = drops;
		} else if ((uint32_t)(sl->next_seq - seq) >= 1000) {
			/* far behind: the agent restarted (a late sample is a few behind at most) */
			sl->next_seq = seq + 1;
			sl->pool = pool;
			sl->drops = drops;
		}
		return;
	}
}

/* 0x3fffffff: "interface unknown" (sflow_version_5.txt, flow_sample) */
#define SFLOW_IF_UNKNOWN 0x3fffffffu

/* Interface of the compact form: top 2 bits format, 30 bits value; ifIndex for format 0. */
static uint32_t compact_if(uint32_t v)
{
	return (v >> 30) == 0 && (v & SFLOW_IF_UNKNOWN) != SFLOW_IF_UNKNOWN ? v & SFLOW_IF_UNKNOWN
										  : 0;
}

static int flow_sample(struct fh_exporter *ex, struct xdr *x, int expanded,
	const struct fh_flow_rec *base, const struct fh_rec_sink *sink)
{
	struct sample s;
	uint32_t in, out;

	uint32_t seq = x32(x), source;
	if (expanded) {
		uint32_t type = x32(x), index = x32(x);
		source = type << 24 | (index & 0xffffff);
	} else {
		source = x32(x); /* type << 24 | index */
	}
	uint32_t rate = x32(x);
	uint32_t pool = x32(x), drops = x32(x);
	if (expanded) {
		uint32_t inf = x32(x), inv = x32(x), outf = x32(x), outv = x32(x);
		in = inf == 0 && inv != SFLOW_IF_UNKNOWN ? inv : 0;
		out = outf == 0 && outv != SFLOW_IF_UNKNOWN ? outv : 0;
	} else {
		in = compact_if(x32(x));
		out = compact_if(x32(x));
	}
	uint32_t nrec = x32(x);
	if (x->bad)
		return -FH_DEC_E_SAMPLE;
	sfs_track(ex, base->domain, source, seq, pool, drops);
	memcpy(&s.r, base, sizeof(s.r));
	s.have_ip = 0;
	s.r.sampling = rate ? rate : 1;
	s.r.in_if = in;
	s.r.out_if = out;
	s.r.fields |= FH_F_IF;
	for (uint32_t i = 0; i < nrec; i++) {
		uint32_t fmt = x32(x), len = x32(x);
		struct xdr rx;
		if (x->bad || xsub(x, len, &rx) < 0)
			return -FH_DEC_E_SAMPLE;
		if ((fmt >> 12) == 0)
			flow_record(fmt & 0xfff, &rx, &s);
		if (rx.bad)
			return -FH_DEC_E_SAMPLE;
	}
	if (!s.have_ip)
		return 0; /* not an IP packet (ARP, ...): nothing to meter */
	fh_dec_emit(ex, sink, &s.r);
	return 1;
}

static int counter_sample(struct fh_exporter *ex, struct xdr *x, int expanded,
	const struct fh_flow_rec *base, uint64_t now_ms, const struct fh_rec_sink *sink)
{
	x32(x); /* sequence */
	x32(x);
	if (expanded)
		x32(x);
	uint32_t nrec = x32(x);
	if (x->bad)
		return -FH_DEC_E_SAMPLE;
	ex->st.counter_samples++;
	for (uint32_t i = 0; i < nrec; i++) {
		uint32_t fmt = x32(x), len = x32(x);
		struct xdr rx;
		if (x->bad || xsub(x, len, &rx) < 0)
			return -FH_DEC_E_SAMPLE;
		if (fmt != 1 || !sink->counters)
			continue; /* only the generic interface counters are kept */
		struct fh_if_counters c = {.agent = base->exporter, .sub_agent = base->domain,
			.time_ms = now_ms};
		c.ifindex = x32(&rx);
		x32(&rx); /* ifType */
		c.speed = x64(&rx);
		x32(&rx);
		x32(&rx); /* direction, status */
		c.in_octets = x64(&rx);
		c.in_packets = (uint64_t)x32(&rx) + x32(&rx) + x32(&rx);
		c.in_discards = x32(&rx);
		c.in_errors = x32(&rx);
		x32(&rx); /* unknown protos */
		c.out_octets = x64(&rx);
		c.out_packets = (uint64_t)x32(&rx) + x32(&rx) + x32(&rx);
		c.out_discards = x32(&rx);
		c.out_errors = x32(&rx);
		if (rx.bad)
			return -FH_DEC_E_SAMPLE;
		sink->counters(sink->arg, &c);
	}
	return 0;
}

/* ---- datagram ------------------------------------------------------------------------- */

int fh_sflow_decode(struct fh_decoder *d, struct fh_exporter *ex, const uint8_t *buf, size_t len,
	uint64_t now_ms, const struct fh_rec_sink *sink)
{
	struct xdr x = {buf, buf + len, 0};
	struct fh_flow_rec base;
	(void)d;

	memset(&base, 0, sizeof(base));
	x32(&x); /* version 5 */
	if (xaddr(&x, &base.exporter) < 0 || fh_ip_is_zero(&base.exporter))
		return fh_dec_fail(ex, x.bad ? FH_DEC_E_SHORT : FH_DEC_E_VERSION);
	base.domain = x32(&x);
	uint32_t seq = x32(&x);
	x32(&x); /* uptime */
	uint32_t nsamples = x32(&x);
	if (x.bad)
		return fh_dec_fail(ex, FH_DEC_E_SHORT);
	if (nsamples > len / 8)
		return fh_dec_fail(ex, FH_DEC_E_LENGTH);
	base.version = FH_VER_SFLOW5;
	base.packets = 1;
	base.first_ms = base.last_ms = now_ms;
	/* the sequence runs per (agent, sub-agent): mix the agent into the key */
	uint32_t key = base.domain;
	for (int i = 0; i < 16; i++)
		key = key * 31 + base.exporter.a[i];
	fh_seq_track(ex, FH_VER_SFLOW5, key, seq, 1);

	int n = 0;
	for (uint32_t i = 0; i < nsamples; i++) {
		uint32_t fmt = x32(&x), slen = x32(&x);
		struct xdr sx;
		if (x.bad || xsub(&x, slen, &sx) < 0)
			return fh_dec_fail(ex, FH_DEC_E_SAMPLE);
		int rc = 0;
		if ((fmt >> 12) != 0)
			continue; /* enterprise samples: skipped */
		switch (fmt & 0xfff) {
		case 1:
		case 3:
			rc = flow_sample(ex, &sx, (fmt & 0xfff) == 3, &base, sink);
			break;
		case 2:
		case 4:
			rc = counter_sample(ex, &sx, (fmt & 0xfff) == 4, &base, now_ms, sink);
			break;
		default:
			break; /* discard samples (5) and others: skipped by length */
		}
		if (rc < 0)
			return fh_dec_fail(ex, (enum fh_dec_err)-rc);
		n += rc;
	}
	return n;
}
