/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The template engine shared by NetFlow v9 and IPFIX (see template.h).
 *
 * Sections: the information-element table; the per-exporter template cache and sampling
 * rates; template compilation; record decoding; the pending FIFO of data sets waiting for
 * their template.
 */
#include <stdlib.h>
#include <string.h>

#include "dataplane/decode/template.h"

/* ---- information elements ------------------------------------------------------------- */

#define IE_MAX_ID 512

static const struct fh_ie_info ie_by_id[IE_MAX_ID] = {
#define FH_IE(i, n, k, mn, mx) [i] = {i, FH_K_##k, mn, mx, n},
#include "dataplane/decode/ie.def"
#undef FH_IE
};

void fh_decode_elements(void (*fn)(void *arg, unsigned id, const char *name, const char *dest,
				unsigned minw, unsigned maxw),
	void *arg)
{
	static const struct {
		unsigned id, minw, maxw;
		const char *name, *dest;
	} rows[] = {
#define FH_IE(i, n, k, mn, mx) {i, mn, mx, n, #k},
#include "dataplane/decode/ie.def"
#undef FH_IE
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fn(arg, rows[i].id, rows[i].name, rows[i].dest, rows[i].minw, rows[i].maxw);
}

const struct fh_ie_info *fh_ie_lookup(uint16_t id)
{
	if (id >= IE_MAX_ID || ie_by_id[id].kind == FH_K_NONE)
		return NULL;
	return &ie_by_id[id];
}

/* ---- types ---------------------------------------------------------------------------- */

#define TPL_SLOTS 512 /* templates per exporter (open addressing, at most half full) */
#define TPL_MAX_FIELDS 512
#define RATE_SLOTS 32
#define SYSINIT_SLOTS 8
#define VARLEN 0xffff

struct field {
	uint16_t len; /* VARLEN for IPFIX variable-length encoding */
	uint8_t kind; /* FH_K_NONE for skipped fields */
};

struct op {
	uint16_t off, len;
	uint8_t kind;
};

struct tpl {
	uint32_t domain;
	uint16_t id;
	uint8_t options, varlen;
	uint16_t nfields, nops;
	uint32_t rec_len; /* fixed: exact record length; varlen: minimum */
	uint64_t last_ms;
	struct field *fields; /* all fields, in order (varlen path) */
	struct op ops[]; /* fields that go somewhere, with offsets (fixed path) */
};

struct rate {
	uint32_t domain;
	uint32_t rate;
	uint64_t sampler;
	uint8_t used, has_sampler;
};

struct sysinit {
	uint32_t domain;
	uint8_t used;
	uint64_t ms;
};

struct fh_tpl_cache {
	struct tpl *slot[TPL_SLOTS];
	unsigned n;
	struct rate rates[RATE_SLOTS];
	struct sysinit sysinit[SYSINIT_SLOTS];
};

/* ---- template cache ------------------------------------------------------------------- */

static unsigned tpl_hash(uint32_t domain, uint16_t id)
{
	uint32_t h = (domain * 0x9e3779b1u) ^ (id * 0x85ebca6bu);
	return (h ^ (h >> 15)) & (TPL_SLOTS - 1);
}

static struct tpl **tpl_find_slot(struct fh_tpl_cache *c, uint32_t domain, uint16_t id,
	int for_insert)
{
	struct tpl **tomb = NULL;
	for (unsigned i = tpl_hash(domain, id), k = 0; k < TPL_SLOTS;
		i = (i + 1) & (TPL_SLOTS - 1), k++) {
		struct tpl *t = c->slot[i];
		if (!t)
			return for_insert && tomb ? tomb : &c->slot[i];
		if (t == (struct tpl *)1) { /* deleted */
			if (!tomb)
				tomb = &c->slot[i];
			continue;
		}
		if (t->domain == domain && t->id == id)
			return &c->slot[i];
	}
	return for_insert ? tomb : NULL;
}

static struct tpl *tpl_get(struct fh_tpl_cache *c, uint32_t domain, uint16_t id)
{
	if (!c)
		return NULL;
	struct tpl **s = tpl_find_slot(c, domain, id, 0);
	return s && *s && *s != (struct tpl *)1 ? *s : NULL;
}

static void tpl_free(struct tpl *t)
{
	if (t) {
		free(t->fields);
		free(t);
	}
}

static void tpl_remove(struct fh_tpl_cache *c, uint32_t domain, uint16_t id)
{
	struct tpl **s = tpl_find_slot(c, domain, id, 0);
	if (s && *s && *s != (struct tpl *)1) {
		tpl_free(*s);
		*s = (struct tpl *)1;
		c->n--;
	}
}

/* Withdraw every template (options or not) of a domain. */
static void tpl_remove_all(struct fh_tpl_cache *c, uint32_t domain, int options)
{
	for (unsigned i = 0; i < TPL_SLOTS; i++) {
		struct tpl *t = c->slot[i];
		if (t && t != (struct tpl *)1 && t->domain == domain && t->options == options) {
			tpl_free(t);
			c->slot[i] = (struct tpl *)1;
			c->n--;
		}
	}
}

void fh_tpl_cache_free(struct fh_tpl_cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < TPL_SLOTS; i++)
		if (c->slot[i] && c->slot[i] != (struct tpl *)1)
			tpl_free(c->slot[i]);
	free(c);
}

