/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The analytics engine (see engine.h) and its detectors.
 *
 * Sections: distinct counting (linear counting bitmaps, Whang et al. 1990: 1024 bits a set,
 * accurate to a few percent up to ~2,000 distinct and saturating, as a floor, near 7,000);
 * the host table (a fixed pool, chained hash, the idlest of a few sampled hosts evicted when
 * full, as redis does for LRU); per-host state over tumbling event-time windows; the
 * detectors; alert construction.
 */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/engine.h"

/* ---- distinct counting ---------------------------------------------------------------- */

#define LC_BITS 1024
#define LC_SPARSE 7 /* bit positions held inline before a set takes a bitmap */

/*
 * A set in its sparse form holds the positions of its bits (at most LC_SPARSE, distinct);
 * past that it holds the index of a 128-byte bitmap in the engine's pool. Either way `ones` is
 * the number of bits set, so the estimate is the same as with a bitmap from the start: a
 * host that talks to a handful of peers costs 16 bytes a set, not 130.
 */
struct lc {
	uint16_t ones;
	uint16_t pos[LC_SPARSE]; /* ones > LC_SPARSE: pos[1..2] hold the bitmap's pool index */
};

static inline uint32_t lc_bm(const struct lc *l)
{
	uint32_t i;
	memcpy(&i, &l->pos[1], sizeof(i));
	return i;
}

struct lc_pool {
	uint8_t (*bm)[LC_BITS / 8];
	uint32_t cap, used, free_head; /* used: handed out from the top; freed ones are listed
					 * through their first 4 bytes */
};

/* The estimate for each number of bits set: -m ln(zeros / m), the floor when saturated. */
static uint32_t lc_tab[LC_BITS + 1];

static uint32_t bm_alloc(struct lc_pool *p)
{
	uint32_t i;
	if (p->free_head != UINT32_MAX) {
		i = p->free_head;
		memcpy(&p->free_head, p->bm[i], sizeof(p->free_head));
		memset(p->bm[i], 0, sizeof(p->bm[i]));
	} else {
		i = p->used++; /* fresh from calloc: zero, and not resident until touched */
	}
	return i;
}

static inline int lc_add(struct lc_pool *p, struct lc *l, uint64_t h)
{
	unsigned i = (unsigned)(h % LC_BITS);
	if (l->ones > LC_SPARSE) {
		uint8_t *b = p->bm[lc_bm(l)], bit = (uint8_t)(1u << (i % 8));
		if (b[i / 8] & bit)
			return 0;
		b[i / 8] |= bit;
		l->ones++;
		return 1;
	}
	for (unsigned k = 0; k < l->ones; k++)
		if (l->pos[k] == i)
			return 0;
	if (l->ones < LC_SPARSE) {
		l->pos[l->ones++] = (uint16_t)i;
		return 1;
	}
	uint32_t bi = bm_alloc(p); /* the pool has a bitmap for every set: never fails */
	uint8_t *b = p->bm[bi];
	for (unsigned k = 0; k < LC_SPARSE; k++)
		b[l->pos[k] / 8] |= (uint8_t)(1u << (l->pos[k] % 8));
	b[i / 8] |= (uint8_t)(1u << (i % 8));
	memcpy(&l->pos[1], &bi, sizeof(bi));
	l->ones++;
	return 1;
}

static inline void lc_reset(struct lc_pool *p, struct lc *l)
{
	if (l->ones > LC_SPARSE) {
		uint32_t i = lc_bm(l);
		memcpy(p->bm[i], &p->free_head, sizeof(p->free_head));
		p->free_head = i;
	}
	l->ones = 0;
}

static inline uint32_t lc_count(const struct lc *l)
{
	return lc_tab[l->ones];
}

/* The worm table's sets: always a bitmap (64 of them per engine). */
struct lc_dense {
	uint8_t b[LC_BITS / 8];
	uint16_t ones;
};

static inline void lcd_add(struct lc_dense *l, uint64_t h)
{
	unsigned i = (unsigned)(h % LC_BITS);
	uint8_t bit = (uint8_t)(1u << (i % 8));
	l->ones += !(l->b[i / 8] & bit);
	l->b[i / 8] |= bit;
}

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static inline uint64_t h64_fin(uint64_t h)
{
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h;
}

/* The FNV state after the 12 bytes of the IPv4-mapped prefix (seed 1): an IPv4 address then
 * costs 4 steps instead of 16, with the same result. */
static uint64_t v4_state;
static const uint8_t v4_pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static void tables_init(void)
{
	for (unsigned ones = 0; ones <= LC_BITS; ones++) {
		unsigned zeros = LC_BITS - ones;
		if (zeros == 0)
			zeros = 1; /* saturated: report the floor */
		lc_tab[ones] = (uint32_t)(-(double)LC_BITS * log((double)zeros / LC_BITS) + 0.5);
	}
	uint64_t h = FNV_BASIS ^ 1;
	for (size_t i = 0; i < sizeof(v4_pfx); i++)
		h = (h ^ v4_pfx[i]) * FNV_PRIME;
	v4_state = h;
}

