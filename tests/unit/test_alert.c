/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for analytics/alert: ids, JSON, deduplication, updates, resolution, eviction.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>

#include "analytics/alert.h"

/* A sink that records events in memory. */
struct rec_sink {
	struct fh_alert_sink base;
	int n;
	enum fh_alert_event ev[64];
	struct fh_alert last;
};

static void rec_emit(struct fh_alert_sink *s, const struct fh_alert *a, enum fh_alert_event ev)
{
	struct rec_sink *r = (struct rec_sink *)s;
	if (r->n < 64)
		r->ev[r->n] = ev;
	r->n++;
	r->last = *a;
}

static const struct fh_alert_sink_ops rec_ops = {.emit = rec_emit};

static void mk(struct fh_alert *a, const char *src, uint16_t port, uint64_t t)
{
	memset(a, 0, sizeof(*a));
	a->type = FH_ALERT_SCAN_HORIZONTAL;
	a->severity = FH_SEV_MEDIUM;
	assert_int_equal(fh_ip_parse(src, &a->src), 0);
	a->has_port = true;
	a->port = port;
	a->proto = 6;
	a->first_seen = a->last_seen = a->detected_at = t;
	fh_alert_make_id(a);
}

static void test_id_stable_and_distinct(void **state)
{
	(void)state;
	struct fh_alert a, b, c;
	mk(&a, "198.51.100.7", 22, 1000);
	mk(&b, "198.51.100.7", 22, 999999);
	mk(&c, "198.51.100.7", 23, 1000);
	assert_string_equal(a.id, b.id); /* time is not part of the key */
	assert_string_not_equal(a.id, c.id);
	assert_int_equal(strlen(a.id), 16);
	/* blocklist alerts: the list name is part of the key */
	a.type = c.type = FH_ALERT_BLOCKLIST;
	strcpy(a.list, "tor");
	strcpy(c.list, "drop");
	c.port = 22;
	fh_alert_make_id(&a);
	fh_alert_make_id(&c);
	assert_string_not_equal(a.id, c.id);
	assert_int_equal(fh_alert_type_parse("blocklist.tor"), FH_ALERT_BLOCKLIST);
	assert_int_equal(fh_alert_type_parse("scan.vertical"), FH_ALERT_SCAN_VERTICAL);
	assert_int_equal(fh_alert_type_parse("nope"), -1);
}

/* Ids are part of the contract (instances sharing a Redis name an activity alike): these are
 * the values flowhound has always given. */
static void test_id_values(void **state)
{
	(void)state;
	struct fh_alert a;
	mk(&a, "198.51.100.7", 22, 1000);
	assert_string_equal(a.id, "67cbb537d40973e2");
	a.port = 600;
	fh_alert_make_id(&a);
	assert_string_equal(a.id, "00bc27250e780bf7"); /* leading zeros are written */
	memset(&a, 0, sizeof(a));
	a.type = FH_ALERT_BLOCKLIST;
	strcpy(a.list, "tor");
	assert_int_equal(fh_ip_parse("10.0.0.1", &a.src), 0);
	assert_int_equal(fh_ip_parse("2001:db8::1", &a.dst), 0);
	a.has_dst = true;
	fh_alert_make_id(&a);
	assert_string_equal(a.id, "5390034f4be5edbd");
}