static struct fh_tpl_cache *cache_of(struct fh_exporter *ex)
{
	if (!ex->tpl)
		ex->tpl = calloc(1, sizeof(*ex->tpl));
	return ex->tpl;
}

/* ---- sampling rates and system init times --------------------------------------------- */

static void rate_set(struct fh_tpl_cache *c, uint32_t domain, int has_sampler,
	uint64_t sampler, uint32_t rate)
{
	struct rate *free_slot = NULL;
	for (unsigned i = 0; i < RATE_SLOTS; i++) {
		struct rate *r = &c->rates[i];
		if (r->used && r->domain == domain && r->has_sampler == has_sampler &&
			r->sampler == sampler) {
			r->rate = rate;
			return;
		}
		if (!r->used && !free_slot)
			free_slot = r;
	}
	if (!free_slot)
		free_slot = &c->rates[sampler % RATE_SLOTS]; /* full: replace one */
	*free_slot = (struct rate){.domain = domain, .rate = rate, .sampler = sampler,
		.used = 1, .has_sampler = (uint8_t)has_sampler};
}

/* The rate for a record: its sampler's, else the domain's, else 1. */
static uint32_t rate_get(const struct fh_tpl_cache *c, uint32_t domain, int has_sampler,
	uint64_t sampler)
{
	uint32_t dom_rate = 0;
	for (unsigned i = 0; i < RATE_SLOTS; i++) {
		const struct rate *r = &c->rates[i];
		if (!r->used || r->domain != domain)
			continue;
		if (has_sampler && r->has_sampler && r->sampler == sampler)
			return r->rate;
		if (!r->has_sampler)
			dom_rate = r->rate;
	}
	/* some exporters announce a sampler without naming it in the records: use it */
	if (!dom_rate && !has_sampler)
		for (unsigned i = 0; i < RATE_SLOTS; i++)
			if (c->rates[i].used && c->rates[i].domain == domain)
				return c->rates[i].rate;
	return dom_rate ? dom_rate : 1;
}

static void sysinit_set(struct fh_tpl_cache *c, uint32_t domain, uint64_t ms)
{
	for (unsigned i = 0; i < SYSINIT_SLOTS; i++) {
		if (!c->sysinit[i].used || c->sysinit[i].domain == domain) {
			c->sysinit[i] = (struct sysinit){.domain = domain, .used = 1, .ms = ms};
			return;
		}
	}
	c->sysinit[domain % SYSINIT_SLOTS] = (struct sysinit){.domain = domain, .used = 1, .ms = ms};
}

static uint64_t sysinit_get(const struct fh_tpl_cache *c, uint32_t domain)
{
	for (unsigned i = 0; i < SYSINIT_SLOTS; i++)
		if (c->sysinit[i].used && c->sysinit[i].domain == domain)
			return c->sysinit[i].ms;
	return 0;
}

/* ---- template compilation ------------------------------------------------------------- */

/*
 * Compile a template from its field list. fields[] has nfields (type, length) pairs already
 * read; scope_n: the first scope_n fields are scope fields (options templates). For v9
 * options templates scope field types are not IEs: they are skipped.
 */
static struct tpl *compile(uint32_t domain, uint16_t id, int options, int v9_scope,
	const uint16_t *types, const uint16_t *lens, unsigned nfields, unsigned scope_n)
{
	unsigned nops = 0;
	for (unsigned i = 0; i < nfields; i++)
		if (!(v9_scope && i < scope_n) && fh_ie_lookup(types[i]))
			nops++;
	struct tpl *t = calloc(1, sizeof(*t) + nops * sizeof(struct op));
	if (!t)
		return NULL;
	t->fields = calloc(nfields ? nfields : 1, sizeof(*t->fields));
	if (!t->fields) {
		free(t);
		return NULL;
	}
	t->domain = domain;
	t->id = id;
	t->options = (uint8_t)options;
	t->nfields = (uint16_t)nfields;
	uint32_t off = 0;
	for (unsigned i = 0; i < nfields; i++) {
		const struct fh_ie_info *ie = v9_scope && i < scope_n ? NULL : fh_ie_lookup(types[i]);
		uint8_t kind = FH_K_NONE;
		if (ie && (lens[i] == VARLEN || (lens[i] >= ie->minw && lens[i] <= ie->maxw)))
			kind = ie->kind;
		if (lens[i] == VARLEN)
			kind = FH_K_NONE; /* no variable-length element goes into a flow record */
		t->fields[i].len = lens[i];
		t->fields[i].kind = kind;
		if (lens[i] == VARLEN) {
			t->varlen = 1;
			off += 1; /* at least the length byte */
			continue;
		}
		if (kind != FH_K_NONE)
			t->ops[t->nops++] = (struct op){(uint16_t)off, lens[i], kind};
		off += lens[i];
	}
	t->rec_len = off;
	return t;
}

