/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sFlow v5 decoder: compact and expanded flow samples with raw headers (Ethernet/VLAN/IPv4/
 * TCP), sampled IPv6 records, extended router/gateway records, counter samples, lying
 * lengths at every level; and real captures checked against tshark's values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "tests/unit/builder.h"

static void dgram_hdr(struct bld *d, uint32_t seq, uint32_t nsamples)
{
	d->n = 0;
	b32(d, 5);
	b32(d, 1);
	bip4(d, 192, 0, 2, 50); /* agent */
	b32(d, 3); /* sub-agent */
	b32(d, seq);
	b32(d, 123456);
	b32(d, nsamples);
}

/* Ethernet + 802.1Q 42 + IPv4 198.51.100.1 -> 203.0.113.2 + TCP 40000 -> 22 SYN */
static size_t header(uint8_t *h)
{
	static const uint8_t eth[] = {2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x81, 0, 0, 42, 8, 0};
	static const uint8_t ip[] = {0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 198, 51, 100, 1,
		203, 0, 113, 2};
	static const uint8_t tcp[] = {0x9c, 0x40, 0, 22, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff,
		0xff, 0, 0, 0, 0};
	memcpy(h, eth, sizeof(eth));
	memcpy(h + sizeof(eth), ip, sizeof(ip));
	memcpy(h + sizeof(eth) + sizeof(ip), tcp, sizeof(tcp));
	return sizeof(eth) + sizeof(ip) + sizeof(tcp);
}

static void flow_sample_at(struct bld *d, int expanded, uint32_t seq, uint32_t source,
	uint32_t pool, uint32_t drops)
{
	uint8_t h[128];
	size_t hl = header(h), hp = (hl + 3) & ~3u;
	b32(d, expanded ? 3 : 1);
	size_t len_at = d->n;
	b32(d, 0);
	b32(d, seq); /* sample seq */
	if (expanded) {
		b32(d, 0);
		b32(d, source);
	} else {
		b32(d, source);
	}
	b32(d, 2048); /* rate */
	b32(d, pool);
	b32(d, drops);
	if (expanded) {
		b32(d, 0);
		b32(d, 11);
		b32(d, 0);
		b32(d, 12);
	} else {
		b32(d, 11);
		b32(d, 0x80000002); /* format 2 (multiple interfaces): no out_if */
	}
	b32(d, 2); /* records */
	b32(d, 1);
	b32(d, (uint32_t)(16 + hp));
	b32(d, 1);
	b32(d, 1514); /* frame length */
	b32(d, 4);
	b32(d, (uint32_t)hl);
	bbytes(d, h, hl);
	for (size_t i = hl; i < hp; i++)
		b8(d, 0);
	b32(d, 1003); /* extended gateway: next hop, AS 65000, src AS 64500, path 64501 64502 */
	size_t gl = d->n;
	b32(d, 0);
	b32(d, 1);
	bip4(d, 192, 0, 2, 254);
	b32(d, 65000);
	b32(d, 64500);
	b32(d, 64499);
	b32(d, 1);
	b32(d, 2);
	b32(d, 2);
	b32(d, 64501);
	b32(d, 64502);
	b32(d, 0); /* communities */
	b32(d, 0); /* local pref */
	d->b[gl] = 0;
	uint32_t glen = (uint32_t)(d->n - gl - 4);
	d->b[gl + 2] = (uint8_t)(glen >> 8);
	d->b[gl + 3] = (uint8_t)glen;
	uint32_t slen = (uint32_t)(d->n - len_at - 4);
	d->b[len_at + 2] = (uint8_t)(slen >> 8);
	d->b[len_at + 3] = (uint8_t)slen;
}

static void flow_sample(struct bld *d, int expanded)
{
	flow_sample_at(d, expanded, 77, 5, 1000000, 0);
}

static void counter_sample(struct bld *d)
{
	b32(d, 2);
	b32(d, 4 * 3 + 8 + 88);
	b32(d, 9);
	b32(d, 11);
	b32(d, 1);
	b32(d, 1);
	b32(d, 88);
	b32(d, 11); /* ifIndex */
	b32(d, 6);
	b64(d, 10000000000ull);
	b32(d, 1);
	b32(d, 3);
	b64(d, 5000); /* in octets */
	b32(d, 10);
	b32(d, 2);
	b32(d, 1);
	b32(d, 0);
	b32(d, 4); /* in errors */
	b32(d, 0);
	b64(d, 7000);
	b32(d, 20);
	b32(d, 0);
	b32(d, 0);
	b32(d, 1);
	b32(d, 0);
	b32(d, 0);
}

