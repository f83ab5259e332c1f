/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The analytics engine (see engine.h) and its detectors.
 *
 * Sections: first contacts (linear counting bitmaps, Whang et al. 1990; the worm table,
 * shared by the shards, is worm.c);
 * the host table (a fixed pool, chained hash, the idlest of the few hosts after a clock hand
 * evicted when full, an approximation of LRU as CLOCK is); per-host state over sliding
 * event-time windows of two panes (the distinct counts are the sets of sketch.h); the
 * detectors; alert construction.
 *
 * Windows. A window of W ms is two panes of W/2, aligned on event time (the pane of t is
 * t / (W/2)), so the counts of a host always cover the pane its newest record is in and the
 * whole pane before: between W/2 and W of history, never the nothing a tumbling window has
 * just after its end. Every windowed quantity is a pair: the window's total and the current
 * pane's share. A record of a later pane ends the current one (the window takes the current
 * pane's share, the pane starts at zero; two panes or more empty the window). A record of the
 * pane before the current one is late but inside the window: it is added to the window's
 * total only. A record older than that is too late for the windows: its flow still counts for
 * the first contacts, long flows and blocklists, and the `late` counter says how many were
 * left out. The flood windows (10 s) and the slow scan's (scan_slow_window_ms) have panes of
 * their own. The shard's watermark (fh_analytics_tick) resolves quiet alerts.
 */
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/engine.h"
#include "analytics/sketch.h"
#include "analytics/worm.h"

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

#define FNV_PRIME 0x100000001b3ull

static void ports_init(void);
static void tables_init(void)
{
	ports_init();
	for (unsigned ones = 0; ones <= LC_BITS; ones++) {
		unsigned zeros = LC_BITS - ones;
		if (zeros == 0)
			zeros = 1; /* saturated: report the floor */
		lc_tab[ones] = (uint32_t)(-(double)LC_BITS * log((double)zeros / LC_BITS) + 0.5);
	}
}

/* An address's hash, for the host table and the distinct counts: its two 64-bit halves
 * folded into one, then mixed so that every input bit reaches every output bit (the
 * finaliser of MurmurHash3). An IPv4 address (mapped: its first half is 0) is one multiply
 * and the mix, where a byte-wise hash took 16 (or, skipping the prefix, 4) dependent steps. */
static inline uint64_t ip_h(const struct fh_ip *ip)
{
	uint64_t w[2];
	memcpy(w, ip->a, sizeof(w));
	return fh_hs_mix(w[0] * 0x9e3779b97f4a7c15ull ^ w[1] ^ 0x5851f42d4c957f2dull);
}

/* ---- types ---------------------------------------------------------------------------- */

#define NIL UINT32_MAX
#define WORM_RAISED 8 /* worm alerts a shard carries on at once (more: the oldest resolves) */
#define EVICT_GROUP 8 /* hosts looked at for an eviction */
#define SLOTS 2

/* A windowed quantity: the window's total and the current pane's share. */
struct c32 {
	uint32_t win, cur;
};
struct c64 {
	uint64_t win, cur;
};
/* The earliest time seen in the window and in the current pane (0: none). */
struct t64 {
	uint64_t win, cur;
};

/* cur: 1 the current pane, 0 the pane before it (a late record: the window only) */
static inline void c32_add(struct c32 *c, uint32_t x, int cur)
{
	c->win += x;
	c->cur += cur ? x : 0;
}
static inline void c64_add(struct c64 *c, uint64_t x, int cur)
{
	c->win += x;
	c->cur += cur ? x : 0;
}
static inline void c32_add_sat(struct c32 *c, uint32_t x, int cur)
{
	c->win = c->win + x < c->win ? UINT32_MAX : c->win + x;
	if (cur)
		c->cur = c->cur + x < c->cur ? UINT32_MAX : c->cur + x;
}
/* One count taken back (an answered probe is no failure): from the current pane's share when
 * cur and it has one, else from the earlier pane's. */
static inline void c32_take(struct c32 *c, int cur)
{
	if (cur && c->cur) {
		c->cur--;
		c->win--;
	} else if (c->win > c->cur) {
		c->win--;
	}
}
static inline void t64_note(struct t64 *f, uint64_t t, int cur)
{
	if (!f->win || t < f->win)
		f->win = t;
	if (cur && (!f->cur || t < f->cur))
		f->cur = t;
}
/* The current pane ends, `panes` times over: the window keeps the pane's share (1) or
 * nothing (2 or more). */
#define PANE_ROLL(x, panes)                                                                  \
	do {                                                                                 \
		(x).win = (panes) == 1 ? (x).cur : 0;                                        \
		(x).cur = 0;                                                                 \
	} while (0)

struct port_slot { /* horizontal scan: one source, one port, many hosts */
	struct t64 first;
	uint16_t port;
	uint8_t proto;
	struct c32 flows, failed;
	struct fh_hs dsts;
};

struct dst_slot { /* vertical scan: one source, one host, many ports */
	struct fh_ip dst;
	struct c32 flows, failed;
	struct t64 first;
	struct fh_hs ports;
};

/*
 * Flow classes, by the service port (the destination's, else the source's), else the
 * protocol: a source's traffic in each over the window (flows, bytes, and the flows' summed
 * durations, for their mean), the volume statistics an operator reads in its alerts'
 * evidence, and the shard's distribution of them over its hosts (struct pop) that says what
 * is normal here.
 */
enum { FC_WEB, FC_DNS, FC_MAIL, FC_SSH, FC_TCP, FC_UDP, FC_OTHER, FC_N };
static const char *const fc_name[FC_N] = {"web", "dns", "mail", "ssh", "tcp", "udp", "other"};
struct fclass { /* 32 bytes: two in a cache line */
	struct c32 flows;
	struct c32 dur; /* the sum of the flows' durations, in 100 ms (saturating) */
	struct c64 bytes; /* scaled */
};

static inline unsigned port_class(uint16_t port)
{
	switch (port) {
	case 80:
	case 443:
	case 8080:
		return FC_WEB;
	case 53:
		return FC_DNS;
	case 25:
	case 465:
	case 587:
		return FC_MAIL;
	case 22:
		return FC_SSH;
	default:
		return FC_N;
	}
}

/* Each port's class (port_class) and whether BitTorrent uses it (PORT_BT): one load an
 * event where the switch took about 20 instructions. */
#define PORT_BT 0x80
static uint8_t port_info[65536];
static void ports_init(void)
{
	static const uint16_t bt[] = {
		6881, 6882, 6883, 6884, 6885, 6886, 6887, 6888, 6889, 6969, 51413};
	for (unsigned p = 0; p < 65536; p++)
		port_info[p] = (uint8_t)port_class((uint16_t)p);
	for (size_t i = 0; i < sizeof(bt) / sizeof(bt[0]); i++)
		port_info[bt[i]] |= PORT_BT;
}

static inline unsigned flow_class(const struct fh_flow_rec *r)
{
	if (r->proto != 6 && r->proto != 17)
		return FC_OTHER;
	unsigned c = port_info[r->dport] & ~PORT_BT;
	if (c == FC_N)
		c = port_info[r->sport] & ~PORT_BT;
	return c != FC_N ? c : r->proto == 6 ? FC_TCP : FC_UDP;
}

#define P2P_BT 1 /* a BitTorrent port in use as BitTorrent uses it (src_view) */
#define P2P_TCP 2
#define P2P_UDP 4

/* A server's port (fan-in): who connects to it and how many of the attempts fail. */
struct svc_slot {
	uint16_t port;
	uint16_t used;
	struct c32 conns; /* connection attempts: TCP flows to it with a SYN */
	struct c32 unanswered; /* ... that had no ACK from the client: no handshake */
	struct c32 refused; /* RST replies from the server on this port */
	struct fh_hs srcs; /* distinct sources */
};

/*
 * A victim's flood counters by event time: panes of 5 s in a ring of 8, the newest pane
 * h->vpane. A record counts in its own pane as long as it is in the ring (up to 35 s late:
 * records of flows that a flow table ended on its inactive timeout, 15 s, come that late,
 * behind those ended by a FIN), and is judged over its pane and the one before (10 s).
 */
#define FLOOD_PANE_MS 5000
#define FLOOD_PANES 8
#define FLOOD_WARM_PANES 6 /* panes of a victim's rate before it is judged against it */
#define UDP_TALKS 16 /* UDP that a victim sends a sixteenth of (udp_sent) is its own talk */
#define FLOOD_BASE_PANES 60 /* then an EWMA, alpha 1/60: about five minutes of panes */
enum { FK_SYN, FK_SYNACK, FK_UDP, FK_ICMP };
struct flood_pane {
	uint32_t pk[4]; /* packets (scaled), by FK_* */
	uint16_t flows;
	uint16_t first, last; /* 1 + ms from the pane's start: the earliest first, the latest
			       * last (0: none) */
	uint16_t ans; /* UDP packets (scaled, saturating) the victim sent: its answers */
};

/*
 * Ordered by use: the first cache line is what every event reads (the lookup, the panes),
 * then what most of a source's events touch (first contacts, the scan slots, the long flow),
 * then the victim's flood counters, and last the state of the detectors that only some ports
 * reach. Pane numbers are t / pane length; 0 is a host's first record.
 */
struct host {
	/* the first cache line; all that a new host clears at once (new_host) */
	struct fh_ip ip;
	uint32_t next; /* hash chain */
	uint32_t pane; /* the source's current pane (1 + t / pane length; 0: none yet) */
	uint32_t vpane; /* the victim's newest flood pane (0: none yet) */
	uint32_t spane; /* the slow scan's pane */
	uint8_t trw_scanner;
	uint8_t fast_scanner; /* a horizontal scan fired in the slow window: bit 0 the window,
			       * bit 1 the current slow pane (the slow detector stays quiet) */
	uint16_t dense; /* bit i: set i (host_sets) may hold a block; bit 14: inside home_net
			 * (HOST_INSIDE); bit 15: first contacts */
	/* the keys of the scan slots, 0 when free: most flows do not fail and only look here */
	uint32_t hkey[SLOTS]; /* 1 + (port << 8 | proto) */
	uint32_t vkey[SLOTS]; /* the destination's hash | 1 */
	float trw; /* log likelihood ratio, first contacts */
	uint64_t last_seen; /* for evict_pick: its latest record's time (+ INSIDE_KEEP_MS inside) */
	/* (64 bytes) a source's first contacts; its windows start here, cleared at its first
	 * record as a source (src_pane): its packets and web flows in this line, its longest
	 * web/ssh flow in the next, its other classes' flows in the three after */
	struct lc contacted;
	struct c64 tpkts; /* its packets in the window (scaled) */
	struct fclass fc_web; /* its flows by class (host_fc): flows and bytes are their sums */
	struct { /* its longest web/ssh flow (not windowed) */
		struct fh_ip dst;
		uint16_t port;
		uint32_t pkts; /* saturating */
		uint64_t first, last, bytes;
	} lf;
	struct fclass fc_more[FC_N - 1] __attribute__((aligned(64)));
	struct port_slot hp[SLOTS]; /* touched by failed flows, and flows of an open slot */
	struct dst_slot vp[SLOTS];
	struct t64 slow_first;
	struct c32 slow_failed;
	struct fh_hs slow_dsts;
	struct c64 dns_q, dns_bytes;
	struct t64 dns_first;
	struct c32 dns_answers; /* DNS answers this host sent: it is a resolver */
	struct c32 dns_flows, dns_port_changes; /* its query flows; how many from another port */
	uint16_t dns_last_sport;
	struct fh_ip dns_server;
	struct fh_hs resolver_clients;
	struct t64 resolver_first;
	struct fh_hs smtp_dsts;
	struct t64 smtp_first;
	float smtp_ewma; /* a mail server's SMTP fan-out per window (windows it sent mail in) */
	uint16_t smtp_windows;
	uint8_t p2p_win, p2p_cur; /* P2P_* */
	struct fh_hs p2p_peers;
	struct t64 p2p_first;
	/* the BitTorrent ports of its flows lately (p2p_listening; until a pane passes without
	 * its traffic): its own, the first peer that used it; a peer's, with the port of its own
	 * it was reached from */
	uint16_t bt_own_port, bt_remote_sport;
	uint32_t bt_own_peer, bt_remote;
	struct c32 p2p_flows, p2p_rbt; /* its high-port flows; those to a BitTorrent port */
	/* the source's traffic baseline: an EWMA (alpha 0.2) over its windows with traffic in
	 * which it raised no alert, one sample a window */
	float base_flows, base_pkts, base_bytes;
	uint16_t base_windows;
	uint8_t alerted; /* raised an alert as the source in this window: not a baseline sample */
	/* as a destination (victim): the flood panes, a ring by event time; cleared at its
	 * first flood-kind record as a victim (dst_view) */
	struct flood_pane fp[FLOOD_PANES];
	struct fh_hs flood_srcs, flood_ports;
	struct fh_ip flood_src1;
	/* its usual rate (flood_baseline): packets/s a flood pane, by FK_*, over the panes with
	 * traffic that were not floods; the first FLOOD_WARM_PANES panes are its mean */
	float vbase[4];
	/* the TCP packets (scaled) it sent in established connections (tcp_sent) in its newest
	 * flood pane and the one before: what a server answers its SYNs with */
	uint32_t tans[2];
	uint16_t vbase_panes;
	/* as a server (an inside host that is connected to): its two busiest ports over the
	 * window, in panes of its own */
	uint32_t svpane;
	struct svc_slot sv[SLOTS];
} __attribute__((aligned(64)));

_Static_assert(offsetof(struct host, contacted) == 64, "the first cache line is the lookup's");
_Static_assert(offsetof(struct host, fc_web) == 96, "the web class in the second line");
_Static_assert(offsetof(struct host, fc_more) == 192, "the other classes after the long flow");
/* The cache lines of a host that most of a source's events touch: up to the long flow. */
#define LF_LINE (offsetof(struct host, lf) / 64)