static void test_json(void **state)
{
	(void)state;
	struct fh_alert a;
	char buf[4096];
	mk(&a, "198.51.100.7", 22, 1764374400123ull);
	a.flows = 300;
	a.targets = 250;
	strcpy(a.evidence, "{\"top_targets\":[\"192.0.2.1\"]}");
	struct fh_ip ex;
	fh_ip_parse("192.0.2.254", &ex);
	fh_alert_add_exporter(&a, &ex);
	fh_alert_add_exporter(&a, &ex);
	assert_int_equal(a.n_exporters, 1);
	int n = fh_alert_to_json(&a, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_non_null(strstr(buf, "\"type\":\"scan.horizontal\""));
	assert_non_null(strstr(buf, "\"src\":\"198.51.100.7\",\"dst\":null,\"port\":22"));
	assert_non_null(strstr(buf, "\"proto\":\"tcp\""));
	assert_non_null(strstr(buf, "\"first_seen\":\"2025-11-29T00:00:00.123Z\""));
	assert_non_null(strstr(buf, "\"count\":{\"flows\":300,\"packets\":0,\"bytes\":0,"
				    "\"targets\":250}"));
	assert_non_null(strstr(buf, "\"evidence\":{\"top_targets\":[\"192.0.2.1\"]}"));
	assert_non_null(strstr(buf, "\"exporters\":[\"192.0.2.254\"],\"status\":\"active\"}"));
}

/* A table (resolve after 60 s quiet, updates every 10 s) whose events go to rs. */
static struct fh_alert_table *mk_table(struct rec_sink *rs)
{
	struct fh_alert_sink *sinks[] = {&rs->base};
	struct fh_alert_table_cfg cfg = {.resolve_after_ms = 60000, .update_interval_ms = 10000};
	return fh_alert_table_new(&cfg, sinks, 1);
}

static void test_dedup_update_resolve(void **state)
{
	(void)state;
	struct rec_sink rs = {.base.ops = &rec_ops};
	struct fh_alert_table *t = mk_table(&rs);
	struct fh_alert a;
	assert_non_null(t);

	mk(&a, "198.51.100.7", 22, 100000);
	a.targets = 10;
	assert_int_equal(fh_alert_raise(t, &a), 0);
	assert_int_equal(rs.n, 1);
	assert_int_equal(rs.ev[0], FH_AEV_NEW);

	/* 5 s later: merged, but no UPDATE event yet (interval 10 s) */
	a.last_seen = 105000;
	a.targets = 50;
	assert_int_equal(fh_alert_raise(t, &a), 0);
	assert_int_equal(rs.n, 1);
	/* 11 s after the first event: an UPDATE with the merged state */
	a.last_seen = 111000;
	a.targets = 40; /* smaller cumulative count must not lower the alert's */
	a.severity = FH_SEV_HIGH;
	assert_int_equal(fh_alert_raise(t, &a), 0);
	assert_int_equal(rs.n, 2);
	assert_int_equal(rs.ev[1], FH_AEV_UPDATE);
	assert_int_equal(rs.last.targets, 50);
	assert_int_equal(rs.last.severity, FH_SEV_HIGH);
	assert_int_equal(rs.last.first_seen, 100000);

	struct fh_alert_table_stats st;
	fh_alert_table_stats(t, &st);
	assert_int_equal(st.active, 1);
	assert_int_equal(st.created, 1);

	/* not yet idle long enough */
	assert_int_equal(fh_alert_table_tick(t, 111000 + 59999), 0);
	assert_int_equal(fh_alert_table_tick(t, 111000 + 60000), 1);
	assert_int_equal(rs.ev[rs.n - 1], FH_AEV_RESOLVED);
	assert_int_equal(rs.last.status, FH_ALERT_RESOLVED);
	const struct fh_alert *f = fh_alert_table_find(t, a.id);
	assert_non_null(f);
	assert_int_equal(f->status, FH_ALERT_RESOLVED);

	/* the same activity again: a new alert with the same id */
	a.first_seen = a.last_seen = a.detected_at = 500000;
	assert_int_equal(fh_alert_raise(t, &a), 0);
	assert_int_equal(rs.ev[rs.n - 1], FH_AEV_NEW);
	fh_alert_table_stats(t, &st);
	assert_int_equal(st.created, 2);
	assert_int_equal(st.active, 1);
	fh_alert_table_free(t);
}

/* A table of `capacity` alerts (resolved after 1 s quiet) whose events go to rs. */
static struct fh_alert_table *mk_small_table(struct rec_sink *rs, unsigned capacity)
{
	struct fh_alert_sink *sinks[] = {&rs->base};
	struct fh_alert_table_cfg cfg = {.capacity = capacity, .resolve_after_ms = 1000};
	return fh_alert_table_new(&cfg, sinks, 1);
}

static void test_capacity(void **state)
{
	(void)state;
	struct rec_sink rs = {.base.ops = &rec_ops};
	struct fh_alert_table *t = mk_small_table(&rs, 4);
	struct fh_alert a;
	for (int i = 0; i < 4; i++) {
		mk(&a, "198.51.100.7", (uint16_t)(i + 1), 1000);
		assert_int_equal(fh_alert_raise(t, &a), 0);
	}
	mk(&a, "198.51.100.7", 99, 1000);
	assert_int_equal(fh_alert_raise(t, &a), -ENOSPC);
	/* once resolved, the oldest resolved alert makes room */
	fh_alert_table_tick(t, 5000);
	assert_int_equal(fh_alert_raise(t, &a), 0);
	struct fh_alert_table_stats st;
	fh_alert_table_stats(t, &st);
	assert_int_equal(st.dropped, 1);
	assert_non_null(fh_alert_table_find(t, a.id));
	fh_alert_table_free(t);
}

/* fh_alert_update: counts and times of an active alert without its evidence; refused (the
 * caller raises in full) for an unknown or resolved alert, when an update is due to the sinks,
 * or when the severity rises. */
static void test_update_counts(void **state)
{
	(void)state;
	struct rec_sink rs = {.base.ops = &rec_ops};
	struct fh_alert_table *t = mk_table(&rs);
	struct fh_alert a;
	mk(&a, "198.51.100.8", 22, 100000);
	a.targets = 10;
	snprintf(a.evidence, sizeof(a.evidence), "{\"n\":10}");
	struct fh_alert_counts c = {.first_seen = 99000, .last_seen = 104000, .flows = 7,
		.packets = 70, .bytes = 700, .targets = 12, .severity = a.severity};
	assert_int_equal(fh_alert_update(t, a.id, &c), -1); /* not raised yet */
	assert_int_equal(fh_alert_raise(t, &a), 0);
	assert_int_equal(fh_alert_update(t, a.id, &c), 0);
	const struct fh_alert *f = fh_alert_table_find(t, a.id);
	assert_int_equal(f->targets, 12);
	assert_int_equal(f->flows, 7);
	assert_int_equal(f->first_seen, 99000);
	assert_int_equal(f->last_seen, 104000);
	assert_string_equal(f->evidence, "{\"n\":10}");
	assert_int_equal(rs.n, 1); /* nothing reached the sinks */
	c.targets = 5; /* counts only grow */
	assert_int_equal(fh_alert_update(t, a.id, &c), 0);
	assert_int_equal(f->targets, 12);
	c.severity = a.severity + 1;
	assert_int_equal(fh_alert_update(t, a.id, &c), -1);
	c.severity = a.severity;
	c.last_seen = 110000; /* an update is due */
	assert_int_equal(fh_alert_update(t, a.id, &c), -1);
	assert_int_equal(f->last_seen, 104000);
	assert_int_equal(fh_alert_table_tick(t, 104000 + 60000), 1);
	assert_int_equal(fh_alert_update(t, a.id, &c), -1); /* resolved */
	fh_alert_table_free(t);
}

/* A string that is not an id (16 lowercase hex digits) names no alert and cannot be raised. */
static void test_bad_ids(void **state)
{
	(void)state;
	struct rec_sink rs = {.base.ops = &rec_ops};
	struct fh_alert_table *t = mk_table(&rs);
	struct fh_alert a, b;
	mk(&a, "198.51.100.7", 22, 100000);
	assert_string_equal(a.id, "67cbb537d40973e2");
	assert_int_equal(fh_alert_raise(t, &a), 0);
	struct fh_alert_counts c = {.last_seen = 100500, .severity = a.severity};
	static const char *const bad[] = {"", "67cbb537d40973e", "67CBB537D40973E2",
		"67cbb537d40973eg", "67cbb537 40973e2", "-7cbb537d40973e2", "67cbb537d40973e2f"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(fh_alert_table_find(t, bad[i]));
		assert_int_equal(fh_alert_update(t, bad[i], &c), -1);
		b = a;
		memcpy(b.id, bad[i], strlen(bad[i]) < 17 ? strlen(bad[i]) + 1 : 17); /* no NUL */
		assert_int_equal(fh_alert_raise(t, &b), -EINVAL);
	}
	struct fh_alert_table_stats st;
	fh_alert_table_stats(t, &st);
	assert_int_equal(st.raised, 1);
	assert_int_equal(st.created, 1);
	assert_int_equal(rs.n, 1);
	assert_int_equal(fh_alert_update(t, a.id, &c), 0);
	fh_alert_table_free(t);
}

/* Ids whose low bits (the index slot) or high 32 bits (the slot's tag) are the same are told
 * apart: each raise, update and find reaches its own alert. */
static void test_index_collisions(void **state)
{
	(void)state;
	struct rec_sink rs = {.base.ops = &rec_ops};
	struct fh_alert_table *t = mk_table(&rs);
	static const char *const ids[] = {"00000000000000a5", "10000000000000a5",
		"00000001000000a5", "000000000000a0a5", "00000000100000a5", "100000000000a0a5"};
	enum { N = sizeof(ids) / sizeof(ids[0]) };
	struct fh_alert a;
	for (unsigned i = 0; i < N; i++) {
		mk(&a, "198.51.100.9", (uint16_t)(100 + i), 100000);
		strcpy(a.id, ids[i]); /* the table takes any id; these collide on purpose */
		assert_int_equal(fh_alert_raise(t, &a), 0);
	}
	for (unsigned i = 0; i < N; i++) {
		struct fh_alert_counts c = {.last_seen = 100000 + i, .flows = 10 + i,
			.severity = a.severity};
		assert_int_equal(fh_alert_update(t, ids[i], &c), 0);
	}
	for (unsigned i = 0; i < N; i++) {
		const struct fh_alert *f = fh_alert_table_find(t, ids[i]);
		assert_non_null(f);
		assert_string_equal(f->id, ids[i]);
		assert_int_equal(f->port, 100 + i);
		assert_int_equal(f->flows, 10 + i);
	}
	assert_null(fh_alert_table_find(t, "20000000000000a5"));
	assert_null(fh_alert_table_find(t, "00000000000000b5"));
	struct fh_alert_table_stats st;
	fh_alert_table_stats(t, &st);
	assert_int_equal(st.created, N);
	fh_alert_table_free(t);
}

static void visit_first(void *arg, const struct fh_alert *a)
{
	const struct fh_alert **first = arg;
	if (!*first)
		*first = a;
}

/* Alerts that occur again after they were resolved, in a table with room: each is a new
 * occurrence, last in the table's order, found by its id; the old ones leave gaps, closed
 * when there are many, that neither foreach nor the counts see. */
struct visit_all {
	unsigned n;
	char ids[300][FH_ALERT_ID_LEN];
};

static void visit_all(void *arg, const struct fh_alert *a)
{
	struct visit_all *v = arg;
	if (v->n < 300)
		strcpy(v->ids[v->n], a->id);
	v->n++;
}

/* Alert number i of a test (source 10.(i / 250).(i % 250).1, at 1 s); its id into id. */
static void mk_nth(struct fh_alert *a, unsigned i, char *id)
{
	char src[32];
	snprintf(src, sizeof(src), "10.%u.%u.1", i / 250, i % 250);
	mk(a, src, 22, 1000);
	strcpy(id, a->id);
}

static void test_recurring(void **state)
{
	(void)state;
	struct rec_sink rs = {.base.ops = &rec_ops};
	struct fh_alert_table *t = mk_small_table(&rs, 10000);
	static char ids[200][FH_ALERT_ID_LEN];
	struct fh_alert a;
	for (unsigned i = 0; i < 200; i++) {
		mk_nth(&a, i, ids[i]);
		assert_int_equal(fh_alert_raise(t, &a), 0);
	}
	assert_int_equal(fh_alert_table_tick(t, 5000), 200);
	/* the even ones again, from the last down: 100 gaps (a compaction on the way) */
	for (int i = 198; i >= 0; i -= 2) {
		mk(&a, "0.0.0.0", 22, 6000);
		strcpy(a.id, ids[i]);
		assert_int_equal(fh_alert_raise(t, &a), 0);
	}
	static struct visit_all v;
	fh_alert_table_foreach(t, visit_all, &v);
	assert_int_equal(v.n, 200);
	for (unsigned k = 0; k < 100; k++) { /* the odd ones, then the even ones as they came */
		assert_string_equal(v.ids[k], ids[2 * k + 1]);
		assert_string_equal(v.ids[100 + k], ids[198 - 2 * k]);
	}
	for (unsigned i = 0; i < 200; i++) {
		const struct fh_alert *f = fh_alert_table_find(t, ids[i]);
		assert_non_null(f);
		assert_int_equal(f->status, i % 2 ? FH_ALERT_RESOLVED : FH_ALERT_ACTIVE);
	}
	struct fh_alert_table_stats st;
	fh_alert_table_stats(t, &st);
	assert_int_equal(st.active, 100);
	assert_int_equal(st.created, 300);
	fh_alert_table_free(t);
}

/* A thousand alerts: the index grows with them, and keeps finding them when resolved alerts
 * are evicted and when one occurs again. */
static void test_index_grows(void **state)
{
	(void)state;
	struct rec_sink rs = {.base.ops = &rec_ops};
	struct fh_alert_table *t = mk_small_table(&rs, 1000);
	static char ids[1500][FH_ALERT_ID_LEN];
	struct fh_alert a;
	for (unsigned i = 0; i < 1500; i++) {
		mk_nth(&a, i, ids[i]);
		if (i < 1000)
			assert_int_equal(fh_alert_raise(t, &a), 0);
	}
	for (unsigned i = 0; i < 1500; i++) {
		const struct fh_alert *f = fh_alert_table_find(t, ids[i]);
		if (i >= 1000) {
			assert_null(f);
			continue;
		}
		assert_non_null(f);
		assert_string_equal(f->id, ids[i]);
	}
	/* all resolved, then 500 new ones take the places of the 500 oldest: the first new one
	 * makes room for all of them, the oldest half of the resolved alerts going at once */
	assert_int_equal(fh_alert_table_tick(t, 2000), 1000);
	for (unsigned i = 1000; i < 1500; i++) {
		mk(&a, "0.0.0.0", 22, 3000);
		strcpy(a.id, ids[i]);
		assert_int_equal(fh_alert_raise(t, &a), 0);
		if (i == 1000) {
			assert_null(fh_alert_table_find(t, ids[499]));
			assert_non_null(fh_alert_table_find(t, ids[500]));
		}
	}
	for (unsigned i = 0; i < 1500; i++) {
		const struct fh_alert *f = fh_alert_table_find(t, ids[i]);
		if (i < 500) {
			assert_null(f);
			continue;
		}
		assert_non_null(f);
		assert_int_equal(f->status, i < 1000 ? FH_ALERT_RESOLVED : FH_ALERT_ACTIVE);
	}
	/* one of the resolved again: a new occurrence, last in the table's order; the table is
	 * full, so the oldest half of the other resolved alerts (500 .. 749) make room */
	mk(&a, "0.0.0.0", 22, 4000);
	strcpy(a.id, ids[700]);
	assert_int_equal(fh_alert_raise(t, &a), 0);
	const struct fh_alert *f = fh_alert_table_find(t, ids[700]);
	assert_non_null(f);
	assert_int_equal(f->status, FH_ALERT_ACTIVE);
	assert_int_equal(f->first_seen, 4000);
	assert_null(fh_alert_table_find(t, ids[749]));
	assert_non_null(fh_alert_table_find(t, ids[750]));
	const struct fh_alert *first = NULL;
	fh_alert_table_foreach(t, visit_first, &first);
	assert_string_equal(first->id, ids[750]);
	struct fh_alert_table_stats st;
	fh_alert_table_stats(t, &st);
	assert_int_equal(st.created, 1501);
	assert_int_equal(st.active, 501);
	assert_int_equal(st.dropped, 0);
	fh_alert_table_free(t);
}


static uint64_t fs = 0x2545f4914f6cdd1dull;
static uint64_t frnd(void)
{
	fs ^= fs << 13;
	fs ^= fs >> 7;
	fs ^= fs << 17;
	return fs;
}

/* A value for %.0f / %.1f: floats (the baselines), doubles with a short fraction and
 * without (a rate), exact ties, and what must be left to vsnprintf (negative, -0, NaN,
 * infinite, huge). */
static double fval(void)
{
	switch (frnd() % 9) {
	case 0:
		return (float)((double)(frnd() % 100000000) / (double)(1 + frnd() % 1000));
	case 1:
		return (double)(frnd() % 4000) / 4; /* ties: x.25, x.5, x.75 */
	case 2:
		return (double)(frnd() % 100000) / 20; /* x.05, x.15 ... (not exact in binary) */
	case 3:
		return (double)(frnd() % 1000000000) * 1000.0 / (double)(1 + frnd() % 100000);
	case 4:
		return -(double)(frnd() % 1000) / 8;
	case 5:
		return (double)(frnd() % 2) ? -0.0 : NAN;
	case 6:
		return (double)(frnd() % 2) ? INFINITY : 1e300;
	case 7:
		return (double)(frnd() % 10) * 1e14 + 0.5;
	default:
		return (float)(frnd() % 1000000) / 7.0f;
	}
}

/* fh_evidence_fmt writes what snprintf writes, and returns what it returns, for random
 * values, every conversion evidence uses, others, and buffers too short. */
static void test_evidence_fmt_is_snprintf(void **state)
{
	(void)state;
	/* every length of a decimal, at its edges */
	for (unsigned long long p = 1, k = 0; k < 20; k++, p *= 10) {
		unsigned long long v[] = {p - 1, p, p + 1, p * 9 + (p - 1)};
		for (int j = 0; j < 4; j++) {
			char a[32], b[32];
			*fh_put_dec(a, v[j]) = 0;
			snprintf(b, sizeof(b), "%llu", v[j]);
			assert_string_equal(a, b);
		}
	}
	char m[32];
	*fh_put_dec(m, ~0ull) = 0;
	assert_string_equal(m, "18446744073709551615");
	static const char *const strs[] = {"", "true", "false", "tor", "SBL000001", "a%b"};
	for (int i = 0; i < 200000; i++) {
		char a[256], b[256];
		unsigned u = (unsigned)frnd() >> (frnd() % 32);
		unsigned long long ull = frnd() >> (frnd() % 64);
		const char *str = strs[frnd() % 6];
		double d1 = fval(), d0 = fval();
		size_t len = i % 10 ? sizeof(a) : frnd() % 40;
		int ra, rb;
		switch (i % 3) {
		case 0:
			ra = fh_evidence_fmt(a, len,
				"{\"u\":%u,\"ull\":%llu,\"s\":\"%s\",\"one\":%.1f,\"zero\":%.0f,\"p\":"
				"\"100%%\"}",
				u, ull, str, d1, d0);
			rb = snprintf(b, len,
				"{\"u\":%u,\"ull\":%llu,\"s\":\"%s\",\"one\":%.1f,\"zero\":%.0f,\"p\":"
				"\"100%%\"}",
				u, ull, str, d1, d0);
			break;
		case 1:
			ra = fh_evidence_fmt(a, len, "%.1f%s%u", d1, str, u);
			rb = snprintf(b, len, "%.1f%s%u", d1, str, u);
			break;
		default: /* conversions left to vsnprintf */
			ra = fh_evidence_fmt(a, len, "{\"x\":%x,\"w\":%5u,\"f\":%.3f}", u, u, d1);
			rb = snprintf(b, len, "{\"x\":%x,\"w\":%5u,\"f\":%.3f}", u, u, d1);
			break;
		}
		assert_int_equal(ra, rb);
		if (len)
			assert_string_equal(a, b);
	}
}


/* A scan's flow: from src to 192.0.2.(d % 256) port 22, at time t. */
static struct fh_alert_flow scan_flow(const char *src, unsigned d, uint16_t sport, uint64_t t)
{
	struct fh_alert_flow f = {.first_ms = t, .last_ms = t, .sport = sport, .dport = 22,
		.proto = 6, .tcp_flags = 0x02, .packets = 1, .bytes = 44};
	char dst[32];
	snprintf(dst, sizeof(dst), "192.0.2.%u", d % 256);
	assert_int_equal(fh_ip_parse(src, &f.src), 0);
	assert_int_equal(fh_ip_parse(dst, &f.dst), 0);
	return f;
}

/*
 * The flows an alert shows: its first three and its latest as samples, and its peers by
 * flows. Through the table: a new alert's flow, then raises with evidence and without
 * (fh_alert_update with counts.flow), as the engine makes them. A peer with many flows among
 * 300 peers of one flow each keeps its exact count (Space-Saving); the others show no more
 * flows than they had.
 */
static void test_sample_flows_and_top_peers(void **state)
{
	(void)state;
	struct rec_sink rs = {.base.ops = &rec_ops};
	struct fh_alert_table *t = mk_table(&rs);
	struct fh_alert a;
	mk(&a, "198.51.100.7", 22, 1000);
	struct fh_alert_flow f = scan_flow("198.51.100.7", 1, 40000, 1000);
	fh_alert_note_flow(&a, &f);
	assert_int_equal(fh_alert_raise(t, &a), 0);
	uint64_t tm = 1000;
	for (unsigned i = 2; i <= 400; i++) {
		tm += 10;
		/* one flow in four to 192.0.2.200, the others each to a new peer */
		f = scan_flow("198.51.100.7", i % 4 ? 1000 + i : 200, (uint16_t)(40000 + i), tm);
		if (i % 50 == 0) { /* with fresh evidence */
			mk(&a, "198.51.100.7", 22, tm);
			fh_alert_note_flow(&a, &f);
			assert_int_equal(fh_alert_raise(t, &a), 0);
		} else {
			struct fh_alert_counts c = {.first_seen = tm, .last_seen = tm, .flows = i,
				.severity = FH_SEV_MEDIUM, .flow = &f};
			int r = fh_alert_update(t, a.id, &c);
			if (r) { /* an update is due: the engine raises with evidence */
				mk(&a, "198.51.100.7", 22, tm);
				fh_alert_note_flow(&a, &f);
				assert_int_equal(fh_alert_raise(t, &a), 0);
			}
		}
	}
	fh_alert_table_flush(t);
	const struct fh_alert *o = &rs.last;
	assert_int_equal(o->n_samples, FH_ALERT_SAMPLES);
	/* the first three flows (sports 40000, 40002, 40003) and the latest (40400) */
	assert_int_equal(o->samples[0].sport, 40000);
	assert_int_equal(o->samples[1].sport, 40002);
	assert_int_equal(o->samples[2].sport, 40003);
	assert_int_equal(o->samples[3].sport, 40400);
	char buf[FH_ALERT_JSON_MAX];
	int n = fh_alert_to_json(o, buf, sizeof(buf));
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	/* 100 flows went to 192.0.2.200 (i = 4, 8 .. 400): first, and exact */
	assert_non_null(strstr(buf, "\"top_peers\":[{\"addr\":\"192.0.2.200\",\"flows\":100},"));
	/* every other peer had one flow: none of the seven others shows more */
	const char *q = strstr(buf, "\"flows\":100},"), *end = strstr(buf, "\"sample_flows\"");
	int others = 0;
	while ((q = strstr(q + 1, "\"flows\":")) && q < end) {
		assert_int_equal(atoi(q + 8), 1);
		others++;
	}
	assert_int_equal(others, FH_ALERT_TOP - 1);
	assert_non_null(strstr(buf, "\"sample_flows\":[{\"first\":\"1970-01-01T00:00:01.000Z\","
				    "\"last\":\"1970-01-01T00:00:01.000Z\",\"src\":\"198.51.100.7\","
				    "\"sport\":40000,\"dst\":\"192.0.2.1\",\"dport\":22,\"proto\":\"tcp\","
				    "\"flags\":\"......S.\",\"packets\":1,\"bytes\":44}"));
	assert_non_null(strstr(buf, "\"sport\":40400,\"dst\":\"192.0.2.200\""));
	fh_alert_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_stable_and_distinct),
		cmocka_unit_test(test_id_values),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_dedup_update_resolve),
		cmocka_unit_test(test_capacity),
		cmocka_unit_test(test_recurring),
		cmocka_unit_test(test_update_counts),
		cmocka_unit_test(test_bad_ids),
		cmocka_unit_test(test_index_collisions),
		cmocka_unit_test(test_index_grows),
		cmocka_unit_test(test_evidence_fmt_is_snprintf),
		cmocka_unit_test(test_sample_flows_and_top_peers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
