/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The analytics engine on one thread: flow events per second through every detector, and
 * the memory of the host table. Events are synthetic flows between H inside hosts and
 * random outside peers (web, DNS, mail, a few failed connections), as an analytics shard
 * would receive them from the rings.
 *
 *   bench_engine [HOSTS] [SECONDS] [EVENTS] [all|zipf|quiet|zipf,quiet|spoof|oneoff]
 *
 * With EVENTS, exactly that many events instead of SECONDS, and a digest of the alert table
 * (every alert's key, counts, times and evidence) that must not change when the engine is
 * made faster: the same events give the same alerts. With `all`, each pass over the 64 k
 * prepared events moves them to other hosts, so that a long run reaches every host: the
 * memory of a million active hosts (`bench_engine 1000000 15 0 all`). By default every host
 * is as busy as the others, and every event most likely finds its hosts out of the caches:
 * the worst case. With `zipf`, sources and peers are drawn with Zipf's law (s = 1) as the
 * busiest hosts and servers of a real network are: a few make most of the flows. The default
 * mix is alert-heavy (bench/RESULTS.md: each host's DNS flow comes round often, in large
 * packets: 8,030 dns.tunnel alerts); with `quiet`, DNS flows are one query of 60 - 90 bytes,
 * as a normal client's, and the engine's work is that of a network without an attack; with
 * `zipf,quiet`, both: a campus on a day without an attack. With `spoof`, a spoofed SYN flood:
 * every event a SYN of one packet from a new random outside source to one of 16 inside hosts
 * (its sources drawn again at each pass over the prepared events), into a pool of HOSTS
 * states: how fast a shard gets through a flood from an unsampled exporter once its pool is
 * full (`bench_engine 65536 0 10000000 spoof`). With `oneoff`, the quiet mix with every peer
 * new (drawn again at each pass) and every second event its reply (the peer to the inside
 * host), as fh-gen's traffic and a NetFlow export of a campus's long tail of servers are:
 * the host pool is full of peers seen once (`bench_engine 100000 0 10000000 oneoff`).
 * (100,000 hosts and 3 s by default.)
 * The pool holds twice HOSTS host states (the inside hosts and their peers); with
 * FH_BENCH_STATES=N it holds N, and a network larger than that goes through evictions, as a
 * daemon's shard does at its default (262,144) on a large network:
 * `FH_BENCH_STATES=262144 bench_engine 1000000 0 10000000 all`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/blocklist.h"
#include "analytics/engine.h"
#include "benchlib.h"

static uint64_t rs = 0x9e3779b97f4a7c15ull;

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

/* Order-independent: the sum of one hash per alert; and the alerts by type (a changed digest
 * says whether alerts came or went, or only their evidence changed). */
static unsigned by_type[FH_ALERT_TYPE_MAX];
static void digest(void *arg, const struct fh_alert *al)
{
	by_type[al->type < FH_ALERT_TYPE_MAX ? al->type : 0]++;
	uint64_t h = 0xcbf29ce484222325ull;
	h = fnv(h, al->id, strlen(al->id));
	h = fnv(h, &al->severity, 1);
	uint64_t v[] = {al->first_seen, al->last_seen, al->detected_at, al->flows, al->packets,
		al->bytes, al->targets};
	h = fnv(h, v, sizeof(v));
	h = fnv(h, al->evidence, strlen(al->evidence));
	*(uint64_t *)arg += h;
}

static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)rs;
}

/* An outside address drawn at random (not 10/8, the inside): a peer seen once. */
static void new_peer(struct fh_ip *ip)
{
	uint32_t x = rnd();
	uint8_t a[4] = {(uint8_t)(20 + x % 200), (uint8_t)(x >> 8), (uint8_t)(x >> 16),
		(uint8_t)(x >> 24)};
	fh_ip_from_v4(ip, a);
}

/* Zipf's law (s = 1) over 0..n-1, by inverting its cumulative distribution. */
static double *zipf_cdf(uint32_t n)
{
	double *c = malloc(n * sizeof(*c)), sum = 0;
	for (uint32_t i = 0; i < n; i++)
		c[i] = sum += 1.0 / (i + 1);
	for (uint32_t i = 0; i < n; i++)
		c[i] /= sum;
	return c;
}