static inline uint64_t ip_h(const struct fh_ip *ip)
{
	const uint8_t *b = ip->a;
	size_t i = 0;
	uint64_t h = FNV_BASIS ^ 1;
	if (!memcmp(b, v4_pfx, sizeof(v4_pfx))) {
		h = v4_state;
		i = sizeof(v4_pfx);
	}
	for (; i < 16; i++)
		h = (h ^ b[i]) * FNV_PRIME;
	return h64_fin(h);
}

/* ---- types ---------------------------------------------------------------------------- */

#define NIL UINT32_MAX
#define SLOTS 2

struct port_slot { /* horizontal scan: one source, one port, many hosts */
	uint64_t first;
	uint16_t port;
	uint8_t proto, used;
	uint32_t flows, failed;
	struct lc dsts;
};

struct dst_slot { /* vertical scan: one source, one host, many ports */
	struct fh_ip dst;
	uint32_t flows, failed;
	uint64_t first;
	struct lc ports;
	uint8_t used;
};

/*
 * Ordered by use: the first cache line is what every event reads (the lookup, the windows,
 * the source's counters), then what most of a source's events touch (first contacts, the
 * scan slots, the long flow), then the victim's flood counters, and last the state of the
 * detectors that only some ports reach.
 */
struct host {
	struct fh_ip ip;
	uint32_t next; /* hash chain */
	uint32_t flows, failed; /* as a source, this window */
	uint8_t trw_scanner;
	uint8_t fast_scanner; /* a horizontal scan fired: the slow detector stays quiet */
	uint8_t bt_port, p2p_tcp, p2p_udp;
	uint64_t last_seen;
	uint64_t win_start; /* the source's window */
	uint64_t vwin_start; /* the victim's flood window */
	/* a source's first contacts and scan slots */
	double trw; /* log likelihood ratio, first contacts */
	struct lc contacted;
	struct port_slot hp[SLOTS];
	struct dst_slot vp[SLOTS];
	struct { /* the longest current web/ssh flow */
		struct fh_ip dst;
		uint16_t port;
		uint64_t first, last, bytes, pkts;
	} lf;
	/* as a destination (victim), per flood window */
	uint64_t syn_pkts, synack_pkts, udp_pkts, icmp_pkts, vfirst;
	uint32_t vflows;
	struct lc flood_srcs, flood_ports;
	struct fh_ip flood_src1;
	/* port-specific detectors */
	uint64_t slow_start;
	uint32_t slow_failed;
	struct lc slow_dsts;
	uint64_t dns_q, dns_bytes, dns_first;
	uint32_t dns_answers; /* DNS answers this host sent in the window: it is a resolver */
	uint32_t dns_flows, dns_port_changes; /* its query flows; how many from another port */
	uint16_t dns_last_sport;
	struct fh_ip dns_server;
	struct lc resolver_clients;
	uint64_t resolver_first;
	struct lc smtp_dsts;
	uint64_t smtp_first;
	float smtp_ewma; /* a mail server's SMTP fan-out per window (windows it sent mail in) */
	uint16_t smtp_windows;
	struct lc p2p_peers;
	uint64_t p2p_first;
} __attribute__((aligned(64)));

/* The cache lines of a host that a source's events touch: up to the long flow. */
#define SRC_LINES ((offsetof(struct host, lf) + sizeof(((struct host *)0)->lf) + 63) / 64)

#define RESOLVER_ANSWERS 10 /* DNS answers in a window that make a host a resolver */
#define RESOLVER_QUERY_BYTES 150 /* a resolver's queries average less (IP bytes) */

#define HOST_SETS 11 /* struct lc in a host: the bitmap pool has room for all of them */

struct worm_port {
	uint16_t port;
	uint8_t used;
	uint64_t first;
	struct lc_dense scanners;
};

struct fh_analytics {
	struct fh_analytics_cfg cfg;
	struct fh_alert_table *alerts;
	struct host *hosts;
	uint32_t *buckets, bmask, n_hosts, cap;
	uint64_t rng;
	struct lc_pool pool;
	struct worm_port worm[64];
	struct fh_analytics_stats st;
};

/* ---- host table ----------------------------------------------------------------------- */

static void host_unlink(struct fh_analytics *a, uint32_t idx)
{
	uint32_t *pp = &a->buckets[(uint32_t)ip_h(&a->hosts[idx].ip) & a->bmask];
	while (*pp != idx)
		pp = &a->hosts[*pp].next;
	*pp = a->hosts[idx].next;
}

/* Return an evicted host's bitmaps to the pool. */
static void host_release(struct fh_analytics *a, struct host *h)
{
	struct lc *sets[HOST_SETS] = {&h->contacted, &h->hp[0].dsts, &h->hp[1].dsts,
		&h->vp[0].ports, &h->vp[1].ports, &h->flood_srcs, &h->flood_ports, &h->slow_dsts,
		&h->resolver_clients, &h->smtp_dsts, &h->p2p_peers};
	for (int i = 0; i < HOST_SETS; i++)
		lc_reset(&a->pool, sets[i]);
}

static inline uint32_t host_find(const struct fh_analytics *a, const struct fh_ip *ip,
	uint64_t hash)
{
	uint32_t i = a->buckets[(uint32_t)hash & a->bmask];
	while (i != NIL && !fh_ip_eq(&a->hosts[i].ip, ip))
		i = a->hosts[i].next;
	return i;
}

/* Start loading a host's first `lines` cache lines: called for both hosts of an event
 * before either is used, so that their misses overlap instead of following each other. */
