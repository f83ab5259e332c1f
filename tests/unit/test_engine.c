/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Detectors on synthetic flows: each fires on its activity with the right offender, and the
 * legitimate look-alikes (a busy web server, a campus resolver, a mail server, an interactive
 * SSH session, a heavy download) raise nothing. TRW flags a fast scanner after a handful of
 * failed first contacts.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "analytics/blocklist.h"
#include "analytics/engine.h"
#include "analytics/worm.h"

#define T0 1764374400000ull

static struct fh_cidr_list home;

static struct fh_analytics *mk_hosts(struct fh_analytics_cfg *cfg, uint32_t hosts)
{
	memset(cfg, 0, sizeof(*cfg));
	fh_detect_defaults(&cfg->detect);
	memset(&home, 0, sizeof(home));
	char why[128];
	assert_int_equal(fh_cidr_list_add(&home, "198.51.100.0/24", why, sizeof(why)), 0);
	cfg->home_net = &home;
	if (hosts)
		cfg->detect.hosts = hosts;
	return fh_analytics_new(cfg, NULL, 0);
}

static struct fh_analytics *mk(struct fh_analytics_cfg *cfg)
{
	return mk_hosts(cfg, 0);
}

static uint8_t flow_roles = FH_ROLE_SRC | FH_ROLE_DST;

/* a flow from an exporter sampling 1:sampling (its counts as exported: not scaled) */
static void flow_s(struct fh_analytics *a, const char *src, const char *dst, uint16_t sport,
	uint16_t dport, uint8_t proto, uint8_t flags, uint64_t pkts, uint64_t bytes,
	uint64_t first, uint64_t last, uint32_t sampling)
{
	struct fh_flow_event ev;
	memset(&ev, 0, sizeof(ev));
	fh_ip_parse(src, &ev.rec.src);
	fh_ip_parse(dst, &ev.rec.dst);
	ev.rec.sport = sport;
	ev.rec.dport = dport;
	ev.rec.proto = proto;
	ev.rec.tcp_flags = flags;
	ev.rec.packets = pkts;
	ev.rec.bytes = bytes;
	ev.rec.first_ms = first;
	ev.rec.last_ms = last;
	ev.rec.sampling = sampling;
	ev.rec.version = FH_VER_NF9;
	ev.roles = flow_roles;
	fh_analytics_event(a, &ev);
}

static void flow(struct fh_analytics *a, const char *src, const char *dst, uint16_t sport,
	uint16_t dport, uint8_t proto, uint8_t flags, uint64_t pkts, uint64_t bytes, uint64_t first,
	uint64_t last)
{
	flow_s(a, src, dst, sport, dport, proto, flags, pkts, bytes, first, last, 1);
}

struct found {
	int n, type_n;
	int type;
	char src[FH_IP_STRLEN];
	struct fh_alert last;
};

static void count(void *arg, const struct fh_alert *al)
{
	struct found *f = arg;
	char b[FH_IP_STRLEN];
	f->n++;
	if (al->type == f->type && (!f->src[0] || !strcmp(fh_ip_fmt(&al->src, b, sizeof(b)),
							  f->src))) {
		f->type_n++;
		f->last = *al;
	}
}

static struct found find(struct fh_analytics *a, int type, const char *src)
{
	struct found f = {.type = type};
	snprintf(f.src, sizeof(f.src), "%s", src ? src : "");
	fh_alert_table_foreach(fh_analytics_alerts(a), count, &f);
	return f;
}

static void test_horizontal_scan_trw(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char dst[32];
	/* 6 failed first contacts on port 22: TRW says scanner after 4, the alert comes at 5 */
	for (int i = 0; i < 6; i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%d", i + 1);
		flow(a, "198.51.100.66", dst, 40000, 22, 6, 0x02, 1, 44, T0 + (uint64_t)i * 100,
			T0 + (uint64_t)i * 100);
	}
	struct found f = find(a, FH_ALERT_SCAN_HORIZONTAL, "198.51.100.66");
	assert_int_equal(f.type_n, 1);
	assert_int_equal(f.last.port, 22);
	assert_int_equal(f.last.detected_at, T0 + 400);
	assert_non_null(strstr(f.last.evidence, "\"trw_scanner\":true"));
	assert_int_equal(f.last.severity, FH_SEV_MEDIUM);
	assert_non_null(strstr(f.last.evidence, "\"direction\":\"outbound\""));
	fh_analytics_free(a);
}

/* The Internet's scanners sweeping the network are background radiation: their scans are
 * low; an inside host's scan, outward or sideways, keeps its severity. The evidence says
 * which way (with home_net set; without it there is no inside, and no direction). */
static void test_scan_direction_and_severity(void **state)
{
	(void)state;
	static const struct {
		const char *src, *net, *dir;
		int sev;
	} c[] = {
		{"203.0.113.66", "198.51.100", "inbound", FH_SEV_LOW},
		{"198.51.100.66", "198.51.100", "internal", FH_SEV_MEDIUM},
		{"198.51.100.66", "192.0.2", "outbound", FH_SEV_MEDIUM},
	};
	char dst[32];
	for (int with_home = 1; with_home >= 0; with_home--)
		for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
			struct fh_analytics_cfg cfg;
			struct fh_analytics *a = mk(&cfg);
			if (!with_home) {
				cfg.home_net = NULL;
				fh_analytics_reconfigure(a, &cfg);
			}
			/* a sweep of 60 hosts (fast), then two hours later 100 more, one each 40 s
			 * on a port of its own (slow) */
			for (int i = 0; i < 60; i++) {
				snprintf(dst, sizeof(dst), "%s.%d", c[k].net, i + 100);
				uint64_t t = T0 + (uint64_t)i * 100;
				flow(a, c[k].src, dst, 40000, 445, 6, 0x02, 1, 44, t, t);
			}
			for (int i = 0; i < 100; i++) {
				snprintf(dst, sizeof(dst), "%s.%d", c[k].net, i + 1);
				uint64_t t = T0 + 7200000 + (uint64_t)i * 40000;
				flow(a, c[k].src, dst, 40000, (uint16_t)(1000 + i), 6, 0x02, 1, 44, t, t);
			}
			struct found h = find(a, FH_ALERT_SCAN_HORIZONTAL, c[k].src);
			struct found sl = find(a, FH_ALERT_SCAN_SLOW, c[k].src);
			assert_int_equal(h.type_n, 1);
			assert_int_equal(sl.type_n, 1);
			assert_int_equal(h.last.severity, with_home ? c[k].sev : FH_SEV_MEDIUM);
			assert_int_equal(sl.last.severity, with_home ? c[k].sev : FH_SEV_MEDIUM);
			char want[64];
			snprintf(want, sizeof(want), "\"direction\":\"%s\"", c[k].dir);
			assert_true(!strstr(h.last.evidence, want) == !with_home);
			assert_true(!strstr(sl.last.evidence, "\"direction\"") == !with_home);
			fh_analytics_free(a);
		}
}

static void test_busy_web_server_is_not_a_scan(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char cli[32];
	/* 5,000 clients complete handshakes with one server, and it answers them all */
	for (int i = 0; i < 5000; i++) {
		snprintf(cli, sizeof(cli), "203.0.%d.%d", 100 + i / 250, i % 250);
		uint64_t t = T0 + (uint64_t)i * 10;
		flow(a, cli, "198.51.100.80", (uint16_t)(30000 + i % 30000), 443, 6, 0x1b, 12,
			9000, t, t + 500);
		flow(a, "198.51.100.80", cli, 443, (uint16_t)(30000 + i % 30000), 6, 0x1b, 20,
			30000, t, t + 500);
	}
	/* a heavy download: one flow, many packets per second, but a real connection */
	flow(a, "203.0.113.9", "198.51.100.7", 443, 50000, 6, 0x1b, 900000, 1300000000ull, T0,
		T0 + 60000);
	struct found f = find(a, -1, NULL);
	assert_int_equal(f.n, 0);
	fh_analytics_free(a);
}

/* A campus's recursive resolver: it answers its clients, and looks names up at many outside
 * authoritative servers, one small datagram each way per query; each answer comes back. */
static void test_recursive_resolver_is_not_a_scan(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char ns[32], cli[32];
	for (int i = 0; i < 9000; i++) { /* 3 minutes: past the slow scan's first window */
		uint64_t t = T0 + (uint64_t)i * 20;
		snprintf(cli, sizeof(cli), "198.51.100.%d", 100 + i % 100);
		snprintf(ns, sizeof(ns), "203.0.%d.%d", 113 + i / 250 % 36, i % 250);
		flow(a, cli, "198.51.100.53", (uint16_t)(20000 + i), 53, 17, 0, 1, 70, t, t);
		flow(a, "198.51.100.53", ns, (uint16_t)(30000 + i), 53, 17, 0, 1, 80, t, t);
		flow(a, ns, "198.51.100.53", 53, (uint16_t)(30000 + i), 17, 0, 1, 200, t + 30, t + 30);
		flow(a, "198.51.100.53", cli, 53, (uint16_t)(20000 + i), 17, 0, 1, 150, t + 40, t + 40);
	}
	assert_int_equal(find(a, -1, NULL).n, 0); /* no scan.horizontal, scan.slow, worm */
	/* such datagrams unanswered (another host's, at the same time) are a scan of port 53 */
	for (int i = 0; i < 200; i++) {
		uint64_t t = T0 + 120000 + (uint64_t)i * 20;
		snprintf(ns, sizeof(ns), "192.0.2.%d", i);
		flow(a, "198.51.100.54", ns, (uint16_t)(40000 + i), 53, 17, 0, 1, 80, t, t);
	}
	assert_int_equal(find(a, FH_ALERT_SCAN_HORIZONTAL, "198.51.100.54").type_n, 1);
	fh_analytics_free(a);
}

static void test_vertical_and_slow(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	for (int p = 1; p <= 300; p++)
		flow(a, "203.0.113.50", "198.51.100.10", 50000, (uint16_t)p, 6, 0x02, 1, 44,
			T0 + (uint64_t)p * 10, T0 + (uint64_t)p * 10);
	struct found f = find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.50");
	assert_int_equal(f.type_n, 1);
	assert_true(f.last.targets >= 100);
	/* slow: 60 hosts over 50 minutes, one every 50 s (never 50 in a minute) */
	char dst[32];
	for (int i = 0; i < 60; i++) {
		snprintf(dst, sizeof(dst), "198.51.100.%d", 100 + i);
		uint64_t t = T0 + (uint64_t)i * 50000;
		flow(a, "203.0.113.51", dst, 50000, 3389, 6, 0x02, 1, 44, t, t);
	}
	/* never enough targets in one window for a (fast) horizontal scan */
	assert_int_equal(find(a, FH_ALERT_SCAN_HORIZONTAL, "203.0.113.51").type_n, 0);
	assert_int_equal(find(a, FH_ALERT_SCAN_SLOW, "203.0.113.51").type_n, 1);
	/* the same over TCP and UDP at once: one activity (one set of targets), one alert */
	for (int i = 0; i < 60; i++) {
		snprintf(dst, sizeof(dst), "198.51.100.%d", 100 + i);
		uint64_t t = T0 + (uint64_t)i * 50000;
		flow(a, "203.0.113.52", dst, 50000, 3389, 6, 0x02, 1, 44, t, t);
		flow(a, "203.0.113.52", dst, 50000, 161, 17, 0, 1, 60, t + 1, t + 1);
	}
	assert_int_equal(find(a, FH_ALERT_SCAN_SLOW, "203.0.113.52").type_n, 1);
	fh_analytics_free(a);
}

/* Host `src` sends a SYN to port `port` of 60 hosts net.1 .. net.60, from t, one a ms. */
static void syn_sweep(struct fh_analytics *a, const char *src, const char *net, uint16_t port,
	uint64_t t)
{
	char dst[32];
	for (int i = 0; i < 60; i++) {
		snprintf(dst, sizeof(dst), "%s.%d", net, i + 1);
		flow(a, src, dst, 40000, port, 6, 0x02, 1, 44, t + (uint64_t)i, t + (uint64_t)i);
	}
}

/* s2 raised a worm alert of port 445 with s1 (three scanners, the third in s2). One shard
 * raises it: a fourth scanner in s1 reaches it through s2's tick, not as an alert of s1's
 * own; when it resolves, the next scanner, in s1, raises it anew there. */
static void worm_one_raiser(struct fh_analytics *s1, struct fh_analytics *s2)
{
	syn_sweep(s1, "198.51.100.23", "203.0.113", 445, T0 + 1000);
	assert_int_equal(find(s1, FH_ALERT_WORM, NULL).type_n, 0);
	fh_analytics_tick(s1, T0 + 2000);
	fh_analytics_tick(s2, T0 + 2000);
	struct found f = find(s2, FH_ALERT_WORM, NULL);
	assert_int_equal(f.type_n, 1);
	assert_int_equal(f.last.last_seen, T0 + 1000 + 59); /* s1's scanner's last flow */
	assert_int_equal(f.last.targets, 4);
	assert_int_equal(f.last.status, FH_ALERT_ACTIVE);
	/* quiet for 5 minutes: resolved, and let go of at s2's next tick (before the hold of
	 * 10 minutes would have passed) */
	fh_analytics_tick(s1, T0 + 310000);
	fh_analytics_tick(s2, T0 + 310000);
	fh_analytics_tick(s2, T0 + 311000);
	assert_int_equal(find(s2, FH_ALERT_WORM, NULL).last.status, FH_ALERT_RESOLVED);
	syn_sweep(s1, "198.51.100.24", "203.0.113", 445, T0 + 320000);
	f = find(s1, FH_ALERT_WORM, NULL);
	assert_int_equal(f.type_n, 1);
	assert_int_equal(f.last.status, FH_ALERT_ACTIVE);
}