static int dec(struct fh_decoder *dd, struct bld *d, struct keep *k)
{
	struct fh_rec_sink s = {.emit = keep_emit, .counters = keep_counters, .arg = k};
	struct fh_ip ip = test_ip("192.0.2.49");
	return fh_decode(dd, &ip, d->b, d->n, 1764374400000ull, &s);
}

static void test_samples(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	dgram_hdr(&d, 1, 3);
	flow_sample(&d, 0);
	flow_sample(&d, 1);
	counter_sample(&d);
	assert_int_equal(dec(dd, &d, &k), 2);
	for (int i = 0; i < 2; i++) {
		const struct fh_flow_rec *r = &k.r[i];
		assert_string_equal(ipstr(&r->exporter), "192.0.2.50"); /* the agent */
		assert_int_equal(r->domain, 3);
		assert_int_equal(r->version, FH_VER_SFLOW5);
		assert_string_equal(ipstr(&r->src), "198.51.100.1");
		assert_string_equal(ipstr(&r->dst), "203.0.113.2");
		assert_int_equal(r->sport, 40000);
		assert_int_equal(r->dport, 22);
		assert_int_equal(r->proto, 6);
		assert_int_equal(r->tcp_flags, 0x02);
		assert_int_equal(r->packets, 1);
		assert_int_equal(r->bytes, 1514);
		assert_int_equal(r->sampling, 2048);
		assert_int_equal(r->vlan, 42);
		assert_int_equal(r->in_if, 11);
		assert_int_equal(r->src_as, 64500);
		assert_int_equal(r->dst_as, 64502);
		assert_string_equal(ipstr(&r->nexthop), "192.0.2.254");
		assert_int_equal(r->first_ms, 1764374400000ull);
	}
	assert_int_equal(k.r[0].out_if, 0); /* compact form, format 2 */
	assert_int_equal(k.r[1].out_if, 12);
	assert_int_equal(k.ncounters, 1);
	assert_int_equal(k.c.ifindex, 11);
	assert_int_equal(k.c.in_octets, 5000);
	assert_int_equal(k.c.in_packets, 13);
	assert_int_equal(k.c.in_errors, 4);
	assert_int_equal(k.c.out_octets, 7000);
	assert_int_equal(k.c.speed, 10000000000ull);
	fh_decoder_free(dd);
}

/* An agent that exports NetFlow v5 too, from the same address, with its clock an hour
 * behind: its NetFlow records are moved onto our clock (clock_tolerance_ms), its sFlow
 * samples, stamped on arrival, are not; nor are its counter samples lost. */
static void test_clock_not_for_samples(void **state)
{
	(void)state;
	const uint64_t now = 1764374400000ull, hour = 3600000;
	struct fh_decoder_cfg cfg = {.clock_tolerance_ms = 30000};
	struct fh_decoder *dd = fh_decoder_new(&cfg);
	struct keep k = {0};
	struct bld d = {.n = 0};
	b16(&d, 5); /* v5: one record, all zero but its times */
	b16(&d, 1);
	b32(&d, 100000); /* uptime */
	b32(&d, (uint32_t)((now - hour) / 1000));
	b32(&d, 0);
	b32(&d, 1);
	b32(&d, 0);
	for (int i = 0; i < 24; i++)
		b8(&d, 0);
	b32(&d, 99000); /* first, last: 1 s before export */
	b32(&d, 99000);
	for (int i = 0; i < 8; i++)
		b16(&d, 0);
	struct fh_rec_sink s = {.emit = keep_emit, .counters = keep_counters, .arg = &k};
	struct fh_ip ip = test_ip("192.0.2.49");
	assert_int_equal(fh_decode(dd, &ip, d.b, d.n, now, &s), 1);
	assert_int_equal(k.r[0].first_ms, now - 1000);
	dgram_hdr(&d, 1, 2);
	flow_sample(&d, 0);
	counter_sample(&d);
	assert_int_equal(dec(dd, &d, &k), 1);
	assert_int_equal(k.r[1].first_ms, now);
	assert_int_equal(k.ncounters, 1);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.49");
	assert_int_equal(st.clock_offset_ms, hour);
	assert_int_equal(st.clock_corrected, 1);
	fh_decoder_free(dd);
}