static inline void host_prefetch(const struct fh_analytics *a, uint64_t hash, unsigned lines)
{
	uint32_t i = a->buckets[(uint32_t)hash & a->bmask];
	if (i == NIL)
		return;
	const char *p = (const char *)&a->hosts[i];
	for (unsigned k = 0; k < lines; k++)
		__builtin_prefetch(p + 64 * k, 1);
}

static struct host *host_get(struct fh_analytics *a, const struct fh_ip *ip, uint64_t hash,
	uint64_t t)
{
	uint32_t idx = host_find(a, ip, hash);
	if (idx != NIL) {
		struct host *h = &a->hosts[idx];
		if (t > h->last_seen)
			h->last_seen = t;
		return h;
	}
	if (a->n_hosts < a->cap) {
		idx = a->n_hosts++; /* the pool is taken in order: untouched pages stay unmapped */
	} else {
		/* full: evict the idlest of 8 sampled hosts */
		for (int k = 0; k < 8; k++) {
			a->rng = a->rng * 6364136223846793005ull + 1442695040888963407ull;
			uint32_t c = (uint32_t)(a->rng >> 33) % a->cap;
			if (idx == NIL || a->hosts[c].last_seen < a->hosts[idx].last_seen)
				idx = c;
		}
		host_unlink(a, idx);
		host_release(a, &a->hosts[idx]);
		a->st.evictions++;
	}
	struct host *h = &a->hosts[idx];
	memset(h, 0, sizeof(*h));
	h->ip = *ip;
	h->last_seen = t;
	uint32_t b = (uint32_t)hash & a->bmask;
	h->next = a->buckets[b];
	a->buckets[b] = idx;
	a->st.hosts = a->n_hosts;
	return h;
}

/* ---- alerts --------------------------------------------------------------------------- */

static int inside(const struct fh_analytics *a, const struct fh_ip *ip)
{
	return a->cfg.home_net && a->cfg.home_net->n && fh_cidr_match(a->cfg.home_net, ip);
}

static int allowed(const struct fh_cidr_list *l, const struct fh_ip *ip)
{
	return l && l->n && fh_cidr_match(l, ip);
}

static void raise_alert(struct fh_analytics *a, uint8_t type, uint8_t sev,
	const struct fh_ip *src, const struct fh_ip *dst, int port, uint8_t proto, uint64_t first,
	uint64_t t, uint64_t flows, uint64_t pkts, uint64_t bytes, uint64_t targets,
	const struct fh_ip *exporter, const char *list, const char *evidence)
{
	if (a->cfg.detect.suppress & (1u << type))
		return; /* detect.suppress */
	struct fh_alert al;
	memset(&al, 0, sizeof(al));
	al.type = type;
	al.severity = sev;
	al.src = *src;
	if (dst) {
		al.dst = *dst;
		al.has_dst = true;
	}
	if (port >= 0) {
		al.port = (uint16_t)port;
		al.has_port = true;
	}
	al.proto = proto;
	if (list)
		snprintf(al.list, sizeof(al.list), "%s", list);
	al.first_seen = first ? first : t;
	al.last_seen = t;
	al.detected_at = t;
	al.flows = flows;
	al.packets = pkts;
	al.bytes = bytes;
	al.targets = targets;
	if (exporter && !fh_ip_is_zero(exporter))
		fh_alert_add_exporter(&al, exporter);
	snprintf(al.evidence, sizeof(al.evidence), "%s", evidence);
	fh_alert_make_id(&al);
	fh_alert_raise(a->alerts, &al);
}

/* ---- detectors: the source's view ----------------------------------------------------- */

#define LN4 1.3862943611198906 /* failure: (1 - theta1) / (1 - theta0) = 0.8 / 0.2 */
#define LNQ (-1.3862943611198906) /* success: theta1 / theta0 = 0.2 / 0.8 */
#define ETA1 4.59511985013459 /* ln(PD / PF) = ln(0.99 / 0.01) */
#define ETA0 (-4.59511985013459) /* ln((1 - PD) / (1 - PF)) */

static int is_failed(const struct fh_flow_rec *r)
{
	if (r->proto == 6)
		return (r->tcp_flags & 0x02) && !(r->tcp_flags & 0x10);
	if (r->proto == 17) /* a lone small datagram: a probe (a reply would be its own flow) */
		return r->packets <= 2 && r->bytes <= 100 * r->packets;
	return 0;
}

static void roll_src_window(struct fh_analytics *a, struct host *h, uint64_t t)
{
	if (t < h->win_start + a->cfg.detect.window_ms)
		return;
	struct lc_pool *p = &a->pool;
	h->win_start = t;
	h->flows = h->failed = 0;
	for (int i = 0; i < SLOTS; i++) {
		lc_reset(p, &h->hp[i].dsts);
		lc_reset(p, &h->vp[i].ports);
	}
	memset(h->hp, 0, sizeof(h->hp));
	memset(h->vp, 0, sizeof(h->vp));
	h->dns_q = h->dns_bytes = 0;
	h->dns_answers = h->dns_flows = h->dns_port_changes = 0;
	lc_reset(p, &h->resolver_clients);
	if (h->smtp_first) { /* the baseline: an EWMA (alpha 0.2) over the windows with mail */
		float n = (float)lc_count(&h->smtp_dsts);
		h->smtp_ewma = h->smtp_windows ? 0.2f * n + 0.8f * h->smtp_ewma : n;
		if (h->smtp_windows < UINT16_MAX)
			h->smtp_windows++;
		h->smtp_first = 0;
	}
	lc_reset(p, &h->smtp_dsts);
	lc_reset(p, &h->p2p_peers);
	h->bt_port = h->p2p_tcp = h->p2p_udp = 0;
	if (t >= h->slow_start + a->cfg.detect.scan_slow_window_ms) {
		h->slow_start = t;
		h->fast_scanner = 0;
		h->slow_failed = 0;
		lc_reset(p, &h->slow_dsts);
	}
}

