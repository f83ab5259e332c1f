/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow table: every expiry cause (inactive, active, FIN, RST, eviction, flush), merge by key,
 * exported records passed on at once, events sharded by host with roles, a full ring
 * counted, IPv6; the active timeout's wheel against a model of the walk it replaced, with
 * flows ended while on it, out-of-order times and a budget; and reader threads walking the
 * table under RCU while the writer inserts, updates (active timeouts too) and expires (also
 * run under ThreadSanitizer: docs/flowtable.md).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include <urcu-qsbr.h>

#include "dataplane/flowtable.h"

static struct fh_flow_rec rec(const char *src, const char *dst, uint16_t sport, uint16_t dport,
	uint8_t flags, uint64_t t, uint8_t version)
{
	struct fh_flow_rec r;
	memset(&r, 0, sizeof(r));
	fh_ip_parse(src, &r.src);
	fh_ip_parse(dst, &r.dst);
	fh_ip_parse("192.0.2.1", &r.exporter);
	r.sport = sport;
	r.dport = dport;
	r.proto = 6;
	r.tcp_flags = flags;
	r.packets = 1;
	r.bytes = 100;
	r.first_ms = r.last_ms = t;
	r.sampling = 10;
	r.version = version;
	return r;
}

static int drain(struct fh_ring *r, struct fh_flow_event *out, int max)
{
	return (int)fh_ring_dequeue_burst(r, out, (uint32_t)max);
}

/* A table without readers whose events go to one ring, made here in *ring (which the table
 * keeps a pointer to). */
static struct fh_ft *table_1ring(struct fh_ring **ring, uint32_t ring_size, uint32_t capacity,
	uint32_t inactive_ms, uint32_t active_ms)
{
	*ring = fh_ring_new(ring_size, sizeof(struct fh_flow_event));
	struct fh_ft_cfg cfg = {.capacity = capacity, .inactive_ms = inactive_ms,
		.active_ms = active_ms, .n_rings = 1, .rings = ring};
	struct fh_ft *t = fh_ft_new(&cfg);
	fh_ft_no_readers(t);
	return t;
}

