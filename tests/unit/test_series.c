/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Time series: records land in the right series (protocol, port at either end, home network,
 * profile filter) and direction, scaled by sampling; sums over a range are exact at every
 * resolution; a ring turns over after its span and counts older than a ring are dropped and
 * counted; the file survives a reopen, and a reopen with other series keeps the common ones;
 * the read plan picks a coarser resolution for old ranges and bounds the points.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/series.h"

#define T0 1767225600000ull /* 2026-01-01T00:00:00Z */

static struct fh_cidr_list home;

static struct fh_flow_rec rec(const char *src, const char *dst, uint8_t proto, uint16_t sport,
	uint16_t dport, uint64_t t, uint64_t pk, uint64_t by, uint32_t sampling)
{
	struct fh_flow_rec r;
	memset(&r, 0, sizeof(r));
	assert_int_equal(fh_ip_parse(src, &r.src), 0);
	assert_int_equal(fh_ip_parse(dst, &r.dst), 0);
	r.proto = proto;
	r.sport = sport;
	r.dport = dport;
	r.first_ms = t - 1000;
	r.last_ms = t;
	r.packets = pk;
	r.bytes = by;
	r.sampling = sampling;
	return r;
}

static struct fh_series *open_store(const char *path, int with_profile, struct fh_filter **pf)
{
	static const uint16_t ports[] = {53, 443};
	char err[256];
	home.n = 0;
	assert_int_equal(fh_cidr_list_add(&home, "198.51.100.0/24", err, sizeof(err)), 0);
	struct fh_series_profile prof = {.name = "dns"};
	*pf = fh_filter_compile("proto udp and port 53", err, sizeof(err));
	assert_non_null(*pf);
	prof.filter = *pf;
	struct fh_series_spec sp = {.ports = ports, .n_ports = 2, .home_net = &home,
		.profiles = &prof, .n_profiles = with_profile ? 1 : 0};
	struct fh_series *s = fh_series_open(&sp, path, err, sizeof(err));
	assert_non_null(s);
	return s;
}

/* sum of one value over [from, to) at the given step */
static uint64_t sum(struct fh_series *s, const char *name, int v, uint64_t from, uint64_t to,
	uint32_t step)
{
	struct fh_series_range r;
	char err[256];
	assert_int_equal(fh_series_plan(s, from, to, step, 5000, &r, err, sizeof(err)), 0);
	uint64_t *buf = calloc(r.n * FH_SV_MAX, sizeof(uint64_t));
	uint64_t *cols[FH_SV_MAX];
	for (int k = 0; k < FH_SV_MAX; k++)
		cols[k] = buf + k * r.n;
	int idx = fh_series_find(s, name);
	assert_true(idx >= 0);
	fh_series_read(s, (unsigned)idx, &r, cols);
	uint64_t t = 0;
	for (size_t i = 0; i < r.n; i++)
		t += cols[v][i];
	free(buf);
	return t;
}

static void test_classify_and_sum(void **st)
{
	(void)st;
	struct fh_filter *pf;
	struct fh_series *s = open_store(NULL, 1, &pf);
	struct fh_series_acc *a = fh_series_acc_new(s);
	/* out: an inside source; in: the rest */
	struct fh_flow_rec r1 = rec("198.51.100.7", "192.0.2.1", 17, 40000, 53, T0 + 5000, 2, 150, 1);
	struct fh_flow_rec r2 = rec("192.0.2.1", "198.51.100.7", 6, 443, 50000, T0 + 65000, 10, 9000, 1);
	struct fh_flow_rec r3 = rec("203.0.113.9", "192.0.2.2", 1, 0, 0x0800, T0 + 125000, 1, 84, 100);
	fh_series_acc_add(a, &r1);
	fh_series_acc_add(a, &r2);
	fh_series_acc_add(a, &r3);
	fh_series_acc_flush(a);
	uint64_t from = T0, to = T0 + 3600000;
	assert_int_equal(sum(s, "total", FH_SV_FLOWS_OUT, from, to, 0), 1);
	assert_int_equal(sum(s, "total", FH_SV_FLOWS_IN, from, to, 0), 2);
	assert_int_equal(sum(s, "total", FH_SV_BYTES_IN, from, to, 0), 9000 + 8400); /* scaled */
	assert_int_equal(sum(s, "total", FH_SV_PACKETS_IN, from, to, 0), 10 + 100);
	assert_int_equal(sum(s, "proto.udp", FH_SV_BYTES_OUT, from, to, 0), 150);
	assert_int_equal(sum(s, "proto.tcp", FH_SV_FLOWS_IN, from, to, 0), 1);
	assert_int_equal(sum(s, "proto.icmp", FH_SV_PACKETS_IN, from, to, 0), 100);
	assert_int_equal(sum(s, "proto.other", FH_SV_FLOWS_IN, from, to, 0), 0);
	assert_int_equal(sum(s, "port.53", FH_SV_FLOWS_OUT, from, to, 0), 1);
	assert_int_equal(sum(s, "port.443", FH_SV_FLOWS_IN, from, to, 0), 1); /* the source port */
	assert_int_equal(sum(s, "net.198.51.100.0/24", FH_SV_FLOWS_IN, from, to, 0) +
				 sum(s, "net.198.51.100.0/24", FH_SV_FLOWS_OUT, from, to, 0),
		2);
	assert_int_equal(sum(s, "profile.dns", FH_SV_BYTES_OUT, from, to, 0), 150);
	assert_int_equal(sum(s, "profile.dns", FH_SV_BYTES_IN, from, to, 0), 0);
	/* minutes: each record in its own minute; a 5-minute step and an hour give the same sum */
	struct fh_series_range r;
	char err[128];
	assert_int_equal(fh_series_plan(s, T0, T0 + 180000, 0, 100, &r, err, sizeof(err)), 0);
	assert_int_equal(r.step, 60);
	assert_int_equal(r.n, 3);
	assert_int_equal(sum(s, "total", FH_SV_BYTES_IN, from, to, 300), 17400);
	assert_int_equal(sum(s, "total", FH_SV_BYTES_IN, from, to, 3600), 17400);
	/* a range that ends before the second record: only the first minute */
	assert_int_equal(sum(s, "total", FH_SV_FLOWS_OUT, T0, T0 + 60000, 0) +
				 sum(s, "total", FH_SV_FLOWS_IN, T0, T0 + 60000, 0),
		1);
	fh_series_acc_free(a);
	fh_series_close(s);
	fh_filter_free(pf);
}