/* Whether t has the same layout as the given field list (a refresh, not a replacement). */
static int same_layout(const struct tpl *t, int options, const uint16_t *lens, unsigned n,
	const uint16_t *types, unsigned scope_n, int v9_scope)
{
	if (t->options != options || t->nfields != n)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		if (t->fields[i].len != lens[i])
			return 0;
		const struct fh_ie_info *ie = v9_scope && i < scope_n ? NULL : fh_ie_lookup(types[i]);
		uint8_t kind = FH_K_NONE;
		if (ie && lens[i] != VARLEN && lens[i] >= ie->minw && lens[i] <= ie->maxw)
			kind = ie->kind;
		if (t->fields[i].kind != kind)
			return 0;
	}
	return 1;
}

/* ---- records -------------------------------------------------------------------------- */

/* Values gathered from one record before they become a flow record. */
struct vals {
	uint64_t bytes, pkts, out_bytes, out_pkts, tot_bytes, tot_pkts;
	uint64_t init_bytes, resp_bytes, init_pkts, resp_pkts;
	uint64_t start_ms, end_ms, obs_ms, sysinit_ms, sampler;
	uint32_t first_up, last_up, start_delta_us, end_delta_us;
	uint32_t sampling, pkt_interval, pkt_space, samp_size, samp_pop;
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_tc;
	uint32_t have; /* HAVE_* */
};

enum {
	HAVE_BYTES = 1 << 0, HAVE_PKTS = 1 << 1, HAVE_OUT = 1 << 2, HAVE_TOT = 1 << 3,
	HAVE_INIT = 1 << 4, HAVE_START_ABS = 1 << 5, HAVE_END_ABS = 1 << 6,
	HAVE_FIRST_UP = 1 << 7, HAVE_LAST_UP = 1 << 8, HAVE_DELTA = 1 << 9, HAVE_OBS = 1 << 10,
	HAVE_SYSINIT = 1 << 11, HAVE_SAMPLER = 1 << 12, HAVE_SAMPLING = 1 << 13,
	HAVE_PKT_SAMPLING = 1 << 14, HAVE_POP = 1 << 15, HAVE_ICMP_TC = 1 << 16,
	HAVE_ICMP_TYPE = 1 << 17, HAVE_ADDR = 1 << 18, HAVE_SRC = 1 << 19, HAVE_DST = 1 << 20,
};

static inline int is_zero16(const uint8_t *p)
{
	uint64_t a, b;
	memcpy(&a, p, 8);
	memcpy(&b, p + 8, 8);
	return (a | b) == 0;
}

/* Reset v for the next record. Fields are read only under their HAVE_ bit, except the
 * few that share a bit with another field: those are zeroed. Cheaper than a memset of v. */
static inline void vals_reset(struct vals *v)
{
	v->have = 0;
	v->start_delta_us = v->end_delta_us = 0;
	v->pkt_space = 0;
	v->samp_pop = 0;
	v->icmp_type = v->icmp_code = 0;
	v->out_bytes = v->out_pkts = v->tot_bytes = v->tot_pkts = 0;
	v->init_bytes = v->resp_bytes = v->init_pkts = v->resp_pkts = 0;
	v->start_ms = v->end_ms = 0;
}

static uint64_t ntp_to_ms(uint64_t ntp)
{
	uint64_t sec = ntp >> 32, frac = ntp & 0xffffffffu;
	if (sec < 2208988800u)
		return 0;
	return (sec - 2208988800u) * 1000 + ((frac * 1000) >> 32);
}