/* A source's flows of class c in the window. */
static inline struct fclass *host_fc(const struct host *h, unsigned c)
{
	/* (as strchr: a const host's classes are only read) */
	return (struct fclass *)(c == FC_WEB ? &h->fc_web : &h->fc_more[c - 1]);
}
/* and a victim's: its flood counters */
#define VIC_LINE0 (offsetof(struct host, fp) / 64)
#define VIC_LINES ((offsetof(struct host, flood_src1) + 63) / 64 - VIC_LINE0)
/* and a server's fan-in */
#define SV_LINE0 (offsetof(struct host, svpane) / 64)
#define SV_LINES ((sizeof(struct host) + 63) / 64 - SV_LINE0)

#define RESOLVER_ANSWERS 10 /* DNS answers in a window that make a host a resolver */
#define RESOLVER_QUERY_BYTES 150 /* a resolver's queries average less (IP bytes) */

#define HOST_SETS 12 /* windowed sets in a host */
#define DENSE_LC 15 /* h->dense: the first contacts have a bitmap */
#define HOST_INSIDE 14 /* h->dense: inside home_net (when it is set) */
/* An inside host is evicted as if seen that much later: a spoofed flood's sources, each a host
 * state, fill the pool, and the idlest host of a group is evicted; without it every inside
 * host idle for a moment went, and with it its slow scan's hour (outside hosts are the
 * Internet's: their state serves inbound scans and floods at them, mostly low or brief) */
#define INSIDE_KEEP_MS 600000
#define SRC_SECTION offsetof(struct host, tpkts)
#define VIC_SECTION offsetof(struct host, fp)

/* Set i of a host (the bit of h->dense). */
static inline struct fh_hs *host_set(struct host *h, unsigned i)
{
	static const size_t off[HOST_SETS] = {offsetof(struct host, hp[0].dsts),
		offsetof(struct host, hp[1].dsts), offsetof(struct host, vp[0].ports),
		offsetof(struct host, vp[1].ports), offsetof(struct host, flood_srcs),
		offsetof(struct host, flood_ports), offsetof(struct host, slow_dsts),
		offsetof(struct host, resolver_clients), offsetof(struct host, smtp_dsts),
		offsetof(struct host, p2p_peers), offsetof(struct host, sv[0].srcs),
		offsetof(struct host, sv[1].srcs)};
	return (struct fh_hs *)((char *)h + off[i]);
}
enum { S_HP0, S_HP1, S_VP0, S_VP1, S_FLOOD_SRCS, S_FLOOD_PORTS, S_SLOW, S_RESOLVER, S_SMTP,
	S_P2P, S_SV0, S_SV1 };

/* Add to set i of host h, noting in h->dense when it holds a block. */
static inline void host_set_add(struct fh_hs_pool *p, struct host *h, unsigned i, uint64_t hv,
	int cur)
{
	struct fh_hs *s = host_set(h, i);
	fh_hs_add(p, s, hv, cur);
	h->dense |= (uint16_t)((s->n == FH_HS_DENSE) << i);
}

/* A source's flows and bytes in the window: the sums over its classes. */
static void host_traffic(const struct host *h, uint64_t *flows, uint64_t *bytes)
{
	*flows = *bytes = 0;
	for (unsigned i = 0; i < FC_N; i++) {
		*flows += host_fc(h, i)->flows.win;
		*bytes += host_fc(h, i)->bytes.win;
	}
}

/* The alert being raised (raise_quick, raise_full), and the alerts raised in full lately. */
struct pending {
	uint8_t type, sev, proto;
	int port;
	const struct fh_ip *src, *dst, *exporter;
	const char *list;
	uint64_t key;
	struct fh_alert_counts c;
	struct fh_alert_flow flow; /* the flow being judged (c.flow points here) */
};
#define RECENT 16384
struct recent {
	uint64_t key, t, targets;
	char id[FH_ALERT_ID_LEN];
};

/*
 * What is normal here, for each flow class: how the shard's hosts' bytes in a window are
 * spread (one sample per host and window with traffic in the class and no alert), in log2
 * buckets of four steps each (a bucket is at most 25 % wide). It is halved when it holds
 * POP_KEEP samples, so that it follows the recent windows. Inside hosts only when home_net
 * is set: the clients whose "normal" dns.tunnel compares against.
 */
#define POP_BUCKETS 256
#define POP_KEEP 8192
#define POP_MIN 100 /* samples before a percentile is given */
struct pop {
	uint32_t b[POP_BUCKETS];
	uint32_t n;
	uint32_t stale; /* samples since p99 was worked out (it moves slowly: every 64) */
	uint64_t p99;
};

static inline unsigned pop_bucket(uint64_t x)
{
	unsigned k = 63 - (unsigned)__builtin_clzll(x | 1);
	return k < 2 ? (unsigned)x : 4 * (k - 1) + (unsigned)(x >> (k - 2) & 3);
}
/* The smallest value of bucket i (the largest of bucket i - 1, plus one). */
static inline uint64_t pop_floor(unsigned i)
{
	return i < 4 ? i : (uint64_t)(4 + i % 4) << (i / 4 - 1);
}

/* The 99th percentile of the samples, rounded up to its bucket's top; 0 with too few. */
static uint64_t pop_p99(const struct pop *p)
{
	if (p->n < POP_MIN)
		return 0;
	uint64_t cum = 0;
	for (unsigned i = 0; i < POP_BUCKETS - 1; i++)
		if ((cum += p->b[i]) * 100 >= 99ull * p->n)
			return pop_floor(i + 1) - 1;
	return UINT64_MAX;
}

static void pop_add(struct pop *p, uint64_t x)
{
	p->b[pop_bucket(x)]++;
	if (++p->n >= POP_KEEP) {
		p->n = 0;
		for (unsigned i = 0; i < POP_BUCKETS; i++)
			p->n += p->b[i] /= 2;
	}
	if (++p->stale >= 64 || p->n < POP_MIN + 64) {
		p->p99 = pop_p99(p);
		p->stale = 0;
	}
}

/*
 * A destination's first flood-kind record (a SYN without data, UDP, ICMP: what could be part
 * of a flood), held here by the destination's hash instead of giving the destination a host
 * state: most such destinations (DNS, NTP and QUIC servers, one-off peers) get one such flow
 * in a while and are never flooded, and a single record never raises a flood (8 flows are the
 * least). The destination's second record takes the state, and the held one is counted first,
 * so the victim's counts and alerts are those it would have had. A held record whose slot
 * another destination's takes is not counted for its victim (st.flood_first_dropped).
 */
#define HOLD_SLOTS 16384
struct hold { /* one cache line: what the victim's view reads of a record */
	struct fh_ip dst, src;
	uint64_t first_ms, packets;
	uint32_t last_delta, sampling; /* last_ms - first_ms (saturating) */
	uint16_t dport;
	uint8_t proto, tcp_flags, used;
	uint16_t sport;
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct hold) == 64, "a held record is one cache line");

/*
 * An outside source's first record, when it can raise nothing by itself (alone_quiet: a probe,
 * a spoofed flood's packet, a server's reply to a campus client) and the host pool is full,
 * held here by the source's hash instead of giving the source a host state, which would evict
 * another host's: a spoofed flood's sources, and the long tail of servers the campus talks to
 * once, are each seen once, and took a state each, so that the pool turned over at their
 * rate (the shard at its eviction rate) and any host quiet for a moment lost its windows to
 * them. The source's second record takes the state, and the held one is judged first, so a
 * real source's counts and alerts are those it would have had. The blocklists judge the held
 * record at once. A held record whose slot another source's takes is not judged for its
 * source (st.src_first_dropped).
 */
#define SRC_HOLD_SLOTS 8192
struct src_hold {
	struct fh_flow_rec rec;
	uint8_t used;
};

struct fh_analytics {
	struct fh_analytics_cfg cfg;
	struct pending pend;
	struct host *cur_host; /* the source being judged (src_view), for the evidence */
	const struct fh_flow_rec *cur_rec; /* the flow being judged */
	struct recent recent[RECENT];
	struct fh_alert_table *alerts;
	struct host *hosts;
	uint32_t *buckets, bmask, n_hosts, cap;
	uint32_t *prev; /* a host's backward link in its hash chain (NIL: first) */
	uint32_t hand; /* eviction's clock hand: the first host of the next group */
	uint32_t next_victim; /* evict_pick's choice for the next eviction (NIL: none) */
	uint64_t next_victim_seen; /* its last_seen then: a host used since is not evicted */
	uint64_t pane_ms, slow_pane_ms; /* half of window_ms, of scan_slow_window_ms */
	struct lc_pool pool; /* first contacts */
	struct fh_hs_pool hs; /* the windowed sets */
	struct fh_worm_table *worms, *own_worms; /* shared by the shards (cfg.worms), or its own */
	unsigned worm_me; /* its number in the worm table (fh_worm_raiser) */
	struct worm_raised { /* the worm alerts it raises, carried on at each tick */
		uint64_t key; /* fh_worm_port_key; 0: none */
		uint64_t t; /* the latest scanning flow it carried */
		char id[FH_ALERT_ID_LEN];
	} raised[WORM_RAISED];
	struct pop pop[FC_N];
	struct hold *hold; /* HOLD_SLOTS */
	struct src_hold *src_hold; /* SRC_HOLD_SLOTS */
	struct fh_analytics_stats st;
};

/* ---- host table ----------------------------------------------------------------------- */

/* Take host idx out of its hash chain: chains are linked both ways (the backward link in
 * a->prev, loaded with the eviction's group), so nothing is read but the host's own first
 * line, and what is written (its neighbours' links, or the bucket) does not wait. */
static void host_unlink(struct fh_analytics *a, uint32_t idx)
{
	uint32_t n = a->hosts[idx].next, p = a->prev[idx];
	if (p == NIL)
		a->buckets[(uint32_t)ip_h(&a->hosts[idx].ip) & a->bmask] = n;
	else
		a->hosts[p].next = n;
	if (n != NIL)
		a->prev[n] = p;
}

/*
 * A flow with a BitTorrent port of its source h: whether the port is a listening one, as
 * BitTorrent's are, lately: h's own port used by a second peer, or a peer's port that h
 * connects to again (from another port of its own: not one flow reported twice). A port
 * number alone is no evidence: Windows hands out its ephemeral ports in turn and 51413
 * comes round every 16,384 connections, and a busy server on a high port sees its clients'.
 */
static int p2p_listening(struct host *h, const struct fh_flow_rec *r, uint64_t dh)
{
	int yes = 0;
	if (port_info[r->sport] & PORT_BT) {
		uint32_t k = (uint32_t)dh | 1;
		if (h->bt_own_peer && h->bt_own_port == r->sport)
			yes |= h->bt_own_peer != k;
		else
			h->bt_own_peer = k, h->bt_own_port = r->sport;
	}
	if (port_info[r->dport] & PORT_BT) {
		uint32_t k = (uint32_t)(dh ^ dh >> 32 ^ (uint64_t)r->dport << 16) | 1;
		if (h->bt_remote == k)
			yes |= h->bt_remote_sport != r->sport;
		else
			h->bt_remote = k, h->bt_remote_sport = r->sport;
	}
	return yes;
}

/* Give an evicted host's bitmap and blocks back to their pools: only the sets h->dense
 * names are read (an eviction should not pull the whole host into the cache). */
static void host_release(struct fh_analytics *a, struct host *h)
{
	if (h->dense >> DENSE_LC & 1)
		lc_reset(&a->pool, &h->contacted);
	for (unsigned i = 0; i < HOST_SETS; i++)
		if (h->dense >> i & 1)
			fh_hs_clear(&a->hs, host_set(h, i));
}

static inline uint32_t host_find(const struct fh_analytics *a, const struct fh_ip *ip,
	uint64_t hash)
{
	uint32_t i = a->buckets[(uint32_t)hash & a->bmask];
	while (i != NIL && !fh_ip_eq(&a->hosts[i].ip, ip))
		i = a->hosts[i].next;
	return i;
}

/* Where the host with this hash would be, if its chain's first host is it (NULL: none):
 * read only to start loading its lines (host_prefetch). */
static inline const char *host_guess(const struct fh_analytics *a, uint64_t hash)
{
	uint32_t i = a->buckets[(uint32_t)hash & a->bmask];
	return i == NIL ? NULL : (const char *)&a->hosts[i];
}

/* Start loading `lines` cache lines of a host from line `from`: called for the hosts of
 * events before they are used, so that their misses overlap instead of following each
 * other. */
static inline void host_prefetch(const char *h, unsigned from, unsigned lines)
{
	for (unsigned k = 0; k < lines; k++)
		__builtin_prefetch(h + 64 * (from + k), 1);
	/* A prefetch has no effect the compiler must keep: a function that does nothing else
	 * (event_prefetch, once it called no outside function) is taken for pure and its calls
	 * are dropped, prefetches and all (gcc 12 -O2 did, and the engine lost a fifth of its
	 * speed). An empty volatile asm is an effect that costs nothing. */
	__asm__ volatile("");
}

/*
 * The host the next eviction takes: the idlest of the next EVICT_GROUP hosts of the pool
 * after a clock hand, which then moves past them. A host is looked at again only when the
 * hand has gone round the pool (as in CLOCK, an approximation of LRU). Chosen one eviction
 * ahead: the next group's first lines and backward links are loaded then, and the chosen
 * host's lines up to its victim section, which its successor clears and writes at once.
 */
