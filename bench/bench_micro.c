/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Micro-benchmarks of the pieces issue 8 lists, each against a baseline measured in the same
 * run (one core):
 *   lpm     blocklist longest-prefix match (IPv4 and IPv6 prefixes of every length) against a
 *           linear scan of the same prefixes;
 *   filter  the compiled filter program against the same predicate written in C;
 *   table   flow-table inserts and updates (flows built from sFlow samples);
 *   sketch  the analytics' distinct-count sets (analytics/sketch.h): adds with a count after
 *           each (as the detectors do) against exact hash sets of the same values, with the
 *           memory and error of each; sparse sets; the end of a pane;
 *   alerts  new alerts into an alert table full of resolved ones (each must make room)
 *           against the same into a table with room; resolved alerts occurring again
 *           against new ones.
 * Usage: bench_micro [lpm|filter|table|sketch|alerts|all] [SCALE]   (SCALE multiplies the work)
 * Prints one line per measure: name, rate, and the baseline's rate with the ratio.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/alert.h"
#include "analytics/blocklist.h"
#include "analytics/sketch.h"
#include "bench/benchlib.h"
#include "dataplane/flowtable.h"
#include "store/filter.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void rand_ip(struct fh_ip *ip, int v6)
{
	if (v6) {
		uint64_t a = rnd(), b = rnd();
		memcpy(ip->a, &a, 8);
		memcpy(ip->a + 8, &b, 8);
		ip->a[0] = 0x20; /* 2000::/4-ish, never v4-mapped */
	} else {
		uint32_t v = (uint32_t)rnd();
		fh_ip_from_v4(ip, (const uint8_t *)&v);
	}
}

/* ---- LPM ----------------------------------------------------------------------------- */

struct pfx {
	struct fh_ip net;
	unsigned plen128;
};

static int linear(const struct pfx *p, size_t n, const struct fh_ip *ip)
{
	int best = -1;
	unsigned bl = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].plen128 >= bl && fh_ip_in_prefix(ip, &p[i].net, p[i].plen128)) {
			best = (int)i;
			bl = p[i].plen128;
		}
	return best;
}

static void bench_lpm(unsigned scale)
{
	static const size_t sizes[] = {1000, 100000};
	for (unsigned si = 0; si < 2; si++) {
		size_t n = sizes[si];
		struct pfx *p = malloc(n * sizeof(*p));
		struct fh_blocklist_set *s = fh_blocklist_set_new();
		for (size_t i = 0; i < n; i++) {
			int v6 = i % 4 == 0;
			rand_ip(&p[i].net, v6);
			unsigned len = v6 ? 16 + (unsigned)(rnd() % 113) : 96 + 8 + (unsigned)(rnd() % 25);
			for (unsigned b = len; b < 128; b++)
				p[i].net.a[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
			p[i].plen128 = len;
			fh_blocklist_add(s, "bench", &p[i].net, len, "");
		}
		size_t m = 2000000 * (size_t)scale;
		struct fh_ip *q = malloc(1024 * sizeof(*q));
		for (size_t i = 0; i < 1024; i++) {
			if (i % 2) { /* half inside a listed prefix */
				q[i] = p[rnd() % n].net;
				q[i].a[15] ^= 1;
			} else {
				rand_ip(&q[i], i % 8 == 0);
			}
		}
		struct fh_blocklist_match bm;
		uint64_t hits = 0;
		double t0 = now_s();
		for (size_t i = 0; i < m; i++)
			hits += (uint64_t)fh_blocklist_lookup(s, &q[i & 1023], &bm);
		double t1 = now_s();
		size_t ml = n >= 100000 ? 2000 : 200000; /* the scan is slow: fewer lookups */
		/* the scan's answers are summed and printed, and each query's is checked against
		 * the LPM's below: a scan whose result went unused was optimised away */
		uint64_t lsum = 0;
		for (size_t i = 0; i < ml; i++) {
			int b = linear(p, n, &q[i & 1023]);
			lsum += b >= 0 ? p[b].plen128 : 0;
		}
		double t2 = now_s();
		unsigned wrong = 0;
		for (size_t i = 0; i < 1024; i++) {
			int b = linear(p, n, &q[i]);
			int hit = fh_blocklist_lookup(s, &q[i], &bm);
			wrong += hit != (b >= 0) || (hit && bm.plen128 != p[b].plen128);
		}
		double r = m / (t1 - t0), rl = ml / (t2 - t1);
		printf("lpm %zu prefixes: %.2f M lookups/s (%.0f%% hits), %.1f MiB; linear scan "
		       "%.4f M/s (checksum %llu); ratio %.0fx; %u of 1024 answers differ\n",
			n, r / 1e6, 100.0 * (double)hits / (double)m,
			fh_blocklist_bytes(s) / 1048576.0, rl / 1e6, (unsigned long long)lsum, r / rl,
			wrong);
		if (wrong)
			exit(1);
		free(q);
		free(p);
		fh_blocklist_set_free(s);
	}
}

/* ---- filter ------------------------------------------------------------------------- */

static struct fh_flow_rec *make_recs(size_t n)
{
	struct fh_flow_rec *v = calloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		struct fh_flow_rec *r = &v[i];
		rand_ip(&r->src, 0);
		rand_ip(&r->dst, 0);
		r->af = 4;
		r->proto = (uint8_t)(rnd() % 4 == 0 ? 17 : 6);
		r->sport = (uint16_t)rnd();
		r->dport = (uint16_t)(rnd() % 3 == 0 ? 53 : rnd() % 2 ? 443 : rnd());
		r->packets = 1 + rnd() % 100;
		r->bytes = r->packets * (40 + rnd() % 1400);
		r->first_ms = 1767225600000ull + rnd() % 3600000;
		r->last_ms = r->first_ms + rnd() % 60000;
		r->tcp_flags = (uint8_t)rnd();
		r->sampling = 1;
	}
	return v;
}