static inline void apply(struct fh_flow_rec *r, struct vals *v, uint8_t kind, const uint8_t *p,
	unsigned len)
{
	switch (kind) {
	case FH_K_BYTES: v->bytes = fh_rdn(p, len); v->have |= HAVE_BYTES; break;
	case FH_K_PKTS: v->pkts = fh_rdn(p, len); v->have |= HAVE_PKTS; break;
	case FH_K_OUT_BYTES: v->out_bytes = fh_rdn(p, len); v->have |= HAVE_OUT; break;
	case FH_K_OUT_PKTS: v->out_pkts = fh_rdn(p, len); v->have |= HAVE_OUT; break;
	case FH_K_BYTES_TOTAL: v->tot_bytes = fh_rdn(p, len); v->have |= HAVE_TOT; break;
	case FH_K_PKTS_TOTAL: v->tot_pkts = fh_rdn(p, len); v->have |= HAVE_TOT; break;
	case FH_K_INIT_BYTES: v->init_bytes = fh_rdn(p, len); v->have |= HAVE_INIT; break;
	case FH_K_RESP_BYTES: v->resp_bytes = fh_rdn(p, len); v->have |= HAVE_INIT; break;
	case FH_K_INIT_PKTS: v->init_pkts = fh_rdn(p, len); v->have |= HAVE_INIT; break;
	case FH_K_RESP_PKTS: v->resp_pkts = fh_rdn(p, len); v->have |= HAVE_INIT; break;
	case FH_K_PROTO: r->proto = p[0]; break;
	case FH_K_TOS: r->tos = p[0]; r->fields |= FH_F_TOS; break;
	case FH_K_TCP_FLAGS: r->tcp_flags = p[len - 1]; break;
	case FH_K_SPORT: r->sport = (uint16_t)fh_rdn(p, len); break;
	case FH_K_DPORT: r->dport = (uint16_t)fh_rdn(p, len); break;
	/* templates with both IPv4 and IPv6 fields fill one family with zeros: a zero address
	 * never replaces a non-zero one */
	case FH_K_SRC4:
		if (!fh_rd32(p) && (v->have & HAVE_SRC))
			break;
		fh_ip_from_v4(&r->src, p);
		r->af = 4;
		v->have |= HAVE_ADDR | (fh_rd32(p) ? HAVE_SRC : 0);
		break;
	case FH_K_DST4:
		if (!fh_rd32(p) && (v->have & HAVE_DST))
			break;
		fh_ip_from_v4(&r->dst, p);
		v->have |= HAVE_ADDR | (fh_rd32(p) ? HAVE_DST : 0);
		break;
	case FH_K_SRC6:
		if (is_zero16(p) && (v->have & HAVE_SRC))
			break;
		fh_ip_from_v6(&r->src, p);
		r->af = 6;
		v->have |= HAVE_ADDR | (is_zero16(p) ? 0 : HAVE_SRC);
		break;
	case FH_K_DST6:
		if (is_zero16(p) && (v->have & HAVE_DST))
			break;
		fh_ip_from_v6(&r->dst, p);
		v->have |= HAVE_ADDR | (is_zero16(p) ? 0 : HAVE_DST);
		break;
	case FH_K_SRC_MASK: r->src_mask = p[0]; r->fields |= FH_F_MASK; break;
	case FH_K_DST_MASK: r->dst_mask = p[0]; r->fields |= FH_F_MASK; break;
	case FH_K_IN_IF: r->in_if = (uint32_t)fh_rdn(p, len); r->fields |= FH_F_IF; break;
	case FH_K_OUT_IF: r->out_if = (uint32_t)fh_rdn(p, len); r->fields |= FH_F_IF; break;
	case FH_K_NH4:
	case FH_K_BGP_NH4:
		if (kind == FH_K_NH4 || !(r->fields & FH_F_NEXTHOP))
			fh_ip_from_v4(&r->nexthop, p);
		r->fields |= FH_F_NEXTHOP;
		break;
	case FH_K_NH6:
	case FH_K_BGP_NH6:
		if (kind == FH_K_NH6 || !(r->fields & FH_F_NEXTHOP))
			fh_ip_from_v6(&r->nexthop, p);
		r->fields |= FH_F_NEXTHOP;
		break;
	case FH_K_SRC_AS: r->src_as = (uint32_t)fh_rdn(p, len); r->fields |= FH_F_AS; break;
	case FH_K_DST_AS: r->dst_as = (uint32_t)fh_rdn(p, len); r->fields |= FH_F_AS; break;
	case FH_K_FIRST_UP: v->first_up = fh_rd32(p); v->have |= HAVE_FIRST_UP; break;
	case FH_K_LAST_UP: v->last_up = fh_rd32(p); v->have |= HAVE_LAST_UP; break;
	case FH_K_START_S: v->start_ms = (uint64_t)fh_rd32(p) * 1000; v->have |= HAVE_START_ABS; break;
	case FH_K_END_S: v->end_ms = (uint64_t)fh_rd32(p) * 1000; v->have |= HAVE_END_ABS; break;
	case FH_K_START_MS: v->start_ms = fh_rd64(p); v->have |= HAVE_START_ABS; break;
	case FH_K_END_MS: v->end_ms = fh_rd64(p); v->have |= HAVE_END_ABS; break;
	case FH_K_START_NTP: v->start_ms = ntp_to_ms(fh_rd64(p)); v->have |= HAVE_START_ABS; break;
	case FH_K_END_NTP: v->end_ms = ntp_to_ms(fh_rd64(p)); v->have |= HAVE_END_ABS; break;
	case FH_K_START_DELTA_US: v->start_delta_us = fh_rd32(p); v->have |= HAVE_DELTA; break;
	case FH_K_END_DELTA_US: v->end_delta_us = fh_rd32(p); v->have |= HAVE_DELTA; break;
	case FH_K_SYSINIT_MS: v->sysinit_ms = fh_rd64(p); v->have |= HAVE_SYSINIT; break;
	case FH_K_OBS_MS: v->obs_ms = fh_rd64(p); v->have |= HAVE_OBS; break;
	case FH_K_ICMP_TC: v->icmp_tc = fh_rd16(p); v->have |= HAVE_ICMP_TC; break;
	case FH_K_ICMP_TYPE: v->icmp_type = p[0]; v->have |= HAVE_ICMP_TYPE; break;
	case FH_K_ICMP_CODE: v->icmp_code = p[0]; v->have |= HAVE_ICMP_TYPE; break;
	case FH_K_SAMPLING: v->sampling = (uint32_t)fh_rdn(p, len); v->have |= HAVE_SAMPLING; break;
	case FH_K_SAMPLER_ID: v->sampler = fh_rdn(p, len); v->have |= HAVE_SAMPLER; break;
	case FH_K_SAMPLING_PKT_INTERVAL:
		v->pkt_interval = (uint32_t)fh_rdn(p, len);
		v->have |= HAVE_PKT_SAMPLING;
		break;
	case FH_K_SAMPLING_PKT_SPACE: v->pkt_space = (uint32_t)fh_rdn(p, len); break;
	case FH_K_SAMPLING_SIZE: v->samp_size = (uint32_t)fh_rdn(p, len); v->have |= HAVE_POP; break;
	case FH_K_SAMPLING_POPULATION: v->samp_pop = (uint32_t)fh_rdn(p, len); break;
	case FH_K_SRC_MAC: memcpy(r->src_mac, p, 6); r->fields |= FH_F_MAC; break;
	case FH_K_DST_MAC: memcpy(r->dst_mac, p, 6); r->fields |= FH_F_MAC; break;
	case FH_K_VLAN: r->vlan = (uint16_t)fh_rdn(p, len); r->fields |= FH_F_VLAN; break;
	case FH_K_DIRECTION: r->direction = p[0]; r->fields |= FH_F_DIRECTION; break;
	default: break;
	}
}

