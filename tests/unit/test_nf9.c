/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v9 decoder: templates before and after data (the pending FIFO), template refresh
 * and replacement, options sampling, zero-length and odd-width fields, lying lengths,
 * template id collisions across exporters and source ids, IPv6, sequence loss, and a real
 * capture checked against values read with tshark.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "tests/unit/builder.h"

#define T0 1764374400u /* export time, seconds */

static void hdr(struct bld *d, uint16_t count, uint32_t seq, uint32_t source_id)
{
	d->n = 0;
	b16(d, 9);
	b16(d, count);
	b32(d, 100000); /* sysUptime ms */
	b32(d, T0);
	b32(d, seq);
	b32(d, source_id);
}

/* template 256: src4 dst4 sport dport proto flags pkts(4) bytes(4) first last in(2) out(2) */
static void tpl256(struct bld *d, uint16_t id)
{
	size_t at = d->n;
	b16(d, 0);
	b16(d, 0);
	b16(d, id);
	b16(d, 12);
	uint16_t f[][2] = {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {2, 4}, {1, 4},
		{22, 4}, {21, 4}, {10, 2}, {14, 2}};
	for (int i = 0; i < 12; i++) {
		b16(d, f[i][0]);
		b16(d, f[i][1]);
	}
	bpatch16(d, at + 2, (uint16_t)(d->n - at));
}

static void rec256(struct bld *d, uint8_t last_octet, uint16_t dport, uint32_t bytes)
{
	bip4(d, 198, 51, 100, last_octet);
	bip4(d, 203, 0, 113, 9);
	b16(d, 40000);
	b16(d, dport);
	b8(d, 6);
	b8(d, 0x12);
	b32(d, 3);
	b32(d, bytes);
	b32(d, 90000); /* first: 10 s before export */
	b32(d, 99000);
	b16(d, 7);
	b16(d, 8);
}

static void data256(struct bld *d, uint16_t id, int nrec, uint8_t base)
{
	size_t at = d->n;
	b16(d, id);
	b16(d, 0);
	for (int i = 0; i < nrec; i++)
		rec256(d, (uint8_t)(base + i), 443, 1000u + (uint32_t)i);
	while ((d->n - at) % 4)
		b8(d, 0); /* padding */
	bpatch16(d, at + 2, (uint16_t)(d->n - at));
}

static int dec(struct fh_decoder *dd, const char *ex, struct bld *d, uint64_t now,
	struct keep *k)
{
	struct fh_rec_sink s = {.emit = keep_emit, .counters = keep_counters, .arg = k};
	struct fh_ip ip = test_ip(ex);
	return fh_decode(dd, &ip, d->b, d->n, now, &s);
}

static void test_template_then_data(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	hdr(&d, 3, 1, 0);
	tpl256(&d, 256);
	data256(&d, 256, 2, 1);
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1, &k), 2);
	assert_int_equal(k.n, 2);
	const struct fh_flow_rec *r = &k.r[0];
	assert_string_equal(ipstr(&r->src), "198.51.100.1");
	assert_string_equal(ipstr(&r->dst), "203.0.113.9");
	assert_string_equal(ipstr(&r->exporter), "192.0.2.1");
	assert_int_equal(r->version, FH_VER_NF9);
	assert_int_equal(r->sport, 40000);
	assert_int_equal(r->dport, 443);
	assert_int_equal(r->proto, 6);
	assert_int_equal(r->tcp_flags, 0x12);
	assert_int_equal(r->packets, 3);
	assert_int_equal(r->bytes, 1000);
	assert_int_equal(k.r[1].bytes, 1001);
	/* first/last relative to sysUptime 100000 at export time T0 */
	assert_int_equal(r->first_ms, (uint64_t)T0 * 1000 - 10000);
	assert_int_equal(r->last_ms, (uint64_t)T0 * 1000 - 1000);
	assert_int_equal(r->in_if, 7);
	assert_int_equal(r->out_if, 8);
	assert_int_equal(r->sampling, 1);
	fh_decoder_free(dd);
}