/* the medium filter, written in C */
static int medium_c(const struct fh_flow_rec *r)
{
	static const uint8_t net[4] = {198, 51, 100, 0};
	struct fh_ip n;
	fh_ip_from_v4(&n, net);
	return r->proto == 17 && (r->sport == 53 || r->dport == 53) && r->bytes > 500 &&
	       !fh_ip_in_prefix(&r->src, &n, 96 + 24);
}

static void bench_filter(unsigned scale)
{
	static const char *const f[] = {"proto tcp",
		"proto udp and port 53 and bytes > 500 and not src net 198.51.100.0/24",
		("(proto tcp and dst port in [ 22 80 443 8080 3389 ] and flags S and not flags A) or "
		 "(proto udp and (port 53 or port 123) and bpp > 400) or duration > 30000")};
	size_t n = 1 << 20;
	struct fh_flow_rec *v = make_recs(n);
	size_t rounds = 8 * (size_t)scale;
	char err[256];
	double rc = 0;
	for (int i = 0; i < 3; i++) {
		struct fh_filter *fl = fh_filter_compile(f[i], err, sizeof(err));
		if (!fl) {
			fprintf(stderr, "bench_micro: %s\n", err);
			exit(1);
		}
		uint64_t hits = 0;
		double t0 = now_s();
		for (size_t k = 0; k < rounds; k++)
			for (size_t j = 0; j < n; j++)
				hits += fh_filter_match(fl, &v[j]);
		double r = (double)rounds * n / (now_s() - t0);
		if (i == 1) {
			uint64_t chits = 0;
			double t1 = now_s();
			for (size_t k = 0; k < rounds; k++)
				for (size_t j = 0; j < n; j++)
					chits += (uint64_t)medium_c(&v[j]);
			rc = (double)rounds * n / (now_s() - t1);
			if (chits != hits)
				fprintf(stderr, "bench_micro: filter and C disagree (%" PRIu64
						" vs %" PRIu64 ")\n", hits, chits);
			printf("filter '%s': %.1f M records/s (%.1f%% match); the same in C %.1f M/s; "
			       "ratio %.2f\n",
				f[i], r / 1e6, 100.0 * (double)hits / ((double)rounds * n), rc / 1e6, r / rc);
		} else {
			printf("filter '%.60s%s': %.1f M records/s (%.1f%% match)\n", f[i],
				strlen(f[i]) > 60 ? "..." : "", r / 1e6,
				100.0 * (double)hits / ((double)rounds * n));
		}
		fh_filter_free(fl);
	}
	free(v);
}

/* ---- flow table --------------------------------------------------------------------- */