/* The sampling rate an options record (or a data record) announces; 0 if none. */
static uint32_t announced_rate(const struct vals *v)
{
	if ((v->have & HAVE_SAMPLING) && v->sampling)
		return v->sampling;
	if ((v->have & HAVE_PKT_SAMPLING) && v->pkt_interval)
		return (v->pkt_interval + v->pkt_space) / v->pkt_interval;
	if ((v->have & HAVE_POP) && v->samp_size && v->samp_pop >= v->samp_size)
		return v->samp_pop / v->samp_size;
	return 0;
}

static void finish_options(struct fh_exporter *ex, const struct fh_hdr_ctx *h,
	const struct vals *v)
{
	struct fh_tpl_cache *c = ex->tpl;
	ex->st.options_records++;
	uint32_t rate = announced_rate(v);
	if (rate)
		rate_set(c, h->domain, !!(v->have & HAVE_SAMPLER), v->sampler, rate);
	if (v->have & HAVE_SYSINIT)
		sysinit_set(c, h->domain, v->sysinit_ms);
}

/* Per data set: what every record of the set shares, looked up once. */
/* IPFIX uptimes (flowStartSysUpTime...) are 32-bit milliseconds since systemInitTime: they
 * wrap every 49.7 days, and an exporter that started after the flow (softflowd reading a
 * capture) sends "negative" ones. Of init + uptime + k * 2^32, the time within 2^31 ms of
 * the export is meant. */
static uint64_t near_export(uint64_t t, uint64_t export_ms)
{
	if (!export_ms)
		return t;
	/* the same value modulo 2^32, as a signed distance from the export */
	int64_t d = (int32_t)(uint32_t)(t - export_ms);
	return d < 0 && (uint64_t)-d > export_ms ? t : export_ms + (uint64_t)d;
}

struct set_ctx {
	uint32_t rate; /* the domain's sampling rate */
	uint64_t sysinit_ms; /* the domain's system init time (IPFIX), 0 if unknown */
};

static void set_ctx_init(struct set_ctx *sc, const struct fh_tpl_cache *c,
	const struct fh_hdr_ctx *h)
{
	sc->rate = rate_get(c, h->domain, 0, 0);
	sc->sysinit_ms = h->version == FH_VER_IPFIX ? sysinit_get(c, h->domain) : 0;
}