static struct port_slot *port_slot(struct lc_pool *p, struct host *h, uint16_t port,
	uint8_t proto, uint64_t t)
{
	struct port_slot *victim = &h->hp[0];
	for (int i = 0; i < SLOTS; i++) {
		if (h->hp[i].used && h->hp[i].port == port && h->hp[i].proto == proto)
			return &h->hp[i];
		if (!h->hp[i].used || h->hp[i].failed < victim->failed)
			victim = &h->hp[i];
	}
	lc_reset(p, &victim->dsts);
	memset(victim, 0, sizeof(*victim));
	victim->used = 1;
	victim->port = port;
	victim->proto = proto;
	victim->first = t;
	return victim;
}

static struct dst_slot *dst_slot(struct lc_pool *p, struct host *h, const struct fh_ip *dst,
	uint64_t t)
{
	struct dst_slot *victim = &h->vp[0];
	for (int i = 0; i < SLOTS; i++) {
		if (h->vp[i].used && fh_ip_eq(&h->vp[i].dst, dst))
			return &h->vp[i];
		if (!h->vp[i].used || h->vp[i].failed < victim->failed)
			victim = &h->vp[i];
	}
	lc_reset(p, &victim->ports);
	memset(victim, 0, sizeof(*victim));
	victim->used = 1;
	victim->dst = *dst;
	victim->first = t;
	return victim;
}

static void worm_note(struct fh_analytics *a, uint64_t src_h, uint16_t port, uint8_t proto,
	uint64_t t, const struct fh_ip *exporter)
{
	struct worm_port *w = NULL;
	for (int i = 0; i < 64; i++)
		if (a->worm[i].used && a->worm[i].port == port) {
			w = &a->worm[i];
			break;
		}
	if (!w) {
		w = &a->worm[port % 64];
		memset(w, 0, sizeof(*w));
		w->used = 1;
		w->port = port;
		w->first = t;
	}
	lcd_add(&w->scanners, src_h);
	uint32_t n = lc_tab[w->scanners.ones];
	if (n >= a->cfg.detect.worm_sources) {
		char ev[160];
		snprintf(ev, sizeof(ev), "{\"scanning_sources\":%u,\"port\":%u}", n, port);
		struct fh_ip any = {{0}};
		raise_alert(a, FH_ALERT_WORM, FH_SEV_CRITICAL, &any, NULL, port, proto, w->first, t,
			n, 0, 0, n, exporter, NULL, ev);
	}
}

/* The thresholds for a host: its network's (detect.net, the longest match) or the global. */
static const struct fh_detect_cfg *detect_for(const struct fh_analytics *a, const struct fh_ip *ip)
{
	const struct fh_detect_cfg *c = &a->cfg.detect;
	unsigned best = 0;
	for (unsigned i = 0; i < a->cfg.n_nets; i++) {
		const struct fh_detect_override *o = &a->cfg.nets[i];
		if (o->plen128 >= best && fh_ip_in_prefix(ip, &o->net, o->plen128)) {
			c = &o->d;
			best = o->plen128 + 1;
		}
	}
	return c;
}