static void bench_table(unsigned scale)
{
	size_t n = 1000000;
	struct fh_flow_rec *v = make_recs(n);
	for (size_t i = 0; i < n; i++)
		v[i].version = FH_VER_SFLOW5; /* flows built here (NetFlow records are not kept) */
	struct fh_ft_cfg c = {.capacity = (uint32_t)n};
	struct fh_ft *t = fh_ft_new(&c);
	fh_ft_no_readers(t);
	double t0 = now_s();
	for (size_t i = 0; i < n; i++)
		fh_ft_upsert(t, &v[i]);
	double t1 = now_s();
	size_t rounds = 4 * (size_t)scale;
	for (size_t k = 0; k < rounds; k++)
		for (size_t i = 0; i < n; i++)
			fh_ft_upsert(t, &v[(i * 7919) % n]);
	double t2 = now_s();
	struct fh_ft_stats st;
	fh_ft_get_stats(t, &st);
	printf("table %zu flows: %.2f M inserts/s, %.2f M updates/s (random order); %" PRIu64
	       " entries\n",
		n, n / (t1 - t0) / 1e6, (double)rounds * n / (t2 - t1) / 1e6, st.entries);
	fh_ft_free(t);
	free(v);
}

/* ---- distinct-count sets ----------------------------------------------------------- */

/* The baseline: an exact set of 64-bit hashes, open addressing, 2x the values it will hold. */
struct exact {
	uint64_t *v;
	uint32_t mask, n;
};

static int exact_add(struct exact *e, uint64_t h)
{
	h |= 1; /* 0 marks a free slot */
	for (uint32_t i = (uint32_t)h & e->mask;; i = (i + 1) & e->mask) {
		if (e->v[i] == h)
			return 0;
		if (!e->v[i]) {
			e->v[i] = h;
			e->n++;
			return 1;
		}
	}
}

static void bench_sketch(unsigned scale)
{
	enum { SETS = 1024, DISTINCT = 2000 };
	size_t adds = (size_t)8000000 * scale;
	uint64_t *in = malloc(adds * sizeof(*in));
	uint32_t *set = malloc(adds * sizeof(*set));
	for (size_t i = 0; i < adds; i++) { /* each set sees its DISTINCT values in random order */
		set[i] = (uint32_t)(rnd() % SETS);
		in[i] = fh_hs_mix((uint64_t)set[i] << 32 | rnd() % DISTINCT);
	}
	struct fh_hs_pool pool;
	fh_hs_pool_init(&pool, SETS);
	struct fh_hs *hs = calloc(SETS, sizeof(*hs));
	uint64_t sum = 0;
	double t0 = now_s();
	for (size_t i = 0; i < adds; i++) {
		fh_hs_add(&pool, &hs[set[i]], in[i], 1);
		sum += fh_hs_count(&pool, &hs[set[i]]);
	}
	double t1 = now_s();
	struct exact *ex = calloc(SETS, sizeof(*ex));
	for (unsigned k = 0; k < SETS; k++) {
		ex[k].mask = 4096 - 1;
		ex[k].v = calloc(4096, sizeof(uint64_t));
	}
	double t2 = now_s();
	for (size_t i = 0; i < adds; i++) {
		exact_add(&ex[set[i]], in[i]);
		sum += ex[set[i]].n;
	}
	double t3 = now_s();
	double err = 0;
	for (unsigned k = 0; k < SETS; k++)
		err += fabs((double)fh_hs_count(&pool, &hs[k]) - ex[k].n) / ex[k].n;
	printf("sketch %u sets x %u distinct, %zu adds, a count after each: %.1f M/s; exact hash "
	       "sets %.1f M/s (%.2fx); %zu bytes a set against %zu (%.0fx less); mean error "
	       "%.2f %% (checksum %" PRIu64 ")\n",
		SETS, DISTINCT, adds, adds / (t1 - t0) / 1e6, adds / (t3 - t2) / 1e6,
		(t3 - t2) / (t1 - t0), sizeof(struct fh_hs) + sizeof(struct fh_hs_block),
		4096 * sizeof(uint64_t),
		4096.0 * sizeof(uint64_t) / (sizeof(struct fh_hs) + sizeof(struct fh_hs_block)),
		100 * err / SETS, sum);
	/* the end of a pane: every dense set rolls (the window takes the pane's registers) */
	size_t rolls = (size_t)200 * scale;
	double t4 = now_s();
	for (size_t r = 0; r < rolls; r++)
		for (unsigned k = 0; k < SETS; k++) {
			fh_hs_add(&pool, &hs[k], in[(r * SETS + k) % adds], 1); /* stays dense */
			fh_hs_roll(&pool, &hs[k], 1);
		}
	double t5 = now_s();
	printf("sketch pane end, a dense set: %.2f M/s\n", rolls * SETS / (t5 - t4) / 1e6);
	for (unsigned k = 0; k < SETS; k++) {
		fh_hs_clear(&pool, &hs[k]);
		free(ex[k].v);
	}
	free(ex);
	free(hs);
	/* sparse: a million sets of up to 5 values (most hosts' sets), 16 bytes each */
	enum { SMALL = 1000000 };
	hs = calloc(SMALL, sizeof(*hs));
	for (size_t i = 0; i < adds; i++)
		set[i] = (uint32_t)(rnd() % SMALL);
	double t6 = now_s();
	for (size_t i = 0; i < adds; i++) {
		fh_hs_add(&pool, &hs[set[i]], fh_hs_mix((uint64_t)set[i] << 8 | (in[i] % 5)), 1);
		sum += fh_hs_count(&pool, &hs[set[i]]);
	}
	double t7 = now_s();
	printf("sketch %u sparse sets of up to 5 values: %.1f M adds/s, %zu bytes a set, %u "
	       "blocks taken (checksum %" PRIu64 ")\n",
		SMALL, adds / (t7 - t6) / 1e6, sizeof(struct fh_hs), fh_hs_pool_blocks(&pool), sum);
	free(hs);
	fh_hs_pool_free(&pool);
	free(in);
	free(set);
}