static void test_worm(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char src[32];
	for (int s = 0; s < 3; s++) {
		snprintf(src, sizeof(src), "198.51.100.%d", 20 + s);
		syn_sweep(a, src, "203.0.113", 445, T0);
	}
	struct found f = find(a, FH_ALERT_WORM, "0.0.0.0"); /* many sources */
	assert_int_equal(f.type_n, 1);
	assert_int_equal(f.last.port, 445);
	/* the evidence names the scanning sources */
	assert_non_null(strstr(f.last.evidence, "\"first_sources\":[\"198.51.100.20\","
						"\"198.51.100.21\",\"198.51.100.22\"]"));
	fh_analytics_free(a);

	/* the Internet's scanners sweeping the network (home_net) are scans, not a worm */
	a = mk(&cfg);
	for (int s = 0; s < 4; s++) {
		snprintf(src, sizeof(src), "203.0.113.%d", 20 + s);
		syn_sweep(a, src, "198.51.100", 23, T0);
	}
	assert_int_equal(find(a, FH_ALERT_SCAN_HORIZONTAL, NULL).type_n, 4);
	assert_int_equal(find(a, FH_ALERT_WORM, NULL).type_n, 0);
	fh_analytics_free(a);

	/* three scanners in two shards (hosts are spread over the shards by address): together,
	 * through the worm table they share, a worm; each shard alone would not see one */
	for (int shared = 0; shared < 2; shared++) {
		struct fh_worm_table *wt = shared ? fh_worm_table_new() : NULL;
		struct fh_analytics_cfg c2;
		struct fh_analytics *s1 = mk(&cfg);
		c2 = cfg;
		c2.worms = wt;
		struct fh_analytics *s2 = fh_analytics_new(&c2, NULL, 0);
		if (shared) { /* s1 made before: take the table too */
			fh_analytics_free(s1);
			s1 = fh_analytics_new(&c2, NULL, 0);
		}
		syn_sweep(s1, "198.51.100.20", "203.0.113", 445, T0);
		syn_sweep(s2, "198.51.100.21", "203.0.113", 445, T0 + 100);
		syn_sweep(s2, "198.51.100.22", "203.0.113", 445, T0 + 200);
		int n = find(s1, FH_ALERT_WORM, NULL).type_n + find(s2, FH_ALERT_WORM, NULL).type_n;
		assert_int_equal(n, shared ? 1 : 0);
		if (shared)
			worm_one_raiser(s1, s2);
		fh_analytics_free(s1);
		fh_analytics_free(s2);
		fh_worm_table_free(wt);
	}

	/* nor are three inside hosts scanning a port two hours apart from each other */
	a = mk(&cfg);
	for (int s = 0; s < 3; s++) {
		snprintf(src, sizeof(src), "198.51.100.%d", 20 + s);
		syn_sweep(a, src, "203.0.113", 445, T0 + (uint64_t)s * 7200000);
	}
	assert_int_equal(find(a, FH_ALERT_SCAN_HORIZONTAL, NULL).type_n, 3);
	assert_int_equal(find(a, FH_ALERT_WORM, NULL).type_n, 0);
	fh_analytics_free(a);
}

/* Two threads note scanners of one port at once: the table ends as one thread noting them
 * all would leave it (bits are set with atomic OR), and a second port is its own; and they
 * ask at once which raises the port's alert: one does, every time. */
struct worm_args {
	struct fh_worm_table *w;
	int from;
	unsigned me, raised; /* its shard number; how often fh_worm_raiser said it raises */
};
static void *worm_thread(void *p)
{
	struct worm_args *wa = p;
	struct fh_worm_seen seen;
	for (int i = wa->from; i < 20000; i += 2) {
		if (wa->me)
			wa->raised += (unsigned)fh_worm_raiser(wa->w, fh_worm_port_key(445, 6),
				wa->me, T0 + (uint64_t)i / 10, 600000);
		struct fh_ip ip = {{0}};
		ip.a[12] = (uint8_t)(i >> 8);
		ip.a[13] = (uint8_t)i;
		uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ull;
		fh_worm_note(wa->w, fh_worm_port_key(445, 6), h, &ip, T0 + (uint64_t)i / 10, 3600000,
			&seen);
		fh_worm_note(wa->w, fh_worm_port_key((uint16_t)(1000 + i % 7), 17), h, &ip, T0,
			3600000, &seen);
	}
	return NULL;
}

static void test_worm_table_threads(void **state)
{
	(void)state;
	struct fh_worm_table *w = fh_worm_table_new(), *one = fh_worm_table_new();
	struct fh_worm_seen x, y;
	struct fh_ip z = {{0}};
	fh_worm_note(w, fh_worm_port_key(445, 6), 0, &z, T0, 3600000, &x); /* the port's slot */
	struct worm_args a0 = {w, 0, fh_worm_join(w), 0}, a1 = {w, 1, fh_worm_join(w), 0},
			 all = {one, 0, 0, 0};
	pthread_t t0, t1;
	assert_int_equal(pthread_create(&t0, NULL, worm_thread, &a0), 0);
	assert_int_equal(pthread_create(&t1, NULL, worm_thread, &a1), 0);
	pthread_join(t0, NULL);
	pthread_join(t1, NULL);
	worm_thread(&all); /* the even sources, one thread */
	all.from = 1;
	worm_thread(&all); /* and the odd */
	/* one of the two threads raises the port's alert, every time; the other never */
	assert_int_equal(a0.raised + a1.raised, 10000);
	assert_true(a0.raised == 0 || a1.raised == 0);
	fh_worm_note(w, fh_worm_port_key(445, 6), 0, &z, T0 + 1999, 3600000, &x);
	fh_worm_note(one, fh_worm_port_key(445, 6), 0, &z, T0 + 1999, 3600000, &y);
	assert_true(x.ones > 900); /* 10,000 sources fill most of 1,024 bits */
	assert_int_equal(x.ones, y.ones);
	assert_int_equal(x.first, T0);
	assert_int_equal(x.n_src, FH_WORM_SHOWN);
	fh_worm_table_free(w);
	fh_worm_table_free(one);

	/* ports scanned long ago give their slots to new ones: a long run never fills it */
	w = fh_worm_table_new();
	int full = 0;
	for (int p = 0; p < FH_WORM_SLOTS * 3 / 2; p++)
		full += fh_worm_note(w, fh_worm_port_key((uint16_t)(2000 + p), 6), 1, &z, T0,
				3600000, &x) < 0;
	assert_true(full > 0); /* more ports than slots at once */
	for (int p = 0; p < FH_WORM_SLOTS * 9 / 10; p++)
		assert_int_equal(fh_worm_note(w, fh_worm_port_key((uint16_t)(2000 + p), 17), 1, &z,
					 T0 + 3 * 3600000, 3600000, &x),
			0);
	assert_int_equal(x.ones, 1); /* its own, not the old port's */
	fh_worm_table_free(w);
}

static void test_dns(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	/* a campus resolver asked by 500 inside clients: normal */
	char cli[32];
	for (int i = 0; i < 500; i++) {
		snprintf(cli, sizeof(cli), "198.51.100.%d", i % 250);
		flow(a, cli, "198.51.100.53", 40000, 53, 17, 0, 1, 70, T0 + (uint64_t)i,
			T0 + (uint64_t)i);
		flow(a, "198.51.100.53", cli, 53, 40000, 17, 0, 1, 150, T0 + (uint64_t)i,
			T0 + (uint64_t)i);
	}
	assert_int_equal(find(a, -1, NULL).n, 0);
	/* the same resolver answering 30 outside clients: an open resolver */
	for (int i = 0; i < 30; i++) {
		snprintf(cli, sizeof(cli), "203.0.113.%d", i + 1);
		flow(a, "198.51.100.53", cli, 53, 40000, 17, 0, 1, 3000, T0 + 1000 + (uint64_t)i,
			T0 + 1000 + (uint64_t)i);
	}
	assert_int_equal(find(a, FH_ALERT_DNS_OPEN_RESOLVER, "198.51.100.53").type_n, 1);
	/* a forwarding resolver: 400 lookups a minute to one upstream, EDNS0 queries of 98 bytes
	 * (the background of tests/scenarios): not a tunnel */
	for (int i = 0; i < 400; i++) {
		snprintf(cli, sizeof(cli), "198.51.100.%d", 1 + i % 200);
		flow(a, cli, "198.51.100.54", 40000, 53, 17, 0, 1, 70, T0 + 2000 + (uint64_t)i * 100,
			T0 + 2000 + (uint64_t)i * 100);
		flow(a, "198.51.100.54", "192.0.2.53", (uint16_t)(30000 + i), 53, 17, 0, 1, 98,
			T0 + 2000 + (uint64_t)i * 100, T0 + 2000 + (uint64_t)i * 100 + 20);
		flow(a, "192.0.2.53", "198.51.100.54", 53, (uint16_t)(30000 + i), 17, 0, 1, 150,
			T0 + 2030 + (uint64_t)i * 100, T0 + 2030 + (uint64_t)i * 100);
		flow(a, "198.51.100.54", cli, 53, 40000, 17, 0, 1, 150, T0 + 2040 + (uint64_t)i * 100,
			T0 + 2040 + (uint64_t)i * 100);
	}
	assert_int_equal(find(a, FH_ALERT_DNS_TUNNEL, "198.51.100.54").type_n, 0);
	/* an exfiltration script: each chunk a new dig (random ports), long names: a tunnel */
	for (int i = 0; i < 100; i++)
		flow(a, "198.51.100.77", "203.0.113.53", (uint16_t)(20000 + i * 7), 53, 17, 0, 1, 220,
			T0 + 3000 + (uint64_t)i * 300, T0 + 3000 + (uint64_t)i * 300);
	assert_int_equal(find(a, FH_ALERT_DNS_TUNNEL, "198.51.100.77").type_n, 1);
	/* a tunnel: 100 large queries in a minute from one client */
	for (int i = 0; i < 100; i++)
		flow(a, "198.51.100.99", "203.0.113.53", 40000, 53, 17, 0, 1, 180,
			T0 + (uint64_t)i * 500, T0 + (uint64_t)i * 500);
	struct found f = find(a, FH_ALERT_DNS_TUNNEL, "198.51.100.99");
	assert_int_equal(f.type_n, 1);
	assert_true(f.last.has_dst);
	fh_analytics_free(a);
}

static void test_tunnels_spam_p2p(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	/* a thin HTTPS flow for two hours, reported every 30 min by the exporter */
	for (int k = 0; k < 4; k++)
		flow(a, "198.51.100.5", "203.0.113.80", 50000, 443, 6, 0x18, 60, 6000,
			T0 + (uint64_t)k * 1800000, T0 + (uint64_t)(k + 1) * 1800000);
	assert_int_equal(find(a, FH_ALERT_TUNNEL_HTTP, "198.51.100.5").type_n, 1);
	/* a long interactive SSH session: small packets, little volume: not a tunnel */
	for (int k = 0; k < 4; k++)
		flow(a, "198.51.100.6", "203.0.113.22", 50001, 22, 6, 0x18, 20000, 2000000,
			T0 + (uint64_t)k * 1800000, T0 + (uint64_t)(k + 1) * 1800000);
	assert_int_equal(find(a, FH_ALERT_TUNNEL_SSH, "198.51.100.6").type_n, 0);
	/* an SSH bulk transfer over 40 minutes */
	for (int k = 0; k < 2; k++)
		flow(a, "198.51.100.7", "203.0.113.22", 50002, 22, 6, 0x18, 200000, 250000000,
			T0 + (uint64_t)k * 1200000, T0 + (uint64_t)(k + 1) * 1200000);
	assert_int_equal(find(a, FH_ALERT_TUNNEL_SSH, "198.51.100.7").type_n, 1);
	/* spam: an inside host to 25 outside mail servers */
	char dst[32];
	for (int i = 0; i < 25; i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%d", 100 + i);
		flow(a, "198.51.100.8", dst, 50000, 25, 6, 0x1b, 20, 20000, T0 + (uint64_t)i,
			T0 + (uint64_t)i + 1000);
	}
	assert_int_equal(find(a, FH_ALERT_SPAM_SMTP, "198.51.100.8").type_n, 1);
	/* BitTorrent: peers on high ports with the usual port */
	for (int i = 0; i < 4; i++) {
		snprintf(dst, sizeof(dst), "192.0.2.%d", 10 + i);
		flow(a, "198.51.100.9", dst, 51413, (uint16_t)(40000 + i), 6, 0x1b, 10, 5000,
			T0 + (uint64_t)i, T0 + (uint64_t)i + 100);
	}
	assert_int_equal(find(a, FH_ALERT_P2P_BITTORRENT, "198.51.100.9").type_n, 1);
	fh_analytics_free(a);
}

/* n hosts of an engine (from 198.51.100.FIRST) hold a thin TLS flow each for two hours,
 * reported every 30 minutes, to the addresses of one network (NET.1 - NET.8) */