static uint32_t evict_pick(struct fh_analytics *a)
{
	uint32_t g = a->cap < EVICT_GROUP ? a->cap : EVICT_GROUP, c = a->hand, idx = NIL;
	for (uint32_t k = 0; k < g; k++, c = c + 1 < a->cap ? c + 1 : 0)
		if (idx == NIL || a->hosts[c].last_seen < a->hosts[idx].last_seen)
			idx = c;
	a->hand = c;
	for (uint32_t k = 0; k < g; k++, c = c + 1 < a->cap ? c + 1 : 0) {
		__builtin_prefetch(&a->hosts[c].last_seen);
		__builtin_prefetch(&a->prev[c]);
	}
	for (unsigned l = 1; l < (VIC_SECTION + 63) / 64; l++)
		__builtin_prefetch((const char *)&a->hosts[idx] + 64 * l, 1);
	return idx;
}

/* In home_net (never when none is set). */
static inline int inside(const struct fh_analytics *a, const struct fh_ip *ip)
{
	return a->cfg.home_net && a->cfg.home_net->n && fh_cidr_match(a->cfg.home_net, ip);
}

/* The host at idx, found by host_find (NIL: none yet, it is made; the pool may evict). */
static struct host *host_at(struct fh_analytics *a, uint32_t idx, const struct fh_ip *ip,
	uint64_t hash, uint64_t t)
{
	if (idx != NIL) {
		struct host *h = &a->hosts[idx];
		uint64_t keep = t + (h->dense >> HOST_INSIDE & 1 ? INSIDE_KEEP_MS : 0);
		if (keep > h->last_seen)
			h->last_seen = keep;
		return h;
	}
	int fresh = a->n_hosts < a->cap;
	if (fresh) {
		idx = a->n_hosts++; /* the pool is taken in order: untouched pages stay unmapped */
	} else {
		/* full: evict the host evict_pick chose at the eviction before (its lines are
		 * loaded by now), unless it has been used since */
		idx = a->next_victim;
		if (idx == NIL || a->hosts[idx].last_seen != a->next_victim_seen)
			idx = evict_pick(a);
		uint32_t nv = evict_pick(a);
		a->next_victim = nv == idx ? NIL : nv;
		a->next_victim_seen = a->hosts[nv].last_seen;
		host_unlink(a, idx);
		host_release(a, &a->hosts[idx]);
		a->st.evictions++;
	}
	struct host *h = &a->hosts[idx];
	/* A fresh host is cleared whole. An evicted one only up to its sections: the source's
	 * and the victim's are cleared at their first use (most hosts are only ever one of the
	 * two); the sets in them are empty, or were given back by host_release. */
	memset(h, 0, fresh ? sizeof(*h) : SRC_SECTION);
	h->ip = *ip;
	h->last_seen = t;
	if (inside(a, ip)) {
		h->dense = 1u << HOST_INSIDE;
		h->last_seen = t + INSIDE_KEEP_MS;
	}
	uint32_t b = (uint32_t)hash & a->bmask;
	h->next = a->buckets[b];
	if (h->next != NIL)
		a->prev[h->next] = idx;
	a->prev[idx] = NIL;
	a->buckets[b] = idx;
	a->st.hosts = a->n_hosts;
	return h;
}

static struct host *host_get(struct fh_analytics *a, const struct fh_ip *ip, uint64_t hash,
	uint64_t t)
{
	return host_at(a, host_find(a, ip, hash), ip, hash, t);
}

/* ---- alerts --------------------------------------------------------------------------- */

/* Inside home_net, or any host when none is set: whose traffic is judged as a campus
 * host's (the shard's population, a server's fan-in, spam from a non-mail server). */
static inline int judged_inside(const struct fh_analytics *a, const struct fh_ip *ip)
{
	return !a->cfg.home_net || !a->cfg.home_net->n || fh_cidr_match(a->cfg.home_net, ip);
}

static inline int allowed(const struct fh_cidr_list *l, const struct fh_ip *ip)
{
	return l && l->n && fh_cidr_match(l, ip);
}

/*
 * Raising an alert is two steps, so that the evidence (a JSON text) is only formatted when it
 * is used: raise_quick() takes the alert's key, counts and times; when the same alert was
 * raised in full less than a second of event time ago, with its targets grown by less than
 * 10 %, it updates the active alert's counts in place (fh_alert_update) and returns 1. Else it
 * returns 0 and the caller formats the evidence and calls raise_full(). An activity's every
 * flow re-raises its alert: a scanner's, a flood's. The counts and times of an alert are
 * always exact; its evidence is at most a second (event time) or 10 % of targets older, and
 * fresh in every event the sinks receive.
 */
static uint64_t alert_key(uint8_t type, const struct fh_ip *src, const struct fh_ip *dst,
	int port, uint8_t proto, const char *list)
{
	uint64_t k = (fh_alert_src_in_key(type) ? ip_h(src) : 0) ^ (dst ? ip_h(dst) * 3 : 0) ^
		     (uint64_t)type << 56 ^
		     (uint64_t)(port + 1) << 32 ^ proto;
	for (const char *c = list; c && *c; c++)
		k = (k ^ (uint8_t)*c) * FNV_PRIME;
	return fh_hs_mix(k);
}

static int raise_quick(struct fh_analytics *a, uint8_t type, uint8_t sev,
	const struct fh_ip *src, const struct fh_ip *dst, int port, uint8_t proto, uint64_t first,
	uint64_t t, uint64_t flows, uint64_t pkts, uint64_t bytes, uint64_t targets,
	const struct fh_ip *exporter, const char *list)
{
	if (a->cfg.detect.suppress & (1u << type))
		return 1; /* detect.suppress: nothing to do */
	struct pending *p = &a->pend;
	*p = (struct pending){.type = type, .sev = sev, .proto = proto, .port = port, .src = src,
		.dst = dst, .exporter = exporter, .list = list,
		.c = {.first_seen = first ? first : t, .last_seen = t, .flows = flows,
			.packets = pkts, .bytes = bytes, .targets = targets, .severity = sev,
			.exporter = exporter}};
	const struct fh_flow_rec *r = a->cur_rec;
	uint64_t m = r->sampling ? r->sampling : 1;
	/* a flow that goes on (no FIN or RST) is reported again a record's length later; a slow
	 * scan is quiet for minutes between probes by design: half its window (a slow pane) */
	if (r->last_ms > r->first_ms && !(r->proto == 6 && (r->tcp_flags & 0x05)))
		p->c.span_ms = r->last_ms - r->first_ms;
	if (type == FH_ALERT_SCAN_SLOW && p->c.span_ms < a->slow_pane_ms)
		p->c.span_ms = a->slow_pane_ms;
	p->flow = (struct fh_alert_flow){.first_ms = r->first_ms, .last_ms = r->last_ms,
		.src = r->src, .dst = r->dst, .sport = r->sport, .dport = r->dport,
		.proto = r->proto, .tcp_flags = r->tcp_flags, .packets = r->packets * m,
		.bytes = r->bytes * m};
	p->c.flow = &p->flow;
	p->key = alert_key(type, src, dst, port, proto, list);
	if (a->cur_host && fh_ip_eq(src, &a->cur_host->ip))
		a->cur_host->alerted = 1;
	struct recent *rc = &a->recent[p->key % RECENT];
	uint64_t dt = t > rc->t ? t - rc->t : rc->t - t;
	if (rc->key == p->key && dt < 1000 && targets * 10 < rc->targets * 11 + 10 &&
		fh_alert_update(a->alerts, rc->id, &p->c) == 0)
		return 1;
	return 0;
}

/*
 * The detector's evidence, and when the alert's source is the host being judged, its traffic
 * against its baseline and by class (evidence_with_host): "host":{"flows":..,"packets":..,
 * "bytes":..,"baseline":{...},"classes":{"dns":{"flows":..,"bytes":..,"mean_s":..,
 * "hosts_p99_bytes":..},...}} (this window, the mean of its earlier windows, and what 99 % of
 * this shard's hosts stay under), which tells an operator whether the host is doing far more
 * than it usually does, and more than the others do.
 */
/* Appending to evidence without printf (evidence is formatted often: see raise_quick). */
static char *put_s(char *o, const char *s)
{
	size_t n = strlen(s);
	memcpy(o, s, n);
	return o + n;
}

static void evidence_with_host(const struct fh_analytics *a, const struct pending *p,
	const char *evidence, char *out, size_t len)
{
	const struct host *h = a->cur_host;
	size_t n = strlen(evidence);
	uint64_t flows = 0, bytes = 0;
	if (h)
		host_traffic(h, &flows, &bytes);
	/* the host's part is at most 150 bytes, and 160 a class */
	if (!flows || !fh_ip_eq(p->src, &h->ip) || n < 2 || evidence[n - 1] != '}' ||
		n + 150 + 160 * FC_N >= len) {
		snprintf(out, len, "%s", evidence);
		return;
	}
	char *o = out;
	memcpy(o, evidence, n - 1);
	o = put_s(o + n - 1, n > 2 ? ",\"host\":{\"flows\":" : "\"host\":{\"flows\":");
	o = fh_put_dec(o, flows);
	o = fh_put_dec(put_s(o, ",\"packets\":"), h->tpkts.win);
	o = fh_put_dec(put_s(o, ",\"bytes\":"), bytes);
	o = fh_put_dec(put_s(o, ",\"window_s\":"), a->cfg.detect.window_ms / 1000);
	o = put_s(o, ",\"baseline\":");
	if (h->base_windows)
		o += fh_evidence_fmt(o, 150,
			"{\"flows\":%.1f,\"packets\":%.0f,\"bytes\":%.0f,\"windows\":%u}",
			h->base_flows, h->base_pkts, h->base_bytes, h->base_windows);
	else
		o = put_s(o, "null");
	o = put_s(o, ",\"classes\":{");
	const char *sep = "\"";
	for (unsigned i = 0; i < FC_N; i++) {
		const struct fclass *f = host_fc(h, i);
		if (!f->flows.win)
			continue;
		o = put_s(put_s(put_s(o, sep), fc_name[i]), "\":{\"flows\":");
		sep = ",\"";
		o = fh_put_dec(o, f->flows.win);
		o = fh_put_dec(put_s(o, ",\"bytes\":"), f->bytes.win);
		o = fh_put_tenths(put_s(o, ",\"mean_s\":"),
			((uint64_t)f->dur.win + f->flows.win / 2) / f->flows.win);
		uint64_t p99 = a->pop[i].p99;
		if (p99)
			o = fh_put_dec(put_s(o, ",\"hosts_p99_bytes\":"), p99);
		*o++ = '}';
	}
	o = put_s(o, "}}}");
	*o = 0;
}

/* With home_net set, which way the flow that raised an alert went: "outbound" (an inside
 * host to the outside), "inbound", "internal" (inside to inside: a scan or worm moving
 * sideways) or "external" (neither end inside: transit). Appended to the evidence. */
static void evidence_direction(const struct fh_analytics *a, const struct fh_alert_flow *f,
	char *ev, size_t len)
{
	if (!a->cfg.home_net || !a->cfg.home_net->n)
		return;
	int s = inside(a, &f->src), d = inside(a, &f->dst);
	const char *dir = s ? (d ? "internal" : "outbound") : (d ? "inbound" : "external");
	size_t n = strlen(ev);
	if (n < 2 || ev[n - 1] != '}' || n + 32 >= len)
		return;
	char *o = put_s(ev + n - 1, n > 2 ? ",\"direction\":\"" : "\"direction\":\"");
	*put_s(put_s(o, dir), "\"}") = 0;
}