static void src_view(struct fh_analytics *a, const struct fh_flow_rec *r, uint64_t m,
	uint64_t sh, uint64_t dh)
{
	const struct fh_detect_cfg *c = a->cfg.n_nets ? detect_for(a, &r->src) : &a->cfg.detect;
	uint64_t t = r->last_ms;
	struct host *h = host_get(a, &r->src, sh, t);
	roll_src_window(a, h, t);
	uint64_t pk = r->packets * m, by = r->bytes * m;
	int failed = is_failed(r);
	h->flows++;
	h->failed += (uint32_t)failed;
	char ev[FH_ALERT_EVIDENCE];

	/* first contacts: Threshold Random Walk (Jung et al. 2004) */
	struct lc_pool *p = &a->pool;
	if ((r->proto == 6 || r->proto == 17) && lc_add(p, &h->contacted, dh)) {
		if (r->proto == 6 && (failed || (r->tcp_flags & 0x10))) {
			h->trw += failed ? LN4 : LNQ;
			if (h->trw >= ETA1)
				h->trw_scanner = 1;
			else if (h->trw <= ETA0)
				h->trw = 0; /* benign so far: keep watching from scratch */
		}
	}

	int allow_scan = allowed(a->cfg.allow_scanners, &r->src);
	if ((r->proto == 6 || r->proto == 17) && !allow_scan) {
		/* horizontal: one port, many hosts */
		struct port_slot *ps = port_slot(p, h, r->dport, r->proto, t);
		ps->flows++;
		ps->failed += (uint32_t)failed;
		if (failed)
			lc_add(p, &ps->dsts, dh);
		uint32_t nd = lc_count(&ps->dsts);
		if (ps->failed >= 5 && ps->failed >= c->scan_fail_ratio * ps->flows &&
			(nd >= c->scan_h_targets || (h->trw_scanner && nd >= 5))) {
			snprintf(ev, sizeof(ev),
				"{\"distinct_targets\":%u,\"failed_flows\":%u,\"flows\":%u,"
				"\"trw_scanner\":%s,\"window_s\":%llu}",
				nd, ps->failed, ps->flows, h->trw_scanner ? "true" : "false",
				(unsigned long long)(c->window_ms / 1000));
			raise_alert(a, FH_ALERT_SCAN_HORIZONTAL,
				nd >= 10 * c->scan_h_targets ? FH_SEV_HIGH : FH_SEV_MEDIUM, &r->src,
				NULL, ps->port, ps->proto, ps->first, t, ps->flows, pk, by, nd,
				&r->exporter, NULL, ev);
			worm_note(a, sh, ps->port, ps->proto, t, &r->exporter);
			h->fast_scanner = 1;
		}
		/* vertical: one host, many ports */
		struct dst_slot *vs = dst_slot(p, h, &r->dst, t);
		vs->flows++;
		vs->failed += (uint32_t)failed;
		lc_add(p, &vs->ports, (uint64_t)r->dport * 0x9e3779b97f4a7c15ull + r->proto);
		uint32_t np = lc_count(&vs->ports);
		if (np >= c->scan_v_ports && vs->failed >= c->scan_fail_ratio * vs->flows) {
			snprintf(ev, sizeof(ev),
				"{\"distinct_ports\":%u,\"failed_flows\":%u,\"flows\":%u,\"window_s\":%llu}",
				np, vs->failed, vs->flows, (unsigned long long)(c->window_ms / 1000));
			raise_alert(a, FH_ALERT_SCAN_VERTICAL,
				np >= 1000 ? FH_SEV_HIGH : FH_SEV_MEDIUM, &r->src, &vs->dst, -1,
				r->proto, vs->first, t, vs->flows, pk, by, np, &r->exporter, NULL, ev);
		}
		/* slow: the same over a long window, far fewer targets a minute */
		if (failed) {
			lc_add(p, &h->slow_dsts, dh);
			h->slow_failed++;
			uint32_t ns = lc_count(&h->slow_dsts);
			if (ns >= c->scan_slow_targets && h->slow_failed >= ns / 2 &&
				t - h->slow_start > c->window_ms && !h->fast_scanner) {
				snprintf(ev, sizeof(ev),
					"{\"distinct_targets\":%u,\"failed_flows\":%u,\"window_s\":%llu}",
					ns, h->slow_failed,
					(unsigned long long)(c->scan_slow_window_ms / 1000));
				raise_alert(a, FH_ALERT_SCAN_SLOW, FH_SEV_MEDIUM, &r->src, NULL, -1,
					r->proto, h->slow_start, t, h->slow_failed, 0, 0, ns,
					&r->exporter, NULL, ev);
			}
		}
	}

	/* DNS: tunnels (a client's volume) and open resolvers (an inside server's clients) */
	if (r->dport == 53 && (r->proto == 17 || r->proto == 6) &&
		!allowed(a->cfg.allow_resolvers, &r->src)) {
		if (!h->dns_q)
			h->dns_first = r->first_ms;
		h->dns_q += pk;
		h->dns_bytes += by;
		h->dns_server = r->dst;
		h->dns_port_changes += h->dns_flows++ && r->sport != h->dns_last_sport;
		h->dns_last_sport = r->sport;
		/* A resolver forwarding its clients' lookups sends many queries to one upstream,
		 * with EDNS0 as large as a slow tunnel's (around 100 bytes), but each from a
		 * random source port (RFC 5452), and it answers DNS itself; a tunnel client
		 * (iodine, dnscat2) keeps one socket, and a script that sends each chunk with a
		 * new process (random ports) sends long names (150 bytes and more). */
		int resolver = h->dns_answers >= RESOLVER_ANSWERS ||
			       (h->dns_flows >= 4 && h->dns_port_changes * 2 >= h->dns_flows &&
				h->dns_bytes < RESOLVER_QUERY_BYTES * h->dns_q);
		if (h->dns_q >= c->dns_tunnel_queries && !resolver &&
			h->dns_bytes >= (uint64_t)c->dns_tunnel_avg_bytes * h->dns_q) {
			snprintf(ev, sizeof(ev),
				"{\"queries\":%llu,\"query_bytes\":%llu,\"avg_query_bytes\":%llu,"
				"\"window_s\":%llu}",
				(unsigned long long)h->dns_q, (unsigned long long)h->dns_bytes,
				(unsigned long long)(h->dns_bytes / h->dns_q),
				(unsigned long long)(c->window_ms / 1000));
			raise_alert(a, FH_ALERT_DNS_TUNNEL, FH_SEV_HIGH, &r->src, &h->dns_server,
				53, r->proto, h->dns_first, t, h->dns_q, h->dns_q, h->dns_bytes, 1,
				&r->exporter, NULL, ev);
		}
	}
	if (r->sport == 53 && r->proto == 17)
		h->dns_answers++;
	if (r->sport == 53 && r->proto == 17 && inside(a, &r->src) && !inside(a, &r->dst) &&
		!allowed(a->cfg.allow_resolvers, &r->src)) {
		if (!h->resolver_first)
			h->resolver_first = r->first_ms;
		lc_add(p, &h->resolver_clients, dh);
		uint32_t n = lc_count(&h->resolver_clients);
		if (n >= c->resolver_clients) {
			snprintf(ev, sizeof(ev), "{\"outside_clients\":%u,\"window_s\":%llu}", n,
				(unsigned long long)(c->window_ms / 1000));
			raise_alert(a, FH_ALERT_DNS_OPEN_RESOLVER, FH_SEV_MEDIUM, &r->src, NULL, 53,
				17, h->resolver_first, t, n, pk, by, n, &r->exporter, NULL, ev);
		}
	}

	/* spam: an inside host (not a mail server) speaking SMTP to many outside hosts, or a
	 * mail server whose SMTP fan-out jumps far above its own baseline */
	if (r->dport == 25 && r->proto == 6 && !inside(a, &r->dst) &&
		(!a->cfg.home_net || !a->cfg.home_net->n || inside(a, &r->src))) {
		int mail = allowed(a->cfg.allow_mail, &r->src);
		if (!h->smtp_first)
			h->smtp_first = r->first_ms;
		lc_add(p, &h->smtp_dsts, dh);
		uint32_t n = lc_count(&h->smtp_dsts);
		double base = h->smtp_ewma;
		if (!mail && n >= c->spam_targets) {
			snprintf(ev, sizeof(ev), "{\"smtp_servers\":%u,\"window_s\":%llu}", n,
				(unsigned long long)(c->window_ms / 1000));
			raise_alert(a, FH_ALERT_SPAM_SMTP, FH_SEV_HIGH, &r->src, NULL, 25, 6,
				h->smtp_first, t, n, pk, by, n, &r->exporter, NULL, ev);
		} else if (mail && h->smtp_windows >= c->mail_warmup && n >= c->spam_targets &&
			   n >= c->mail_jump * (base > 1 ? base : 1)) {
			snprintf(ev, sizeof(ev), "{\"smtp_servers\":%u,\"baseline\":%.1f,"
				"\"baseline_windows\":%u,\"window_s\":%llu,\"mail_server\":true}",
				n, base, h->smtp_windows, (unsigned long long)(c->window_ms / 1000));
			raise_alert(a, FH_ALERT_SPAM_SMTP, FH_SEV_HIGH, &r->src, NULL, 25, 6,
				h->smtp_first, t, n, pk, by, n, &r->exporter, NULL, ev);
		}
	}

	/* BitTorrent: high ports on both sides to several peers, TCP and UDP or the BT ports */
	if (r->sport >= 1024 && r->dport >= 1024 && (r->proto == 6 || r->proto == 17)) {
		static const uint16_t bt[] = {6881, 6882, 6883, 6884, 6885, 6886, 6887, 6888, 6889,
			6969, 51413};
		if (!h->p2p_first)
			h->p2p_first = r->first_ms;
		lc_add(p, &h->p2p_peers, dh);
		h->p2p_tcp |= r->proto == 6;
		h->p2p_udp |= r->proto == 17;
		for (size_t i = 0; i < sizeof(bt) / sizeof(bt[0]); i++)
			if (r->dport == bt[i] || r->sport == bt[i])
				h->bt_port = 1;
		uint32_t n = lc_count(&h->p2p_peers);
		if ((h->bt_port && n >= c->p2p_peers) ||
			(h->p2p_tcp && h->p2p_udp && n >= 10 * c->p2p_peers)) {
			snprintf(ev, sizeof(ev),
				"{\"peers\":%u,\"bittorrent_port\":%s,\"tcp_and_udp\":%s}", n,
				h->bt_port ? "true" : "false",
				h->p2p_tcp && h->p2p_udp ? "true" : "false");
			raise_alert(a, FH_ALERT_P2P_BITTORRENT, FH_SEV_LOW, &r->src, NULL, -1, 0,
				h->p2p_first, t, n, pk, by, n, &r->exporter, NULL, ev);
		}
	}

	/* long flows: HTTP(S) tunnels (long, thin) and SSH bulk transfers (long, heavy) */
	if (r->proto == 6 && (r->dport == 80 || r->dport == 443 || r->dport == 8080 ||
				     r->dport == 22)) {
		int same = h->lf.port == r->dport && fh_ip_eq(&h->lf.dst, &r->dst);
		/* a report of the same flow continues it; a gap of 5 minutes starts a new one */
		if (same && (r->first_ms > h->lf.last + 300000 || r->last_ms + 300000 < h->lf.first))
			same = 0, h->lf.last = h->lf.first; /* make the slot replaceable */
		if (!same) {
			if (h->lf.last - h->lf.first < 60000 || r->first_ms > h->lf.last + 300000) {
				h->lf.dst = r->dst;
				h->lf.port = r->dport;
				h->lf.first = r->first_ms;
				h->lf.last = r->last_ms;
				h->lf.bytes = h->lf.pkts = 0;
			}
		}
		if (h->lf.port == r->dport && fh_ip_eq(&h->lf.dst, &r->dst)) {
			if (r->last_ms > h->lf.last)
				h->lf.last = r->last_ms;
			h->lf.bytes += by;
			h->lf.pkts += pk;
			uint64_t dur = h->lf.last - h->lf.first;
			if (r->dport != 22 && dur >= c->tunnel_http_ms &&
				h->lf.bytes * 1000 <= (uint64_t)c->tunnel_http_bps * dur) {
				snprintf(ev, sizeof(ev),
					"{\"duration_s\":%llu,\"bytes\":%llu,\"bytes_per_s\":%.1f}",
					(unsigned long long)(dur / 1000),
					(unsigned long long)h->lf.bytes, h->lf.bytes * 1000.0 / dur);
				raise_alert(a, FH_ALERT_TUNNEL_HTTP, FH_SEV_MEDIUM, &r->src, &h->lf.dst,
					h->lf.port, 6, h->lf.first, t, 1, h->lf.pkts, h->lf.bytes, 1,
					&r->exporter, NULL, ev);
			}
			if (r->dport == 22 && dur >= c->tunnel_ssh_ms &&
				h->lf.bytes >= c->tunnel_ssh_bytes && h->lf.pkts &&
				h->lf.bytes / h->lf.pkts >= 500) {
				snprintf(ev, sizeof(ev),
					"{\"duration_s\":%llu,\"bytes\":%llu,\"bytes_per_packet\":%llu}",
					(unsigned long long)(dur / 1000),
					(unsigned long long)h->lf.bytes,
					(unsigned long long)(h->lf.bytes / h->lf.pkts));
				raise_alert(a, FH_ALERT_TUNNEL_SSH, FH_SEV_MEDIUM, &r->src, &h->lf.dst,
					22, 6, h->lf.first, t, 1, h->lf.pkts, h->lf.bytes, 1,
					&r->exporter, NULL, ev);
			}
		}
	}

	/* blocklists: either side listed; the other side is the alert's source */
	struct fh_blocklist_match bm;
	if (a->cfg.blocklists) {
		const struct fh_ip *listed = NULL, *other = NULL;
		if (fh_blocklist_lookup(a->cfg.blocklists, &r->dst, &bm)) {
			listed = &r->dst;
			other = &r->src;
		} else if (fh_blocklist_lookup(a->cfg.blocklists, &r->src, &bm)) {
			listed = &r->src;
			other = &r->dst;
		}
		if (listed) {
			char net[FH_IP_STRLEN];
			int v4 = fh_ip_is_v4(&bm.net) && bm.plen128 >= 96;
			snprintf(ev, sizeof(ev),
				"{\"list\":\"%s\",\"entry\":\"%s/%u\",\"note\":\"%s\",\"port\":%u}",
				bm.list, fh_ip_fmt(&bm.net, net, sizeof(net)),
				v4 ? bm.plen128 - 96 : bm.plen128, bm.note,
				listed == &r->dst ? r->dport : r->sport);
			raise_alert(a, FH_ALERT_BLOCKLIST, FH_SEV_HIGH, other, listed, -1, 0,
				r->first_ms, t, 1, pk, by, 1, &r->exporter, bm.list, ev);
		}
	}
}