static void push_channels(struct fh_analytics *a, int first, int n, const char *net)
{
	char src[32], dst[32];
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < n; i++) {
			snprintf(src, sizeof(src), "198.51.100.%d", first + i);
			snprintf(dst, sizeof(dst), "%s.%d", net, 1 + i % 8);
			flow(a, src, dst, (uint16_t)(50000 + i), 443, 6, 0x18, 60, 6000,
				T0 + (uint64_t)k * 1800000, T0 + (uint64_t)(k + 1) * 1800000);
		}
}

/* Phones' and desktops' push channels are the shape of an HTTPS tunnel: one TLS connection
 * held for hours with a keepalive now and then. But many hosts hold them to the same few
 * networks, and a tunnel goes to its own server: a long thin flow to a network that
 * tunnel_http_popular hosts hold one to is no tunnel, also when those hosts are in other
 * shards (the worm table counts them for all). */
static void test_push_channels_are_not_tunnels(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	push_channels(a, 100, 20, "203.0.113");
	push_channels(a, 5, 1, "192.0.2");
	assert_int_equal(find(a, FH_ALERT_TUNNEL_HTTP, NULL).type_n, 1);
	struct found f = find(a, FH_ALERT_TUNNEL_HTTP, "198.51.100.5");
	assert_int_equal(f.type_n, 1);
	assert_non_null(strstr(f.last.evidence, "\"hosts_to_net\":1"));
	fh_analytics_free(a);
	/* detect.tunnel_http_popular = 0: every one */
	a = mk(&cfg);
	cfg.detect.tunnel_http_popular = 0;
	fh_analytics_reconfigure(a, &cfg);
	push_channels(a, 100, 20, "203.0.113");
	assert_int_equal(find(a, FH_ALERT_TUNNEL_HTTP, NULL).type_n, 20);
	fh_analytics_free(a);
	/* three hosts in each of two shards: six together, three alone */
	for (int shared = 0; shared < 2; shared++) {
		struct fh_worm_table *wt = shared ? fh_worm_table_new() : NULL;
		struct fh_analytics_cfg c2;
		fh_analytics_free(mk_hosts(&c2, 0)); /* c2: mk's settings */
		c2.worms = wt;
		struct fh_analytics *s1 = fh_analytics_new(&c2, NULL, 0);
		struct fh_analytics *s2 = fh_analytics_new(&c2, NULL, 0);
		char src[32], dst[32];
		for (int k = 0; k < 4; k++)
			for (int i = 0; i < 6; i++) {
				snprintf(src, sizeof(src), "198.51.100.%d", 100 + i);
				snprintf(dst, sizeof(dst), "203.0.113.%d", 1 + i);
				flow(i % 2 ? s2 : s1, src, dst, (uint16_t)(50000 + i), 443, 6, 0x18, 60,
					6000, T0 + (uint64_t)k * 1800000, T0 + (uint64_t)(k + 1) * 1800000);
			}
		int n = find(s1, FH_ALERT_TUNNEL_HTTP, NULL).type_n +
			find(s2, FH_ALERT_TUNNEL_HTTP, NULL).type_n;
		assert_int_equal(n, shared ? 0 : 6);
		fh_analytics_free(s1);
		fh_analytics_free(s2);
		fh_worm_table_free(wt);
	}
}

/* A campus video bridge (Jitsi: media on UDP 10000, TCP 4443 where UDP is blocked) talks to
 * its participants on high ports over TCP and UDP, the shape of a P2P client without a
 * BitTorrent port. But its TCP flows are replies from the port it serves; a P2P client
 * connects out. */
static void test_video_bridge_is_not_p2p(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char cli[32];
	for (int i = 0; i < 60; i++) {
		snprintf(cli, sizeof(cli), "203.0.113.%d", 1 + i);
		uint64_t t = T0 + (uint64_t)i * 500;
		uint16_t cp = (uint16_t)(40000 + i * 7);
		flow(a, cli, "198.51.100.10", cp, 10000, 17, 0, 500, 300000, t, t + 20000);
		flow(a, "198.51.100.10", cli, 10000, cp, 17, 0, 900, 700000, t, t + 20000);
		flow(a, cli, "198.51.100.10", (uint16_t)(cp + 1), 4443, 6, 0x1b, 50, 9000, t,
			t + 20000);
		flow(a, "198.51.100.10", cli, 4443, (uint16_t)(cp + 1), 6, 0x1b, 60, 60000, t,
			t + 20000);
	}
	assert_int_equal(find(a, -1, NULL).n, 0);
	/* a client of it connecting out to 40 peers over TCP and UDP is still one */
	for (int i = 0; i < 40; i++) {
		snprintf(cli, sizeof(cli), "192.0.2.%d", 1 + i);
		uint64_t t = T0 + 30000 + (uint64_t)i * 100;
		flow(a, "198.51.100.10", cli, (uint16_t)(50000 + i), (uint16_t)(20000 + i), 6, 0x1b,
			20, 9000, t, t + 1000);
	}
	assert_int_equal(find(a, FH_ALERT_P2P_BITTORRENT, "198.51.100.10").type_n, 1);
	fh_analytics_free(a);
}

/* A client's own ephemeral ports run through the BitTorrent ones: Windows takes them in turn
 * from 49152, and 51413 comes round every 16,384 connections. A client of services on high
 * ports (8443, an RDP gateway on 3389) that takes 51413 once is no BitTorrent peer. */
static void test_ephemeral_bt_port_is_not_p2p(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char dst[32];
	for (int i = 0; i < 4000; i++) {
		uint64_t t = T0 + (uint64_t)i * 10;
		snprintf(dst, sizeof(dst), "203.0.113.%d", 10 + i % 40);
		uint16_t sport = (uint16_t)(49152 + i), dport = i % 2 ? 8443 : 3389;
		flow(a, "198.51.100.9", dst, sport, dport, 6, 0x1b, 12, 5000, t, t + 300);
		flow(a, dst, "198.51.100.9", dport, sport, 6, 0x1b, 14, 9000, t, t + 300);
	}
	assert_int_equal(find(a, FH_ALERT_P2P_BITTORRENT, NULL).type_n, 0);
	fh_analytics_free(a);
}

/* A BitTorrent client: 1,200 peers, one every gap_ms, a quarter of them on 51413 and
 * a tenth on 6881 (BT_PORTS), the rest on random high ports; TCP, or uTP and a DHT query to
 * each (BT_UDP). The peers that are gone, or behind NAT (failpct of them), answer nothing.
 * Without both flags nothing says it is a peer-to-peer host. */
enum { BT_PORTS = 1, BT_UDP = 2 };
static void bt_client(struct fh_analytics *a, const char *host, int failpct, int how,
	uint64_t gap_ms)
{
	int bt_ports = how & BT_PORTS;
	uint64_t rs = 12345;
	char peer[32];
	uint16_t own = bt_ports ? 51413 : 40001;
	for (int i = 0; i < 1200; i++) {
		rs = rs * 6364136223846793005ull + 1442695040888963407ull;
		uint32_t r = (uint32_t)(rs >> 33);
		snprintf(peer, sizeof(peer), "%u.%u.%u.%d", 20 + r % 180, (r >> 8) & 255,
			(r >> 16) & 255, 1 + i % 250);
		uint16_t pport = (uint16_t)(10000 + (r >> 4) % 55000);
		if (bt_ports && r % 100 < 35)
			pport = r % 100 < 25 ? 51413 : 6881;
		uint64_t t = T0 + (uint64_t)i * gap_ms;
		uint16_t sport = (uint16_t)(40002 + i % 20000);
		int dead = (int)((r >> 12) % 100) < failpct;
		if ((how & BT_UDP) && r % 3 == 0) { /* uTP */
			flow(a, host, peer, own, pport, 17, 0, dead ? 2 : 40, dead ? 120 : 30000, t,
				t + 2000);
			if (!dead)
				flow(a, peer, host, pport, own, 17, 0, 40, 40000, t, t + 2000);
		} else if (dead) {
			flow(a, host, peer, sport, pport, 6, 0x02, 3, 180, t, t + 3000);
		} else {
			flow(a, host, peer, sport, pport, 6, 0x1b, 40, 4000, t, t + 2000);
			flow(a, peer, host, pport, sport, 6, 0x1b, 50, 60000, t, t + 2000);
		}
		if (!(how & BT_UDP))
			continue;
		flow(a, host, peer, own, pport, 17, 0, 1, 100, t + 100, t + 100); /* DHT */
		if (!dead)
			flow(a, peer, host, pport, own, 17, 0, 1, 300, t + 150, t + 150);
	}
}

/* A BitTorrent client's failed connections are no scan (Jung et al. note that P2P trips TRW):
 * a third to most of a client's peers do not answer. The same client's sweep of a low port,
 * or of one high port over many hosts, is still a scan; and the same failures from a host
 * that shows no BitTorrent are still a slow scan. */