static void test_causes(void **state)
{
	(void)state;
	struct fh_ring *ring;
	struct fh_ft *t = table_1ring(&ring, 1024, 4, 15000, 60000);
	struct fh_flow_event ev[64];
	struct fh_flow_rec r;

	/* sampled packets of one flow merge; nothing is emitted until the flow ends */
	r = rec("198.51.100.1", "203.0.113.1", 1000, 80, 0x02, 1000, FH_VER_SFLOW5);
	fh_ft_upsert(t, &r);
	r.tcp_flags = 0x10;
	r.first_ms = r.last_ms = 2000;
	fh_ft_upsert(t, &r);
	assert_int_equal(drain(ring, ev, 64), 0);
	struct fh_ft_stats st;
	fh_ft_get_stats(t, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.inserts, 1);
	assert_int_equal(st.updates, 1);

	/* inactive: 15 s after its last packet */
	assert_int_equal(fh_ft_expire(t, 16999, 0), 0);
	assert_int_equal(fh_ft_expire(t, 17000, 0), 1);
	assert_int_equal(drain(ring, ev, 64), 1);
	assert_int_equal(ev[0].kind, FH_FEV_END);
	assert_int_equal(ev[0].cause, FH_FT_INACTIVE);
	assert_int_equal(ev[0].roles, FH_ROLE_SRC | FH_ROLE_DST);
	assert_int_equal(ev[0].rec.packets, 2);
	assert_int_equal(ev[0].rec.bytes, 200);
	assert_int_equal(ev[0].rec.tcp_flags, 0x12);
	assert_int_equal(ev[0].rec.first_ms, 1000);
	assert_int_equal(ev[0].rec.last_ms, 2000);
	assert_int_equal(ev[0].rec.sampling, 10);
	assert_int_equal(ev[0].rec.version, FH_VER_SFLOW5);

	/* FIN and RST end at once */
	r = rec("198.51.100.2", "203.0.113.1", 1001, 80, 0x11, 20000, FH_VER_TAP);
	fh_ft_upsert(t, &r);
	r = rec("198.51.100.3", "203.0.113.1", 1002, 80, 0x04, 20000, FH_VER_TAP);
	fh_ft_upsert(t, &r);
	assert_int_equal(drain(ring, ev, 64), 2);
	assert_int_equal(ev[0].cause, FH_FT_FIN);
	assert_int_equal(ev[1].cause, FH_FT_RST);

	/* active timeout: an update with the counts so far, then the flow goes on from zero */
	for (uint64_t ts = 30000; ts <= 100000; ts += 10000) {
		r = rec("2001:db8::1", "2001:db8::2", 5000, 443, 0x10, ts, FH_VER_TAP);
		fh_ft_upsert(t, &r);
		fh_ft_expire(t, ts, 0);
	}
	assert_int_equal(drain(ring, ev, 64), 1);
	assert_int_equal(ev[0].kind, FH_FEV_UPDATE);
	assert_int_equal(ev[0].cause, FH_FT_ACTIVE);
	assert_int_equal(ev[0].rec.packets, 7); /* 30 s .. 90 s */
	assert_int_equal(ev[0].rec.af, 6);
	fh_ft_flush(t);
	assert_int_equal(drain(ring, ev, 64), 1);
	assert_int_equal(ev[0].cause, FH_FT_FLUSH);
	assert_int_equal(ev[0].rec.packets, 1); /* only what came after the update */

	/* eviction when full: the oldest idle flow goes first */
	for (int i = 0; i < 5; i++) {
		char src[32];
		snprintf(src, sizeof(src), "198.51.100.%d", 10 + i);
		r = rec(src, "203.0.113.9", 2000, 22, 0x02, 200000 + (uint64_t)i, FH_VER_TAP);
		fh_ft_upsert(t, &r);
	}
	assert_int_equal(drain(ring, ev, 64), 1);
	assert_int_equal(ev[0].cause, FH_FT_EVICT);
	assert_int_equal(ev[0].rec.src.a[15], 10);
	fh_ft_get_stats(t, &st);
	assert_int_equal(st.entries, 4);
	assert_int_equal(st.expired[FH_FT_EVICT], 1);
	assert_int_equal(st.expired[FH_FT_INACTIVE], 1);
	fh_ft_free(t);
	fh_ring_free(ring);
}

static void test_exported_and_sharding(void **state)
{
	(void)state;
	struct fh_ring *rings[4];
	for (int i = 0; i < 4; i++)
		rings[i] = fh_ring_new(16, sizeof(struct fh_flow_event));
	struct fh_ft_cfg cfg = {.capacity = 1000, .n_rings = 4, .rings = rings};
	struct fh_ft *t = fh_ft_new(&cfg);
	fh_ft_no_readers(t);
	struct fh_flow_event ev[16];
	int src_roles = 0, dst_roles = 0, first_events = 0;
	/* NetFlow records are passed on as they come, to the shard of each side */
	for (int i = 0; i < 6; i++) {
		char src[32];
		snprintf(src, sizeof(src), "198.51.100.%d", i);
		struct fh_flow_rec r = rec(src, "203.0.113.1", 1000, 80, 0x1b, 1000, FH_VER_NF9);
		fh_ft_upsert(t, &r);
	}
	for (int i = 0; i < 4; i++) {
		int n = drain(rings[i], ev, 16);
		first_events += n;
		for (int k = 0; k < n; k++) {
			assert_int_equal(ev[k].cause, FH_FT_EXPORTED);
			src_roles += !!(ev[k].roles & FH_ROLE_SRC);
			dst_roles += !!(ev[k].roles & FH_ROLE_DST);
		}
	}
	assert_int_equal(src_roles, 6);
	assert_int_equal(dst_roles, 6);
	/* a full ring is counted, not waited on */
	for (int i = 0; i < 40; i++) {
		struct fh_flow_rec r = rec("198.51.100.1", "203.0.113.1", (uint16_t)i, 80, 0x1b,
			1000, FH_VER_NF5);
		fh_ft_upsert(t, &r);
	}
	struct fh_ft_stats st;
	fh_ft_get_stats(t, &st);
	assert_true(st.ring_drops > 0);
	int delivered = 0;
	for (int i = 0; i < 4; i++)
		delivered += drain(rings[i], ev, 16);
	/* every event is counted: delivered, or dropped at a full ring */
	assert_int_equal((uint64_t)(first_events + delivered) + st.ring_drops, st.events);
	/* exported flows end silently: their counts were passed on already */
	fh_ft_flush(t);
	for (int i = 0; i < 4; i++)
		drain(rings[i], ev, 16);
	fh_ft_get_stats(t, &st);
	assert_int_equal(st.entries, 0);
	fh_ft_free(t);
	for (int i = 0; i < 4; i++)
		fh_ring_free(rings[i]);
}