static uint32_t zipf(const double *c, uint32_t n)
{
	double u = rnd() / 4294967296.0;
	uint32_t lo = 0, hi = n - 1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (c[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* rank to host: the busiest are not neighbours in the table */
	return (uint32_t)((lo * 2654435761ull) % n);
}

/*
 * Blocklists of the sizes an operator loads (FH_BENCH_BLOCKLIST): 1,300 IPv4 prefixes of
 * /16 to /24 as Spamhaus DROP's (most of them /22 - /24), 7,000 single addresses as the
 * Emerging Threats Tor list's, and 100 IPv6 prefixes of /29 to /48 as DROPv6's, drawn at
 * random (the same every run).
 */
static struct fh_blocklist_set *bench_blocklists(void)
{
	static const uint8_t drop_len[] = {24, 24, 24, 24, 24, 24, 24, 24, 23, 23, 23, 23, 22, 22,
		22, 21, 21, 20, 19, 18, 17, 16}; /* about 0.2 % of the addresses */
	struct fh_blocklist_set *s = fh_blocklist_set_new();
	for (unsigned i = 0; i < 1300 + 7000; i++) {
		uint32_t v = rnd();
		uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
		struct fh_ip ip;
		fh_ip_from_v4(&ip, b);
		unsigned len = i < 1300 ? drop_len[rnd() % sizeof(drop_len)] : 32;
		fh_blocklist_add(s, i < 1300 ? "drop" : "tor", &ip, 96 + len, "");
	}
	for (unsigned i = 0; i < 100; i++) {
		struct fh_ip ip = {{0x2a, (uint8_t)rnd(), (uint8_t)rnd(), (uint8_t)rnd(), (uint8_t)rnd(),
			(uint8_t)rnd()}};
		fh_blocklist_add(s, "dropv6", &ip, 29 + rnd() % 20, "");
	}
	return s;
}

int main(int argc, char **argv)
{
	unsigned hosts = argc > 1 ? (unsigned)atoi(argv[1]) : 100000;
	double secs = argc > 2 ? atof(argv[2]) : 3;
	uint64_t events = argc > 3 ? strtoull(argv[3], NULL, 10) : 0;
	/* MODE: all, zipf, quiet, or zipf,quiet (both) */
	const char *mode = argc > 4 ? argv[4] : "";
	int spread = !strcmp(mode, "all"); /* reach every host (see above) */
	int spoof = !strcmp(mode, "spoof"); /* a spoofed SYN flood (see above) */
	int oneoff = !strcmp(mode, "oneoff"); /* every peer new, half the events replies */
	double *zs = NULL, *zp = NULL; /* Zipf's law for sources and peers (see above) */
	int quiet = !strcmp(mode, "quiet") || !strcmp(mode, "zipf,quiet") || oneoff;
	if (!strcmp(mode, "zipf") || !strcmp(mode, "zipf,quiet")) {
		zs = zipf_cdf(hosts);
		zp = zipf_cdf(hosts * 4);
	}
	int single = getenv("FH_BENCH_SINGLE") != NULL; /* one event a call, not bursts */
	static struct fh_cidr_list home;
	char why[128];
	fh_cidr_list_add(&home, "10.0.0.0/8", why, sizeof(why));
	struct fh_analytics_cfg cfg = {.home_net = &home};
	fh_detect_defaults(&cfg.detect);
	cfg.detect.hosts = spoof ? hosts : hosts * 2; /* inside hosts and their peers */
	if (getenv("FH_BENCH_STATES")) /* fewer: a network larger than the pool (evictions) */
		cfg.detect.hosts = (uint32_t)atoi(getenv("FH_BENCH_STATES"));
	if (getenv("FH_BENCH_BLOCKLIST"))
		cfg.blocklists = bench_blocklists();
	long before = rss_kb();
	struct fh_analytics *a = fh_analytics_new(&cfg, NULL, 0);
	if (!a)
		return 1;
	/* events prepared in advance: the loop measures the engine, not the generator */
	enum { NEV = 1 << 16 };
	struct fh_flow_event *ev = calloc(NEV, sizeof(*ev));
	static const uint16_t ports[] = {443, 443, 443, 80, 53, 25, 22, 123};
	for (unsigned i = 0; i < NEV; i++) {
		struct fh_flow_rec *r = &ev[i].rec;
		uint32_t h = zs ? zipf(zs, hosts) : rnd() % hosts;
		uint32_t peer = zp ? zipf(zp, hosts * 4) : rnd() % (hosts * 4);
		uint8_t s[4] = {10, (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h};
		uint8_t d[4] = {(uint8_t)(20 + peer % 200), (uint8_t)(peer >> 16), (uint8_t)(peer >> 8),
			(uint8_t)peer};
		fh_ip_from_v4(&r->src, s);
		fh_ip_from_v4(&r->dst, d);
		r->sport = (uint16_t)(1024 + rnd() % 60000);
		r->dport = ports[rnd() % 8];
		r->proto = r->dport == 53 || r->dport == 123 ? 17 : 6;
		r->tcp_flags = rnd() % 50 ? 0x1b : 0x02;
		r->packets = 1 + rnd() % 20;
		r->bytes = r->packets * (60 + rnd() % 1000);
		if (spoof) {
			uint8_t v[4] = {10, 0, 0, (uint8_t)(1 + i % 16)};
			fh_ip_from_v4(&r->dst, v);
			new_peer(&r->src);
			r->dport = 80;
			r->proto = 6;
			r->tcp_flags = 0x02;
			r->packets = 1;
			r->bytes = 44;
		}
		if (quiet && r->dport == 53) {
			r->packets = 1;
			r->bytes = 60 + rnd() % 31;
		}
		if (oneoff) {
			new_peer(&r->dst);
			if (i & 1) { /* the reply */
				struct fh_ip ip = r->src;
				uint16_t port = r->sport;
				r->src = r->dst;
				r->dst = ip;
				r->sport = r->dport;
				r->dport = port;
			}
		}
		r->sampling = 1;
		ev[i].roles = FH_ROLE_SRC | FH_ROLE_DST;
	}
	uint64_t t = 1764374400000ull, n = 0;
	double t0 = now_s(), el;
	unsigned pass = 0;
	do {
		/* each pass over the prepared events moves them to other hosts, so that a long
		 * run reaches every one of the HOSTS (and their peers), not only 64 k events' worth */
		for (unsigned i = 0; pass && oneoff && i < NEV; i++) { /* new peers */
			new_peer(i & 1 ? &ev[i].rec.src : &ev[i].rec.dst);
		}
		for (unsigned i = 0; pass && spoof && i < NEV; i++) { /* new sources */
			new_peer(&ev[i].rec.src);
		}
		if (pass++ && spread) {
			for (unsigned i = 0; i < NEV; i++) {
				uint32_t h = (i * 2654435761u + pass * 40503u) % hosts;
				uint32_t peer = (i * 40503u + pass * 2654435761u) % (hosts * 4);
				uint8_t s4[4] = {10, (uint8_t)(h >> 16), (uint8_t)(h >> 8), (uint8_t)h};
				uint8_t d4[4] = {(uint8_t)(20 + peer % 200), (uint8_t)(peer >> 16),
					(uint8_t)(peer >> 8), (uint8_t)peer};
				fh_ip_from_v4(&ev[i].rec.src, s4);
				fh_ip_from_v4(&ev[i].rec.dst, d4);
			}
		}
		/* in bursts of 64, as a shard takes them from its rings */
		for (unsigned i = 0; i < NEV && (!events || n < events); i += 64) {
			unsigned k = 64;
			if (events && events - n < k)
				k = (unsigned)(events - n);
			for (unsigned j = 0; j < k; j++) /* 100 k events/s */
				ev[i + j].rec.first_ms = ev[i + j].rec.last_ms = t + (n + j) / 100;
			if (single)
				for (unsigned j = 0; j < k; j++)
					fh_analytics_event(a, &ev[i + j]);
			else
				fh_analytics_events(a, &ev[i], k);
			n += k;
		}
		el = now_s() - t0;
	} while (events ? n < events : el < secs);
	long after = rss_kb();
	struct fh_analytics_stats st;
	fh_analytics_get_stats(a, &st);
	struct fh_alert_table_stats as;
	fh_alert_table_stats(fh_analytics_alerts(a), &as);
	printf("bench_engine: %u inside hosts%s%s, one thread: %.2f M flow events/s "
	       "(%llu events, %llu host states, %llu evictions, %llu alerts raised %llu times)\n",
		hosts, zs ? " (Zipf)" : "", quiet ? " (quiet)" : "", n / el / 1e6,
		(unsigned long long)n, (unsigned long long)st.hosts, (unsigned long long)st.evictions,
		(unsigned long long)as.created, (unsigned long long)as.raised);
	printf("memory: %.1f MiB for %llu host states: %.0f bytes per host\n",
		(after - before) / 1024.0, (unsigned long long)st.hosts,
		st.hosts ? (after - before) * 1024.0 / (double)st.hosts : 0);
	if (events) {
		uint64_t d = 0;
		fh_alert_table_foreach(fh_analytics_alerts(a), digest, &d);
		printf("alerts digest: %016llx\n", (unsigned long long)d);
		printf("alerts by type:");
		for (int k = 0; k < FH_ALERT_TYPE_MAX; k++) {
			struct fh_alert al = {.type = (uint8_t)k};
			char name[64];
			if (by_type[k])
				printf(" %s %u", fh_alert_type_name(&al, name, sizeof(name)), by_type[k]);
		}
		printf("\n");
	}
	fh_analytics_free(a);
	free(ev);
	free(zs);
	free(zp);
	return 0;
}