static void test_bittorrent_failures_are_not_a_scan(void **state)
{
	(void)state;
	static const int types[] = {FH_ALERT_SCAN_HORIZONTAL, FH_ALERT_SCAN_VERTICAL,
		FH_ALERT_SCAN_SLOW, FH_ALERT_WORM};
	struct fh_analytics_cfg cfg;
	/* a client at ease (a peer every 500 ms, 30 % of them dead) and a busy one (every 100 ms,
	 * 80 % dead: 50 failures a minute on 51413 alone) */
	for (int busy = 0; busy < 2; busy++) {
		int failpct = busy ? 80 : 30;
		uint64_t gap = busy ? 100 : 500;
		struct fh_analytics *a = mk(&cfg);
		bt_client(a, "198.51.100.9", failpct, BT_PORTS | BT_UDP, gap);
		assert_int_equal(find(a, FH_ALERT_P2P_BITTORRENT, "198.51.100.9").type_n, 1);
		for (size_t k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			assert_int_equal(find(a, types[k], NULL).type_n, 0);
		/* then it sweeps 445 and 3389 over 60 hosts each */
		char dst[32];
		for (int i = 0; i < 120; i++) {
			uint64_t t = T0 + 1200 * gap + (uint64_t)i * 200;
			snprintf(dst, sizeof(dst), "203.0.113.%d", 1 + i % 60);
			flow(a, "198.51.100.9", dst, (uint16_t)(50000 + i), i < 60 ? 445 : 3389, 6,
				0x02, 1, 60, t, t);
		}
		struct found f = find(a, FH_ALERT_SCAN_HORIZONTAL, "198.51.100.9");
		assert_int_equal(f.type_n, 2);
		fh_analytics_free(a);
		/* its failures left TRW where it was: 5 of 8 web sites failing (a firewall's drops)
		 * are no scan for a host TRW has not judged a scanner */
		a = mk(&cfg);
		bt_client(a, "198.51.100.9", failpct, BT_PORTS | BT_UDP, gap);
		for (int i = 0; i < 8; i++) {
			uint64_t t = T0 + 1200 * gap + (uint64_t)i * 200;
			snprintf(dst, sizeof(dst), "203.0.113.%d", 100 + i);
			int ok = i == 1 || i == 4 || i == 7; /* F S F F S F F S: TRW stays below */
			flow(a, "198.51.100.9", dst, (uint16_t)(50000 + i), 443, 6, ok ? 0x1b : 0x02,
				ok ? 10 : 1, ok ? 5000 : 60, t, t + 100);
		}
		assert_int_equal(find(a, FH_ALERT_SCAN_HORIZONTAL, NULL).type_n, 0);
		fh_analytics_free(a);
	}
	/* P2P over TCP and UDP without a BitTorrent port is P2P too; over TCP alone, nothing
	 * says these failures are a P2P client's */
	struct fh_analytics *a = mk(&cfg);
	bt_client(a, "198.51.100.9", 50, BT_UDP, 500);
	assert_int_equal(find(a, FH_ALERT_P2P_BITTORRENT, "198.51.100.9").type_n, 1);
	assert_int_equal(find(a, FH_ALERT_SCAN_SLOW, "198.51.100.9").type_n, 0);
	fh_analytics_free(a);
	a = mk(&cfg);
	bt_client(a, "198.51.100.9", 50, 0, 500);
	assert_int_equal(find(a, FH_ALERT_P2P_BITTORRENT, "198.51.100.9").type_n, 0);
	assert_int_equal(find(a, FH_ALERT_SCAN_SLOW, "198.51.100.9").type_n, 1);
	fh_analytics_free(a);
}

/* A campus MX not listed in allow.mail: outside mail servers deliver to it, and it delivers
 * to theirs, 30 a window. It is a mail server, judged against its own baseline: no alert
 * on its ordinary days, spam.smtp when its fan-out jumps. A host that receives no mail and
 * sends to 25 servers is a spammer (test_tunnels_spam_p2p). */
static void test_mx_is_a_mail_server(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char peer[32];
	for (int w = 0; w <= 10; w++) {
		int out = w < 10 ? 30 : 400;
		for (int i = 0; i < out; i++) {
			uint64_t t = T0 + (uint64_t)w * 120000 + (uint64_t)i * 50;
			if (i < 30) { /* 30 deliveries to it, from 30 outside servers */
				snprintf(peer, sizeof(peer), "192.0.2.%d", (w * 11 + i) % 250);
				flow(a, peer, "198.51.100.26", (uint16_t)(40000 + i), 25, 6, 0x1b, 20,
					20000, t, t + 1000);
			}
			snprintf(peer, sizeof(peer), "203.0.%d.%d", 1 + i / 250, (w * 7 + i) % 250);
			flow(a, "198.51.100.26", peer, (uint16_t)(50000 + i), 25, 6, 0x1b, 20, 20000,
				t + 10, t + 1010);
		}
		if (w == 9)
			assert_int_equal(find(a, -1, NULL).n, 0);
	}
	struct found f = find(a, FH_ALERT_SPAM_SMTP, "198.51.100.26");
	assert_int_equal(f.type_n, 1);
	assert_non_null(strstr(f.last.evidence, "\"mail_server\":true"));
	fh_analytics_free(a);
}

static void test_mail_server_allowlisted(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	static struct fh_cidr_list mail;
	char why[128];
	assert_int_equal(fh_cidr_list_add(&mail, "198.51.100.25", why, sizeof(why)), 0);
	fh_analytics_free(a);
	cfg.allow_mail = &mail;
	a = fh_analytics_new(&cfg, NULL, 0);
	char dst[32];
	for (int i = 0; i < 200; i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%d", i);
		flow(a, "198.51.100.25", dst, 50000, 25, 6, 0x1b, 20, 20000, T0 + (uint64_t)i,
			T0 + (uint64_t)i + 1000);
	}
	assert_int_equal(find(a, -1, NULL).n, 0);
	/* its steady days: about 30 servers a window for 8 windows, no alert; then a jump to
	 * 400 (a stolen account sending spam through it): spam.smtp with its baseline */
	for (int w = 1; w <= 8; w++)
		for (int i = 0; i < 30; i++) {
			snprintf(dst, sizeof(dst), "192.0.2.%d", (w * 7 + i) % 250);
			uint64_t t = T0 + (uint64_t)w * 120000 + (uint64_t)i;
			flow(a, "198.51.100.25", dst, 50000, 25, 6, 0x1b, 20, 20000, t, t + 1000);
		}
	assert_int_equal(find(a, -1, NULL).n, 0);
	for (int i = 0; i < 400; i++) {
		snprintf(dst, sizeof(dst), "203.0.%d.%d", 1 + i / 250, i % 250);
		uint64_t t = T0 + 10 * 120000 + (uint64_t)i;
		flow(a, "198.51.100.25", dst, 50000, 25, 6, 0x1b, 20, 20000, t, t + 1000);
	}
	struct found f = find(a, FH_ALERT_SPAM_SMTP, "198.51.100.25");
	assert_int_equal(f.type_n, 1);
	assert_non_null(strstr(f.last.evidence, "\"mail_server\":true"));
	assert_non_null(strstr(f.last.evidence, "\"baseline\":"));
	/* the spam goes on for five more windows: its windows are not its baseline (they were,
	 * and after one window 400 was within five times it: the alert stopped) */
	for (int w = 11; w <= 15; w++)
		for (int i = 0; i < 400; i++) {
			snprintf(dst, sizeof(dst), "203.%d.%d.%d", w, 1 + i / 250, i % 250);
			uint64_t t = T0 + (uint64_t)w * 120000 + (uint64_t)i;
			flow(a, "198.51.100.25", dst, 50000, 25, 6, 0x1b, 20, 20000, t, t + 1000);
		}
	f = find(a, FH_ALERT_SPAM_SMTP, "198.51.100.25");
	assert_int_equal(f.type_n, 1);
	assert_true(f.last.last_seen >= T0 + 15 * 120000 + 399);
	assert_non_null(strstr(f.last.evidence, "\"baseline_windows\":9,")); /* none since */
	fh_analytics_free(a);
}

static void test_floods(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char src[32];
	/* spoofed SYN flood: 5,000 sources, 3,000 pps for 2 s to one port */
	for (int i = 0; i < 6000; i++) {
		snprintf(src, sizeof(src), "%d.%d.%d.%d", 1 + i % 200, i / 200 % 250, i % 7, i % 250);
		flow(a, src, "198.51.100.80", (uint16_t)(1024 + i), 80, 6, 0x02, 1, 40,
			T0 + (uint64_t)i / 3, T0 + (uint64_t)i / 3);
	}
	struct found f = find(a, FH_ALERT_FLOOD_SYN, "0.0.0.0");
	assert_int_equal(f.type_n, 1);
	assert_non_null(strstr(f.last.evidence, "\"spoofed\":true"));
	/* UDP flood from one source */
	for (int i = 0; i < 100; i++)
		flow(a, "203.0.113.66", "198.51.100.81", 1234, 9999, 17, 0, 100, 100000,
			T0 + (uint64_t)i * 10, T0 + (uint64_t)i * 10);
	assert_int_equal(find(a, FH_ALERT_FLOOD_UDP, "203.0.113.66").type_n, 1);
	/* a ping flood is one flow: 4,400 echo requests (type 8) in 2 s, reported once, and the
	 * victim's replies (type 0) the other way, which are not a flood of the pinger; one heavy
	 * UDP stream is no flood either */
	flow(a, "203.0.113.67", "198.51.100.82", 0, 8 << 8, 1, 0, 4400, 404800, T0, T0 + 2000);
	flow(a, "198.51.100.82", "203.0.113.67", 0, 0, 1, 0, 4400, 404800, T0, T0 + 2000);
	flow(a, "203.0.113.68", "198.51.100.83", 5004, 5004, 17, 0, 4400, 5000000, T0, T0 + 2000);
	struct found icmp = find(a, FH_ALERT_FLOOD_ICMP, NULL);
	assert_int_equal(icmp.type_n, 1);
	char b[FH_IP_STRLEN];
	assert_string_equal(fh_ip_fmt(&icmp.last.dst, b, sizeof(b)), "198.51.100.82");
	assert_string_equal(fh_ip_fmt(&icmp.last.src, b, sizeof(b)), "203.0.113.67");
	assert_int_equal(find(a, FH_ALERT_FLOOD_UDP, "203.0.113.68").type_n, 0);
	/* one sample of a 1:2048 sampled exporter, scaled to 2,048 echo requests, is not */
	struct fh_flow_event ev;
	memset(&ev, 0, sizeof(ev));
	fh_ip_parse("203.0.113.69", &ev.rec.src);
	fh_ip_parse("198.51.100.84", &ev.rec.dst);
	ev.rec.dport = 8 << 8;
	ev.rec.proto = 1;
	ev.rec.packets = 1;
	ev.rec.bytes = 82;
	ev.rec.first_ms = ev.rec.last_ms = T0 + 100;
	ev.rec.sampling = 2048;
	ev.roles = FH_ROLE_SRC | FH_ROLE_DST;
	fh_analytics_event(a, &ev);
	assert_int_equal(find(a, FH_ALERT_FLOOD_ICMP, NULL).type_n, 1); /* the ping flood's */
	/* ICMPv6 echo requests (type 128) too */
	flow(a, "2001:db8::67", "2001:db8:1::82", 0, 128 << 8, 58, 0, 4400, 404800, T0, T0 + 2000);
	assert_int_equal(find(a, FH_ALERT_FLOOD_ICMP, "2001:db8::67").type_n, 1);
	fh_analytics_free(a);
}
/* A busy resolver: 400 outside clients (no home_net outside), 2,000 one-packet queries a
 * second, for `secs` seconds from t, each client from a new port each time (RFC 5452). */
/* qps queries a second from 400 clients, pkts packets a flow; the server answers every
 * answer_every-th of them (0: none) */
static void resolver_load_ans(struct fh_analytics *a, const char *server, uint64_t t, int secs,
	int qps, uint64_t pkts, int answer_every)
{
	char src[32];
	for (int i = 0; i < secs * qps; i++) {
		int c = i % 400;
		snprintf(src, sizeof(src), "203.0.%d.%d", 113 + c / 200, 1 + c % 200);
		uint64_t at = t + (uint64_t)i * 1000 / (uint64_t)qps;
		uint16_t port = (uint16_t)(10000 + i % 50000);
		flow(a, src, server, port, 53, 17, 0, pkts, 70 * pkts, at, at);
		if (answer_every && i % answer_every == 0)
			flow(a, server, src, 53, port, 17, 0, pkts, 150 * pkts, at, at);
	}
}
static void resolver_load_pk(struct fh_analytics *a, const char *server, uint64_t t, int secs,
	int qps, uint64_t pkts)
{
	resolver_load_ans(a, server, t, secs, qps, pkts, 0);
}
static void resolver_load(struct fh_analytics *a, const char *server, uint64_t t, int secs,
	int qps)
{
	resolver_load_pk(a, server, t, secs, qps, 1);
}

/* flood.udp alerts of a resolver at 2,000 queries a second (pkts packets a flow) seen for
 * secs seconds from its first record (no baseline yet), answering every answer_every-th
 * query (0: none), with detect.flood_vs_baseline = vs */
static int cold_flood(int secs, uint64_t pkts, int answer_every, double vs)
{
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	cfg.detect.flood_vs_baseline = vs;
	fh_analytics_reconfigure(a, &cfg);
	resolver_load_ans(a, "198.51.100.53", T0, secs, 2000, pkts, answer_every);
	int n = find(a, FH_ALERT_FLOOD_UDP, NULL).type_n;
	fh_analytics_free(a);
	return n;
}

/* flood.syn alerts of a campus web server seen through sFlow at 1:1000 for `secs` seconds
 * from its first record: 3,000 connections a second from 400 clients. A sampled packet is a
 * record of its own, so each sampled SYN is a bare SYN record (3 a second, scaled to 3,000
 * SYNs/s: three times flood_pps), and the server sends `answers` packets in each connection
 * (a multiple of 10; sampled: as many records with TCP flags `flags`, and as many ACKs from
 * the clients). From
 * `flood_from` s on (< 0: never), 30,000 spoofed SYNs a second come in as well.
 * detect.flood_vs_baseline = vs. */
static int sampled_web(int secs, int answers, uint8_t flags, int flood_from, double vs)
{
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	cfg.detect.flood_vs_baseline = vs;
	fh_analytics_reconfigure(a, &cfg);
	const char *srv = "198.51.100.80";
	char cl[32];
	unsigned c = 0;
	for (int s = 0; s < secs; s++) {
		for (int i = 0; i < 30; i++) { /* a thirtieth of a second each */
			uint64_t at = T0 + (uint64_t)s * 1000 + (uint64_t)i * 33;
			c = (c * 1103515245u + 12345u) & 0x7fffffff;
			snprintf(cl, sizeof(cl), "203.0.%u.%u", 113 + c % 400 / 200, 1 + c % 200);
			uint16_t port = (uint16_t)(20000 + c % 40000);
			if (i % 10 == 0)
				flow_s(a, cl, srv, port, 443, 6, 0x02, 1, 60, at, at, 1000);
			for (int k = 0; k < answers; k += 10) { /* 3 * answers a second */
				flow_s(a, srv, cl, 443, port, 6, flags, 1, 1400, at, at, 1000);
				flow_s(a, cl, srv, port, 443, 6, 0x10, 1, 52, at, at, 1000);
			}
			if (flood_from >= 0 && s >= flood_from) {
				snprintf(cl, sizeof(cl), "198.18.%u.%u", c >> 8 & 255, c & 255);
				flow_s(a, cl, srv, port, 443, 6, 0x02, 1, 60, at, at, 1000);
			}
		}
	}
	int n = find(a, FH_ALERT_FLOOD_SYN, NULL).type_n;
	fh_analytics_free(a);
	return n;
}

/* flood.udp alerts of an inside host that browses over QUIC as a NAT of many users does: for
 * 3 minutes, four new connections a second to CDN servers (from 250), each 2,000 packets in
 * 2 s, acknowledged by one packet in `ack_every`; from 60 s to 120 s, with `flood` (0: none)
 * DNS answers a second reflected at it by 200 open resolvers (its own resolver is inside). */
static int quic_client(int ack_every, uint64_t flood, struct fh_alert *last)
{
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	const char *me = "198.51.100.30";
	char peer[32];
	unsigned c = 1;
	for (int s = 0; s < 180; s++) {
		for (int i = 0; i < 4; i++) {
			c = (c * 1103515245u + 12345u) & 0x7fffffff;
			snprintf(peer, sizeof(peer), "203.0.113.%u", 1 + c % 250);
			uint64_t f = T0 + (uint64_t)s * 1000 + (uint64_t)i * 250, l = f + 2000;
			uint16_t port = (uint16_t)(20000 + c % 40000);
			flow(a, peer, me, 443, port, 17, 0, 2000, 1350 * 2000, f, l);
			flow(a, me, peer, port, 443, 17, 0, 2000 / (unsigned)ack_every,
				80 * 2000 / (unsigned)ack_every, f, l);
		}
		for (unsigned k = 0; flood && s >= 60 && s < 120 && k < 200; k++) {
			snprintf(peer, sizeof(peer), "192.0.2.%u", 1 + k);
			uint64_t at = T0 + (uint64_t)s * 1000;
			flow(a, peer, me, 53, 40000, 17, 0, flood / 200, 3000 * (flood / 200), at,
				at + 999);
		}
	}
	struct found f = find(a, FH_ALERT_FLOOD_UDP, NULL);
	if (last)
		*last = f.last;
	fh_analytics_free(a);
	return f.type_n;
}

/* QUIC is UDP: a host (a NAT of a hall of residence, a busy client) that downloads over it
 * from many CDN servers gets thousands of packets a second from new sources, as a spoofed
 * flood's victim does. It acknowledges them, a packet for every 2 to 10 it gets (RFC 9000
 * 13.2.2; with ACK decimation): it talks, and is no victim, when flowhound starts and after.
 * A reflection flood at it is one. */
static void test_quic_client_is_not_a_udp_flood(void **state)
{
	(void)state;
	assert_int_equal(quic_client(2, 0, NULL), 0);
	assert_int_equal(quic_client(10, 0, NULL), 0);
	struct fh_alert al;
	assert_int_equal(quic_client(10, 50000, &al), 1);
	assert_non_null(strstr(al.evidence, "\"spoofed\":true"));
	assert_true(al.first_seen >= T0 + 55000 && al.first_seen <= T0 + 61000);
	/* a host that sends nothing back is a victim */
	assert_int_equal(quic_client(100000, 0, NULL), 1);
}

/* blocklist alerts with a Tor list that holds a campus relay (198.51.100.7) and an outside
 * one (203.0.113.66): the campus relay is connected to by 40 outside clients and connects out
 * to 10 relays; three inside hosts use the outside relay. With home_net or without. */
static struct found listed_hosts(int inside, const char *src)
{
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	struct fh_blocklist_set *bl = fh_blocklist_set_new();
	struct fh_ip ip;
	fh_ip_parse("198.51.100.7", &ip);
	assert_int_equal(fh_blocklist_add(bl, "tor", &ip, 128, "relay"), 0);
	fh_ip_parse("203.0.113.66", &ip);
	assert_int_equal(fh_blocklist_add(bl, "tor", &ip, 128, "relay"), 0);
	cfg.blocklists = bl;
	if (!inside)
		cfg.home_net = NULL;
	fh_analytics_reconfigure(a, &cfg);
	char peer[32];
	for (int i = 0; i < 50; i++) {
		uint64_t at = T0 + (uint64_t)i * 1000;
		snprintf(peer, sizeof(peer), "192.0.2.%d", 1 + i);
		if (i < 40)
			flow(a, peer, "198.51.100.7", 40000, 9001, 6, 0x1b, 20, 9000, at, at + 500);
		else
			flow(a, "198.51.100.7", peer, 40000, 9001, 6, 0x1b, 20, 9000, at, at + 500);
	}
	for (int i = 0; i < 3; i++) {
		snprintf(peer, sizeof(peer), "198.51.100.%d", 30 + i);
		flow(a, peer, "203.0.113.66", 40000, 443, 6, 0x1b, 20, 9000, T0, T0 + 500);
	}
	struct found f = find(a, FH_ALERT_BLOCKLIST, src);
	fh_analytics_free(a);
	fh_blocklist_set_free(bl);
	return f;
}

/* An inside host on a list is one alert, the host, not one for each outside peer it talks
 * to; inside hosts that contact a listed outside host are one alert each. */
static void test_listed_inside_host_is_one_alert(void **state)
{
	(void)state;
	struct found f = listed_hosts(1, "198.51.100.7");
	assert_int_equal(f.type_n, 1);
	assert_false(f.last.has_dst);
	assert_string_equal(f.last.list, "tor");
	assert_int_equal(f.last.flows, 50); /* all its flows: they add up */
	assert_int_equal(f.last.packets, 1000);
	assert_non_null(strstr(f.last.evidence, "\"listed_inside\":true"));
	assert_int_equal(listed_hosts(1, NULL).type_n, 4); /* and the three users of the other */
	f = listed_hosts(1, "198.51.100.31");
	assert_int_equal(f.type_n, 1);
	char b[FH_IP_STRLEN];
	assert_string_equal(fh_ip_fmt(&f.last.dst, b, sizeof(b)), "203.0.113.66");
	assert_null(strstr(f.last.evidence, "listed_inside"));
	/* without home_net there is no inside: each pair is an alert */
	assert_int_equal(listed_hosts(0, NULL).type_n, 53);
}

/* A flood is alerted for as long as it lasts, when its victim was quiet before: a DNS
 * reflection by 50 open resolvers (each a flow a second, 2,000 packets a second in all) in
 * three pulses of a minute, 30 s apart, and a SYN flood from one host for three minutes. Their
 * sources come back, as a busy server's clients do; before the victim had a rate of its own
 * those panes were learnt as it, and after 30 s the flood was the victim's usual load (no
 * more raises, resolved while it went on). Now a pane is learnt then only when the victim
 * talks back (flood_answered): a flood's victim does not. One alert for the three pulses:
 * the key of a flood is its victim, its src the latest raise's. */
static void test_flood_lasts_as_long_as_it_does(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char src[32];
	for (int p = 0; p < 3; p++)
		for (int s = 0; s < 60; s++)
			for (int k = 0; k < 50; k++) {
				snprintf(src, sizeof(src), "192.0.2.%d", 1 + (k + p * 17) % 50);
				uint64_t at = T0 + (uint64_t)p * 90000 + (uint64_t)s * 1000 +
					      (uint64_t)k * 20;
				flow(a, src, "198.51.100.80", 53, 40000, 17, 0, 40, 40 * 3000, at,
					at + 900);
			}
	struct found f = find(a, FH_ALERT_FLOOD_UDP, NULL);
	assert_int_equal(f.type_n, 1);
	assert_true(f.last.last_seen >= T0 + 180000 + 59000);
	char b[FH_IP_STRLEN];
	assert_string_equal(fh_ip_fmt(&f.last.src, b, sizeof(b)), "192.0.2.35"); /* the third's */
	assert_string_equal(fh_ip_fmt(&f.last.dst, b, sizeof(b)), "198.51.100.80");
	assert_non_null(strstr(f.last.evidence, "\"spoofed\":false"));
	/* its peers are its sources, not its victim */
	char js[FH_ALERT_JSON_MAX];
	assert_true(fh_alert_to_json(&f.last, js, sizeof(js)) > 0);
	assert_non_null(strstr(js, "\"top_peers\":[{\"addr\":\"192.0.2."));
	fh_analytics_free(a);

	a = mk(&cfg);
	for (int i = 0; i < 180 * 20; i++) { /* 20 flows a second of 100 SYNs */
		uint64_t at = T0 + (uint64_t)i * 50;
		flow(a, "203.0.113.13", "198.51.100.20", (uint16_t)(1024 + i % 60000), 80, 6, 0x02,
			100, 4000, at, at + 49);
	}
	f = find(a, FH_ALERT_FLOOD_SYN, NULL);
	assert_int_equal(f.type_n, 1);
	assert_true(f.last.last_seen >= T0 + 179000);
	assert_string_equal(fh_ip_fmt(&f.last.src, b, sizeof(b)), "203.0.113.13");
	assert_true(fh_alert_to_json(&f.last, js, sizeof(js)) > 0);
	assert_non_null(strstr(js, "\"top_peers\":[{\"addr\":\"203.0.113.13\""));
	assert_null(strstr(js, "\"addr\":\"198.51.100.20\""));
	fh_analytics_free(a);
}

/* flood.udp alerts when 300 hosts of a tapped LAN each send 5 datagrams a second (1,500 in
 * all) to `group` for a minute, as mDNS, SSDP and LLMNR do to their multicast groups */
static int lan_chatter(const char *group)
{
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char src[48];
	int v6 = strchr(group, ':') != NULL;
	for (int s = 0; s < 60; s++)
		for (int h = 0; h < 300; h++) {
			snprintf(src, sizeof(src), v6 ? "2001:db8:1::%x" : "198.51.100.%d",
				v6 ? 0x100 + h : 1 + h % 250);
			uint64_t at = T0 + (uint64_t)s * 1000 + (uint64_t)h * 3;
			flow(a, src, group, 5353, 5353, 17, 0, 5, 5 * 120, at, at + 900);
		}
	int n = find(a, FH_ALERT_FLOOD_UDP, NULL).type_n;
	fh_analytics_free(a);
	return n;
}

/* A multicast group or the broadcast address is no flood's victim (no one host gets it). */
static void test_multicast_is_no_victim(void **state)
{
	(void)state;
	assert_int_equal(lan_chatter("224.0.0.251"), 0);
	assert_int_equal(lan_chatter("239.255.255.250"), 0);
	assert_int_equal(lan_chatter("255.255.255.255"), 0);
	assert_int_equal(lan_chatter("ff02::fb"), 0);
	assert_int_equal(lan_chatter("198.51.100.251"), 1); /* a host is */
}

/* An alert sink that counts the events it hears of, by kind (new, update, resolved). */
struct counting_sink {
	struct fh_alert_sink s;
	int n[3];
};
static void counting_emit(struct fh_alert_sink *s, const struct fh_alert *a,
	enum fh_alert_event ev)
{
	(void)a;
	((struct counting_sink *)s)->n[ev]++;
}
static const struct fh_alert_sink_ops counting_ops = {.emit = counting_emit};

/* an engine as mk's, its alerts into cs */
static struct fh_analytics *mk_counting(struct counting_sink *cs)
{
	struct fh_analytics_cfg cfg;
	fh_analytics_free(mk(&cfg));
	struct fh_alert_sink *sink = &cs->s;
	return fh_analytics_new(&cfg, &sink, 1);
}

/* new and resolved events of an inside host's long flow, reported every 30 min (as Cisco's
 * default active timeout does) for three hours, the last report with its FIN; event time
 * goes on by the minute (ticks). */
static void long_flow_events(uint16_t port, uint8_t proto, uint64_t pkts, uint64_t bytes,
	int *news, int *resolved)
{
	struct counting_sink cs = {.s = {.ops = &counting_ops}};
	struct fh_analytics *a = mk_counting(&cs);
	for (int m = 0; m <= 200; m++) {
		if (m && m % 30 == 0 && m <= 180)
			flow(a, "198.51.100.5", "203.0.113.80", 50000, port, proto,
				m == 180 ? 0x19 : 0x18, pkts, bytes, T0 + (uint64_t)(m - 30) * 60000,
				T0 + (uint64_t)m * 60000);
		fh_analytics_tick(a, T0 + (uint64_t)m * 60000);
	}
	*news = cs.n[FH_AEV_NEW];
	*resolved = cs.n[FH_AEV_RESOLVED];
	fh_analytics_free(a);
}

/* An alert raised by a record that covers half an hour (the exporter's active timeout) stays
 * active until the next report is due: one tunnel is one alert, not one each report with a
 * resolved between them; it resolves once its flow ended (FIN) and the quiet time passed. */
static void test_long_flow_alert_lasts_between_reports(void **state)
{
	(void)state;
	int news, resolved;
	long_flow_events(443, 6, 60, 6000, &news, &resolved); /* tunnel.http */
	assert_int_equal(news, 1);
	assert_int_equal(resolved, 1);
	long_flow_events(53, 17, 1800, 1800 * 120, &news, &resolved); /* dns.tunnel: iodine */
	assert_int_equal(news, 1);
	assert_int_equal(resolved, 0); /* UDP: no FIN; the last report's half hour not over */
}

/* A slow scan is quiet for minutes between its probes: one that probes 20 hosts (UDP, which
 * TRW does not judge: no fast scan) every 8 minutes for 72 minutes, its alert at the third
 * burst, is one alert, not one each burst with a resolved between them; it resolves once half
 * its window (30 minutes) and resolve_after passed quiet. */
static void test_slow_scan_is_one_alert(void **state)
{
	(void)state;
	struct counting_sink cs = {.s = {.ops = &counting_ops}};
	struct fh_analytics *a = mk_counting(&cs);
	char dst[32];
	for (int m = 0; m <= 120; m++) {
		for (int i = 0; m % 8 == 0 && m <= 72 && i < 20; i++) {
			snprintf(dst, sizeof(dst), "203.0.%d.%d", 113 + m / 64, 1 + m % 64 / 8 * 20 + i);
			uint64_t t = T0 + (uint64_t)m * 60000 + (uint64_t)i * 1000;
			flow(a, "198.51.100.66", dst, 50000, 161, 17, 0, 1, 60, t, t);
		}
		fh_analytics_tick(a, T0 + (uint64_t)m * 60000 + 30000);
	}
	assert_int_equal(find(a, FH_ALERT_SCAN_SLOW, "198.51.100.66").type_n, 1);
	assert_int_equal(cs.n[FH_AEV_NEW], 1);
	assert_int_equal(cs.n[FH_AEV_RESOLVED], 1); /* 35 minutes after its last burst */
	fh_analytics_free(a);
}

/* A busy TCP server under packet sampling is no SYN flood, at start-up or after: it sends
 * packets in its connections for the SYNs it receives; a SYN flood's victim does not. */
static void test_sampled_server_is_not_a_syn_flood(void **state)
{
	(void)state;
	/* 10 packets a connection: serving, for two minutes (its baseline is learnt) */
	assert_int_equal(sampled_web(120, 10, 0x18, -1, 4), 0);
	/* no packets of its own: the threshold alone decides until it has a baseline */
	assert_int_equal(sampled_web(20, 0, 0, -1, 4), 1);
	/* nor are SYN-ACKs (half-open connections, resent) or RSTs (a closed port) answers */
	assert_int_equal(sampled_web(20, 10, 0x12, -1, 4), 1);
	assert_int_equal(sampled_web(20, 10, 0x14, -1, 4), 1);
	/* with flood_vs_baseline = 0, answers or not */
	assert_int_equal(sampled_web(20, 10, 0x18, -1, 0), 1);
	/* ten times its connections in spoofed SYNs, at start-up and once it has a baseline */
	assert_int_equal(sampled_web(20, 10, 0x18, 0, 4), 1);
	assert_int_equal(sampled_web(120, 10, 0x18, 60, 4), 1);

	/* a resolver seen through sFlow at 1:100: 2,000 queries a second from 400 clients,
	 * each sampled query a record from a client new to the window, as a spoofed flood's;
	 * it answers them all. Its panes are its usual rate, so no alert once it has one */
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char cl[32];
	unsigned c = 0;
	for (int i = 0; i < 120 * 20; i++) {
		uint64_t at = T0 + (uint64_t)i * 50;
		c = (c * 1103515245u + 12345u) & 0x7fffffff;
		snprintf(cl, sizeof(cl), "203.0.%u.%u", 113 + c % 400 / 200, 1 + c % 200);
		uint16_t port = (uint16_t)(20000 + c % 40000);
		flow_s(a, cl, "198.51.100.53", port, 53, 17, 0, 1, 70, at, at, 100);
		flow_s(a, "198.51.100.53", cl, 53, port, 17, 0, 1, 150, at, at, 100);
	}
	assert_int_equal(find(a, FH_ALERT_FLOOD_UDP, NULL).type_n, 0);
	fh_analytics_free(a);
}

/* A server's own rate is its baseline: a busy resolver's steady 2,000 queries a second (twice
 * flood_pps, from hundreds of sources: a "spoofed" flood by the fixed threshold alone) is
 * not a flood once the victim has a baseline; the same server hit at ten times its usual
 * rate is, and the evidence gives the baseline, for as long as it lasts (a flood is not
 * learnt as the victim's usual rate, nor is a spoofed flood under way when the victim is
 * first seen). Without a baseline the threshold decides, unless the server answers most of
 * what it receives. */
static void test_flood_against_victims_baseline(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a;
	/* the first minute: no baseline yet, judged by flood_pps alone (an alert) */
	assert_int_equal(cold_flood(60, 1, 0, 4), 1);
	/* unless the server answers: a resolver busy when flowhound starts is serving */
	assert_int_equal(cold_flood(60, 1, 1, 4), 0);
	/* or a third of it (a host sending a sixteenth of the UDP it gets is talking: QUIC,
	 * test_quic_client_is_not_a_udp_flood); but one that answers a twentieth, and one
	 * that answers its 200 queries a second while 20,000 packets a second of something
	 * else come in, are flooded */
	assert_int_equal(cold_flood(60, 1, 3, 4), 0);
	assert_int_equal(cold_flood(60, 1, 20, 4), 1);
	assert_int_equal(cold_flood(60, 10, 100, 4), 1);
	/* detect.flood_vs_baseline = 0: the threshold alone, answers or not */
	assert_int_equal(cold_flood(25, 1, 1, 0), 1);

	/* the same load on a server already known busy: one quiet-enough hour, then two
	 * minutes at the same rate */
	a = mk(&cfg);
	resolver_load(a, "198.51.100.53", T0, 90, 900); /* under flood_pps: learnt */
	resolver_load(a, "198.51.100.53", T0 + 90000, 120, 1800); /* twice that: within 4x */
	assert_int_equal(find(a, FH_ALERT_FLOOD_UDP, NULL).type_n, 0);
	/* then a flood: 20,000 pps from the same clients (10-packet flows) for 5 minutes */
	resolver_load_pk(a, "198.51.100.53", T0 + 210000, 300, 2000, 10);
	struct found f = find(a, FH_ALERT_FLOOD_UDP, NULL);
	assert_int_equal(f.type_n, 1);
	assert_non_null(strstr(f.last.evidence, "\"baseline_pps\":"));
	assert_true(f.last.last_seen >= T0 + 210000 + 299000); /* raised to its end */
	fh_analytics_free(a);

	/* a spoofed flood (a new source each flow) already under way when its victim is first
	 * seen is not learnt as its usual rate: alerted for all its 2 minutes */
	a = mk(&cfg);
	char src[32];
	for (int i = 0; i < 120 * 3000; i++) {
		snprintf(src, sizeof(src), "%d.%d.%d.%d", 1 + i % 200, i / 200 % 250,
			i / 50000 % 250, i % 250);
		uint64_t at = T0 + (uint64_t)i / 3;
		flow(a, src, "198.51.100.54", (uint16_t)(1024 + i % 60000), 53, 17, 0, 1, 70, at, at);
	}
	f = find(a, FH_ALERT_FLOOD_UDP, "0.0.0.0");
	assert_int_equal(f.type_n, 1);
	assert_true(f.last.last_seen >= T0 + 119000);
	assert_non_null(strstr(f.last.evidence, "\"baseline_pps\":0,")); /* none learnt */
	fh_analytics_free(a);

	/* and once the baseline would have been warm */
	a = mk(&cfg);
	cfg.detect.flood_vs_baseline = 0;
	fh_analytics_reconfigure(a, &cfg);
	resolver_load(a, "198.51.100.53", T0, 90, 900);
	resolver_load(a, "198.51.100.53", T0 + 90000, 120, 1800);
	assert_int_equal(find(a, FH_ALERT_FLOOD_UDP, NULL).type_n, 1);
	fh_analytics_free(a);
}

static void vscan(struct fh_analytics *a, const char *src, const char *dst, int from, int to,
	uint64_t t)
{
	for (int p = from; p <= to; p++)
		flow(a, src, dst, 50000, (uint16_t)p, 6, 0x02, 1, 44, t + (uint64_t)p, t + (uint64_t)p);
}

/* Sets start sparse (fingerprints inline) and move to a block of HyperLogLog registers from a
 * pool: the count across the move is within the sketch's error, values seen before the move
 * are not counted again, and a block freed by a window's end or an evicted host comes back
 * empty. */
static void test_sets_sparse_dense(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	vscan(a, "203.0.113.60", "198.51.100.10", 1, 120, T0);
	struct found f = find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.60");
	assert_int_equal(f.type_n, 1);
	uint64_t e120 = f.last.targets;
	assert_true(e120 >= 108 && e120 <= 132); /* 10 %: over 3 standard errors */
	vscan(a, "203.0.113.60", "198.51.100.10", 1, 7, T0 + 200); /* the inline ones again */
	f = find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.60");
	assert_int_equal(f.last.targets, e120);
	/* 90 ports, then 90 others two panes later: the window has forgotten the first 90 */
	vscan(a, "203.0.113.61", "198.51.100.11", 1, 90, T0);
	vscan(a, "203.0.113.61", "198.51.100.11", 91, 180, T0 + 61000);
	assert_int_equal(find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.61").type_n, 0);
	fh_analytics_free(a);

	/* four host states, sources only (the one set that takes a block is the scan's): the
	 * first scanner is evicted and the second gets its block, which must not remember
	 * ports 1-90 (no home_net: inside hosts are not kept longer than the others) */
	a = mk_hosts(&cfg, 4);
	assert_non_null(a);
	cfg.home_net = NULL;
	fh_analytics_reconfigure(a, &cfg);
	flow_roles = FH_ROLE_SRC;
	vscan(a, "203.0.113.62", "198.51.100.12", 1, 90, T0);
	char s[32], d[32];
	for (int i = 0; i < 16; i++) {
		snprintf(s, sizeof(s), "198.51.100.%d", 100 + i);
		snprintf(d, sizeof(d), "203.0.113.%d", 100 + i);
		flow(a, s, d, 40000, 443, 6, 0x1b, 10, 5000, T0 + 1000 + (uint64_t)i,
			T0 + 1000 + (uint64_t)i);
	}
	struct fh_analytics_stats st;
	fh_analytics_get_stats(a, &st);
	assert_true(st.evictions >= 12);
	assert_int_equal(st.sketch_blocks, 0); /* the scanner's block went back to the pool */
	vscan(a, "203.0.113.63", "198.51.100.13", 1, 110, T0 + 2000);
	flow_roles = FH_ROLE_SRC | FH_ROLE_DST;
	f = find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.63");
	assert_int_equal(f.type_n, 1);
	assert_true(f.last.targets >= 99 && f.last.targets <= 121);

	/* both roles: scanners (the source's port set) and their victims (the flood port set)
	 * take blocks; when every one of them has been evicted, all blocks are back */
	for (int i = 0; i < 10; i++) {
		snprintf(s, sizeof(s), "203.0.113.%d", 150 + i);
		snprintf(d, sizeof(d), "198.51.100.%d", 150 + i);
		vscan(a, s, d, 1, 30, T0 + 3000 + (uint64_t)i * 100);
	}
	fh_analytics_get_stats(a, &st);
	assert_true(st.sketch_blocks >= 2);
	for (int i = 0; i < 8; i++) {
		snprintf(s, sizeof(s), "198.51.100.%d", 200 + i);
		snprintf(d, sizeof(d), "203.0.113.%d", 200 + i);
		flow(a, s, d, 40000, 443, 6, 0x1b, 10, 5000, T0 + 5000 + (uint64_t)i,
			T0 + 5000 + (uint64_t)i);
	}
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.sketch_blocks, 0);

	/* a reload that changes the window lengths empties the windows, blocks given back:
	 * a vertical scan's set and a slow scan's */
	vscan(a, "203.0.113.170", "198.51.100.170", 1, 30, T0 + 6000);
	for (int i = 0; i < 20; i++) {
		snprintf(d, sizeof(d), "198.51.100.%d", 1 + i);
		flow(a, "203.0.113.170", d, 50000, 3389, 6, 0x02, 1, 44, T0 + 7000, T0 + 7000);
	}
	fh_analytics_get_stats(a, &st);
	assert_true(st.sketch_blocks >= 2);
	cfg.detect.window_ms = 120000;
	fh_analytics_reconfigure(a, &cfg);
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.sketch_blocks, 0);
	vscan(a, "203.0.113.170", "198.51.100.170", 1, 30, T0 + 8000); /* counts again */
	fh_analytics_get_stats(a, &st);
	assert_true(st.sketch_blocks >= 1);
	fh_analytics_free(a);
}