/* ---- detectors: the victim's view ----------------------------------------------------- */

#define FLOOD_WINDOW_MS 10000

static void dst_view(struct fh_analytics *a, const struct fh_flow_rec *r, uint64_t m,
	uint64_t sh, uint64_t dh)
{
	const struct fh_detect_cfg *c = a->cfg.n_nets ? detect_for(a, &r->dst) : &a->cfg.detect;
	uint64_t t = r->last_ms;
	struct host *h = host_get(a, &r->dst, dh, t);
	if (t >= h->vwin_start + FLOOD_WINDOW_MS) {
		h->vwin_start = t;
		h->vfirst = r->first_ms;
		h->syn_pkts = h->synack_pkts = h->udp_pkts = h->icmp_pkts = 0;
		h->vflows = 0;
		lc_reset(&a->pool, &h->flood_srcs);
		lc_reset(&a->pool, &h->flood_ports);
		h->flood_src1 = r->src;
	}
	uint64_t pk = r->packets * m;
	uint8_t type = 0;
	uint64_t *ctr = NULL;
	if (r->proto == 6 && (r->tcp_flags & 0x02)) {
		ctr = (r->tcp_flags & 0x10) ? &h->synack_pkts : &h->syn_pkts;
		if ((r->tcp_flags & 0x10) && (r->tcp_flags & 0x08))
			ctr = NULL; /* data: a real connection, not a flood of handshakes */
		type = FH_ALERT_FLOOD_SYN;
	} else if (r->proto == 17) {
		ctr = &h->udp_pkts;
		type = FH_ALERT_FLOOD_UDP;
	} else if (r->proto == 1 || r->proto == 58) {
		ctr = &h->icmp_pkts;
		type = FH_ALERT_FLOOD_ICMP;
	}
	if (!ctr)
		return;
	*ctr += pk;
	h->vflows++;
	lc_add(&a->pool, &h->flood_srcs, sh);
	lc_add(&a->pool, &h->flood_ports, (uint64_t)r->dport * 0x9e3779b97f4a7c15ull);
	uint64_t span = t > h->vfirst ? t - h->vfirst : 0;
	if (r->last_ms - r->first_ms > span) /* one long flow: its packets were spread out */
		span = r->last_ms - r->first_ms;
	if (span < 1000)
		span = 1000;
	uint64_t pps = *ctr * 1000 / span;
	uint32_t ns = lc_count(&h->flood_srcs);
	/* many sources, or (early in a window) a new source for most flows */
	int spoofed = ns >= c->flood_sources || (ns >= 10 && ns * 2 >= h->vflows);
	/* a fast scan from one host hits many ports; a flood hits few, or comes from many; one
	 * heavy stream (a video, a download) is a single flow, a flood tool makes many */
	if (*ctr >= c->flood_pps && pps >= c->flood_pps && h->vflows >= 8 &&
		(spoofed || lc_count(&h->flood_ports) <= 16)) {
		char ev[256];
		snprintf(ev, sizeof(ev),
			"{\"packets_per_s\":%llu,\"packets\":%llu,\"distinct_sources\":%u,"
			"\"spoofed\":%s,\"kind\":\"%s\"}",
			(unsigned long long)pps, (unsigned long long)*ctr, ns,
			spoofed ? "true" : "false",
			ctr == &h->synack_pkts ? "syn-ack reflection" : ctr == &h->syn_pkts ? "syn"
			: ctr == &h->udp_pkts				       ? "udp"
									       : "icmp");
		struct fh_ip any = {{0}};
		if (fh_ip_is_v4(&r->dst))
			any.a[10] = any.a[11] = 0xff; /* 0.0.0.0: many sources */
		raise_alert(a, type, pps >= 10 * c->flood_pps ? FH_SEV_CRITICAL : FH_SEV_HIGH,
			spoofed ? &any : &h->flood_src1, &r->dst, -1, r->proto, h->vfirst, t, ns, *ctr,
			0, 1, &r->exporter, NULL, ev);
	}
}