static void finish_flow(struct fh_exporter *ex, const struct fh_hdr_ctx *h,
	const struct set_ctx *sc, struct fh_flow_rec *r, const struct vals *v,
	const struct fh_rec_sink *sink)
{
	const struct fh_tpl_cache *c = ex->tpl;

	r->version = h->version;
	r->exporter = ex->ip;
	r->domain = h->domain;
	/* volume: delta counters, else totals, else the initiator side (NSEL) */
	if (v->have & HAVE_BYTES)
		r->bytes = v->bytes;
	else if (v->have & HAVE_TOT)
		r->bytes = v->tot_bytes;
	else if (v->have & HAVE_INIT)
		r->bytes = v->init_bytes;
	else if (v->have & HAVE_OUT)
		r->bytes = v->out_bytes;
	if (v->have & HAVE_PKTS)
		r->packets = v->pkts;
	else if (v->have & HAVE_TOT)
		r->packets = v->tot_pkts;
	else if (v->have & HAVE_INIT)
		r->packets = v->init_pkts;
	else if (v->have & HAVE_OUT)
		r->packets = v->out_pkts;
	/* times */
	uint64_t first = 0, last = 0;
	if (v->have & HAVE_START_ABS)
		first = v->start_ms;
	if (v->have & HAVE_END_ABS)
		last = v->end_ms;
	if (!first && (v->have & HAVE_DELTA) && v->start_delta_us)
		first = h->export_ms - v->start_delta_us / 1000;
	if (!last && (v->have & HAVE_DELTA))
		last = h->export_ms - v->end_delta_us / 1000;
	if ((v->have & (HAVE_FIRST_UP | HAVE_LAST_UP)) && (!first || !last)) {
		if (h->version == FH_VER_NF9) {
			if (!first && (v->have & HAVE_FIRST_UP))
				first = h->export_ms + (int64_t)(int32_t)(v->first_up - h->uptime_ms);
			if (!last && (v->have & HAVE_LAST_UP))
				last = h->export_ms + (int64_t)(int32_t)(v->last_up - h->uptime_ms);
		} else {
			uint64_t init = (v->have & HAVE_SYSINIT) ? v->sysinit_ms : sc->sysinit_ms;
			if (init) {
				if (!first && (v->have & HAVE_FIRST_UP))
					first = near_export(init + v->first_up, h->export_ms);
				if (!last && (v->have & HAVE_LAST_UP))
					last = near_export(init + v->last_up, h->export_ms);
			}
		}
	}
	if (!first && !last && (v->have & HAVE_OBS))
		first = last = v->obs_ms;
	if (first || last)
		r->fields |= FH_F_TIMES;
	if (!last)
		last = first ? first : h->export_ms;
	if (!first)
		first = last;
	r->first_ms = first;
	r->last_ms = last;
	/* ICMP type/code in the destination port, as nfdump shows it */
	if (r->proto == 1 || r->proto == 58) {
		if (v->have & HAVE_ICMP_TC) {
			r->sport = 0;
			r->dport = v->icmp_tc;
		} else if (v->have & HAVE_ICMP_TYPE) {
			r->sport = 0;
			r->dport = (uint16_t)(v->icmp_type << 8 | v->icmp_code);
		}
	}
	uint32_t rate = announced_rate(v);
	if (!rate)
		rate = (v->have & HAVE_SAMPLER) ? rate_get(c, h->domain, 1, v->sampler) : sc->rate;
	r->sampling = rate;
	r->af = fh_ip_is_v4(&r->src) ? 4 : 6;
	fh_dec_emit(ex, sink, r);
}

/* Decode count records of fixed length. Returns records decoded. */
static int decode_fixed(struct fh_exporter *ex, const struct tpl *t, const struct fh_hdr_ctx *h,
	const uint8_t *p, size_t len, const struct fh_rec_sink *sink)
{
	size_t n = len / t->rec_len;
	struct fh_flow_rec r;
	struct vals v;
	struct set_ctx sc;
	set_ctx_init(&sc, ex->tpl, h);
	for (size_t k = 0; k < n; k++, p += t->rec_len) {
		memset(&r, 0, sizeof(r));
		vals_reset(&v);
		for (unsigned i = 0; i < t->nops; i++)
			apply(&r, &v, t->ops[i].kind, p + t->ops[i].off, t->ops[i].len);
		if (t->options)
			finish_options(ex, h, &v);
		else if (v.have & HAVE_ADDR)
			finish_flow(ex, h, &sc, &r, &v, sink);
		else if (announced_rate(&v) || (v.have & HAVE_SYSINIT))
			finish_options(ex, h, &v); /* some exporters send sampling as plain data */
	}
	return (int)n;
}

/* Records with variable-length fields: offsets are found per record. */
static int decode_varlen(struct fh_exporter *ex, const struct tpl *t,
	const struct fh_hdr_ctx *h, const uint8_t *p, size_t len, const struct fh_rec_sink *sink)
{
	size_t pos = 0;
	int n = 0;
	struct fh_flow_rec r;
	struct vals v;
	struct set_ctx sc;
	set_ctx_init(&sc, ex->tpl, h);
	while (len - pos >= t->rec_len && len - pos > 0) {
		size_t q = pos;
		memset(&r, 0, sizeof(r));
		memset(&v, 0, sizeof(v));
		for (unsigned i = 0; i < t->nfields; i++) {
			size_t fl = t->fields[i].len;
			if (fl == VARLEN) {
				if (q + 1 > len)
					return -FH_DEC_E_RECORD;
				fl = p[q++];
				if (fl == 255) {
					if (q + 2 > len)
						return -FH_DEC_E_RECORD;
					fl = fh_rd16(p + q);
					q += 2;
				}
			}
			if (q + fl > len)
				return -FH_DEC_E_RECORD;
			if (t->fields[i].kind != FH_K_NONE)
				apply(&r, &v, t->fields[i].kind, p + q, (unsigned)fl);
			q += fl;
		}
		if (q == pos)
			break; /* an all-empty record would loop forever */
		pos = q;
		n++;
		if (t->options)
			finish_options(ex, h, &v);
		else if (v.have & HAVE_ADDR)
			finish_flow(ex, h, &sc, &r, &v, sink);
	}
	return n;
}