/* 20 SYN flows of 100 packets to one victim, 50 ms apart from t */
static void syn_burst(struct fh_analytics *a, const char *src, const char *dst, uint64_t t)
{
	for (int i = 0; i < 20; i++)
		flow(a, src, dst, 1234, 80, 6, 0x02, 100, 4000, t + (uint64_t)i * 50,
			t + (uint64_t)i * 50);
}

/*
 * Sliding windows: two panes of 30 s (window_ms 60 s) aligned on event time (T0 starts a
 * pane). A scan split across a pane boundary is counted whole; a late record of the pane
 * before the current one still counts; an older one is left out and counted as late; a pane
 * that ends gives its share up.
 */
static void test_sliding_window(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	/* 60 ports at 50-51 s, 60 others at 70-71 s: two panes (30-60 s, 60-90 s), one window.
	 * (A tumbling window started at the first record would also see this; one started at
	 * T0, as a host's first window did, would not.) */
	vscan(a, "203.0.113.70", "198.51.100.20", 1, 60, T0 + 50000);
	assert_int_equal(find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.70").type_n, 0);
	vscan(a, "203.0.113.70", "198.51.100.20", 61, 120, T0 + 70000);
	struct found f = find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.70");
	assert_int_equal(f.type_n, 1);
	assert_int_equal(f.last.first_seen, T0 + 50001);

	/* the same 120 ports over three panes (0-30, 30-60, 60-90 s): never 100 in two */
	vscan(a, "203.0.113.71", "198.51.100.21", 1, 50, T0 + 1000);
	vscan(a, "203.0.113.71", "198.51.100.21", 51, 90, T0 + 40000);
	vscan(a, "203.0.113.71", "198.51.100.21", 91, 140, T0 + 70000);
	assert_int_equal(find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.71").type_n, 0);

	/* late records: the host is in pane 60-90 s; 50 ports of pane 30-60 s arrive late (in
	 * the window), then 30 ports of pane 0-30 s (too late: not counted). Sources only: the
	 * victim's flood window would count the late records too. */
	struct fh_analytics_stats st0, st;
	flow_roles = FH_ROLE_SRC;
	fh_analytics_get_stats(a, &st0);
	vscan(a, "203.0.113.72", "198.51.100.22", 1, 60, T0 + 65000);
	vscan(a, "203.0.113.72", "198.51.100.22", 1001, 1030, T0 + 5000);
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.late - st0.late, 30);
	assert_int_equal(find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.72").type_n, 0);
	vscan(a, "203.0.113.72", "198.51.100.22", 2001, 2050, T0 + 35000);
	f = find(a, FH_ALERT_SCAN_VERTICAL, "203.0.113.72");
	assert_int_equal(f.type_n, 1);
	assert_true(f.last.targets >= 99 && f.last.targets <= 121);
	assert_int_equal(f.last.first_seen, T0 + 35000 + 2001);
	flow_roles = FH_ROLE_SRC | FH_ROLE_DST;
	fh_analytics_free(a);

	/* a flood of 10 s windows in panes of 5 s: a burst of 1,500 pps for one second that
	 * straddles the pane boundary at 10 s (750 packets each side). The victim's first
	 * record at 0 s would have started a tumbling window ending at 10 s, which would have
	 * seen neither half reach 1,000 packets. */
	a = mk(&cfg);
	flow(a, "203.0.113.74", "198.51.100.83", 1234, 80, 6, 0x1b, 10, 4000, T0, T0);
	for (int i = 0; i < 10; i++)
		flow(a, "203.0.113.73", "198.51.100.83", 1234, 80, 6, 0x02, 75, 3000,
			T0 + 9500 + (uint64_t)i * 50, T0 + 9500 + (uint64_t)i * 50);
	assert_int_equal(find(a, FH_ALERT_FLOOD_SYN, "203.0.113.73").type_n, 0);
	for (int i = 0; i < 10; i++)
		flow(a, "203.0.113.73", "198.51.100.83", 1234, 80, 6, 0x02, 75, 3000,
			T0 + 10000 + (uint64_t)i * 50, T0 + 10000 + (uint64_t)i * 50);
	f = find(a, FH_ALERT_FLOOD_SYN, "203.0.113.73");
	assert_int_equal(f.type_n, 1);
	assert_int_equal(f.last.first_seen, T0 + 9500);
	fh_analytics_free(a);

	/* flood records arrive late behind a newer record of the victim (a flow table ends
	 * such flows on its inactive timeout, after those that ended with a FIN): 22 s late
	 * they still count in their own panes; 45 s late they are too late, and counted */
	a = mk(&cfg);
	flow(a, "203.0.113.74", "198.51.100.84", 1234, 80, 6, 0x02, 1, 40, T0 + 30000,
		T0 + 30000);
	syn_burst(a, "203.0.113.75", "198.51.100.84", T0 + 8000);
	f = find(a, FH_ALERT_FLOOD_SYN, "203.0.113.75");
	assert_int_equal(f.type_n, 1);
	assert_int_equal(f.last.first_seen, T0 + 8000);
	assert_int_equal(f.last.packets, 2000);
	flow(a, "203.0.113.74", "198.51.100.85", 1234, 80, 6, 0x02, 1, 40, T0 + 60000,
		T0 + 60000);
	fh_analytics_get_stats(a, &st0);
	syn_burst(a, "203.0.113.76", "198.51.100.85", T0 + 15000);
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.late - st0.late, 20);
	assert_int_equal(find(a, FH_ALERT_FLOOD_SYN, "203.0.113.76").type_n, 0);
	fh_analytics_free(a);
}

/* An alert whose source is the host judged carries that host's traffic in the window and its
 * baseline: the mean of its earlier windows, without those in which it alerted. */
static void test_host_baseline_in_evidence(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char dst[32];
	/* four minutes of 5 web flows a minute */
	for (int w = 0; w < 4; w++)
		for (int i = 0; i < 5; i++)
			flow(a, "198.51.100.9", "203.0.113.80", (uint16_t)(40000 + i), 443, 6, 0x1b,
				10, 5000, T0 + (uint64_t)w * 60000 + 1000 + (uint64_t)i,
				T0 + (uint64_t)w * 60000 + 1000 + (uint64_t)i);
	/* then SMTP to 30 outside servers in one minute */
	for (int i = 0; i < 30; i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%d", 100 + i);
		flow(a, "198.51.100.9", dst, 50000, 25, 6, 0x1b, 20, 20000,
			T0 + 4 * 60000 + 1000 + (uint64_t)i, T0 + 4 * 60000 + 1000 + (uint64_t)i);
	}
	struct found f = find(a, FH_ALERT_SPAM_SMTP, "198.51.100.9");
	assert_int_equal(f.type_n, 1);
	const char *e = strstr(f.last.evidence, "\"host\":{");
	assert_non_null(e);
	assert_non_null(strstr(e, "\"baseline\":{\"flows\":5.0,\"packets\":50,\"bytes\":25000,"));
	unsigned flows = 0, windows = 0;
	assert_int_equal(sscanf(e, "\"host\":{\"flows\":%u", &flows), 1);
	assert_true(flows >= 20); /* this window: the SMTP burst so far (and nothing else) */
	assert_non_null(strstr(e, "\"windows\":"));
	assert_int_equal(sscanf(strstr(e, "\"windows\":"), "\"windows\":%u", &windows), 1);
	assert_true(windows >= 2);
	/* an alert of another host as the source (a flood, sources spoofed) carries none */
	for (int i = 0; i < 100; i++)
		flow(a, "203.0.113.66", "198.51.100.81", 1234, 9999, 17, 0, 100, 100000,
			T0 + 5 * 60000 + (uint64_t)i * 10, T0 + 5 * 60000 + (uint64_t)i * 10);
	f = find(a, FH_ALERT_FLOOD_UDP, "203.0.113.66");
	assert_int_equal(f.type_n, 1);
	assert_null(strstr(f.last.evidence, "\"host\""));
	fh_analytics_free(a);
}

/* The source's flows by class in its alerts' evidence: flows, bytes and mean duration. */
static void test_class_stats_in_evidence(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char dst[32];
	for (int i = 0; i < 3; i++) /* three web flows of 10 s and one of 4 s */
		flow(a, "198.51.100.9", "203.0.113.80", (uint16_t)(40000 + i), 443, 6, 0x1b, 10,
			5000, T0 + 1000 + (uint64_t)i, T0 + 11000 + (uint64_t)i);
	flow(a, "198.51.100.9", "203.0.113.81", 40010, 80, 6, 0x1b, 4, 1000, T0 + 2000, T0 + 6000);
	for (int i = 0; i < 2; i++) /* two DNS queries, an NTP exchange, a ping */
		flow(a, "198.51.100.9", "203.0.113.53", 5353, 53, 17, 0, 1, 80, T0 + 3000, T0 + 3000);
	flow(a, "198.51.100.9", "203.0.113.123", 123, 123, 17, 0, 1, 76, T0 + 3000, T0 + 3500);
	flow(a, "198.51.100.9", "203.0.113.1", 0, 0x0800, 1, 0, 2, 168, T0 + 3000, T0 + 4000);
	for (int i = 0; i < 20; i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%d", 100 + i);
		flow(a, "198.51.100.9", dst, 50000, 25, 6, 0x1b, 20, 20000, T0 + 5000 + (uint64_t)i,
			T0 + 5000 + (uint64_t)i);
	}
	struct found f = find(a, FH_ALERT_SPAM_SMTP, "198.51.100.9");
	assert_int_equal(f.type_n, 1);
	const char *e = strstr(f.last.evidence, "\"classes\":{");
	assert_non_null(e);
	assert_non_null(strstr(e, "\"web\":{\"flows\":4,\"bytes\":16000,\"mean_s\":8.5}"));
	assert_non_null(strstr(e, "\"dns\":{\"flows\":2,\"bytes\":160,\"mean_s\":0.0}"));
	assert_non_null(strstr(e, "\"mail\":{\"flows\":20,\"bytes\":400000,\"mean_s\":0.0}"));
	assert_non_null(strstr(e, "\"udp\":{\"flows\":1,\"bytes\":76,\"mean_s\":0.5}"));
	assert_non_null(strstr(e, "\"other\":{\"flows\":1,\"bytes\":168,\"mean_s\":1.0}"));
	assert_null(strstr(e, "\"ssh\"")); /* no flows: not listed */
	assert_null(strstr(e, "hosts_p99_bytes")); /* too few hosts to say what is normal */
	/* the host's totals are the sums over its classes */
	assert_non_null(strstr(f.last.evidence, "\"host\":{\"flows\":28,\"packets\":439,"
						 "\"bytes\":416404,"));
	fh_analytics_free(a);
}

/*
 * What is normal here: 150 inside hosts send 10 DNS queries of 70 bytes a window; then a
 * client sends 300 short queries (70 bytes: under dns_tunnel_avg_bytes) from one socket in a
 * window, 20 times the hosts' 99th percentile: dns.tunnel, as "far above the hosts". With the
 * comparison off (dns_tunnel_vs_hosts 0) it is not, nor with too few hosts to compare with.
 */
static void dns_population(struct fh_analytics *a, int hosts)
{
	char src[32];
	for (int w = 0; w < 2; w++)
		for (int i = 0; i < hosts; i++) {
			snprintf(src, sizeof(src), "198.51.100.%d", i + 1);
			for (int q = 0; q < (w ? 1 : 10); q++)
				flow(a, src, "203.0.113.53", 33000, 53, 17, 0, 1, 70,
					T0 + (uint64_t)w * 120000 + (uint64_t)i * 300 + (uint64_t)q,
					T0 + (uint64_t)w * 120000 + (uint64_t)i * 300 + (uint64_t)q);
		}
}

static int short_tunnel(struct fh_analytics *a)
{
	for (int q = 0; q < 300; q++)
		flow(a, "198.51.100.200", "203.0.113.53", 41000, 53, 17, 0, 1, 70,
			T0 + 180000 + (uint64_t)q * 50, T0 + 180000 + (uint64_t)q * 50);
	return find(a, FH_ALERT_DNS_TUNNEL, "198.51.100.200").type_n;
}

static void test_dns_tunnel_far_above_hosts(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	dns_population(a, 150);
	assert_int_equal(short_tunnel(a), 1);
	struct found f = find(a, FH_ALERT_DNS_TUNNEL, "198.51.100.200");
	/* 700 bytes a window: the bucket 640..767 */
	assert_non_null(strstr(f.last.evidence, "\"hosts_p99_bytes\":767,"));
	assert_non_null(strstr(f.last.evidence, "\"long_names\":false,\"far_above_hosts\":true"));
	/* none of the normal hosts is alerted */
	assert_int_equal(find(a, FH_ALERT_DNS_TUNNEL, NULL).type_n, 1);
	fh_analytics_free(a);

	a = mk(&cfg);
	cfg.detect.dns_tunnel_vs_hosts = 0;
	fh_analytics_reconfigure(a, &cfg);
	dns_population(a, 150);
	assert_int_equal(short_tunnel(a), 0);
	fh_analytics_free(a);

	a = mk(&cfg);
	dns_population(a, 60); /* fewer samples than POP_MIN */
	assert_int_equal(short_tunnel(a), 0);
	fh_analytics_free(a);
}

/*
 * A server's fan-in: an inside web server takes 30 connections (from 30 clients), 10 SYNs
 * that no handshake follows (10 more sources), refuses 5 with a RST, then a SYN flood from
 * one more source: the flood's evidence gives the port's attempts, unanswered, refused and
 * sources over the window, as they were when it was detected. A connection to an outside
 * server gives it no state.
 */
static void test_server_fan_in(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	char cli[32];
	for (int i = 0; i < 40; i++) {
		snprintf(cli, sizeof(cli), "203.0.113.%d", 10 + i);
		flow(a, cli, "198.51.100.80", (uint16_t)(40000 + i), 80, 6, i < 30 ? 0x1b : 0x02,
			i < 30 ? 10 : 1, i < 30 ? 5000 : 60, T0 + 1000 + (uint64_t)i * 100,
			T0 + 1000 + (uint64_t)i * 100);
	}
	for (int i = 0; i < 5; i++) {
		snprintf(cli, sizeof(cli), "203.0.113.%d", 30 + i);
		flow(a, "198.51.100.80", cli, 80, (uint16_t)(40020 + i), 6, 0x14, 1, 40,
			T0 + 6000 + (uint64_t)i, T0 + 6000 + (uint64_t)i);
	}
	syn_burst(a, "203.0.113.200", "198.51.100.80", T0 + 20000);
	struct found f = find(a, FH_ALERT_FLOOD_SYN, NULL);
	assert_int_equal(f.type_n, 1);
	const char *e = strstr(f.last.evidence, "\"server_ports\":[{\"port\":80,");
	assert_non_null(e);
	unsigned att, una, ref, srcs;
	assert_int_equal(sscanf(e, "\"server_ports\":[{\"port\":80,\"attempts\":%u,\"unanswered\":%u,"
				   "\"refused\":%u,\"sources\":%u}]",
				 &att, &una, &ref, &srcs),
		4);
	/* as at detection: the 10th flow of the flood (1,000 packets in a second) */
	assert_int_equal(att, 50);
	assert_int_equal(una, 20);
	assert_int_equal(ref, 5);
	assert_in_range(srcs, 38, 44); /* 41, counted by the sketch (about 3 %) */
	/* an inside client's connection to an outside server: a state for the client only */
	struct fh_analytics_stats st0, st;
	fh_analytics_get_stats(a, &st0);
	flow(a, "198.51.100.9", "203.0.113.99", 40000, 443, 6, 0x1b, 10, 5000, T0 + 21000,
		T0 + 21000);
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.hosts - st0.hosts, 1);
	fh_analytics_free(a);
}