static void test_data_before_template(void **state)
{
	(void)state;
	struct fh_decoder_cfg cfg = {.pending_timeout_ms = 5000};
	struct fh_decoder *dd = fh_decoder_new(&cfg);
	struct keep k = {0};
	struct bld d;

	hdr(&d, 1, 1, 0);
	data256(&d, 256, 3, 1);
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1000, &k), 0);
	hdr(&d, 1, 2, 0);
	data256(&d, 256, 1, 10);
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1100, &k), 0);
	assert_int_equal(k.n, 0);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.pending, 2);

	/* the template arrives: held sets are decoded, in arrival order */
	hdr(&d, 1, 3, 0);
	tpl256(&d, 256);
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1200, &k), 4);
	assert_int_equal(k.n, 4);
	assert_int_equal(k.r[0].src.a[15], 1);
	assert_int_equal(k.r[3].src.a[15], 10);
	st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.pending_decoded, 2);
	assert_int_equal(st.pending_dropped, 0);

	/* data for another template id, never announced: dropped after the timeout */
	hdr(&d, 1, 4, 0);
	data256(&d, 300, 1, 1);
	dec(dd, "192.0.2.1", &d, 2000, &k);
	assert_int_equal(fh_decoder_expire(dd, 6999), 0);
	assert_int_equal(fh_decoder_expire(dd, 7000), 1);
	st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.pending_dropped, 1);
	fh_decoder_free(dd);
}

/* An exporter an hour behind, with clock_tolerance_ms: its records' times are moved onto our
 * clock, those of data sets held for their template too (decoded when it comes, by the same
 * clock); a malformed datagram's header does not move the clock. */
static void test_clock_offset(void **state)
{
	(void)state;
	const uint64_t hour = 3600000, now = (uint64_t)T0 * 1000 + hour + 300;
	struct fh_decoder_cfg cfg = {.clock_tolerance_ms = 30000};
	struct fh_decoder *dd = fh_decoder_new(&cfg);
	struct keep k = {0};
	struct bld d;
	hdr(&d, 1, 1, 0);
	data256(&d, 256, 1, 1);
	assert_int_equal(dec(dd, "192.0.2.1", &d, now, &k), 0); /* held */
	hdr(&d, 1, 2, 0);
	tpl256(&d, 256);
	assert_int_equal(dec(dd, "192.0.2.1", &d, now + 500, &k), 1);
	assert_int_equal(k.r[0].first_ms, (uint64_t)T0 * 1000 - 10000 + hour + 300);
	assert_int_equal(k.r[0].last_ms, (uint64_t)T0 * 1000 - 1000 + hour + 300);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.clock_offset_ms, hour + 300);
	assert_int_equal(st.clock_steps, 1);
	assert_int_equal(st.clock_corrected, 1);
	/* a malformed datagram whose header says another time */
	hdr(&d, 1, 3, 0);
	data256(&d, 256, 1, 2);
	d.b[8] ^= 0x40; /* the export time, a year or so off */
	d.b[d.n - 1] = 0;
	d.n -= 3; /* cut inside the set */
	assert_true(dec(dd, "192.0.2.1", &d, now + 1000, &k) < 0);
	st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.clock_offset_ms, hour + 300);
	assert_int_equal(st.clock_steps, 1);
	fh_decoder_free(dd);
}

static void test_pending_buffer_full(void **state)
{
	(void)state;
	struct fh_decoder_cfg cfg = {.pending_bytes = 200};
	struct fh_decoder *dd = fh_decoder_new(&cfg);
	struct keep k = {0};
	struct bld d;
	for (int i = 0; i < 4; i++) { /* 4 sets of 1 record (36 + 4 bytes) fit; more do not */
		hdr(&d, 1, (uint32_t)i, 0);
		data256(&d, 256, 2, (uint8_t)(i * 2));
		dec(dd, "192.0.2.1", &d, 1, &k);
	}
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.pending, 4);
	assert_true(st.pending_dropped >= 1); /* the oldest went first */
	hdr(&d, 1, 9, 0);
	tpl256(&d, 256);
	dec(dd, "192.0.2.1", &d, 2, &k);
	st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.pending_decoded + st.pending_dropped, 4);
	assert_int_equal(k.n, (int)st.pending_decoded * 2);
	assert_int_equal(k.r[k.n - 1].src.a[15], 7); /* the newest survived */
	fh_decoder_free(dd);
}