static int decode_set(struct fh_exporter *ex, const struct tpl *t, const struct fh_hdr_ctx *h,
	const uint8_t *p, size_t len, const struct fh_rec_sink *sink)
{
	if (t->varlen)
		return decode_varlen(ex, t, h, p, len, sink);
	return decode_fixed(ex, t, h, p, len, sink);
}

/* ---- the pending FIFO ----------------------------------------------------------------- */

#define PEND_MAX 4096

struct pend {
	struct fh_exporter *ex;
	struct fh_hdr_ctx h;
	uint16_t set_id;
	uint8_t live;
	size_t off, len;
};

struct fh_tpl_pending {
	uint8_t *arena;
	size_t cap;
	struct pend e[PEND_MAX];
	unsigned head, count;
	size_t btail; /* next free byte */
};

struct fh_tpl_pending *fh_tpl_pending_new(size_t bytes)
{
	struct fh_tpl_pending *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cap = bytes;
	p->arena = malloc(bytes);
	if (!p->arena) {
		free(p);
		return NULL;
	}
	return p;
}

void fh_tpl_pending_free(struct fh_tpl_pending *p)
{
	if (p) {
		free(p->arena);
		free(p);
	}
}

/* Forget the oldest entry (counting it as dropped if still waiting), then any dead ones. */
static void pend_pop(struct fh_tpl_pending *p)
{
	struct pend *e = &p->e[p->head];
	if (e->live)
		e->ex->st.pending_dropped++;
	e->live = 0;
	p->head = (p->head + 1) % PEND_MAX;
	p->count--;
	while (p->count && !p->e[p->head].live) {
		p->head = (p->head + 1) % PEND_MAX;
		p->count--;
	}
	if (!p->count)
		p->btail = 0;
}

static void pend_push(struct fh_tpl_pending *p, struct fh_exporter *ex,
	const struct fh_hdr_ctx *h, uint16_t set_id, const uint8_t *data, size_t len)
{
	ex->st.pending++;
	if (len > p->cap) {
		ex->st.pending_dropped++;
		return;
	}
	size_t off;
	for (;;) {
		if (p->count == PEND_MAX) {
			pend_pop(p);
			continue;
		}
		if (p->count == 0) {
			off = 0;
			break;
		}
		size_t bhead = p->e[p->head].off;
		if (p->btail > bhead) { /* not wrapped: room at the end, or at the start */
			if (p->cap - p->btail >= len) {
				off = p->btail;
				break;
			}
			if (bhead >= len) {
				off = 0;
				break;
			}
		} else if (bhead - p->btail >= len) { /* wrapped: the gap before the head */
			off = p->btail;
			break;
		}
		pend_pop(p);
	}
	memcpy(p->arena + off, data, len);
	p->e[(p->head + p->count) % PEND_MAX] =
		(struct pend){.ex = ex, .h = *h, .set_id = set_id, .live = 1, .off = off, .len = len};
	p->count++;
	p->btail = off + len;
}

/* A template arrived: decode, in arrival order, the data sets held for it. */
static void pend_release(struct fh_decoder *d, struct fh_exporter *ex, const struct tpl *t,
	const struct fh_rec_sink *sink)
{
	struct fh_tpl_pending *p = d->pending;
	for (unsigned k = 0; k < p->count; k++) {
		struct pend *e = &p->e[(p->head + k) % PEND_MAX];
		if (!e->live || e->ex != ex || e->set_id != t->id || e->h.domain != t->domain)
			continue;
		e->live = 0;
		ex->st.pending_decoded++;
		int rc = decode_set(ex, t, &e->h, p->arena + e->off, e->len, sink);
		if (rc < 0)
			fh_dec_fail(ex, (enum fh_dec_err)-rc);
	}
	while (p->count && !p->e[p->head].live)
		pend_pop(p);
}

unsigned fh_tpl_expire(struct fh_decoder *d, uint64_t now_ms)
{
	struct fh_tpl_pending *p = d->pending;
	unsigned dropped = 0;
	while (p->count && p->e[p->head].h.now_ms + d->cfg.pending_timeout_ms <= now_ms) {
		dropped += p->e[p->head].live;
		pend_pop(p);
	}
	if (d->cfg.template_timeout_ms) {
		for (unsigned i = 0; i < d->cap; i++) {
			struct fh_tpl_cache *c = d->ex[i].used ? d->ex[i].tpl : NULL;
			for (unsigned s = 0; c && s < TPL_SLOTS; s++) {
				struct tpl *t = c->slot[s];
				if (t && t != (struct tpl *)1 &&
					t->last_ms + d->cfg.template_timeout_ms <= now_ms) {
					tpl_free(t);
					c->slot[s] = (struct tpl *)1;
					c->n--;
				}
			}
		}
	}
	return dropped;
}

/* ---- template sets -------------------------------------------------------------------- */