/*
 * A destination's first flood-kind record waits (engine.c, struct hold) and gives it no host
 * state; its second takes the state and counts the first before it. A UDP flood whose first
 * record carries 600 of its 1,500 packets is alerted with all 1,500 and from the first
 * record's time (without the held record it would stay under 1,000 packets: no alert). Single
 * records to 20,000 destinations take no state, and those whose slot another took are
 * counted as dropped (16,384 slots: at least 3,616).
 */
static void test_flood_first_record_held(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk(&cfg);
	struct fh_analytics_stats st0, st;
	flow(a, "203.0.113.5", "198.51.100.90", 1234, 9999, 17, 0, 600, 60000, T0 + 1000,
		T0 + 1000);
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.hosts, 1); /* the source only */
	for (int i = 1; i < 10; i++)
		flow(a, "203.0.113.5", "198.51.100.90", 1234, 9999, 17, 0, 100, 10000,
			T0 + 1000 + (uint64_t)i * 100, T0 + 1000 + (uint64_t)i * 100);
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.hosts, 2);
	struct found f = find(a, FH_ALERT_FLOOD_UDP, "203.0.113.5");
	assert_int_equal(f.type_n, 1);
	assert_int_equal(f.last.packets, 1500);
	assert_int_equal(f.last.first_seen, T0 + 1000);
	/* the evidence as at detection: the 8th flow, 600 + 7 x 100 packets */
	assert_non_null(strstr(f.last.evidence, "\"packets\":1300,"));

	fh_analytics_get_stats(a, &st0);
	char dst[32];
	for (int i = 0; i < 20000; i++) {
		snprintf(dst, sizeof(dst), "20.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
		flow(a, "198.51.100.7", dst, 40000, 53, 17, 0, 1, 70, T0 + 2000 + (uint64_t)i,
			T0 + 2000 + (uint64_t)i);
	}
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.hosts - st0.hosts, 1); /* the client: no state for its servers */
	assert_true(st.flood_first_dropped - st0.flood_first_dropped >= 20000 - 16384);
	assert_true(st.flood_first_dropped - st0.flood_first_dropped < 20000);
	fh_analytics_free(a);
}