static void test_collisions_and_replacement(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;

	/* exporter A: template 256 as usual; exporter B: template 256 with another layout */
	hdr(&d, 1, 1, 0);
	tpl256(&d, 256);
	dec(dd, "192.0.2.1", &d, 1, &k);
	hdr(&d, 1, 1, 0);
	size_t at = d.n;
	b16(&d, 0);
	b16(&d, 0);
	b16(&d, 256);
	b16(&d, 2);
	b16(&d, 12); /* dst first */
	b16(&d, 4);
	b16(&d, 8);
	b16(&d, 4);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	dec(dd, "192.0.2.2", &d, 1, &k);
	/* the same id in another source id of exporter A: a third layout */
	hdr(&d, 1, 1, 7);
	at = d.n;
	b16(&d, 0);
	b16(&d, 0);
	b16(&d, 256);
	b16(&d, 1);
	b16(&d, 27);
	b16(&d, 16);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	dec(dd, "192.0.2.1", &d, 1, &k);

	hdr(&d, 1, 2, 0);
	at = d.n;
	b16(&d, 256);
	b16(&d, 12);
	bip4(&d, 192, 0, 2, 200); /* dst for exporter B */
	bip4(&d, 192, 0, 2, 100);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	assert_int_equal(dec(dd, "192.0.2.2", &d, 2, &k), 1);
	assert_string_equal(ipstr(&k.r[0].dst), "192.0.2.200");
	assert_string_equal(ipstr(&k.r[0].src), "192.0.2.100");

	hdr(&d, 1, 2, 7);
	at = d.n;
	b16(&d, 256);
	b16(&d, 20);
	uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	bbytes(&d, v6, 16);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	assert_int_equal(dec(dd, "192.0.2.1", &d, 2, &k), 1);
	assert_string_equal(ipstr(&k.r[1].src), "2001:db8::1");
	assert_int_equal(k.r[1].domain, 7);
	assert_int_equal(k.r[1].af, 6);

	/* replacement: exporter A redefines 256 in source 0 as (src4, bytes(8)) */
	hdr(&d, 1, 3, 0);
	at = d.n;
	b16(&d, 0);
	b16(&d, 0);
	b16(&d, 256);
	b16(&d, 2);
	b16(&d, 8);
	b16(&d, 4);
	b16(&d, 1);
	b16(&d, 8);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	at = d.n;
	b16(&d, 256);
	b16(&d, 0);
	bip4(&d, 198, 51, 100, 77);
	b64(&d, 123456789012ull);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	assert_int_equal(dec(dd, "192.0.2.1", &d, 3, &k), 1);
	assert_int_equal(k.r[2].bytes, 123456789012ull);
	fh_decoder_free(dd);
}

static void test_options_sampling(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;

	hdr(&d, 3, 1, 0);
	/* options template 257: scope system(4); options sampler id(1), interval(4) */
	size_t at = d.n;
	b16(&d, 1);
	b16(&d, 0);
	b16(&d, 257);
	b16(&d, 4);
	b16(&d, 8);
	b16(&d, 1);
	b16(&d, 4);
	b16(&d, 48);
	b16(&d, 1);
	b16(&d, 34);
	b16(&d, 4);
	b16(&d, 0); /* pad */
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	at = d.n;
	b16(&d, 257);
	b16(&d, 0);
	b32(&d, 0);
	b8(&d, 3);
	b32(&d, 512);
	while ((d.n - at) % 4)
		b8(&d, 0);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	/* data template 258 names its sampler */
	at = d.n;
	b16(&d, 0);
	b16(&d, 0);
	b16(&d, 258);
	b16(&d, 2);
	b16(&d, 8);
	b16(&d, 4);
	b16(&d, 48);
	b16(&d, 1);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	at = d.n;
	b16(&d, 258);
	b16(&d, 0);
	bip4(&d, 198, 51, 100, 1);
	b8(&d, 3);
	bip4(&d, 198, 51, 100, 2);
	b8(&d, 9); /* a sampler nobody announced: unsampled */
	b16(&d, 0);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1, &k), 2);
	assert_int_equal(k.r[0].sampling, 512);
	assert_int_equal(k.r[1].sampling, 1);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.opt_templates, 1);
	assert_int_equal(st.options_records, 1);
	fh_decoder_free(dd);
}

static void test_malformed(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;

	/* short header */
	hdr(&d, 0, 0, 0);
	d.n = 12;
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1, &k), -FH_DEC_E_SHORT);
	/* a flowset length past the end */
	hdr(&d, 1, 1, 0);
	tpl256(&d, 256);
	bpatch16(&d, 22, 400);
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1, &k), -FH_DEC_E_SET);
	/* a flowset length under 4 */
	hdr(&d, 1, 1, 0);
	b16(&d, 256);
	b16(&d, 2);
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1, &k), -FH_DEC_E_SET);
	/* a template whose field count runs past its flowset */
	hdr(&d, 1, 1, 0);
	b16(&d, 0);
	b16(&d, 12);
	b16(&d, 256);
	b16(&d, 50);
	b32(&d, 0x00080004);
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1, &k), -FH_DEC_E_TEMPLATE);
	/* a template id under 256 */
	hdr(&d, 1, 1, 0);
	b16(&d, 0);
	b16(&d, 12);
	b16(&d, 100);
	b16(&d, 1);
	b32(&d, 0x00080004);
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1, &k), -FH_DEC_E_TEMPLATE);
	/* a template of only zero-length fields has no records */
	hdr(&d, 1, 1, 0);
	b16(&d, 0);
	b16(&d, 12);
	b16(&d, 300);
	b16(&d, 1);
	b32(&d, 0x00080000);
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1, &k), -FH_DEC_E_TEMPLATE);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.malformed, 6);
	assert_int_equal(st.err[FH_DEC_E_TEMPLATE], 3);
	assert_int_equal(k.n, 0);
	fh_decoder_free(dd);
}