/* A reader on the writer's thread (`analyze`) is told when a ring is full and empties it:
 * the flush of 1,000 flows through a ring of 64 loses none. */
struct sink64 {
	struct fh_ring *ring;
	uint64_t got, packets, calls;
};

static void empty_ring(void *arg, unsigned ring)
{
	struct sink64 *k = arg;
	struct fh_flow_event ev[64];
	int n;
	assert_int_equal(ring, 0);
	k->calls++;
	while ((n = drain(k->ring, ev, 64)) > 0)
		for (int i = 0; i < n; i++) {
			k->got++;
			k->packets += ev[i].rec.packets;
		}
}

static void test_ring_full_hook(void **state)
{
	(void)state;
	struct sink64 k = {0};
	k.ring = fh_ring_new(64, sizeof(struct fh_flow_event));
	struct fh_ft_cfg cfg = {.capacity = 4096, .n_rings = 1, .rings = &k.ring,
		.ring_full = empty_ring, .ring_full_arg = &k};
	struct fh_ft *t = fh_ft_new(&cfg);
	fh_ft_no_readers(t);
	for (int i = 0; i < 1000; i++) {
		struct fh_flow_rec r = rec("198.51.100.1", "203.0.113.1", (uint16_t)(1000 + i), 443,
			0x10, 1000, FH_VER_SFLOW5);
		fh_ft_upsert(t, &r);
	}
	fh_ft_flush(t);
	empty_ring(&k, 0);
	struct fh_ft_stats st;
	fh_ft_get_stats(t, &st);
	assert_int_equal(k.got, 1000);
	assert_int_equal(k.packets, 1000);
	assert_int_equal(st.events, 1000);
	assert_int_equal(st.ring_drops, 0);
	assert_true(k.calls >= 1000 / 64);
	fh_ft_free(t);
	fh_ring_free(k.ring);
}

/* ---- the active timeout ---------------------------------------------------------------- */

static void pkt(struct fh_ft *t, uint16_t key, uint8_t flags, uint64_t ts)
{
	struct fh_flow_rec r = rec("198.51.100.1", "203.0.113.1", key, 443, flags, ts,
		FH_VER_SFLOW5);
	fh_ft_upsert(t, &r);
}

/* Flows that end (FIN, inactive timeout, eviction) are taken off the wheel: neither they nor
 * the flows that reuse their entries get an update at their timeouts. */