/* scan.slow alerts of an inside host that probes port 3389 of a new outside host every 50 s
 * for 50 minutes, while a SYN flood from `spoofed` random sources (2,000 a second) comes in at
 * another inside host from minute 10, in a shard of 4,096 host states */
static int slow_scan_through_flood(unsigned spoofed)
{
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk_hosts(&cfg, 4096);
	char dst[32];
	uint32_t rs = 12345;
	for (int i = 0; i < 60; i++) {
		snprintf(dst, sizeof(dst), "203.0.113.%d", 100 + i);
		uint64_t t = T0 + (uint64_t)i * 50000;
		flow(a, "198.51.100.66", dst, 50000, 3389, 6, 0x02, 1, 44, t, t);
		/* and an outside host's slow scan of the inside */
		snprintf(dst, sizeof(dst), "198.51.100.%d", 100 + i);
		flow(a, "192.0.2.77", dst, 50000, 3389, 6, 0x02, 1, 44, t + 2, t + 2);
		/* an outside host new during the flood: a fast scan of 30 inside hosts, its first
		 * probe held (the pool is full), then judged with the others */
		for (int k = 0; i == 13 && spoofed && k < 30; k++) {
			snprintf(dst, sizeof(dst), "198.51.100.%d", 160 + k);
			flow(a, "192.0.2.99", dst, 50000, 22, 6, 0x02, 1, 44, t + 3 + (uint64_t)k,
				t + 3 + (uint64_t)k);
		}
		for (unsigned k = 0; (i == 12 || i == 13) && k < spoofed / 2; k++) {
			rs = rs * 1103515245u + 12345u;
			snprintf(dst, sizeof(dst), "%u.%u.%u.%u", 1 + (rs >> 24) % 200, rs >> 16 & 255,
				rs >> 8 & 255, rs & 255);
			uint64_t at = t + 1 + k * 49000ull / (spoofed / 2);
			flow(a, dst, "198.51.100.80", (uint16_t)(1024 + rs % 60000), 80, 6, 0x02, 1, 40,
				at, at);
		}
	}
	struct fh_analytics_stats st;
	fh_analytics_get_stats(a, &st);
	int n = find(a, FH_ALERT_SCAN_SLOW, "198.51.100.66").type_n;
	n |= find(a, FH_ALERT_SCAN_SLOW, "192.0.2.77").type_n << 1;
	assert_int_equal(find(a, FH_ALERT_FLOOD_SYN, NULL).type_n, spoofed > 0);
	if (spoofed) {
		struct found f = find(a, FH_ALERT_SCAN_HORIZONTAL, "192.0.2.99");
		assert_int_equal(f.type_n, 1);
		assert_int_equal(f.last.flows, 30); /* its held first probe too */
		/* the spoofed sources took no state once the pool was full (4,096): no host was
		 * evicted for them, and the first records they left in the held slots (8,192)
		 * were dropped and counted */
		assert_true(st.evictions < 100);
		assert_true(st.src_first_dropped >= spoofed - 4096 - 8192);
	}
	fh_analytics_free(a);
	return n;
}