/* Raise n alerts (ids from i0, new or not) at time t into t; returns alerts/s. */
static double raise_new(struct fh_alert_table *t, uint32_t i0, uint32_t n, uint64_t ms)
{
	struct fh_alert a;
	double t0 = now_s();
	for (uint32_t i = i0; i < i0 + n; i++) {
		memset(&a, 0, offsetof(struct fh_alert, evidence));
		a.severity = FH_SEV_MEDIUM;
		uint8_t v4[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i};
		fh_ip_from_v4(&a.src, v4);
		a.first_seen = a.last_seen = a.detected_at = ms;
		strcpy(a.evidence, "{}");
		fh_alert_make_id(&a);
		fh_alert_raise(t, &a);
	}
	return n / (now_s() - t0);
}

static void bench_alerts(unsigned scale)
{
	enum { CAP = 65536 };
	uint32_t n = 2000 * scale;
	struct fh_alert_table_cfg cfg = {.capacity = CAP, .resolve_after_ms = 1000};
	struct fh_alert_table *full = fh_alert_table_new(&cfg, NULL, 0);
	struct fh_alert_table *room = fh_alert_table_new(&cfg, NULL, 0);
	if (!full || !room)
		return;
	raise_new(full, 0, CAP, 1000);
	fh_alert_table_tick(full, 100000); /* all resolved: every new one must make room */
	raise_new(room, 0, CAP - n, 1000);
	double r_full = raise_new(full, CAP, n, 200000);
	double r_room = raise_new(room, CAP, n, 200000);
	printf("alerts %u new into a full table of %u: %.0f alerts/s; into one with room %.0f "
	       "alerts/s (x%.4f)\n",
		n, CAP, r_full, r_room, r_full / r_room);
	fh_alert_table_free(full);
	fh_alert_table_free(room);
	/* alerts that occur again after they were resolved, in a table with room: half full of
	 * resolved alerts, the n oldest again, against n new ones */
	struct fh_alert_table *again = fh_alert_table_new(&cfg, NULL, 0);
	room = fh_alert_table_new(&cfg, NULL, 0);
	if (!again || !room)
		return;
	raise_new(again, 0, CAP / 2, 1000);
	raise_new(room, 0, CAP / 2, 1000);
	fh_alert_table_tick(again, 100000);
	fh_alert_table_tick(room, 100000);
	double r_again = raise_new(again, 0, n, 200000);
	r_room = raise_new(room, CAP, n, 200000);
	printf("alerts %u occurring again in a table of %u resolved: %.0f alerts/s; %u new ones "
	       "%.0f alerts/s (x%.4f)\n",
		n, CAP / 2, r_again, n, r_room, r_again / r_room);
	fh_alert_table_free(again);
	fh_alert_table_free(room);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "all";
	unsigned scale = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
	if (!scale)
		scale = 1;
	int all = !strcmp(what, "all");
	if (all || !strcmp(what, "lpm"))
		bench_lpm(scale);
	if (all || !strcmp(what, "filter"))
		bench_filter(scale);
	if (all || !strcmp(what, "table"))
		bench_table(scale);
	if (all || !strcmp(what, "sketch"))
		bench_sketch(scale);
	if (all || !strcmp(what, "alerts"))
		bench_alerts(scale);
	if (!all && strcmp(what, "lpm") && strcmp(what, "filter") && strcmp(what, "table") &&
		strcmp(what, "sketch") && strcmp(what, "alerts")) {
		fprintf(stderr, "usage: bench_micro [lpm|filter|table|sketch|alerts|all] [SCALE]\n");
		return 2;
	}
	return 0;
}