static void test_rings_turn_and_late_counts(void **st)
{
	(void)st;
	struct fh_filter *pf;
	struct fh_series *s = open_store(NULL, 0, &pf);
	struct fh_series_acc *a = fh_series_acc_new(s);
	/* one flow a minute for 3 days: the minute ring (2 days) turns over */
	for (uint64_t m = 0; m < 3 * 1440; m++) {
		struct fh_flow_rec r = rec("192.0.2.1", "192.0.2.2", 6, 1, 2, T0 + m * 60000 + 30000, 1,
			100, 1);
		fh_series_acc_add(a, &r);
		if (m % 7 == 0)
			fh_series_acc_flush(a);
	}
	fh_series_acc_flush(a);
	uint64_t end = T0 + 3 * 86400000ull;
	/* the last day at minute resolution: exact */
	assert_int_equal(sum(s, "total", FH_SV_FLOWS_IN, end - 86400000, end, 0), 1440);
	/* the first day is older than the minute ring: read at 5 minutes, still exact */
	struct fh_series_range r;
	char err[128];
	assert_int_equal(fh_series_plan(s, T0, T0 + 86400000, 0, 5000, &r, err, sizeof(err)), 0);
	assert_int_equal(r.step, 300);
	assert_int_equal(sum(s, "total", FH_SV_FLOWS_IN, T0, T0 + 86400000, 0), 1440);
	/* the whole span through the hour ring */
	assert_int_equal(sum(s, "total", FH_SV_FLOWS_IN, T0, end, 3600), 3 * 1440);
	/* a count older than the minute ring: dropped there (counted), kept in coarser rings */
	struct fh_series_stats ss;
	fh_series_get_stats(s, &ss);
	assert_int_equal(ss.late_dropped, 0);
	struct fh_flow_rec late = rec("192.0.2.1", "192.0.2.2", 6, 1, 2, T0 + 30000, 1, 100, 1);
	fh_series_acc_add(a, &late);
	fh_series_acc_flush(a);
	fh_series_get_stats(s, &ss);
	assert_int_equal(ss.late_dropped, 2); /* one per series it belongs to: total, proto.tcp */
	assert_int_equal(sum(s, "total", FH_SV_FLOWS_IN, T0, T0 + 3600000, 3600), 61);
	/* bounded points: a year asked for at most 5000 points */
	assert_int_equal(fh_series_plan(s, end - 366 * 86400000ull, end, 0, 5000, &r, err,
				 sizeof(err)),
		0);
	assert_true(r.n <= 5000);
	assert_int_equal(r.step % 3600, 0);
	assert_int_equal(fh_series_plan(s, end, end, 0, 10, &r, err, sizeof(err)), -1);
	fh_series_acc_free(a);
	fh_series_close(s);
	fh_filter_free(pf);
}

static void test_file_survives_reopen(void **st)
{
	(void)st;
	char path[] = "/tmp/fh-series-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	struct fh_filter *pf, *pf2, *pf3;
	struct fh_series *s = open_store(path, 1, &pf);
	struct fh_series_acc *a = fh_series_acc_new(s);
	struct fh_flow_rec r = rec("192.0.2.1", "192.0.2.2", 17, 5353, 53, T0 + 1000, 3, 300, 1);
	fh_series_acc_add(a, &r);
	fh_series_acc_free(a);
	fh_series_close(s);
	/* the same series: the file as it was */
	s = open_store(path, 1, &pf2);
	assert_int_equal(sum(s, "port.53", FH_SV_BYTES_IN, T0, T0 + 60000, 0), 300);
	assert_int_equal(sum(s, "profile.dns", FH_SV_BYTES_IN, T0, T0 + 60000, 0), 300);
	fh_series_close(s);
	/* without the profile: the others are kept */
	s = open_store(path, 0, &pf3);
	assert_int_equal(fh_series_find(s, "profile.dns"), -1);
	assert_int_equal(sum(s, "port.53", FH_SV_BYTES_IN, T0, T0 + 60000, 0), 300);
	assert_int_equal(sum(s, "total", FH_SV_PACKETS_IN, T0, T0 + 60000, 0), 3);
	struct fh_series_stats ss;
	fh_series_get_stats(s, &ss);
	assert_int_equal(ss.first_ms, T0);
	fh_series_close(s);
	unlink(path);
	fh_filter_free(pf);
	fh_filter_free(pf2);
	fh_filter_free(pf3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_and_sum),
		cmocka_unit_test(test_rings_turn_and_late_counts),
		cmocka_unit_test(test_file_survives_reopen),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