/* An attacker's spoofed sources, each seen once, fill the pool if each takes a host state,
 * and the idlest hosts are evicted for them: a slow scanner's hour, an outside one's first.
 * With the pool full, an outside source's first short record waits for its second (struct
 * src_hold), so they take none; and were they to, an inside host is kept as if seen ten
 * minutes later. */
static void test_flood_does_not_evict_inside_hosts(void **state)
{
	(void)state;
	assert_int_equal(slow_scan_through_flood(0), 3);
	assert_int_equal(slow_scan_through_flood(200000), 3);
}

/*
 * With the pool full, an outside source's record that can raise nothing by itself waits for
 * the source's second one (struct src_hold): the servers the campus talks to once (their
 * replies) take no state and evict no one. What can raise an alert alone is judged at once: a
 * report of a long flow (an outside host's bulk SSH pull from a campus server, 35 minutes in
 * one record), a DNS record of many queries.
 */
static void test_full_pool_holds_what_cannot_alert(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk_hosts(&cfg, 64);
	char h[32], s[32];
	for (int i = 0; i < 64; i++) {
		snprintf(h, sizeof(h), "198.51.100.%d", 1 + i);
		flow(a, h, "192.0.2.1", 40000, 443, 6, 0x1b, 10, 5000, T0 + (uint64_t)i,
			T0 + (uint64_t)i);
	}
	struct fh_analytics_stats st;
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.hosts, 64);
	for (int k = 0; k < 1000; k++) { /* replies of 1,000 servers, each seen once */
		snprintf(s, sizeof(s), "198.18.%d.%d", k >> 8, k & 255);
		snprintf(h, sizeof(h), "198.51.100.%d", 1 + k % 64);
		flow(a, s, h, 443, (uint16_t)(40000 + k), 6, 0x1b, 20, 20000,
			T0 + 1000 + (uint64_t)k, T0 + 9000 + (uint64_t)k);
	}
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.evictions, 0);
	assert_true(st.src_first_dropped < 200); /* slots taken twice */
	/* a bulk SSH pull over 35 minutes, one record */
	flow(a, "192.0.2.50", "198.51.100.5", 50002, 22, 6, 0x18, 2000000, 2800000000ull,
		T0 + 20000, T0 + 20000 + 2100000);
	assert_int_equal(find(a, FH_ALERT_TUNNEL_SSH, "192.0.2.50").type_n, 1);
	/* 100 large queries in one record */
	flow(a, "192.0.2.51", "198.51.100.53", 40000, 53, 17, 0, 100, 22000, T0 + 30000,
		T0 + 90000);
	assert_int_equal(find(a, FH_ALERT_DNS_TUNNEL, "192.0.2.51").type_n, 1);
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.evictions, 2);
	fh_analytics_free(a);
}

/*
 * Eviction (a full pool of 16 host states, sources only): the host evicted is the idlest of
 * the next 8 after the clock hand, chosen one eviction ahead, but not if it has been used
 * since it was chosen. Host 198.51.100.9 (the idlest of the second 8) opens SMTP to 10
 * outside servers and is chosen for the next eviction when a new host comes; it sends a web
 * flow, another new host comes, and then it opens SMTP to 10 more servers: spam.smtp (20
 * servers in a window) only if its state was kept. Hosts that were not used are evicted.
 */
static void test_eviction_spares_a_host_used_since(void **state)
{
	(void)state;
	struct fh_analytics_cfg cfg;
	struct fh_analytics *a = mk_hosts(&cfg, 16);
	flow_roles = FH_ROLE_SRC;
	char h[32], mx[32];
	for (int i = 0; i < 16; i++) {
		snprintf(h, sizeof(h), "198.51.100.%d", 1 + i);
		flow(a, h, "192.0.2.1", 40000, 443, 6, 0x1b, 10, 5000, T0 + 1 + (uint64_t)i,
			T0 + 1 + (uint64_t)i);
		for (int k = 0; i == 8 && k < 10; k++) {
			snprintf(mx, sizeof(mx), "203.0.113.%d", 100 + k);
			flow(a, h, mx, 40000, 25, 6, 0x1b, 20, 20000, T0 + 9, T0 + 9);
		}
	}
	struct fh_analytics_stats st;
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.evictions, 0);
	/* new inside hosts (an outside one's first record would wait: struct src_hold) */
	flow(a, "198.51.100.201", "192.0.2.1", 40000, 443, 6, 0x1b, 10, 5000, T0 + 17, T0 + 17);
	flow(a, "198.51.100.9", "192.0.2.1", 40001, 443, 6, 0x1b, 10, 5000, T0 + 18, T0 + 18);
	flow(a, "198.51.100.202", "192.0.2.1", 40000, 443, 6, 0x1b, 10, 5000, T0 + 19, T0 + 19);
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.evictions, 2);
	assert_int_equal(find(a, FH_ALERT_SPAM_SMTP, "198.51.100.9").type_n, 0);
	for (int k = 10; k < 20; k++) {
		snprintf(mx, sizeof(mx), "203.0.113.%d", 100 + k);
		flow(a, "198.51.100.9", mx, 40000, 25, 6, 0x1b, 20, 20000, T0 + 20, T0 + 20);
	}
	struct found f = find(a, FH_ALERT_SPAM_SMTP, "198.51.100.9");
	assert_int_equal(f.type_n, 1);
	assert_int_equal(f.last.targets, 20);
	/* and one that was not used since: 198.51.100.1, the idlest of all, was evicted */
	fh_analytics_get_stats(a, &st);
	uint64_t ev = st.evictions;
	for (int k = 0; k < 20; k++) {
		snprintf(mx, sizeof(mx), "203.0.113.%d", 150 + k);
		flow(a, "198.51.100.1", mx, 40000, 25, 6, 0x1b, 20, 20000, T0 + 21, T0 + 21);
	}
	fh_analytics_get_stats(a, &st);
	assert_int_equal(st.evictions, ev + 1); /* it came back as a new host */
	flow_roles = FH_ROLE_SRC | FH_ROLE_DST;
	fh_analytics_free(a);
}

static void test_detect_cfg_set(void **state)
{
	(void)state;
	struct fh_detect_cfg c;
	char err[128];
	fh_detect_defaults(&c);
	assert_int_equal(fh_detect_cfg_set(&c, "scan_h_targets=7", err, sizeof(err)), 0);
	assert_int_equal(c.scan_h_targets, 7);
	assert_int_equal(fh_detect_cfg_set(&c, "scan_fail_ratio=0.9", err, sizeof(err)), 0);
	assert_true(c.scan_fail_ratio > 0.89 && c.scan_fail_ratio < 0.91);
	assert_int_equal(fh_detect_cfg_set(&c, "nope=1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "detect.nope: unknown"));
	assert_int_equal(fh_detect_cfg_set(&c, "flood_pps=lots", err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_horizontal_scan_trw),
		cmocka_unit_test(test_scan_direction_and_severity),
		cmocka_unit_test(test_busy_web_server_is_not_a_scan),
		cmocka_unit_test(test_recursive_resolver_is_not_a_scan),
		cmocka_unit_test(test_vertical_and_slow),
		cmocka_unit_test(test_worm),
		cmocka_unit_test(test_worm_table_threads),
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_tunnels_spam_p2p),
		cmocka_unit_test(test_push_channels_are_not_tunnels),
		cmocka_unit_test(test_video_bridge_is_not_p2p),
		cmocka_unit_test(test_ephemeral_bt_port_is_not_p2p),
		cmocka_unit_test(test_bittorrent_failures_are_not_a_scan),
		cmocka_unit_test(test_mail_server_allowlisted),
		cmocka_unit_test(test_mx_is_a_mail_server),
		cmocka_unit_test(test_floods),
		cmocka_unit_test(test_flood_against_victims_baseline),
		cmocka_unit_test(test_sampled_server_is_not_a_syn_flood),
		cmocka_unit_test(test_long_flow_alert_lasts_between_reports),
		cmocka_unit_test(test_slow_scan_is_one_alert),
		cmocka_unit_test(test_multicast_is_no_victim),
		cmocka_unit_test(test_flood_lasts_as_long_as_it_does),
		cmocka_unit_test(test_quic_client_is_not_a_udp_flood),
		cmocka_unit_test(test_listed_inside_host_is_one_alert),
		cmocka_unit_test(test_sets_sparse_dense),
		cmocka_unit_test(test_sliding_window),
		cmocka_unit_test(test_host_baseline_in_evidence),
		cmocka_unit_test(test_class_stats_in_evidence),
		cmocka_unit_test(test_dns_tunnel_far_above_hosts),
		cmocka_unit_test(test_server_fan_in),
		cmocka_unit_test(test_flood_first_record_held),
		cmocka_unit_test(test_eviction_spares_a_host_used_since),
		cmocka_unit_test(test_flood_does_not_evict_inside_hosts),
		cmocka_unit_test(test_full_pool_holds_what_cannot_alert),
		cmocka_unit_test(test_detect_cfg_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