static void test_active_ended_flows(void **state)
{
	(void)state;
	struct fh_ring *ring;
	struct fh_ft *t = table_1ring(&ring, 64, 5, 15000, 60000);
	struct fh_flow_event ev[64];

	pkt(t, 1, 0x10, 1000);
	pkt(t, 3, 0x10, 1500);
	for (uint16_t k = 4; k <= 6; k++)
		pkt(t, k, 0x10, 1600);
	pkt(t, 1, 0x11, 2000); /* 1: FIN */
	assert_int_equal(drain(ring, ev, 64), 1);
	assert_int_equal(ev[0].cause, FH_FT_FIN);
	/* no flow starts before 1 and 3 would be due (a flow ended but left on the wheel shows
	 * there, instead of breaking the list when its entry is reused) */
	for (uint64_t ts = 5000; ts <= 150000; ts += 5000) {
		if (ts == 85000)
			pkt(t, 10, 0x10, ts);
		for (uint16_t k = 4; k <= 6 && ts <= 65000; k++)
			pkt(t, k, 0x10, ts);
		for (uint16_t k = 7; k <= 9 && ts >= 85000; k++) /* in the entries of 1, 3, 4 .. */
			pkt(t, k, 0x10, ts);
		for (uint16_t k = 11; k <= 12 && ts == 85000; k++)
			pkt(t, k, 0x10, ts); /* table full at 12: 10 evicted */
		fh_ft_expire(t, ts, 0);
		int n = drain(ring, ev, 64);
		if (ts == 20000 || ts == 85000) {
			assert_int_equal(n, 1); /* 3 idle since 1.5 s; 10 evicted */
			assert_int_equal(ev[0].cause, ts == 20000 ? FH_FT_INACTIVE : FH_FT_EVICT);
			assert_int_equal(ev[0].rec.sport, ts == 20000 ? 3 : 10);
		} else if (ts == 100000) { /* 11, 12 idle */
			assert_int_equal(n, 2);
			for (int k = 0; k < 2; k++) {
				assert_int_equal(ev[k].cause, FH_FT_INACTIVE);
				assert_int_equal(ev[k].rec.sport, 11 + k);
			}
		} else if (ts == 65000 || ts == 145000) { /* 4, 5, 6 from 1.6 s; 7, 8, 9 from 85 s */
			assert_int_equal(n, 3);
			for (int k = 0; k < 3; k++) {
				assert_int_equal(ev[k].cause, FH_FT_ACTIVE);
				assert_int_equal(ev[k].rec.sport, (ts == 65000 ? 4 : 7) + k);
				assert_int_equal(ev[k].rec.packets, ts == 65000 ? 14 : 13);
			}
		} else if (ts == 80000) { /* 4, 5, 6: idle since 65 s */
			assert_int_equal(n, 3);
			for (int k = 0; k < 3; k++) {
				assert_int_equal(ev[k].cause, FH_FT_INACTIVE);
				assert_int_equal(ev[k].rec.packets, 0);
			}
		} else {
			assert_int_equal(n, 0); /* none for 1, 3 at 61 s, nor 10, 11, 12 at 145 s */
		}
	}
	fh_ft_free(t);
	fh_ring_free(ring);
}

/* ---- the active timeout, against a model of the walk it replaced -------------------- */

/*
 * 500 flow keys (the source port is the key) over 400 s of event time, one expiry pass a
 * second. Each key sends at its own rate; some pause past the inactive timeout, some end with
 * FIN or RST, 450 entries for 500 keys force evictions, and event times are out of order:
 * late records (up to 41 s: some flows are past their timeout when they start) and records
 * from the future (up to 101 s, further than a turn of the wheel). The model keeps, per key, what the table
 * should hold, and says which flows the old walk of the whole pool would have updated in each
 * pass: those whose first_ms + active had passed at its start, each once, unless ended in the
 * same pass. Every event is checked against the model, and the packets sum up at the end.
 */
#define M_KEYS 500
#define M_ACTIVE 30000
#define M_INACTIVE 15000

struct mflow {
	int live, due;
	uint64_t start, last, pkts;
	unsigned updates, updates_after_restart;
};

struct model {
	struct mflow f[M_KEYS];
	uint64_t in, out, n_events, n_updates, n_created;
	unsigned ended[FH_FT_CAUSE_MAX];
};

static uint64_t m_rng = 0x9e3779b97f4a7c15ull;

static uint32_t m_rand(uint32_t n)
{
	m_rng ^= m_rng << 13;
	m_rng ^= m_rng >> 7;
	m_rng ^= m_rng << 17;
	return (uint32_t)(m_rng % n);
}

static void m_events(struct fh_ring *ring, struct model *m)
{
	struct fh_flow_event ev[64];
	int n;
	while ((n = drain(ring, ev, 64)) > 0)
		for (int i = 0; i < n; i++) {
			struct mflow *f = &m->f[ev[i].rec.sport];
			assert_true(f->live);
			assert_int_equal(ev[i].rec.packets, f->pkts);
			assert_int_equal(ev[i].rec.first_ms, f->start);
			assert_int_equal(ev[i].rec.last_ms, f->last);
			m->out += ev[i].rec.packets;
			m->n_events++;
			if (ev[i].kind == FH_FEV_UPDATE) {
				assert_int_equal(ev[i].cause, FH_FT_ACTIVE);
				assert_true(f->due); /* due in this pass, and not updated yet */
				f->due = 0;
				f->updates_after_restart += f->updates && f->pkts;
				f->updates++;
				f->start = f->last;
				f->pkts = 0;
				m->n_updates++;
			} else {
				assert_int_equal(ev[i].kind, FH_FEV_END);
				m->ended[ev[i].cause]++;
				f->live = 0;
				f->due = 0;
			}
		}
}