/* ---- API ------------------------------------------------------------------------------ */

struct fh_analytics *fh_analytics_new(const struct fh_analytics_cfg *cfg,
	struct fh_alert_sink **sinks, unsigned n_sinks)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, tables_init);
	struct fh_analytics *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->cfg = *cfg;
	if (!a->cfg.detect.window_ms)
		fh_detect_defaults(&a->cfg.detect);
	a->cap = a->cfg.detect.hosts ? a->cfg.detect.hosts : 16384;
	uint32_t nb = 16;
	while (nb < a->cap)
		nb <<= 1;
	a->bmask = nb - 1;
	/* Both pools are reserved at their full size and filled in order: a page costs memory
	 * when a host or a bitmap first lands on it. Hosts are cleared as they are taken. */
	if (a->cap > (UINT32_MAX - 1) / HOST_SETS) {
		free(a);
		return NULL;
	}
	a->hosts = aligned_alloc(64, (size_t)a->cap * sizeof(*a->hosts));
	a->pool.cap = a->cap * HOST_SETS;
	a->pool.bm = calloc(a->pool.cap, sizeof(*a->pool.bm));
	a->pool.free_head = NIL;
	a->buckets = malloc(nb * sizeof(*a->buckets));
	a->alerts = fh_alert_table_new(&a->cfg.alerts, sinks, n_sinks);
	if (!a->hosts || !a->pool.bm || !a->buckets || !a->alerts) {
		fh_analytics_free(a);
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		a->buckets[i] = NIL;
	a->rng = 0x853c49e6748fea9bull;
	return a;
}

