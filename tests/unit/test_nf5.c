/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v5 decoder: every field, header sampling interval, uptime wrap, count/length
 * mismatch, sequence loss counted in records, the exporter's clock against ours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "tests/unit/builder.h"

static void v5(struct bld *d, uint16_t count, uint32_t uptime, uint32_t seq, uint16_t sampling)
{
	d->n = 0;
	b16(d, 5);
	b16(d, count);
	b32(d, uptime);
	b32(d, 1764374400);
	b32(d, 500000000); /* + 500 ms */
	b32(d, seq);
	b8(d, 1);
	b8(d, 2);
	b16(d, sampling);
	for (uint16_t i = 0; i < count; i++) {
		bip4(d, 198, 51, 100, (uint8_t)i);
		bip4(d, 203, 0, 113, 7);
		bip4(d, 192, 0, 2, 1);
		b16(d, 3);
		b16(d, 4);
		b32(d, 10);
		b32(d, 4000);
		b32(d, uptime - 20000); /* first: 20 s before export */
		b32(d, uptime - 1000);
		b16(d, 1234);
		b16(d, 80);
		b8(d, 0);
		b8(d, 0x1b);
		b8(d, 6);
		b8(d, 0x20);
		b16(d, 64500);
		b16(d, 64501);
		b8(d, 24);
		b8(d, 16);
		b16(d, 0);
	}
}

static int dec(struct fh_decoder *dd, struct bld *d, struct keep *k)
{
	struct fh_rec_sink s = {.emit = keep_emit, .arg = k};
	struct fh_ip ip = test_ip("192.0.2.1");
	return fh_decode(dd, &ip, d->b, d->n, 1, &s);
}

static void test_fields(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	v5(&d, 2, 100000, 1, 0x4000 | 100);
	assert_int_equal(dec(dd, &d, &k), 2);
	const struct fh_flow_rec *r = &k.r[1];
	assert_string_equal(ipstr(&r->src), "198.51.100.1");
	assert_string_equal(ipstr(&r->dst), "203.0.113.7");
	assert_string_equal(ipstr(&r->nexthop), "192.0.2.1");
	assert_int_equal(r->in_if, 3);
	assert_int_equal(r->out_if, 4);
	assert_int_equal(r->packets, 10);
	assert_int_equal(r->bytes, 4000);
	assert_int_equal(r->first_ms, 1764374400500ull - 20000);
	assert_int_equal(r->last_ms, 1764374400500ull - 1000);
	assert_int_equal(r->sport, 1234);
	assert_int_equal(r->dport, 80);
	assert_int_equal(r->tcp_flags, 0x1b);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->tos, 0x20);
	assert_int_equal(r->src_as, 64500);
	assert_int_equal(r->dst_as, 64501);
	assert_int_equal(r->src_mask, 24);
	assert_int_equal(r->dst_mask, 16);
	assert_int_equal(r->sampling, 100); /* mode bits stripped */
	assert_int_equal(r->domain, 0x102);
	assert_int_equal(r->version, FH_VER_NF5);
	fh_decoder_free(dd);
}

static void test_uptime_wrap(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	v5(&d, 1, 5000, 1, 0); /* first = uptime - 20000 wraps below zero */
	assert_int_equal(dec(dd, &d, &k), 1);
	assert_int_equal(k.r[0].first_ms, 1764374400500ull - 20000);
	assert_int_equal(k.r[0].sampling, 1);
	fh_decoder_free(dd);
}

static void test_bad_count_and_sequence(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	v5(&d, 3, 100000, 1, 0);
	d.n -= 10; /* shorter than the count says */
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_LENGTH);
	v5(&d, 0, 100000, 1, 0);
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_LENGTH);
	v5(&d, 1, 100000, 1, 0);
	d.b[3] = 31; /* more than 30 records */
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_LENGTH);
	d.n = 10;
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_SHORT);
	assert_int_equal(k.n, 0);

	/* v5 sequence numbers count records: 2 records at 100, then 102 is in order */
	v5(&d, 2, 100000, 100, 0);
	dec(dd, &d, &k);
	v5(&d, 2, 100000, 102, 0);
	dec(dd, &d, &k);
	v5(&d, 2, 100000, 110, 0);
	dec(dd, &d, &k);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.seq_lost, 6);
	assert_int_equal(st.records, 6);
	fh_decoder_free(dd);
}

/* One v5 datagram (header time 1764374400.5 s) arriving at `now`; its record's first time. */
static uint64_t first_at(struct fh_decoder *dd, uint64_t now)
{
	struct keep k = {0};
	struct bld d;
	v5(&d, 1, 100000, 1, 0);
	struct fh_rec_sink s = {.emit = keep_emit, .arg = &k};
	struct fh_ip ip = test_ip("192.0.2.1");
	assert_int_equal(fh_decode(dd, &ip, d.b, d.n, now, &s), 1);
	return k.r[0].first_ms;
}

/* An exporter's clock against ours: measured from the header (arrival less export time), and
 * with clock_tolerance_ms its records' times moved onto ours when it is off by more. */
static void test_clock_offset(void **state)
{
	(void)state;
	const uint64_t hdr = 1764374400500ull, first = hdr - 20000, hour = 3600000;
	/* by default, times as exported; the offset measured */
	struct fh_decoder *dd = fh_decoder_new(NULL);
	assert_int_equal(first_at(dd, hdr + hour), first);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.clock_offset_ms, hour);
	assert_int_equal(st.clock_steps, 1);
	assert_int_equal(st.clock_corrected, 0);
	fh_decoder_free(dd);

	struct fh_decoder_cfg c = {.clock_tolerance_ms = 30000};
	dd = fh_decoder_new(&c);
	/* an hour behind: moved by the hour */
	assert_int_equal(first_at(dd, hdr + hour), first + hour);
	/* a datagram 1.5 s later on the way (a queue, the header's one-second steps): the offset
	 * stays, so the exporter's records keep their order and spacing */
	assert_int_equal(first_at(dd, hdr + hour + 1500), first + hour);
	st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.clock_offset_ms, hour);
	assert_int_equal(st.clock_steps, 1);
	assert_int_equal(st.clock_corrected, 2);
	/* its clock is set right: times as exported again */
	assert_int_equal(first_at(dd, hdr + 200), first);
	st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.clock_offset_ms, 200);
	assert_int_equal(st.clock_steps, 2);
	assert_int_equal(st.clock_corrected, 2);
	/* within the tolerance: as exported */
	assert_int_equal(first_at(dd, hdr + 25000), first);
	/* two hours ahead of ours: moved back */
	assert_int_equal(first_at(dd, hdr - 2 * hour), first - 2 * hour);
	st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.clock_offset_ms, -(int64_t)(2 * hour));
	assert_int_equal(st.clock_corrected, 3);
	fh_decoder_free(dd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_uptime_wrap),
		cmocka_unit_test(test_bad_count_and_sequence),
		cmocka_unit_test(test_clock_offset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