static void test_truncation_everywhere(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d, full;
	dgram_hdr(&full, 1, 3);
	flow_sample(&full, 0);
	flow_sample(&full, 1);
	counter_sample(&full);
	/* every cut is refused or decodes what is complete: never more, never a crash */
	for (size_t cut = 0; cut < full.n; cut++) {
		d = full;
		d.n = cut;
		k.n = 0;
		int rc = dec(dd, &d, &k);
		assert_true(rc < 0 || rc <= 2);
		assert_true(k.n <= 2);
	}
	/* a record length past its sample */
	d = full;
	d.b[28 + 8 + 4 * 8 + 4 + 3] = 0xff;
	assert_true(dec(dd, &d, &k) < 0);
	/* a sample count that cannot fit */
	d = full;
	d.b[27] = 0xff;
	d.b[26] = 0xff;
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_LENGTH);
	/* an agent address of an unknown type */
	d = full;
	d.b[7] = 9;
	assert_true(dec(dd, &d, &k) < 0);
	fh_decoder_free(dd);
}

static void test_sequence(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	uint32_t seqs[] = {1, 2, 5, 6};
	for (int i = 0; i < 4; i++) {
		dgram_hdr(&d, seqs[i], 0);
		dec(dd, &d, &k);
	}
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.49");
	assert_int_equal(st.seq_lost, 2);
	assert_int_equal(st.datagrams, 4);
	fh_decoder_free(dd);
}

/* Per data source: gaps in the flow samples' sequence, the pool's and the drops counter's
 * growth; two sources kept apart; a restarted agent (sequence back to 1) is no loss. */
static void test_sample_sources(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	static const uint32_t seq[] = {5000, 5001, 5004, 1, 2}, pool[] = {1000, 3048, 9192, 2048, 4096},
			      drops[] = {0, 0, 5, 0, 1};
	for (int i = 0; i < 5; i++) {
		dgram_hdr(&d, (uint32_t)i + 1, 2);
		flow_sample_at(&d, 0, seq[i], 5, pool[i], drops[i]);
		flow_sample_at(&d, 1, 100 + (uint32_t)i, 6, 4096u * (uint32_t)i, 0); /* in order */
		assert_int_equal(dec(dd, &d, &k), 2);
	}
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.49");
	assert_int_equal(st.flow_samples, 10);
	assert_int_equal(st.sample_seq_lost, 2); /* 5002 and 5003 of source 5 */
	/* source 5: 2048 + 6144, then after its restart 2048; source 6: 4 x 4096 */
	assert_int_equal(st.sample_pool, 2048 + 6144 + 2048 + 4 * 4096);
	assert_int_equal(st.agent_drops, 5 + 1);
	fh_decoder_free(dd);
}

/* gopacket's capture of a live network: values read with tshark -V. */
static void test_real_capture(void **state)
{
	(void)state;
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(FH_SHARED_DIR "/captures/more/sflow-v5/"
						     "gopacket__SFlowTestPacket1_and_2.pcap", err);
	if (!pc) {
		print_message("skipped: %s\n", err);
		return;
	}
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct fh_rec_sink s = {.emit = keep_emit, .counters = keep_counters, .arg = &k};
	struct pcap_pkthdr *h;
	const u_char *p;
	while (pcap_next_ex(pc, &h, &p) == 1) {
		struct fh_ip ex;
		fh_ip_from_v4(&ex, p + 14 + 12);
		fh_decode(dd, &ex, p + 42, h->caplen - 42, 0, &s);
	}
	pcap_close(pc);
	assert_int_equal(k.n, 9);
	/* tshark: agent 10.1.248.22, sub-agent 17; 1:16000, frame 1490, to port 80; then
	 * 1:2000, frame 1518 */
	assert_string_equal(ipstr(&k.r[0].exporter), "10.1.248.22");
	assert_int_equal(k.r[0].domain, 17);
	assert_int_equal(k.r[0].sampling, 16000);
	assert_int_equal(k.r[0].packets, 1);
	assert_int_equal(k.r[0].bytes, 1490);
	assert_int_equal(k.r[0].dport, 80);
	assert_int_equal(k.r[1].sampling, 2000);
	assert_int_equal(k.r[1].bytes, 1518);
	assert_int_equal(k.r[1].dport, 46882);
	fh_decoder_free(dd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_samples),
		cmocka_unit_test(test_clock_not_for_samples),
		cmocka_unit_test(test_truncation_everywhere),
		cmocka_unit_test(test_sequence),
		cmocka_unit_test(test_sample_sources),
		cmocka_unit_test(test_real_capture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