static void test_active_timeout_model(void **state)
{
	(void)state;
	struct fh_ring *ring;
	struct fh_ft *t = table_1ring(&ring, 4096, 450, M_INACTIVE, M_ACTIVE);
	static struct model m;
	memset(&m, 0, sizeof(m));
	unsigned rate[M_KEYS], late = 0, future = 0;
	for (int k = 0; k < M_KEYS; k++)
		rate[k] = k % 5 ? 30 + m_rand(70) : 2 + m_rand(5); /* % of seconds with a packet */
	for (uint64_t now = 1000000; now <= 1400000; now += 1000) {
		for (int k = 0; k < M_KEYS; k++) {
			if (m_rand(100) >= rate[k])
				continue;
			uint64_t ts = now - m_rand(1000);
			uint32_t r = m_rand(1000);
			if (r < 10) {
				ts = now - 1000 - m_rand(40000);
				late++;
			} else if (r < 12) {
				ts = now + 1000 + m_rand(100000);
				future++;
			}
			uint8_t flags = 0x10;
			r = m_rand(1000);
			if (r < 3)
				flags |= 0x01;
			else if (r < 5)
				flags |= 0x04;
			struct fh_flow_rec rc = rec("198.51.100.1", "203.0.113.1", (uint16_t)k, 443,
				flags, ts, FH_VER_SFLOW5);
			struct mflow *f = &m.f[k];
			if (!f->live) {
				memset(f, 0, sizeof(*f));
				f->live = 1;
				f->start = f->last = ts;
				m.n_created++;
			} else if (ts > f->last) {
				f->last = ts;
			}
			f->pkts++;
			m.in++;
			fh_ft_upsert(t, &rc); /* may end this flow (FIN, RST) or another (evicted) */
			m_events(ring, &m);
		}
		for (int k = 0; k < M_KEYS; k++)
			m.f[k].due = m.f[k].live && m.f[k].start + M_ACTIVE <= now;
		fh_ft_expire(t, now, 0);
		m_events(ring, &m);
		for (int k = 0; k < M_KEYS; k++)
			assert_false(m.f[k].due); /* every flow due was updated in this pass */
	}
	fh_ft_flush(t);
	m_events(ring, &m);

	/* nothing lost, nothing counted twice */
	assert_int_equal(m.out, m.in);
	struct fh_ft_stats st;
	fh_ft_get_stats(t, &st);
	assert_int_equal(st.entries, 0);
	assert_int_equal(st.events, m.n_events);
	assert_int_equal(st.ring_drops, 0);
	assert_int_equal(st.inserts, m.n_created);
	assert_int_equal(st.expired[FH_FT_ACTIVE], m.n_updates);
	for (int c = 0; c < FH_FT_CAUSE_MAX; c++)
		if (c != FH_FT_ACTIVE)
			assert_int_equal(st.expired[c], m.ended[c]);
	/* and the cases the test is for did happen */
	unsigned most = 0, again = 0;
	for (int k = 0; k < M_KEYS; k++) {
		most = m.f[k].updates > most ? m.f[k].updates : most;
		again += m.f[k].updates_after_restart;
	}
	assert_true(m.n_updates > 1000);
	assert_true(most >= 5);
	assert_true(again > 100); /* updated again after packets that came after a restart */
	assert_true(m.ended[FH_FT_FIN] > 10 && m.ended[FH_FT_RST] > 10);
	assert_true(m.ended[FH_FT_INACTIVE] > 10 && m.ended[FH_FT_EVICT] > 10);
	assert_true(late > 100 && future > 20);
	fh_ft_free(t);
	fh_ring_free(ring);
}

/* A budget caps the updates of a pass; the others come at the next passes, in the order of
 * their timeouts, each once. */