void fh_analytics_reconfigure(struct fh_analytics *a, const struct fh_analytics_cfg *cfg)
{
	uint32_t hosts = a->cfg.detect.hosts;
	struct fh_alert_table_cfg alerts = a->cfg.alerts;
	a->cfg = *cfg;
	a->cfg.detect.hosts = hosts; /* the host pool is sized once */
	a->cfg.alerts = alerts;
}

void fh_analytics_free(struct fh_analytics *a)
{
	if (!a)
		return;
	fh_alert_table_free(a->alerts);
	free(a->hosts);
	free(a->pool.bm);
	free(a->buckets);
	free(a);
}

void fh_analytics_event(struct fh_analytics *a, const struct fh_flow_event *ev)
{
	const struct fh_flow_rec *r = &ev->rec;
	uint64_t m = r->sampling ? r->sampling : 1;
	a->st.events++;
	if (!r->packets && !r->bytes)
		return;
	/* each address hashed once: the host table and the distinct counts share the hash */
	uint64_t sh = ip_h(&r->src), dh = ip_h(&r->dst);
	if (ev->roles & FH_ROLE_SRC)
		host_prefetch(a, sh, SRC_LINES);
	if (ev->roles & FH_ROLE_DST)
		host_prefetch(a, dh, 1);
	if (ev->roles & FH_ROLE_SRC)
		src_view(a, r, m, sh, dh);
	if (ev->roles & FH_ROLE_DST)
		dst_view(a, r, m, sh, dh);
}

void fh_analytics_tick(struct fh_analytics *a, uint64_t watermark_ms)
{
	fh_alert_table_tick(a->alerts, watermark_ms);
}

struct fh_alert_table *fh_analytics_alerts(struct fh_analytics *a)
{
	return a->alerts;
}

void fh_analytics_get_stats(const struct fh_analytics *a, struct fh_analytics_stats *st)
{
	*st = a->st;
}