static void raise_full(struct fh_analytics *a, const char *evidence)
{
	const struct pending *p = &a->pend;
	struct fh_alert al;
	memset(&al, 0, offsetof(struct fh_alert, evidence));
	al.type = p->type;
	al.severity = p->sev;
	al.src = *p->src;
	if (p->dst) {
		al.dst = *p->dst;
		al.has_dst = true;
	}
	if (p->port >= 0) {
		al.port = (uint16_t)p->port;
		al.has_port = true;
	}
	al.proto = p->proto;
	if (p->list)
		snprintf(al.list, sizeof(al.list), "%s", p->list);
	al.first_seen = p->c.first_seen;
	al.last_seen = al.detected_at = p->c.last_seen;
	al.span_ms = p->c.span_ms;
	al.flows = p->c.flows;
	al.packets = p->c.packets;
	al.bytes = p->c.bytes;
	al.targets = p->c.targets;
	if (p->exporter && !fh_ip_is_zero(p->exporter))
		fh_alert_add_exporter(&al, p->exporter);
	fh_alert_note_flow(&al, &p->flow);
	evidence_with_host(a, p, evidence, al.evidence, sizeof(al.evidence));
	evidence_direction(a, &p->flow, al.evidence, sizeof(al.evidence));
	struct recent *rc = &a->recent[p->key % RECENT];
	if (rc->key == p->key && rc->id[0]) /* raised before: the same alert, the same id */
		memcpy(al.id, rc->id, sizeof(al.id));
	else
		fh_alert_make_id(&al);
	fh_alert_raise(a->alerts, &al);
	rc->key = p->key;
	rc->t = p->c.last_seen;
	rc->targets = p->c.targets;
	memcpy(rc->id, al.id, sizeof(rc->id));
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

/* A scan slot's pane ends: it keeps its current pane's share; 1 when that is none (the slot
 * is to be freed: its set is then empty). */
static int roll_slot(struct fh_hs_pool *p, struct c32 *flows, struct c32 *failed,
	struct t64 *first, struct fh_hs *set, unsigned panes)
{
	if (panes > 1 || !flows->cur) {
		fh_hs_clear(p, set);
		return 1;
	}
	PANE_ROLL(*flows, 1);
	PANE_ROLL(*failed, 1);
	PANE_ROLL(*first, 1);
	fh_hs_roll(p, set, 1);
	return 0;
}

static const struct fh_detect_cfg *detect_for(const struct fh_analytics *a, const struct fh_ip *ip);

/* A mail server's SMTP fan-out n in a window jumped (spam.smtp), once its baseline has
 * mail_warmup windows: spam_targets servers and mail_jump times its baseline. */
static inline int mail_jumped(const struct host *h, const struct fh_detect_cfg *c, double n)
{
	double base = h->smtp_ewma;
	return h->smtp_windows >= c->mail_warmup && n >= c->spam_targets &&
	       n >= c->mail_jump * (base > 1 ? base : 1);
}

/* The source's pane ends (panes: how many panes ended; 2 or more empty the window). */
static void roll_src(struct fh_analytics *a, struct host *h, uint32_t old, unsigned panes)
{
	struct fh_hs_pool *p = &a->hs;
	for (int i = 0; i < SLOTS; i++) {
		struct port_slot *ps = &h->hp[i];
		struct dst_slot *vs = &h->vp[i];
		if (h->hkey[i] &&
			roll_slot(p, &ps->flows, &ps->failed, &ps->first, &ps->dsts, panes)) {
			memset(ps, 0, sizeof(*ps));
			h->hkey[i] = 0;
		}
		if (h->vkey[i] &&
			roll_slot(p, &vs->flows, &vs->failed, &vs->first, &vs->ports, panes)) {
			memset(vs, 0, sizeof(*vs));
			h->vkey[i] = 0;
		}
	}
	PANE_ROLL(h->dns_q, panes);
	PANE_ROLL(h->dns_bytes, panes);
	PANE_ROLL(h->dns_first, panes);
	PANE_ROLL(h->dns_answers, panes);
	PANE_ROLL(h->dns_flows, panes);
	PANE_ROLL(h->dns_port_changes, panes);
	fh_hs_roll(p, &h->resolver_clients, panes);
	PANE_ROLL(h->resolver_first, panes);
	/* The mail baseline: an EWMA (alpha 0.2) of the SMTP fan-out over the windows with
	 * mail, one sample a window: when a window aligned on two panes ends. A window of spam
	 * (a jump spam.smtp judged one) is no sample: learnt, it lifted the baseline out of
	 * the spam's reach after one window, and the alert stopped while the spam went on. */
	if (h->smtp_first.win && ((old & 1) || panes > 1)) {
		const struct fh_detect_cfg *c =
			a->cfg.n_nets ? detect_for(a, &h->ip) : &a->cfg.detect;
		float n = (float)fh_hs_count(p, &h->smtp_dsts);
		if (!mail_jumped(h, c, n)) {
			h->smtp_ewma = h->smtp_windows ? 0.2f * n + 0.8f * h->smtp_ewma : n;
			if (h->smtp_windows < UINT16_MAX)
				h->smtp_windows++;
		}
	}
	fh_hs_roll(p, &h->smtp_dsts, panes);
	PANE_ROLL(h->smtp_first, panes);
	if ((old & 1) || panes > 1) { /* a window aligned on two panes ends */
		uint64_t flows, bytes;
		host_traffic(h, &flows, &bytes);
		if (flows && !h->alerted) { /* a sample of the traffic baseline */
			float w = h->base_windows ? 0.2f : 1.0f;
			h->base_flows += w * ((float)flows - h->base_flows);
			h->base_pkts += w * ((float)h->tpkts.win - h->base_pkts);
			h->base_bytes += w * ((float)bytes - h->base_bytes);
			if (h->base_windows < UINT16_MAX)
				h->base_windows++;
			/* and of what is normal here: the inside hosts' (all, without home_net) */
			if (judged_inside(a, &h->ip))
				for (unsigned i = 0; i < FC_N; i++)
					if (host_fc(h, i)->bytes.win)
						pop_add(&a->pop[i], host_fc(h, i)->bytes.win);
		}
		h->alerted = 0;
	}
	PANE_ROLL(h->tpkts, panes);
	for (unsigned i = 0; i < FC_N; i++) {
		struct fclass *f = host_fc(h, i);
		PANE_ROLL(f->flows, panes);
		PANE_ROLL(f->dur, panes);
		PANE_ROLL(f->bytes, panes);
	}
	fh_hs_roll(p, &h->p2p_peers, panes);
	PANE_ROLL(h->p2p_first, panes);
	if (panes > 1) /* kept over one pane: about a window */
		h->bt_own_peer = h->bt_remote = 0;
	PANE_ROLL(h->p2p_flows, panes);
	PANE_ROLL(h->p2p_rbt, panes);
	h->p2p_win = panes == 1 ? h->p2p_cur : 0;
	h->p2p_cur = 0;
}

/*
 * Where time t falls for a window of panes of `len` ms whose current pane is *pane: 1 in the
 * current pane (a later pane first ends the current one: roll), 0 in the pane before it (late,
 * inside the window), -1 older (too late for the window).
 */
static inline int pane_of(uint32_t *pane, uint64_t len, uint64_t t, uint32_t *old,
	unsigned *panes)
{
	uint64_t start = (uint64_t)(*pane - 1) * len;
	*panes = 0;
	if (*pane && t >= start && t - start < len)
		return 1;
	uint32_t p = (uint32_t)(t / len) + 1; /* 0 is "none yet" */
	if (!*pane || p > *pane) {
		*old = *pane;
		*panes = !*pane || p - *pane > 1 ? 2 : 1;
		*pane = p;
		return 1;
	}
	return p + 1 == *pane ? 0 : -1;
}

/* Where t falls for a window whose current pane is `pane`, without moving it: 1 the current
 * pane or later, 0 the one before, -1 older or no pane yet. */
static inline int pane_at(uint32_t pane, uint64_t len, uint64_t t)
{
	uint32_t p = (uint32_t)(t / len) + 1;
	return !pane ? -1 : p >= pane ? 1 : p + 1 == pane ? 0 : -1;
}

/* A connection attempt to a server: a TCP flow with a SYN toward the lower port (the
 * service's; the server's replies carry a SYN too, from it), to an inside host (to any
 * without home_net). Its destination keeps fan-in state (struct svc_slot). */
static inline int server_conn(const struct fh_analytics *a, const struct fh_flow_rec *r)
{
	return r->proto == 6 && (r->tcp_flags & 0x02) && r->dport < r->sport &&
	       judged_inside(a, &r->dst);
}

/* The host's first record as a victim or server: its section starts empty, its flood ring
 * at the pane of t. */
static void victim_init(struct host *h, uint64_t t)
{
	if (h->vpane)
		return;
	memset((char *)h + VIC_SECTION, 0, sizeof(*h) - VIC_SECTION);
	h->vpane = (uint32_t)(t / FLOOD_PANE_MS) + 1;
}

/* The server's pane ends (panes: how many): each port keeps its current pane's share, or is
 * freed when it had none. */
static void roll_svc(struct fh_analytics *a, struct host *h, unsigned panes)
{
	for (int i = 0; i < SLOTS; i++) {
		struct svc_slot *v = &h->sv[i];
		if (!v->used)
			continue;
		if (panes > 1 || !v->conns.cur) {
			fh_hs_clear(&a->hs, &v->srcs);
			memset(v, 0, sizeof(*v));
			continue;
		}
		PANE_ROLL(v->conns, 1);
		PANE_ROLL(v->unanswered, 1);
		PANE_ROLL(v->refused, 1);
		fh_hs_roll(&a->hs, &v->srcs, 1);
	}
}

/* The server's slot for port (NULL: none, and open is 0), and where t falls in its window
 * (*cur: 1 the current pane, 0 the one before, -1 too late). */
static struct svc_slot *svc_slot(struct fh_analytics *a, struct host *h, uint16_t port,
	uint64_t t, int open, int *cur)
{
	uint32_t old;
	unsigned panes;
	*cur = pane_of(&h->svpane, a->pane_ms, t, &old, &panes);
	if (panes && old)
		roll_svc(a, h, panes);
	if (*cur < 0)
		return NULL;
	int v = -1;
	for (int i = 0; i < SLOTS; i++) {
		if (h->sv[i].used && h->sv[i].port == port)
			return &h->sv[i];
		if (v < 0 || !h->sv[i].used ||
			(h->sv[v].used && h->sv[i].conns.win < h->sv[v].conns.win))
			v = i;
	}
	if (!open)
		return NULL;
	fh_hs_clear(&a->hs, &h->sv[v].srcs);
	memset(&h->sv[v], 0, sizeof(h->sv[v]));
	h->sv[v].used = 1;
	h->sv[v].port = port;
	return &h->sv[v];
}

/* A server's fan-in: each connection attempt, whether it was answered, and its source. */
static void server_view(struct fh_analytics *a, struct host *h, const struct fh_flow_rec *r,
	uint64_t sh)
{
	int cur;
	struct svc_slot *v = svc_slot(a, h, r->dport, r->last_ms, 1, &cur);
	if (!v)
		return;
	c32_add(&v->conns, 1, cur);
	c32_add(&v->unanswered, !(r->tcp_flags & 0x10), cur);
	host_set_add(&a->hs, h, (unsigned)(S_SV0 + (v - h->sv)), sh, cur);
}

/* The server's ports as evidence: [{"port":..,"attempts":..,"unanswered":..,"refused":..,
 * "sources":..}] (those with attempts in the window). */
static void server_evidence(struct fh_analytics *a, const struct host *h, char *out, size_t len)
{
	size_t n = (size_t)snprintf(out, len, "[");
	for (int i = 0; i < SLOTS && n < len; i++) {
		const struct svc_slot *v = &h->sv[i];
		if (!v->used || !v->conns.win)
			continue;
		n += (size_t)fh_evidence_fmt(out + n, len - n,
			"%s{\"port\":%u,\"attempts\":%u,\"unanswered\":%u,\"refused\":%u,"
			"\"sources\":%u}",
			n > 1 ? "," : "", v->port, v->conns.win, v->unanswered.win, v->refused.win,
			fh_hs_count(&a->hs, &v->srcs));
	}
	if (n < len)
		snprintf(out + n, len - n, "]");
}

static int src_pane(struct fh_analytics *a, struct host *h, uint64_t t)
{
	uint32_t old;
	unsigned panes;
	int cur = pane_of(&h->pane, a->pane_ms, t, &old, &panes);
	if (panes && old)
		roll_src(a, h, old, panes);
	else if (panes) /* the host's first record as a source: its windows start empty */
		memset((char *)h + SRC_SECTION, 0, VIC_SECTION - SRC_SECTION);
	if (cur < 0)
		a->st.late++;
	return cur;
}

static int slow_pane(struct fh_analytics *a, struct host *h, uint64_t t)
{
	uint32_t old;
	unsigned panes;
	int cur = pane_of(&h->spane, a->slow_pane_ms, t, &old, &panes);
	if (panes && old) {
		fh_hs_roll(&a->hs, &h->slow_dsts, panes);
		PANE_ROLL(h->slow_failed, panes);
		PANE_ROLL(h->slow_first, panes);
		h->fast_scanner = panes == 1 && (h->fast_scanner & 2) ? 1 : 0;
	}
	return cur;
}

/* A scan slot opens on a failed flow (a scan is failures); flows that did not fail only
 * count in a slot already open. NULL: none open and none to open. */
static struct port_slot *port_slot(struct fh_hs_pool *p, struct host *h, uint16_t port,
	uint8_t proto, int open)
{
	uint32_t k = ((uint32_t)port << 8 | proto) + 1;
	for (int i = 0; i < SLOTS; i++)
		if (h->hkey[i] == k)
			return &h->hp[i];
	if (!open)
		return NULL;
	int v = 0;
	for (int i = 0; i < SLOTS; i++)
		if (!h->hkey[i] || h->hp[i].failed.win < h->hp[v].failed.win)
			v = i;
	struct port_slot *victim = &h->hp[v];
	h->hkey[v] = k;
	fh_hs_clear(p, &victim->dsts);
	memset(victim, 0, sizeof(*victim));
	victim->port = port;
	victim->proto = proto;
	return victim;
}

static struct dst_slot *dst_slot(struct fh_hs_pool *p, struct host *h, const struct fh_ip *dst,
	uint64_t dh, int open)
{
	uint32_t k = (uint32_t)dh | 1;
	for (int i = 0; i < SLOTS; i++)
		if (h->vkey[i] == k && fh_ip_eq(&h->vp[i].dst, dst))
			return &h->vp[i];
	if (!open)
		return NULL;
	int v = 0;
	for (int i = 0; i < SLOTS; i++)
		if (!h->vkey[i] || h->vp[i].failed.win < h->vp[v].failed.win)
			v = i;
	struct dst_slot *victim = &h->vp[v];
	h->vkey[v] = k;
	fh_hs_clear(p, &victim->ports);
	memset(victim, 0, sizeof(*victim));
	victim->dst = *dst;
	return victim;
}

/* How long a shard keeps the right to raise a port's worm alert without raising it: twice
 * the alert's resolve time, so that another shard takes it only once its alert resolved. */
static uint64_t worm_hold(const struct fh_analytics *a)
{
	uint64_t r = a->cfg.alerts.resolve_after_ms ? a->cfg.alerts.resolve_after_ms : 300000;
	return 2 * r;
}

/* Note a worm alert this shard raised, to carry it on at each tick (worm_carry). */
static void worm_raised(struct fh_analytics *a, uint64_t key, uint64_t t, const char *id)
{
	struct worm_raised *w = NULL;
	for (unsigned i = 0; i < WORM_RAISED; i++) {
		struct worm_raised *r = &a->raised[i];
		if (r->key == key) {
			if (t > r->t)
				r->t = t;
			return;
		}
		if (!w || (w->key && (!r->key || r->t < w->t)))
			w = r; /* a free one, or else the oldest */
	}
	*w = (struct worm_raised){.key = key, .t = t};
	snprintf(w->id, sizeof(w->id), "%s", id);
}

static void worm_note(struct fh_analytics *a, uint64_t src_h, uint16_t port, uint8_t proto,
	uint64_t t, const struct fh_ip *exporter)
{
	/* A worm spreads from inside: the Internet's scanners, each its own scan.horizontal, are
	 * no worm of this network (three of them on port 23 at any hour of the day) */
	if (!judged_inside(a, &a->cur_rec->src))
		return;
	/* its scanners over every shard (worm.h), in epochs of the slow scan's window (an
	 * hour): this one and the one before; a quiet spell of two starts the count again */
	struct fh_worm_seen w;
	uint64_t key = fh_worm_port_key(port, proto);
	if (fh_worm_note(a->worms, key, src_h, &a->cur_rec->src, t,
		    a->cfg.detect.scan_slow_window_ms, &w) < 0)
		a->st.worm_untracked++;
	uint32_t n = lc_tab[w.ones];
	/* one shard raises it (worm.h): the others' scanners reach it at its ticks */
	if (n >= a->cfg.detect.worm_sources &&
		!(a->cfg.detect.suppress & (1u << FH_ALERT_WORM)) &&
		fh_worm_raiser(a->worms, key, a->worm_me, t, worm_hold(a))) {
		struct fh_ip any = {{0}}; /* many sources: 0.0.0.0, or :: for IPv6 */
		if (fh_ip_is_v4(&a->cur_rec->src))
			any.a[10] = any.a[11] = 0xff;
		if (!raise_quick(a, FH_ALERT_WORM, FH_SEV_CRITICAL, &any, NULL, port, proto,
			    w.first, t, n, 0, 0, n, exporter, NULL)) {
			char ev[320], srcs[FH_WORM_SHOWN * (FH_IP_STRLEN + 3) + 3], *o = srcs;
			*o++ = '[';
			for (unsigned i = 0; i < w.n_src; i++) {
				char b[FH_IP_STRLEN];
				o += sprintf(o, "%s\"%s\"", i ? "," : "",
					fh_ip_fmt(&w.src[i], b, sizeof(b)));
			}
			*o++ = ']';
			*o = 0;
			fh_evidence_fmt(ev, sizeof(ev),
				"{\"scanning_sources\":%u,\"port\":%u,\"first_sources\":%s}", n, port,
				srcs);
			raise_full(a, ev);
		}
		worm_raised(a, key, t, a->recent[a->pend.key % RECENT].id);
	}
}

/*
 * At a tick: carry on the worm alerts this shard raises with the other shards' scanners
 * (their latest scanning flow and the count, from the worm table); the evidence stays as
 * this shard last made it. A worm alert that has resolved (let go of in the table), or that
 * another shard took over, is no longer carried.
 */
static void worm_carry(struct fh_analytics *a, uint64_t watermark_ms)
{
	for (unsigned i = 0; i < WORM_RAISED; i++) {
		struct worm_raised *r = &a->raised[i];
		if (!r->key)
			continue;
		const struct fh_alert *o = fh_alert_table_find(a->alerts, r->id);
		struct fh_worm_seen w;
		if (!o || o->status != FH_ALERT_ACTIVE) { /* resolved: the next raises anew */
			fh_worm_release(a->worms, r->key, a->worm_me);
			r->key = 0;
			continue;
		}
		if (fh_worm_look(a->worms, r->key, watermark_ms, a->cfg.detect.scan_slow_window_ms,
			    &w) < 0) {
			r->key = 0;
			continue;
		}
		uint32_t n = lc_tab[w.ones];
		if (w.last <= r->t || n < a->cfg.detect.worm_sources)
			continue;
		if (!fh_worm_raiser(a->worms, r->key, a->worm_me, w.last, worm_hold(a))) {
			r->key = 0; /* another shard's now */
			continue;
		}
		struct fh_alert al;
		memset(&al, 0, offsetof(struct fh_alert, evidence));
		al.evidence[0] = 0; /* the evidence it has */
		memcpy(al.id, r->id, sizeof(al.id));
		al.type = FH_ALERT_WORM;
		al.severity = FH_SEV_CRITICAL;
		al.first_seen = w.first;
		al.last_seen = w.last;
		al.flows = al.targets = n;
		fh_alert_raise(a->alerts, &al);
		r->t = w.last;
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

/* A victim's UDP sent in one of its flood panes (struct flood_pane): what it answers. A
 * pane not begun yet (an answer's record before its query's) is not counted. */
static inline void udp_sent(struct host *h, const struct fh_flow_rec *r, uint64_t pk)
{
	uint32_t p = (uint32_t)(r->last_ms / FLOOD_PANE_MS) + 1;
	if (p > h->vpane || h->vpane - p >= FLOOD_PANES)
		return;
	struct flood_pane *fp = &h->fp[p % FLOOD_PANES];
	fp->ans = fp->ans + pk > UINT16_MAX ? UINT16_MAX : (uint16_t)(fp->ans + pk);
}

/* A victim's TCP sent in established connections, in its newest flood pane or the one
 * before (h->tans): packets without SYN, or with data, and without a RST unless with data. A
 * server's connections send it several for each SYN it receives; a SYN flood's victim answers
 * with SYN-ACKs or RSTs, which are not counted. Under packet sampling (sFlow) a connection's
 * sampled SYN is a bare SYN record of its own, and these tell the server from a victim. */
static inline void tcp_sent(struct host *h, const struct fh_flow_rec *r, uint64_t pk)
{
	uint8_t f = r->tcp_flags;
	if (!(f & 0x10) || ((f & 0x02) && !(f & 0x08)) || ((f & 0x04) && !(f & 0x08)))
		return;
	uint32_t p = (uint32_t)(r->last_ms / FLOOD_PANE_MS) + 1;
	if (p > h->vpane || h->vpane - p > 1)
		return;
	uint32_t *c = &h->tans[h->vpane - p];
	*c = *c + pk > UINT32_MAX ? UINT32_MAX : (uint32_t)(*c + pk);
}

/*
 * How many hosts hold a long thin web flow to the network (/24, /48) of this host's long
 * flow, itself included: it is noted in the worm table (shared by the shards) at each report
 * of its flow once that is a sixth of tunnel_http_ms long, and counted over epochs of
 * tunnel_http_ms (this one and the one before). Phones' and desktops' push channels, chat
 * websockets and a service's long polls go to a few networks from many hosts; a tunnel goes
 * to its own server.
 */
static uint32_t lf_popular(struct fh_analytics *a, struct host *h, uint64_t sh, uint64_t t)
{
	struct fh_worm_seen w;
	if (fh_worm_note(a->worms, fh_worm_net_key(&h->lf.dst), sh, &h->ip, t,
		    a->cfg.detect.tunnel_http_ms, &w) < 0)
		return 1; /* no slot: itself */
	uint32_t n = lc_tab[w.ones];
	return n ? n : 1;
}

/* The fan-in (server_view) of a port the host serves, one of its busiest two; NULL when it
 * serves none such. *sc: the pane of t, as svc_slot says. */
static struct svc_slot *served(struct fh_analytics *a, struct host *h, uint16_t port,
	uint64_t t, int *sc)
{
	return h->vpane && h->svpane ? svc_slot(a, h, port, t, 0, sc) : NULL;
}

#define MX_SENDERS 5 /* SMTP clients in a window that make a host an MX (mx_host) */

/* A mail exchanger: other mail servers deliver to it (SMTP fan-in from MX_SENDERS sources
 * in the window). Its own deliveries are a mail server's, judged against its baseline as
 * allow.mail's are, without being listed there. */
static int mx_host(struct fh_analytics *a, struct host *h, uint64_t t)
{
	int sc;
	struct svc_slot *v = served(a, h, 25, t, &sc);
	return v && fh_hs_count(&a->hs, &v->srcs) >= MX_SENDERS;
}

/* A peer-to-peer host, as the p2p.bittorrent rule judges one (src_view): a BitTorrent port
 * used as BitTorrent uses it, or high ports over TCP and UDP to ten times p2p_peers peers. */
static int p2p_peer(const struct fh_analytics *a, const struct host *h,
	const struct fh_detect_cfg *c)
{
	if (h->p2p_win & P2P_BT)
		return 1;
	return (h->p2p_win & (P2P_TCP | P2P_UDP)) == (P2P_TCP | P2P_UDP) &&
	       fh_hs_count(&a->hs, &h->p2p_peers) >= 10 * c->p2p_peers;
}

static void src_view(
	struct fh_analytics *a, const struct fh_flow_rec *r, uint64_t m, uint64_t sh, uint64_t dh)
{
	const struct fh_detect_cfg *c = a->cfg.n_nets ? detect_for(a, &r->src) : &a->cfg.detect;
	uint64_t t = r->last_ms;
	struct host *h = host_get(a, &r->src, sh, t);
	int cur = src_pane(a, h, t); /* -1: too late for the windows */
	a->cur_host = h;
	uint64_t pk = r->packets * m, by = r->bytes * m;
	int failed = is_failed(r);
	/* A peer-to-peer host tries peers that have gone or sit behind NAT: a third to most of
	 * its connections fail, high port to high port. Those failures are its P2P client's, no
	 * scanner's: not first contacts for TRW, not slow-scan failures, and, to a BitTorrent
	 * port, no horizontal scan's either. Its failures to low ports, and to one other high
	 * port on many hosts (a sweep of 3389), still count. */
	int p2p_fail = 0, h_fail = failed;
	if (__builtin_expect(failed, 0) && r->sport >= 1024 && r->dport >= 1024 &&
		p2p_peer(a, h, c)) {
		p2p_fail = 1;
		h_fail = !(port_info[r->dport] & PORT_BT);
	}
	char ev[FH_ALERT_EVIDENCE];

	/* first contacts: Threshold Random Walk (Jung et al. 2004) */
	struct fh_hs_pool *p = &a->hs;
	int first_contact =
		(r->proto == 6 || r->proto == 17) && lc_add(&a->pool, &h->contacted, dh);
	h->dense |= (uint16_t)((h->contacted.ones > LC_SPARSE) << DENSE_LC);
	if (first_contact && !p2p_fail) {
		if (r->proto == 6 && (failed || (r->tcp_flags & 0x10))) {
			h->trw += failed ? LN4 : LNQ;
			if (h->trw >= ETA1)
				h->trw_scanner = 1;
			else if (h->trw <= ETA0)
				h->trw = 0; /* benign so far: keep watching from scratch */
		}
	}

	/* a server refusing a connection (RST from its port, no SYN, a packet or two): its
	 * fan-in (server_view) counts it */
	if (r->proto == 6 && (r->tcp_flags & 0x04) && !(r->tcp_flags & 0x02) && r->packets <= 2 &&
		r->sport < r->dport) {
		int sc;
		struct svc_slot *v = served(a, h, r->sport, t, &sc);
		if (v)
			c32_add(&v->refused, 1, sc);
	}

	if (r->proto == 17 && h->vpane)
		udp_sent(h, r, pk);
	else if (r->proto == 6 && h->vpane)
		tcp_sent(h, r, pk);
	int allow_scan = allowed(a->cfg.allow_scanners, &r->src);
	if (cur < 0)
		goto unwindowed;
	c64_add(&h->tpkts, pk, cur);
	struct fclass *fc = host_fc(h, flow_class(r));
	uint64_t ms = r->last_ms > r->first_ms ? r->last_ms - r->first_ms : 0;
	if (ms > UINT32_MAX)
		ms = UINT32_MAX;
	c32_add(&fc->flows, 1, cur);
	c64_add(&fc->bytes, by, cur);
	c32_add_sat(&fc->dur, (uint32_t)((ms + 50) / 100), cur);
	if ((r->proto == 6 || r->proto == 17) && !allow_scan) {
		/* horizontal: one port, many hosts */
		struct port_slot *ps = port_slot(p, h, r->dport, r->proto, h_fail);
		if (ps) {
			c32_add(&ps->flows, 1, cur);
			c32_add(&ps->failed, (uint32_t)h_fail, cur);
			t64_note(&ps->first, t, cur);
			if (h_fail)
				host_set_add(p, h, (unsigned)(S_HP0 + (ps - h->hp)), dh, cur);
			uint32_t nd = fh_hs_count(p, &ps->dsts);
			if (ps->failed.win >= 5 &&
				ps->failed.win >= c->scan_fail_ratio * ps->flows.win &&
				(nd >= c->scan_h_targets || (h->trw_scanner && nd >= 5))) {
				if (!raise_quick(a, FH_ALERT_SCAN_HORIZONTAL,
					    !judged_inside(a, &r->src)	  ? FH_SEV_LOW
					    : nd >= 10 * c->scan_h_targets ? FH_SEV_HIGH
									   : FH_SEV_MEDIUM,
					    &r->src, NULL, ps->port, ps->proto, ps->first.win, t,
					    ps->flows.win, pk, by, nd, &r->exporter, NULL)) {
					fh_evidence_fmt(ev, sizeof(ev),
						"{\"distinct_targets\":%u,\"failed_flows\":%u,"
						"\"flows\":%u,"
						"\"trw_scanner\":%s,\"window_s\":%llu}",
						nd, ps->failed.win, ps->flows.win,
						h->trw_scanner ? "true" : "false",
						(unsigned long long)(c->window_ms / 1000));
					raise_full(a, ev);
				}
				worm_note(a, sh, ps->port, ps->proto, t, &r->exporter);
				int sc = slow_pane(a, h, t);
				h->fast_scanner |= sc > 0 ? 3 : sc == 0 ? 1 : 0;
			}
		}
		/* vertical: one host, many ports */
		struct dst_slot *vs = dst_slot(p, h, &r->dst, dh, failed);
		if (vs) {
			c32_add(&vs->flows, 1, cur);
			c32_add(&vs->failed, (uint32_t)failed, cur);
			t64_note(&vs->first, t, cur);
			host_set_add(p, h, (unsigned)(S_VP0 + (vs - h->vp)),
				fh_hs_mix((uint64_t)r->dport << 8 | r->proto), cur);
			uint32_t np = fh_hs_count(p, &vs->ports);
			if (np >= c->scan_v_ports &&
				vs->failed.win >= c->scan_fail_ratio * vs->flows.win) {
				if (!raise_quick(a, FH_ALERT_SCAN_VERTICAL,
					    np >= 1000 ? FH_SEV_HIGH : FH_SEV_MEDIUM, &r->src,
					    &vs->dst, -1, r->proto, vs->first.win, t, vs->flows.win,
					    pk, by, np, &r->exporter, NULL)) {
					fh_evidence_fmt(ev, sizeof(ev),
						"{\"distinct_ports\":%u,\"failed_flows\":%u,"
						"\"flows\":%u,\"window_s\":%llu}",
						np, vs->failed.win, vs->flows.win,
						(unsigned long long)(c->window_ms / 1000));
					raise_full(a, ev);
				}
			}
		}
		/* slow: the same over a long window, far fewer targets a minute */
		int sc;
		if (failed && !p2p_fail && (sc = slow_pane(a, h, t)) >= 0) {
			host_set_add(p, h, S_SLOW, dh, sc);
			c32_add(&h->slow_failed, 1, sc);
			t64_note(&h->slow_first, t, sc);
			uint32_t ns = fh_hs_count(p, &h->slow_dsts);
			if (ns >= c->scan_slow_targets && h->slow_failed.win >= ns / 2 &&
				t - h->slow_first.win > c->window_ms && !h->fast_scanner) {
				if (!raise_quick(a, FH_ALERT_SCAN_SLOW,
					    judged_inside(a, &r->src) ? FH_SEV_MEDIUM : FH_SEV_LOW, &r->src,
					    NULL, -1, 0, h->slow_first.win, t, /* one set: any proto */
					    h->slow_failed.win, 0, 0, ns, &r->exporter, NULL)) {
					fh_evidence_fmt(ev, sizeof(ev),
						"{\"distinct_targets\":%u,\"failed_flows\":%u,"
						"\"window_s\":%llu}",
						ns, h->slow_failed.win,
						(unsigned long long)(c->scan_slow_window_ms /
								     1000));
					raise_full(a, ev);
				}
			}
		}
	}

	/* DNS: tunnels (a client's volume) and open resolvers (an inside server's clients) */
	if (r->dport == 53 && (r->proto == 17 || r->proto == 6) &&
		!allowed(a->cfg.allow_resolvers, &r->src)) {
		t64_note(&h->dns_first, r->first_ms, cur);
		c64_add(&h->dns_q, pk, cur);
		c64_add(&h->dns_bytes, by, cur);
		h->dns_server = r->dst;
		c32_add(&h->dns_port_changes, h->dns_flows.win && r->sport != h->dns_last_sport,
			cur);
		c32_add(&h->dns_flows, 1, cur);
		h->dns_last_sport = r->sport;
		uint64_t q = h->dns_q.win, qb = h->dns_bytes.win;
		/* A resolver forwarding its clients' lookups sends many queries to one upstream,
		 * with EDNS0 as large as a slow tunnel's (around 100 bytes), but each from a
		 * random source port (RFC 5452), and it answers DNS itself; a tunnel client
		 * (iodine, dnscat2) keeps one socket, and a script that sends each chunk with a
		 * new process (random ports) sends long names (150 bytes and more). */
		int resolver =
			h->dns_answers.win >= RESOLVER_ANSWERS ||
			(h->dns_flows.win >= 4 && h->dns_port_changes.win * 2 >= h->dns_flows.win &&
				qb < RESOLVER_QUERY_BYTES * q);
		/* or far more DNS than the other hosts send (the 99th percentile of their DNS
		 * bytes in a window, struct pop): a tunnel with short names */
		uint64_t p99 = a->pop[FC_DNS].p99, vol = host_fc(h, FC_DNS)->bytes.win;
		int big = qb >= (uint64_t)c->dns_tunnel_avg_bytes * q;
		int heavy = c->dns_tunnel_vs_hosts > 0 && p99 &&
			    (double)vol >= c->dns_tunnel_vs_hosts * (double)p99;
		if (q >= c->dns_tunnel_queries && !resolver && (big || heavy)) {
			if (!raise_quick(a, FH_ALERT_DNS_TUNNEL, FH_SEV_HIGH, &r->src,
				    &h->dns_server, 53, r->proto, h->dns_first.win, t, q, q, qb, 1,
				    &r->exporter, NULL)) {
				fh_evidence_fmt(ev, sizeof(ev),
					"{\"queries\":%llu,\"query_bytes\":%llu,\"avg_query_"
					"bytes\":%llu,\"dns_bytes\":%llu,\"hosts_p99_bytes\":%llu,"
					"\"long_names\":%s,\"far_above_hosts\":%s,\"window_s\":%llu}",
					(unsigned long long)q, (unsigned long long)qb,
					(unsigned long long)(qb / q), (unsigned long long)vol,
					(unsigned long long)p99, big ? "true" : "false",
					heavy ? "true" : "false",
					(unsigned long long)(c->window_ms / 1000));
				raise_full(a, ev);
			}
		}
	}
	if (r->sport == 53 && r->proto == 17)
		c32_add(&h->dns_answers, 1, cur);
	if (r->sport == 53 && r->proto == 17 && inside(a, &r->src) && !inside(a, &r->dst) &&
		!allowed(a->cfg.allow_resolvers, &r->src)) {
		t64_note(&h->resolver_first, r->first_ms, cur);
		host_set_add(p, h, S_RESOLVER, dh, cur);
		uint32_t n = fh_hs_count(p, &h->resolver_clients);
		if (n >= c->resolver_clients) {
			if (!raise_quick(a, FH_ALERT_DNS_OPEN_RESOLVER, FH_SEV_MEDIUM, &r->src,
				    NULL, 53, 17, h->resolver_first.win, t, n, pk, by, n,
				    &r->exporter, NULL)) {
				fh_evidence_fmt(ev, sizeof(ev),
					"{\"outside_clients\":%u,\"window_s\":%llu}", n,
					(unsigned long long)(c->window_ms / 1000));
				raise_full(a, ev);
			}
		}
	}

	/* spam: an inside host (not a mail server) speaking SMTP to many outside hosts, or a
	 * mail server whose SMTP fan-out jumps far above its own baseline */
	if (r->dport == 25 && r->proto == 6 && !inside(a, &r->dst) &&
		judged_inside(a, &r->src)) {
		int mail = allowed(a->cfg.allow_mail, &r->src);
		t64_note(&h->smtp_first, r->first_ms, cur);
		host_set_add(p, h, S_SMTP, dh, cur);
		uint32_t n = fh_hs_count(p, &h->smtp_dsts);
		double base = h->smtp_ewma;
		if (!mail && n >= c->spam_targets)
			mail = mx_host(a, h, t);
		if (!mail && n >= c->spam_targets) {
			if (!raise_quick(a, FH_ALERT_SPAM_SMTP, FH_SEV_HIGH, &r->src, NULL, 25, 6,
				    h->smtp_first.win, t, n, pk, by, n, &r->exporter, NULL)) {
				fh_evidence_fmt(ev, sizeof(ev), "{\"smtp_servers\":%u,\"window_s\":%llu}",
					n, (unsigned long long)(c->window_ms / 1000));
				raise_full(a, ev);
			}
		} else if (mail && mail_jumped(h, c, n)) {
			if (!raise_quick(a, FH_ALERT_SPAM_SMTP, FH_SEV_HIGH, &r->src, NULL, 25, 6,
				    h->smtp_first.win, t, n, pk, by, n, &r->exporter, NULL)) {
				fh_evidence_fmt(ev, sizeof(ev),
					"{\"smtp_servers\":%u,\"baseline\":%.1f,"
					"\"baseline_windows\":%u,\"window_s\":%llu,\"mail_server\":"
					"true}",
					n, base, h->smtp_windows,
					(unsigned long long)(c->window_ms / 1000));
				raise_full(a, ev);
			}
		}
	}

	/* BitTorrent: high ports on both sides to several peers, TCP and UDP or the BT ports */
	if (r->sport >= 1024 && r->dport >= 1024 && (r->proto == 6 || r->proto == 17)) {
		t64_note(&h->p2p_first, r->first_ms, cur);
		host_set_add(p, h, S_P2P, dh, cur);
		/* a TCP reply from a port the host serves (its fan-in: a video bridge's TCP 4443
		 * beside its UDP 10000) is a server's, not a P2P client's own connections */
		int sc;
		uint8_t f = r->proto == 17 ? P2P_UDP : served(a, h, r->sport, t, &sc) ? 0 : P2P_TCP;
		h->p2p_win |= f;
		h->p2p_cur |= cur ? f : 0;
		c32_add(&h->p2p_flows, 1, cur);
		c32_add(&h->p2p_rbt, (port_info[r->dport] & PORT_BT) != 0, cur);
		/* or peers reached on BitTorrent ports in a sixteenth of its high-port flows, three
		 * at least (a sampled exporter may show each connection once): a busy server's
		 * clients' ephemeral ports are BitTorrent ones in about one flow of 2,000 */
		if (((port_info[r->sport] | port_info[r->dport]) & PORT_BT &&
			    p2p_listening(h, r, dh)) ||
			(h->p2p_rbt.win >= 3 && h->p2p_rbt.win * 16 >= h->p2p_flows.win)) {
			h->p2p_win |= P2P_BT;
			h->p2p_cur |= cur ? P2P_BT : 0;
		}
		uint32_t n = fh_hs_count(p, &h->p2p_peers);
		int bt_port = h->p2p_win & P2P_BT,
		    both = (h->p2p_win & (P2P_TCP | P2P_UDP)) == (P2P_TCP | P2P_UDP);
		if ((bt_port && n >= c->p2p_peers) || (both && n >= 10 * c->p2p_peers)) {
			if (!raise_quick(a, FH_ALERT_P2P_BITTORRENT, FH_SEV_LOW, &r->src, NULL, -1,
				    0, h->p2p_first.win, t, n, pk, by, n, &r->exporter, NULL)) {
				fh_evidence_fmt(ev, sizeof(ev),
					"{\"peers\":%u,\"bittorrent_port\":%s,\"tcp_and_udp\":%s}",
					n, bt_port ? "true" : "false", both ? "true" : "false");
				raise_full(a, ev);
			}
		}
	}

unwindowed:
	/* long flows: HTTP(S) tunnels (long, thin) and SSH bulk transfers (long, heavy) */
	if (r->proto == 6 &&
		(r->dport == 80 || r->dport == 443 || r->dport == 8080 || r->dport == 22)) {
		int same = h->lf.port == r->dport && fh_ip_eq(&h->lf.dst, &r->dst);
		/* a report of the same flow continues it; a gap of 5 minutes starts a new one */
		if (same &&
			(r->first_ms > h->lf.last + 300000 || r->last_ms + 300000 < h->lf.first))
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
			h->lf.pkts = h->lf.pkts + pk > UINT32_MAX ? UINT32_MAX
								  : (uint32_t)(h->lf.pkts + pk);
			uint64_t dur = h->lf.last - h->lf.first;
			/* thin from a sixth of tunnel_http_ms on: counted with the hosts holding
			 * such flows to its network (lf_popular); a tunnel at tunnel_http_ms */
			if (r->dport != 22 && dur >= c->tunnel_http_ms / 6 &&
				h->lf.bytes * 1000 <= (uint64_t)c->tunnel_http_bps * dur) {
				uint32_t users = lf_popular(a, h, sh, t);
				if (dur >= c->tunnel_http_ms &&
					(!c->tunnel_http_popular || users < c->tunnel_http_popular) &&
					!raise_quick(a, FH_ALERT_TUNNEL_HTTP, FH_SEV_MEDIUM, &r->src,
						&h->lf.dst, h->lf.port, 6, h->lf.first, t, 1, h->lf.pkts,
						h->lf.bytes, 1, &r->exporter, NULL)) {
					fh_evidence_fmt(ev, sizeof(ev),
						"{\"duration_s\":%llu,\"bytes\":%llu,\"bytes_per_"
						"s\":%.1f,\"hosts_to_net\":%u}",
						(unsigned long long)(dur / 1000),
						(unsigned long long)h->lf.bytes,
						h->lf.bytes * 1000.0 / dur, users);
					raise_full(a, ev);
				}
			}
			if (r->dport == 22 && dur >= c->tunnel_ssh_ms &&
				h->lf.bytes >= c->tunnel_ssh_bytes && h->lf.pkts &&
				h->lf.bytes / h->lf.pkts >= 500) {
				if (!raise_quick(a, FH_ALERT_TUNNEL_SSH, FH_SEV_MEDIUM, &r->src,
					    &h->lf.dst, 22, 6, h->lf.first, t, 1, h->lf.pkts,
					    h->lf.bytes, 1, &r->exporter, NULL)) {
					fh_evidence_fmt(ev, sizeof(ev),
						"{\"duration_s\":%llu,\"bytes\":%llu,\"bytes_per_"
						"packet\":%llu}",
						(unsigned long long)(dur / 1000),
						(unsigned long long)h->lf.bytes,
						(unsigned long long)(h->lf.bytes / h->lf.pkts));
					raise_full(a, ev);
				}
			}
		}
	}
}

/* Blocklists, for every record of a source (also one held: src_hold): either side listed;
 * the other side is the alert's source. But an inside address (home_net) on a list talking
 * to outside hosts is the finding itself: one alert for it (src the listed host, no dst),
 * whoever its peers are (a campus Tor relay's clients, a compromised host's targets: its
 * top_peers), not one for each of them. */
static void blocklist_view(struct fh_analytics *a, const struct fh_flow_rec *r, uint64_t m)
{
	struct fh_blocklist_match bm;
	const struct fh_ip *listed = NULL, *other = NULL;
	if (fh_blocklist_lookup(a->cfg.blocklists, &r->dst, &bm)) {
		listed = &r->dst;
		other = &r->src;
	} else if (fh_blocklist_lookup(a->cfg.blocklists, &r->src, &bm)) {
		listed = &r->src;
		other = &r->dst;
	} else {
		return;
	}
	int own = inside(a, listed) && !inside(a, other);
	if (!raise_quick(a, FH_ALERT_BLOCKLIST, FH_SEV_HIGH, own ? listed : other,
		    own ? NULL : listed, -1, 0, r->first_ms, r->last_ms, 1, r->packets * m,
		    r->bytes * m, 1, &r->exporter, bm.list)) {
		char ev[FH_ALERT_EVIDENCE], net[FH_IP_STRLEN];
		int v4 = fh_ip_is_v4(&bm.net) && bm.plen128 >= 96;
		fh_evidence_fmt(ev, sizeof(ev),
			"{\"list\":\"%s\",\"entry\":\"%s/%u\",\"note\":\"%s\",\"port\":%u%s}",
			bm.list, fh_ip_fmt(&bm.net, net, sizeof(net)),
			v4 ? bm.plen128 - 96 : bm.plen128, bm.note,
			listed == &r->dst ? r->dport : r->sport,
			own ? ",\"listed_inside\":true" : "");
		raise_full(a, ev);
	}
}

/* ---- detectors: the victim's view ----------------------------------------------------- */


static void flood_advance(struct host *h, uint32_t p)
{
	uint32_t n = p - h->vpane < FLOOD_PANES ? p - h->vpane : FLOOD_PANES;
	for (uint32_t k = 1; k <= n; k++)
		memset(&h->fp[(h->vpane + k) % FLOOD_PANES], 0, sizeof(h->fp[0]));
	h->tans[1] = n == 1 ? h->tans[0] : 0;
	h->tans[0] = 0;
	h->vpane = p;
}

/* Whether a victim has its usual rate (FLOOD_WARM_PANES panes of it). */
static inline int vbase_warm(const struct host *h)
{
	return h->vbase_panes >= FLOOD_WARM_PANES;
}

/*
 * Whether a victim talks back to the `n` packets of flood kind k it received, with `ans` UDP
 * and `tans` TCP (tcp_sent) packets sent meanwhile: a sixteenth of UDP (a resolver's answers,
 * a QUIC client's acknowledgements), as many TCP packets in connections as SYNs or SYN-ACKs (a
 * server's replies, a client's requests, seen alone under packet sampling). A flood's victim
 * answers little of it or nothing; a reflection's answers come to no query. ICMP: a ping
 * flood's victim replies as a busy host does, so never.
 */
static inline int flood_answered(unsigned k, uint64_t n, uint64_t ans, uint64_t tans)
{
	return k == FK_UDP ? UDP_TALKS * ans >= n : k == FK_SYN || k == FK_SYNACK ? tans >= n : 0;
}

/*
 * A victim's usual rate: when its newest flood pane is over, each kind's packets/s in it
 * join the victim's baseline (vbase), unless they were a flood's (flood_vs_baseline times
 * the baseline and flood_pps): the mean of its first panes, then an EWMA. Panes without
 * traffic are not samples. Before there is a baseline, a pane at flood_pps in which most
 * flows came from a source not seen in the window (a spoofed flood's random sources; a busy
 * server's clients come back) is not one either: a flood under way when the victim is first
 * seen is not learnt as its usual rate. A flood is then also judged against the victim's
 * own rate (victim_view), so that a busy server's usual load (a campus resolver's thousands
 * of queries a second from as many clients) is not a flood, and a jump far above it is.
 */
static void flood_baseline(struct host *h, const struct fh_detect_cfg *c)
{
	const struct flood_pane *fp = &h->fp[h->vpane % FLOOD_PANES];
	if (!fp->flows)
		return;
	int warm = vbase_warm(h);
	float w = h->vbase_panes < FLOOD_BASE_PANES ? 1.0f / (h->vbase_panes + 1)
						    : 1.0f / FLOOD_BASE_PANES;
	for (unsigned k = 0; k < 4; k++) {
		float pps = (float)fp->pk[k] * (1000.0f / FLOOD_PANE_MS);
		if (pps >= (float)c->flood_pps &&
			(warm ? pps >= c->flood_vs_baseline * h->vbase[k]
			      : !flood_answered(k, fp->pk[k], fp->ans, h->tans[0])))
			continue; /* a flood's pane is not the victim's usual */
		h->vbase[k] += w * (pps - h->vbase[k]);
	}
	if (h->vbase_panes < UINT16_MAX)
		h->vbase_panes++;
}

/* The flood a record could be part of (FK_*), or -1: TCP without SYN, or with data (a real
 * connection, not a flood of handshakes), and protocols no flood here uses. */
static inline int flood_kind(const struct fh_flow_rec *r)
{
	if (r->proto == 6 && (r->tcp_flags & 0x02)) {
		if ((r->tcp_flags & 0x10) && (r->tcp_flags & 0x08))
			return -1;
		return (r->tcp_flags & 0x10) ? FK_SYNACK : FK_SYN;
	}
	if (r->proto == 17)
		return FK_UDP;
	if (r->proto == 1 || r->proto == 58)
		return FK_ICMP;
	return -1;
}

/* A record of ICMP echo requests (type 8; ICMPv6 128) that can be a flood by itself: a ping
 * flood (ping -f, hping3 --icmp) is one flow. At least 8 packets seen (not scaled): one
 * sample of a sampled exporter, scaled to thousands, is no evidence of a rate. */
static inline int ping_stream(const struct fh_flow_rec *r)
{
	return ((r->proto == 1 && r->dport >> 8 == 8) || (r->proto == 58 && r->dport >> 8 == 128)) &&
	       r->packets >= 8;
}

/* What the destination of an event keeps state for: DN_FLOOD (what could be a flood's),
 * DN_SERVER (a connection to an inside server), neither (most TCP peers: no state). Worked
 * out once an event: it decides the prefetches and the destination's view. A multicast
 * group or the broadcast address is no victim: a LAN's mDNS, SSDP and LLMNR, seen by a tap,
 * come to one from every host. */
enum { DN_FLOOD = 1, DN_SERVER = 2 };
static inline unsigned dst_need(const struct fh_analytics *a, const struct fh_flow_event *ev)
{
	if (!(ev->roles & FH_ROLE_DST))
		return 0;
	return (flood_kind(&ev->rec) >= 0 && !fh_ip_is_group(&ev->rec.dst) ? DN_FLOOD : 0) |
	       (server_conn(a, &ev->rec) ? DN_SERVER : 0);
}

static void victim_view(struct fh_analytics *a, const struct fh_flow_rec *r, uint64_t m,
	uint64_t sh, uint64_t dh, unsigned need, uint32_t idx);

/* The destination's view of an event: a flood-kind record for a destination without victim
 * state yet waits for the destination's next (struct hold), which counts it first. */
static void dst_view(struct fh_analytics *a, const struct fh_flow_rec *r, uint64_t m,
	uint64_t sh, uint64_t dh, unsigned need)
{
	if (!need)
		return;
	uint32_t i = host_find(a, &r->dst, dh);
	if (i == NIL || !a->hosts[i].vpane) {
		struct hold *hd = &a->hold[dh % HOLD_SLOTS];
		int held = hd->used && fh_ip_eq(&hd->dst, &r->dst);
		/* an echo request stream that is a flood by itself is judged at once */
		int alone = ping_stream(r) &&
			    r->packets * m >= (a->cfg.n_nets ? detect_for(a, &r->dst)
								: &a->cfg.detect)->flood_pps;
		if (!held && need == DN_FLOOD && !alone) {
			a->st.flood_first_dropped += hd->used;
			uint64_t d = r->last_ms > r->first_ms ? r->last_ms - r->first_ms : 0;
			*hd = (struct hold){.dst = r->dst, .src = r->src, .first_ms = r->first_ms,
				.packets = r->packets,
				.last_delta = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d,
				.sampling = r->sampling, .sport = r->sport, .dport = r->dport,
				.proto = r->proto, .tcp_flags = r->tcp_flags, .used = 1};
			return;
		}
		if (held) { /* counted first, as if it had not waited */
			struct fh_flow_rec f = {.dst = hd->dst, .src = hd->src,
				.first_ms = hd->first_ms, .last_ms = hd->first_ms + hd->last_delta,
				.packets = hd->packets, .sampling = hd->sampling, .sport = hd->sport,
				.dport = hd->dport, .proto = hd->proto, .tcp_flags = hd->tcp_flags};
			hd->used = 0;
			a->cur_rec = &f; /* the flow an alert would show */
			victim_view(a, &f, f.sampling ? f.sampling : 1, ip_h(&f.src), dh, DN_FLOOD, i);
			a->cur_rec = r;
			i = host_find(a, &r->dst, dh); /* made now (and the pool may have evicted) */
		}
	}
	victim_view(a, r, m, sh, dh, need, i);
}

/*
 * A UDP flow to a host from the port its open scan slot names: an answer to one of its lone
 * datagrams (a NetFlow record is one direction; the answer is a record of its own). That
 * datagram was a lookup, not a probe: one failure fewer in the slot and in the slow window.
 * A recursive resolver's queries to thousands of authoritative servers, an NTP or SNMP
 * poller's requests, are answered; a scan's probes of closed ports are not (or by ICMP).
 */
static void udp_answer(struct fh_analytics *a, struct host *h, const struct fh_flow_rec *r,
	uint64_t t)
{
	struct port_slot *ps = port_slot(&a->hs, h, r->sport, 17, 0); /* only an open one */
	if (!ps)
		return;
	int cur = pane_at(h->pane, a->pane_ms, t), sc;
	if (cur >= 0)
		c32_take(&ps->failed, cur);
	if ((sc = pane_at(h->spane, a->slow_pane_ms, t)) >= 0)
		c32_take(&h->slow_failed, sc);
}

/* idx: the destination's host (host_find; NIL: none yet) */
static void victim_view(struct fh_analytics *a, const struct fh_flow_rec *r, uint64_t m,
	uint64_t sh, uint64_t dh, unsigned need, uint32_t idx)
{
	int kind = flood_kind(r), conn = need & DN_SERVER;
	a->cur_host = NULL; /* a flood's source is not this host */
	const struct fh_detect_cfg *c = a->cfg.n_nets ? detect_for(a, &r->dst) : &a->cfg.detect;
	uint64_t t = r->last_ms;
	struct host *h = host_at(a, idx, &r->dst, dh, t);
	victim_init(h, t);
	if (conn)
		server_view(a, h, r, sh);
	if (r->proto == 17 && (h->hkey[0] | h->hkey[1]))
		udp_answer(a, h, r, t);
	if (kind < 0)
		return;
	/* the record's own pane in the ring; a later one moves the ring on */
	uint32_t p = (uint32_t)(t / FLOOD_PANE_MS) + 1; /* 0 is "none yet" */
	if (p > h->vpane) {
		flood_baseline(h, c);
		/* the sets follow the newest pane, two panes wide; late records join them */
		unsigned panes = p - h->vpane > 1 ? 2 : 1;
		fh_hs_roll(&a->hs, &h->flood_srcs, panes);
		fh_hs_roll(&a->hs, &h->flood_ports, panes);
		flood_advance(h, p);
	} else if (h->vpane - p >= FLOOD_PANES) {
		a->st.late++;
		return;
	}
	int cur = p == h->vpane;
	struct flood_pane *fp = &h->fp[p % FLOOD_PANES];
	struct flood_pane *pp =
		p > h->vpane - (FLOOD_PANES - 1) ? &h->fp[(p - 1) % FLOOD_PANES] : NULL;
	uint64_t start = (uint64_t)(p - 1) * FLOOD_PANE_MS;
	uint32_t f0 = (uint32_t)(r->first_ms > start ? r->first_ms - start : 0) + 1;
	uint32_t l0 = (uint32_t)(t - start) + 1;
	if (!fp->flows && (!pp || !pp->flows))
		h->flood_src1 = r->src;
	uint64_t pk = r->packets * m;
	fp->pk[kind] = fp->pk[kind] + pk > UINT32_MAX ? UINT32_MAX : (uint32_t)(fp->pk[kind] + pk);
	fp->flows += fp->flows < UINT16_MAX;
	if (!fp->first || f0 < fp->first)
		fp->first = (uint16_t)f0;
	if (l0 > fp->last)
		fp->last = (uint16_t)l0;
	host_set_add(&a->hs, h, S_FLOOD_SRCS, sh, cur);
	host_set_add(&a->hs, h, S_FLOOD_PORTS, fh_hs_mix(r->dport), cur);

	/* the window of this record: its pane and the one before; the rate over the span of
	 * the records in it (at least 1 s) */
	uint64_t n = fp->pk[kind], flows = fp->flows;
	uint64_t first = start + fp->first - 1, last = start + fp->last - 1;
	if (pp && pp->flows) {
		n += pp->pk[kind];
		flows += pp->flows;
		first = start - FLOOD_PANE_MS + pp->first - 1;
	}
	uint64_t span = last - first;
	if (r->last_ms - r->first_ms > span) /* one long flow: its packets were spread out */
		span = r->last_ms - r->first_ms;
	if (span < 1000)
		span = 1000;
	uint64_t pps = n * 1000 / span;
	uint32_t ns = fh_hs_count(&a->hs, &h->flood_srcs);
	/* many sources, or (early in a window) a new source for most flows */
	int spoofed = ns >= c->flood_sources || (ns >= 10 && ns * 2 >= flows);
	/* fewer than 10 flows, each from a new source: spoofed or not is told at the 10th (a
	 * sampled exporter shows a spoofed flood a few records a second; judged at its 8th, it
	 * was first an alert from one of its random sources, then a second, spoofed one) */
	int undecided = ns >= flows && flows < 10 && !ping_stream(r);
	/* a fast scan from one host hits many ports; a flood hits few, or comes from many; one
	 * heavy stream (a video, a download) is a single flow, a flood tool makes many; but a
	 * stream of echo requests at that rate is a ping flood */
	int usual = c->flood_vs_baseline > 0 && vbase_warm(h) &&
		    (double)pps < c->flood_vs_baseline * h->vbase[kind];
	/* before it has a usual rate: a host that sends a sixteenth of the UDP it receives or
	 * more is talking, not drowning: a campus resolver answering its clients when flowhound
	 * starts, a QUIC client (or a NAT of many) acknowledging its downloads every 2 to 10
	 * packets; a flood's victim answers little of it, or nothing (a reflection's answers to
	 * no query) */
	if (c->flood_vs_baseline > 0 && !vbase_warm(h))
		usual = flood_answered((unsigned)kind, n,
			(uint64_t)fp->ans + (pp && pp->flows ? pp->ans : 0),
			(uint64_t)h->tans[0] + h->tans[1]);
	if (n >= c->flood_pps && pps >= c->flood_pps && (flows >= 8 || ping_stream(r)) &&
		!undecided && (spoofed || fh_hs_count(&a->hs, &h->flood_ports) <= 16) && !usual) {
		static const char *const kinds[] = {"syn", "syn-ack reflection", "udp", "icmp"};
		static const uint8_t types[] = {FH_ALERT_FLOOD_SYN, FH_ALERT_FLOOD_SYN,
			FH_ALERT_FLOOD_UDP, FH_ALERT_FLOOD_ICMP};
		char ev[512], ports[256], base[32] = "null";
		struct fh_ip any = {{0}};
		if (fh_ip_is_v4(&r->dst))
			any.a[10] = any.a[11] = 0xff; /* 0.0.0.0: many sources */
		if (!raise_quick(a, types[kind],
			    pps >= 10 * c->flood_pps ? FH_SEV_CRITICAL : FH_SEV_HIGH,
			    spoofed ? &any : &h->flood_src1, &r->dst, -1, r->proto, first, t, ns, n,
			    0, 1, &r->exporter, NULL)) {
			server_evidence(a, h, ports, sizeof(ports));
			if (vbase_warm(h))
				fh_evidence_fmt(base, sizeof(base), "%.0f", (double)h->vbase[kind]);
			fh_evidence_fmt(ev, sizeof(ev),
				"{\"packets_per_s\":%llu,\"packets\":%llu,\"distinct_sources\":%u,"
				"\"spoofed\":%s,\"kind\":\"%s\",\"baseline_pps\":%s,"
				"\"server_ports\":%s}",
				(unsigned long long)pps, (unsigned long long)n, ns,
				spoofed ? "true" : "false", kinds[kind], base, ports);
			raise_full(a, ev);
		}
	}
}

/* ---- API ------------------------------------------------------------------------------ */

static void set_panes(struct fh_analytics *a)
{
	a->pane_ms = a->cfg.detect.window_ms / 2 ? a->cfg.detect.window_ms / 2 : 1;
	a->slow_pane_ms =
		a->cfg.detect.scan_slow_window_ms / 2 ? a->cfg.detect.scan_slow_window_ms / 2 : 1;
}

struct fh_analytics *fh_analytics_new(
	const struct fh_analytics_cfg *cfg, struct fh_alert_sink **sinks, unsigned n_sinks)
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
	/* two buckets or more a host: chains of half a host on average, so that a lookup meets
	 * few other hosts' lines */
	uint32_t nb = 16;
	while (nb < a->cap * 2ull && nb < (1u << 31))
		nb <<= 1;
	a->bmask = nb - 1;
	/* Both pools are reserved at their full size and filled in order: a page costs memory
	 * when a host or a bitmap first lands on it. Hosts are cleared as they are taken. */
	if (a->cap > (UINT32_MAX - 1) / HOST_SETS) {
		free(a);
		return NULL;
	}
	set_panes(a);
	a->hosts = aligned_alloc(64, (size_t)a->cap * sizeof(*a->hosts));
	a->pool.cap = a->cap; /* one first-contact bitmap a host */
	a->pool.bm = calloc(a->pool.cap, sizeof(*a->pool.bm));
	a->pool.free_head = NIL;
	/* the sets' blocks: taken in chunks as needed, up to one for every set */
	int hs_ok = fh_hs_pool_init(&a->hs, a->cap * HOST_SETS) == 0;
	a->buckets = malloc(nb * sizeof(*a->buckets));
	a->prev = malloc((size_t)a->cap * sizeof(*a->prev));
	a->hold = aligned_alloc(64, HOLD_SLOTS * sizeof(*a->hold));
	if (a->hold)
		memset(a->hold, 0, HOLD_SLOTS * sizeof(*a->hold));
	a->src_hold = calloc(SRC_HOLD_SLOTS, sizeof(*a->src_hold));
	a->alerts = fh_alert_table_new(&a->cfg.alerts, sinks, n_sinks);
	a->worms = cfg->worms ? cfg->worms : (a->own_worms = fh_worm_table_new());
	if (a->worms)
		a->worm_me = fh_worm_join(a->worms);
	if (!a->hosts || !a->pool.bm || !hs_ok || !a->buckets || !a->prev || !a->hold ||
		!a->src_hold || !a->alerts || !a->worms) {
		fh_analytics_free(a);
		return NULL;
	}
	for (uint32_t i = 0; i < nb; i++)
		a->buckets[i] = NIL;
	a->next_victim = NIL;
	return a;
}

void fh_analytics_reconfigure(struct fh_analytics *a, const struct fh_analytics_cfg *cfg)
{
	uint32_t hosts = a->cfg.detect.hosts;
	struct fh_alert_table_cfg alerts = a->cfg.alerts;
	uint64_t pane = a->pane_ms, slow = a->slow_pane_ms;
	a->cfg = *cfg;
	a->cfg.detect.hosts = hosts; /* the host pool is sized once */
	a->cfg.alerts = alerts;
	set_panes(a);
	/* new window lengths: pane numbers of the old length mean nothing now; a host's windows
	 * start again (empty) at its next record as a source, whose section is then cleared:
	 * the sets in it give their blocks back first */
	if (pane == a->pane_ms && slow == a->slow_pane_ms)
		return;
	for (uint32_t i = 0; i < a->n_hosts; i++) {
		struct host *h = &a->hosts[i];
		if (h->pane) {
			roll_src(a, h, h->pane, 2);
			fh_hs_clear(&a->hs, &h->slow_dsts);
			h->pane = h->spane = 0;
			h->fast_scanner = 0;
		}
		if (h->vpane && h->svpane) { /* a server's fan-in: the same */
			roll_svc(a, h, 2);
			h->svpane = 0;
		}
	}
}

void fh_analytics_free(struct fh_analytics *a)
{
	if (!a)
		return;
	fh_alert_table_free(a->alerts);
	fh_worm_table_free(a->own_worms);
	free(a->hosts);
	free(a->pool.bm);
	fh_hs_pool_free(&a->hs);
	free(a->buckets);
	free(a->prev);
	free(a->hold);
	free(a->src_hold);
	free(a);
}

/* Whether a record can raise no alert of its source's by itself: shorter than a sixth of the
 * tunnels' durations (a long flow's report: tunnel.http, tunnel.ssh, noted for lf_popular),
 * and not a DNS record of dns_tunnel_queries queries or more. Every other detector of a source
 * needs several of its flows. (Blocklists judge every record: blocklist_view.) */
static int alone_quiet(const struct fh_analytics *a, const struct fh_flow_rec *r)
{
	const struct fh_detect_cfg *c = a->cfg.n_nets ? detect_for(a, &r->src) : &a->cfg.detect;
	uint64_t m = r->sampling ? r->sampling : 1;
	uint64_t lf =
		(c->tunnel_http_ms < c->tunnel_ssh_ms ? c->tunnel_http_ms : c->tunnel_ssh_ms) / 6;
	return r->last_ms >= r->first_ms && r->last_ms - r->first_ms < lf &&
	       !(r->dport == 53 && r->packets * m >= c->dns_tunnel_queries);
}

/*
 * Whether a source's record waits in src_hold (1) instead of being judged now (0): an outside
 * source's (home_net) record that can raise nothing by itself (alone_quiet), when the source
 * has no host state and the pool is full (a state for it would evict another host). A
 * source's second record judges its held first one before it (0).
 */
static __attribute__((noinline)) int src_hold_full(
	struct fh_analytics *a, const struct fh_flow_rec *r, uint64_t sh)
{
	struct src_hold *sd = &a->src_hold[sh % SRC_HOLD_SLOTS];
	if (sd->used && fh_ip_eq(&sd->rec.src, &r->src)) { /* its second record */
		struct fh_flow_rec f = sd->rec;
		sd->used = 0;
		a->cur_rec = &f; /* the flow an alert would show */
		src_view(a, &f, f.sampling ? f.sampling : 1, sh, ip_h(&f.dst));
		a->cur_rec = r;
		return 0;
	}
	/* judged_inside: inside, or no home_net (nothing is outside) */
	if (judged_inside(a, &r->src) || !alone_quiet(a, r) || host_find(a, &r->src, sh) != NIL)
		return 0;
	a->st.src_first_dropped += sd->used;
	sd->rec = *r;
	sd->used = 1;
	return 1;
}

static inline int src_hold(struct fh_analytics *a, const struct fh_flow_rec *r, uint64_t sh)
{
	/* the pool fills once and stays full (a state is only ever given back for another):
	 * before, nothing is held */
	if (__builtin_expect(a->n_hosts < a->cap, 1))
		return 0;
	return src_hold_full(a, r, sh);
}

static inline void event_one(struct fh_analytics *a, const struct fh_flow_event *ev,
	uint64_t sh, uint64_t dh, unsigned need)
{
	const struct fh_flow_rec *r = &ev->rec;
	uint64_t m = r->sampling ? r->sampling : 1;
	a->st.events++;
	if (!r->packets && !r->bytes)
		return;
	a->cur_rec = r;
	if (ev->roles & FH_ROLE_SRC) {
		if (src_hold(a, r, sh))
			a->cur_host = NULL; /* held: no state of the source's for the evidence */
		else
			src_view(a, r, m, sh, dh);
		if (a->cfg.blocklists)
			blocklist_view(a, r, m);
	}
	dst_view(a, r, m, sh, dh, need);
}

/* The host lines an event will touch: the source's first two, its flow class's (the web
 * class is in the second) and, for web and SSH over TCP, its long flow's; the destination's
 * lookup line, and its fan-in and flood counters when it is a server, or else the slot that
 * holds its first flood-kind record (struct hold). */
static inline void event_prefetch(const struct fh_analytics *a, const struct fh_flow_event *ev,
	uint64_t sh, uint64_t dh, unsigned need)
{
	const char *h;
	if ((ev->roles & FH_ROLE_SRC) && (h = host_guess(a, sh))) {
		unsigned c = flow_class(&ev->rec);
		host_prefetch(h, 0, 2);
		if (c != FC_WEB)
			__builtin_prefetch(&((const struct host *)h)->fc_more[c - 1], 1);
		if (ev->rec.proto == 6 && (c == FC_WEB || c == FC_SSH))
			host_prefetch(h, LF_LINE, 1);
	}
	if (need == DN_FLOOD) /* most such destinations are held (struct hold), not hosts */
		__builtin_prefetch(&a->hold[dh % HOLD_SLOTS], 1);
	if (need && (h = host_guess(a, dh))) {
		host_prefetch(h, 0, 1);
		if (need & DN_SERVER) { /* a server's state is there: its flood counters too */
			host_prefetch(h, SV_LINE0, SV_LINES);
			host_prefetch(h, VIC_LINE0, VIC_LINES);
		}
	}
}

void fh_analytics_event(struct fh_analytics *a, const struct fh_flow_event *ev)
{
	/* each address hashed once: the host table and the distinct counts share the hash */
	uint64_t sh = ip_h(&ev->rec.src), dh = ip_h(&ev->rec.dst);
	unsigned need = dst_need(a, ev);
	event_prefetch(a, ev, sh, dh, need);
	event_one(a, ev, sh, dh, need);
}

#define AHEAD 6 /* events between a host's prefetch and its use */

/*
 * A burst: the addresses are hashed and their buckets prefetched first, then each event's
 * hosts are prefetched AHEAD events before they are used, so that the cache misses of a
 * host table far larger than the caches overlap instead of following each other.
 */
void fh_analytics_events(struct fh_analytics *a, const struct fh_flow_event *ev, unsigned n)
{
	uint64_t sh[64], dh[64];
	uint8_t need[64];
	while (n) {
		unsigned k = n < 64 ? n : 64;
		for (unsigned i = 0; i < k; i++) {
			sh[i] = ip_h(&ev[i].rec.src);
			dh[i] = ip_h(&ev[i].rec.dst);
			need[i] = (uint8_t)dst_need(a, &ev[i]);
			if (ev[i].roles & FH_ROLE_SRC)
				__builtin_prefetch(&a->buckets[(uint32_t)sh[i] & a->bmask]);
			if (need[i])
				__builtin_prefetch(&a->buckets[(uint32_t)dh[i] & a->bmask]);
		}
		for (unsigned i = 0; i < k && i < AHEAD; i++)
			event_prefetch(a, &ev[i], sh[i], dh[i], need[i]);
		for (unsigned i = 0; i < k; i++) {
			unsigned j = i + AHEAD;
			if (j < k)
				event_prefetch(a, &ev[j], sh[j], dh[j], need[j]);
			event_one(a, &ev[i], sh[i], dh[i], need[i]);
		}
		ev += k;
		n -= k;
	}
}

void fh_analytics_tick(struct fh_analytics *a, uint64_t watermark_ms)
{
	worm_carry(a, watermark_ms);
	fh_alert_table_tick(a->alerts, watermark_ms);
}

struct fh_alert_table *fh_analytics_alerts(struct fh_analytics *a)
{
	return a->alerts;
}

void fh_analytics_get_stats(const struct fh_analytics *a, struct fh_analytics_stats *st)
{
	*st = a->st;
	st->sketch_blocks = fh_hs_pool_blocks(&a->hs);
	st->sketch_bytes = fh_hs_pool_bytes(&a->hs);
	st->sketch_full = a->hs.full;
}