static void test_active_budget(void **state)
{
	(void)state;
	struct fh_ring *ring;
	struct fh_ft *t = table_1ring(&ring, 1024, 1000, 15000, 1000);
	struct fh_flow_event ev[128];
	for (int i = 99; i >= 0; i--) { /* inserted newest first */
		struct fh_flow_rec r = rec("198.51.100.1", "203.0.113.1", (uint16_t)i, 443, 0x10,
			(uint64_t)i, FH_VER_SFLOW5);
		fh_ft_upsert(t, &r);
	}
	for (int i = 0; i < 100; i++) { /* a packet each at 4.9 s: not due again at 5 s */
		struct fh_flow_rec r = rec("198.51.100.1", "203.0.113.1", (uint16_t)i, 443, 0x10,
			4900, FH_VER_SFLOW5);
		fh_ft_upsert(t, &r);
	}
	assert_int_equal(fh_ft_expire(t, 1098, 0), 0);
	assert_int_equal(drain(ring, ev, 128), 99); /* due at 1,000 .. 1,098 ms */
	fh_ft_flush(t);
	drain(ring, ev, 128);

	for (int i = 99; i >= 0; i--) {
		struct fh_flow_rec r = rec("198.51.100.1", "203.0.113.1", (uint16_t)i, 443, 0x10,
			10000 + (uint64_t)i, FH_VER_SFLOW5);
		fh_ft_upsert(t, &r);
		r.first_ms = r.last_ms = 14900;
		fh_ft_upsert(t, &r);
	}
	int next = 0, want[] = {30, 30, 30, 10, 0};
	for (int call = 0; call < 5; call++) {
		fh_ft_expire(t, 15000, 30);
		int n = drain(ring, ev, 128);
		assert_int_equal(n, want[call]);
		for (int k = 0; k < n; k++) {
			assert_int_equal(ev[k].kind, FH_FEV_UPDATE);
			assert_int_equal(ev[k].rec.sport, next++);
			assert_int_equal(ev[k].rec.packets, 2);
		}
	}
	/* the clock going back finds nothing more to do */
	fh_ft_expire(t, 12000, 0);
	assert_int_equal(drain(ring, ev, 128), 0);
	fh_ft_free(t);
	fh_ring_free(ring);
}

/* ---- concurrent readers --------------------------------------------------------------- */

static atomic_int stop;
static atomic_long visits;

static void count_visit(void *arg, const struct fh_flow_rec *r)
{
	(void)arg;
	if (r->sampling == 0 || r->packets > 1000000)
		return;
	atomic_fetch_add_explicit(&visits, 1, memory_order_relaxed);
}

static void *reader(void *arg)
{
	struct fh_ft *t = arg;
	rcu_register_thread();
	while (!atomic_load(&stop)) {
		fh_ft_foreach(t, count_visit, NULL);
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_rcu_readers(void **state)
{
	(void)state;
	rcu_register_thread();
	struct fh_ft_cfg cfg = {.capacity = 2000, .inactive_ms = 50, .active_ms = 30};
	struct fh_ft *t = fh_ft_new(&cfg);
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, reader, t);
	uint64_t now = 0;
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < 500; i++) {
			char src[48];
			snprintf(src, sizeof(src), "2001:db8::%x", (round * 500 + i) % 3000);
			struct fh_flow_rec r = rec(src, "203.0.113.1", (uint16_t)i, 80, 0x10, now,
				FH_VER_TAP);
			fh_ft_upsert(t, &r);
		}
		now += 20;
		fh_ft_expire(t, now, 0);
		rcu_quiescent_state();
		/* a worker expires about once a second; liburcu's call_rcu thread runs its batch
		 * every 10 ms or so, so give it that here */
		usleep(25000);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	struct fh_ft_stats st;
	fh_ft_get_stats(t, &st);
	assert_true(st.inserts > 2000); /* entries were reused: reclaimed after grace periods */
	assert_int_equal(st.full_drops, 0);
	assert_true(atomic_load(&visits) > 0);
	fh_ft_flush(t);
	synchronize_rcu();
	fh_ft_free(t);
	rcu_unregister_thread();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_ended_flows), /* first: with ended flows left on the
							    * wheel, the others loop */
		cmocka_unit_test(test_causes),
		cmocka_unit_test(test_exported_and_sharding),
		cmocka_unit_test(test_ring_full_hook),
		cmocka_unit_test(test_active_timeout_model),
		cmocka_unit_test(test_active_budget),
		cmocka_unit_test(test_rcu_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