static int install(struct fh_decoder *d, struct fh_exporter *ex, const struct fh_hdr_ctx *h,
	uint16_t id, int options, int v9_scope, const uint16_t *types, const uint16_t *lens,
	unsigned n, unsigned scope_n, const struct fh_rec_sink *sink)
{
	struct fh_tpl_cache *c = cache_of(ex);
	if (!c)
		return -FH_DEC_E_TEMPLATE;
	if (options)
		ex->st.opt_templates++;
	else
		ex->st.templates++;
	struct tpl *old = tpl_get(c, h->domain, id);
	if (old && same_layout(old, options, lens, n, types, scope_n, v9_scope)) {
		old->last_ms = h->now_ms;
		return 0;
	}
	struct tpl *t = compile(h->domain, id, options, v9_scope, types, lens, n, scope_n);
	if (!t)
		return -FH_DEC_E_TEMPLATE;
	if (t->rec_len == 0 && !t->varlen) {
		tpl_free(t);
		return -FH_DEC_E_TEMPLATE;
	}
	t->last_ms = h->now_ms;
	if (old)
		tpl_remove(c, h->domain, id);
	else if (c->n >= TPL_SLOTS / 2) {
		tpl_free(t);
		return -FH_DEC_E_TEMPLATE; /* more templates than any exporter needs */
	}
	struct tpl **s = tpl_find_slot(c, h->domain, id, 1);
	if (!s) {
		tpl_free(t);
		return -FH_DEC_E_TEMPLATE;
	}
	*s = t;
	c->n++;
	pend_release(d, ex, t, sink);
	return 0;
}

int fh_tpl_template_set(struct fh_decoder *d, struct fh_exporter *ex,
	const struct fh_hdr_ctx *h, uint16_t set_id, const uint8_t *p, size_t len,
	const struct fh_rec_sink *sink)
{
	static __thread uint16_t types[TPL_MAX_FIELDS], lens[TPL_MAX_FIELDS];
	int ipfix = h->version == FH_VER_IPFIX;
	int options = ipfix ? set_id == 3 : set_id == 1;
	size_t pos = 0;

	while (len - pos >= 4) {
		uint16_t id = fh_rd16(p + pos);
		unsigned n, scope_n = 0;
		size_t q;
		if (!ipfix && options) {
			if (len - pos < 6)
				break;
			unsigned scope_len = fh_rd16(p + pos + 2), opt_len = fh_rd16(p + pos + 4);
			if (id == 0 && scope_len == 0)
				break; /* padding */
			if (scope_len % 4 || opt_len % 4 || 6 + (size_t)scope_len + opt_len > len - pos)
				return -FH_DEC_E_TEMPLATE;
			scope_n = scope_len / 4;
			n = scope_n + opt_len / 4;
			q = pos + 6;
		} else {
			n = fh_rd16(p + pos + 2);
			q = pos + 4;
			if (options && ipfix) {
				if (n == 0) { /* withdrawal */
					if (!ex->tpl)
						return 0;
					ex->st.withdrawals++;
					if (id == 3)
						tpl_remove_all(ex->tpl, h->domain, 1);
					else
						tpl_remove(ex->tpl, h->domain, id);
					pos = q;
					continue;
				}
				if (len - pos < 6)
					return -FH_DEC_E_TEMPLATE;
				scope_n = fh_rd16(p + pos + 4);
				q = pos + 6;
				if (scope_n == 0 || scope_n > n)
					return -FH_DEC_E_TEMPLATE;
			} else if (n == 0) {
				if (!ipfix) {
					if (id == 0)
						break; /* padding */
					return -FH_DEC_E_TEMPLATE;
				}
				if (ex->tpl) { /* IPFIX withdrawal */
					ex->st.withdrawals++;
					if (id == 2)
						tpl_remove_all(ex->tpl, h->domain, 0);
					else
						tpl_remove(ex->tpl, h->domain, id);
				}
				pos = q;
				continue;
			}
		}
		if (id < 256 || n > TPL_MAX_FIELDS)
			return -FH_DEC_E_TEMPLATE;
		for (unsigned i = 0; i < n; i++) {
			if (len - q < 4)
				return -FH_DEC_E_TEMPLATE;
			uint16_t type = fh_rd16(p + q), flen = fh_rd16(p + q + 2);
			q += 4;
			if (ipfix && (type & 0x8000)) { /* enterprise-specific: skip by length */
				if (len - q < 4)
					return -FH_DEC_E_TEMPLATE;
				q += 4;
				type = 0;
			}
			types[i] = type;
			lens[i] = flen;
		}
		int rc = install(d, ex, h, id, options, options && !ipfix, types, lens, n, scope_n,
			sink);
		if (rc < 0)
			return rc;
		pos = q;
		if (!ipfix && options)
			while (pos % 4 && pos < len)
				pos++; /* v9 options templates are padded to 4 bytes */
	}
	return 0;
}

int fh_tpl_data_set(struct fh_decoder *d, struct fh_exporter *ex, const struct fh_hdr_ctx *h,
	uint16_t set_id, const uint8_t *p, size_t len, const struct fh_rec_sink *sink)
{
	const struct tpl *t = tpl_get(ex->tpl, h->domain, set_id);
	if (!t) {
		pend_push(d->pending, ex, h, set_id, p, len);
		return FH_TPL_HELD;
	}
	return decode_set(ex, t, h, p, len, sink);
}