static void test_odd_widths_and_zero_length(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	hdr(&d, 2, 1, 0);
	size_t at = d.n;
	b16(&d, 0);
	b16(&d, 0);
	b16(&d, 260);
	b16(&d, 6);
	b16(&d, 8); /* src4 */
	b16(&d, 4);
	b16(&d, 12); /* dst4 with a 2-byte width: skipped, not read as an address */
	b16(&d, 2);
	b16(&d, 1); /* bytes, reduced to 3 bytes */
	b16(&d, 3);
	b16(&d, 99); /* an element we do not know, zero length */
	b16(&d, 0);
	b16(&d, 10); /* in_if in 1 byte */
	b16(&d, 1);
	b16(&d, 2); /* packets in 8 bytes */
	b16(&d, 8);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	at = d.n;
	b16(&d, 260);
	b16(&d, 0);
	bip4(&d, 198, 51, 100, 5);
	b16(&d, 0xffff);
	b8(&d, 1);
	b16(&d, 0x0203); /* 0x010203 */
	b8(&d, 9);
	b64(&d, 5);
	bpatch16(&d, at + 2, (uint16_t)(d.n - at));
	assert_int_equal(dec(dd, "192.0.2.1", &d, 1, &k), 1);
	assert_string_equal(ipstr(&k.r[0].src), "198.51.100.5");
	assert_true(fh_ip_is_zero(&k.r[0].dst));
	assert_int_equal(k.r[0].bytes, 0x010203);
	assert_int_equal(k.r[0].in_if, 9);
	assert_int_equal(k.r[0].packets, 5);
	fh_decoder_free(dd);
}

static void test_sequence(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	uint32_t seqs[] = {10, 11, 12, 15, 16, 14 /* late */, 17, 4000000000u /* restart */};
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		hdr(&d, 1, seqs[i], 0);
		tpl256(&d, 256);
		dec(dd, "192.0.2.1", &d, 1, &k);
	}
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.seq_lost, 2);
	assert_int_equal(st.seq_resets, 1);
	/* sequence numbers wrap without loss */
	hdr(&d, 1, 0xffffffffu, 3);
	tpl256(&d, 256);
	dec(dd, "192.0.2.1", &d, 1, &k);
	hdr(&d, 1, 0, 3);
	tpl256(&d, 256);
	dec(dd, "192.0.2.1", &d, 1, &k);
	st = exporter_stats(dd, "192.0.2.1");
	assert_int_equal(st.seq_lost, 2);
	fh_decoder_free(dd);
}

/* A real Cisco capture (pmacct test 101): values read with tshark -V. */
static void test_real_capture(void **state)
{
	(void)state;
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(
		FH_SHARED_DIR "/captures/pmacct/101-NFv9-CISCO-cust_primitives__traffic-00.pcap", err);
	if (!pc) {
		print_message("skipped: %s\n", err);
		return;
	}
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct fh_rec_sink s = {.emit = keep_emit, .arg = &k};
	struct pcap_pkthdr *h;
	const u_char *p;
	while (pcap_next_ex(pc, &h, &p) == 1) {
		struct fh_ip ex;
		fh_ip_from_v4(&ex, p + 14 + 12);
		fh_decode(dd, &ex, p + 42, h->caplen - 42, 0, &s);
	}
	pcap_close(pc);
	assert_int_equal(k.n, 51);
	int found = 0;
	for (int i = 0; i < k.n && i < KEEP_MAX; i++) {
		const struct fh_flow_rec *r = &k.r[i];
		if (!strcmp(ipstr(&r->src), "138.187.57.3") && r->dport == 60122) {
			found = 1;
			assert_string_equal(ipstr(&r->dst), "138.190.128.212");
			assert_int_equal(r->sport, 179);
			assert_int_equal(r->proto, 6);
			assert_int_equal(r->bytes, 72);
			assert_int_equal(r->packets, 1);
			assert_int_equal(r->in_if, 137);
			assert_int_equal(r->out_if, 143);
			assert_int_equal(r->tcp_flags, 0x12);
			assert_int_equal(r->tos, 0xc0);
		}
	}
	assert_true(found);
	fh_decoder_free(dd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_then_data),
		cmocka_unit_test(test_data_before_template),
		cmocka_unit_test(test_clock_offset),
		cmocka_unit_test(test_pending_buffer_full),
		cmocka_unit_test(test_collisions_and_replacement),
		cmocka_unit_test(test_options_sampling),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_odd_widths_and_zero_length),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_real_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
