/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow table: every expiry cause (inactive, active, FIN, RST, eviction, flush), merge by key,
 * exported records passed on at once, events sharded by host with roles, a full ring
 * counted, IPv6; and reader threads walking the table under RCU while the writer inserts,
 * updates and expires (also run under ThreadSanitizer: docs/flowtable.md).
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

static void test_causes(void **state)
{
	(void)state;
	struct fh_ring *ring = fh_ring_new(1024, sizeof(struct fh_flow_event));
	struct fh_ft_cfg cfg = {.capacity = 4, .inactive_ms = 15000, .active_ms = 60000,
		.n_rings = 1, .rings = &ring};
	struct fh_ft *t = fh_ft_new(&cfg);
	fh_ft_no_readers(t);
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
	struct fh_ft_cfg cfg = {.capacity = 2000, .inactive_ms = 50};
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
		cmocka_unit_test(test_causes),
		cmocka_unit_test(test_exported_and_sharding),
		cmocka_unit_test(test_rcu_readers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
