/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPFIX decoder: absolute and relative times, variable-length and enterprise elements,
 * withdrawal, options sampling (packet interval/space), several messages in one datagram,
 * lying lengths, sequence numbers counting records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/builder.h"

#define T0 1764374400u

static size_t msg_start(struct bld *d, uint32_t seq, uint32_t domain)
{
	size_t at = d->n;
	b16(d, 10);
	b16(d, 0);
	b32(d, T0);
	b32(d, seq);
	b32(d, domain);
	return at;
}

static void msg_end(struct bld *d, size_t at)
{
	bpatch16(d, at + 2, (uint16_t)(d->n - at));
}

static size_t set_start(struct bld *d, uint16_t id)
{
	size_t at = d->n;
	b16(d, id);
	b16(d, 0);
	return at;
}

static void set_end(struct bld *d, size_t at)
{
	bpatch16(d, at + 2, (uint16_t)(d->n - at));
}

/* template 256: src4, dst4, enterprise element (PEN 9, 4 bytes), proto, bytes(8),
 * flowStartMilliseconds, flowEndMilliseconds, a variable-length string */
static void tpl(struct bld *d)
{
	size_t s = set_start(d, 2);
	b16(d, 256);
	b16(d, 8);
	b16(d, 8);
	b16(d, 4);
	b16(d, 12);
	b16(d, 4);
	b16(d, 0x8000 | 100);
	b16(d, 4);
	b32(d, 9);
	b16(d, 4);
	b16(d, 1);
	b16(d, 1);
	b16(d, 8);
	b16(d, 152);
	b16(d, 8);
	b16(d, 153);
	b16(d, 8);
	b16(d, 82); /* interfaceName, variable length */
	b16(d, 0xffff);
	set_end(d, s);
}

static void rec(struct bld *d, uint8_t last, const char *name)
{
	bip4(d, 198, 51, 100, last);
	bip4(d, 203, 0, 113, 1);
	b32(d, 0xdeadbeef);
	b8(d, 17);
	b64(d, 1500);
	b64(d, (uint64_t)T0 * 1000 - 5000);
	b64(d, (uint64_t)T0 * 1000 - 100);
	size_t n = strlen(name);
	if (n < 255) {
		b8(d, (uint8_t)n);
	} else {
		b8(d, 255);
		b16(d, (uint16_t)n);
	}
	bbytes(d, name, n);
}

static int dec(struct fh_decoder *dd, struct bld *d, struct keep *k)
{
	struct fh_rec_sink s = {.emit = keep_emit, .arg = k};
	struct fh_ip ip = test_ip("192.0.2.9");
	return fh_decode(dd, &ip, d->b, d->n, 1, &s);
}

static void test_varlen_enterprise_times(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d = {.n = 0};
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;

	size_t m = msg_start(&d, 0, 5);
	tpl(&d);
	size_t s = set_start(&d, 256);
	rec(&d, 1, "ge-0/0/1");
	rec(&d, 2, longname); /* the 3-byte length form */
	rec(&d, 3, "");
	b8(&d, 0); /* one byte of padding: shorter than any record */
	set_end(&d, s);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), 3);
	assert_string_equal(ipstr(&k.r[0].src), "198.51.100.1");
	assert_string_equal(ipstr(&k.r[1].src), "198.51.100.2");
	assert_string_equal(ipstr(&k.r[2].src), "198.51.100.3");
	assert_int_equal(k.r[1].proto, 17);
	assert_int_equal(k.r[1].bytes, 1500);
	assert_int_equal(k.r[1].first_ms, (uint64_t)T0 * 1000 - 5000);
	assert_int_equal(k.r[1].last_ms, (uint64_t)T0 * 1000 - 100);
	assert_int_equal(k.r[1].domain, 5);
	assert_int_equal(k.r[1].version, FH_VER_IPFIX);

	/* a variable-length field whose length runs past the set */
	d.n = 0;
	m = msg_start(&d, 3, 5);
	s = set_start(&d, 256);
	rec(&d, 4, "abc");
	d.b[d.n - 4] = 200;
	set_end(&d, s);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_RECORD);
	fh_decoder_free(dd);
}

/* An exporter two hours ahead of our clock (IPFIX export time), with clock_tolerance_ms: its
 * records' times are moved back onto ours. */
static void test_clock_ahead(void **state)
{
	(void)state;
	const uint64_t two_h = 7200000, now = (uint64_t)T0 * 1000 - two_h + 700;
	struct fh_decoder_cfg cfg = {.clock_tolerance_ms = 30000};
	struct fh_decoder *dd = fh_decoder_new(&cfg);
	struct keep k = {0};
	struct bld d = {.n = 0};
	size_t m = msg_start(&d, 0, 5);
	tpl(&d);
	size_t s = set_start(&d, 256);
	rec(&d, 1, "ge-0/0/1");
	set_end(&d, s);
	msg_end(&d, m);
	struct fh_rec_sink sk = {.emit = keep_emit, .arg = &k};
	struct fh_ip ip = test_ip("192.0.2.9");
	assert_int_equal(fh_decode(dd, &ip, d.b, d.n, now, &sk), 1);
	assert_int_equal(k.r[0].first_ms, (uint64_t)T0 * 1000 - 5000 - two_h + 700);
	assert_int_equal(k.r[0].last_ms, (uint64_t)T0 * 1000 - 100 - two_h + 700);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.9");
	assert_int_equal(st.clock_offset_ms, -(int64_t)two_h + 700);
	assert_int_equal(st.clock_corrected, 1);
	fh_decoder_free(dd);
}

static void test_withdrawal(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d = {.n = 0};
	size_t m = msg_start(&d, 0, 1);
	tpl(&d);
	msg_end(&d, m);
	dec(dd, &d, &k);
	/* withdraw 256, then data for it is held, not decoded with the old layout */
	d.n = 0;
	m = msg_start(&d, 0, 1);
	size_t s = set_start(&d, 2);
	b16(&d, 256);
	b16(&d, 0);
	set_end(&d, s);
	s = set_start(&d, 256);
	rec(&d, 1, "x");
	set_end(&d, s);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), 0);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.9");
	assert_int_equal(st.withdrawals, 1);
	assert_int_equal(st.pending, 1);
	/* announcing it again releases the held set */
	d.n = 0;
	m = msg_start(&d, 1, 1);
	tpl(&d);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), 1);
	/* withdraw all (template id 2) */
	d.n = 0;
	m = msg_start(&d, 2, 1);
	s = set_start(&d, 2);
	b16(&d, 2);
	b16(&d, 0);
	set_end(&d, s);
	s = set_start(&d, 256);
	rec(&d, 1, "x");
	set_end(&d, s);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), 0);
	fh_decoder_free(dd);
}

static void test_options_packet_sampling_and_two_messages(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d = {.n = 0};

	/* message 1: options template 300 (scope domain id; packet interval 1, space 99) */
	size_t m = msg_start(&d, 0, 4);
	size_t s = set_start(&d, 3);
	b16(&d, 300);
	b16(&d, 3);
	b16(&d, 1);
	b16(&d, 149);
	b16(&d, 4);
	b16(&d, 305);
	b16(&d, 4);
	b16(&d, 306);
	b16(&d, 4);
	set_end(&d, s);
	s = set_start(&d, 300);
	b32(&d, 4);
	b32(&d, 1);
	b32(&d, 99);
	set_end(&d, s);
	tpl(&d);
	msg_end(&d, m);
	/* message 2 in the same datagram: data (the options record counted as 1 data record) */
	m = msg_start(&d, 1, 4);
	s = set_start(&d, 256);
	rec(&d, 1, "a");
	rec(&d, 2, "b");
	set_end(&d, s);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), 2);
	assert_int_equal(k.r[0].sampling, 100);
	assert_int_equal(k.r[1].sampling, 100);

	/* sequence: the next message should say 3; saying 6 means 3 records were lost */
	d.n = 0;
	m = msg_start(&d, 6, 4);
	s = set_start(&d, 256);
	rec(&d, 3, "c");
	set_end(&d, s);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), 1);
	struct fh_exporter_stats st = exporter_stats(dd, "192.0.2.9");
	assert_int_equal(st.seq_lost, 3);
	fh_decoder_free(dd);
}

static void test_malformed(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d = {.n = 0};
	size_t m = msg_start(&d, 0, 1);
	tpl(&d);
	msg_end(&d, m);
	bpatch16(&d, m + 2, (uint16_t)(d.n + 10)); /* message length past the datagram */
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_LENGTH);
	d.n = 0;
	m = msg_start(&d, 0, 1);
	size_t s = set_start(&d, 256);
	b32(&d, 0);
	set_end(&d, s);
	bpatch16(&d, s + 2, 3); /* set length under 4 */
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_SET);
	/* options template with a scope count larger than its field count */
	d.n = 0;
	m = msg_start(&d, 0, 1);
	s = set_start(&d, 3);
	b16(&d, 300);
	b16(&d, 1);
	b16(&d, 2);
	b16(&d, 149);
	b16(&d, 4);
	set_end(&d, s);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_TEMPLATE);
	/* enterprise bit set but no room for the enterprise number */
	d.n = 0;
	m = msg_start(&d, 0, 1);
	s = set_start(&d, 2);
	b16(&d, 301);
	b16(&d, 1);
	b16(&d, 0x8001);
	b16(&d, 4);
	set_end(&d, s);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), -FH_DEC_E_TEMPLATE);
	assert_int_equal(k.n, 0);
	fh_decoder_free(dd);
}

/* Uptime-relative times (flowStartSysUpTime 22, flowEndSysUpTime 21, against
 * systemInitTimeMilliseconds 160, all in the record): 32-bit uptimes are resolved to the
 * time within 2^31 ms of the export, so a wrapped uptime (a router up more than 49.7 days)
 * and a "negative" one (an exporter started after the flow, as softflowd -r) come out right. */
static void test_uptime_wrap(void **state)
{
	(void)state;
	struct fh_decoder *dd = fh_decoder_new(NULL);
	struct keep k = {0};
	struct bld d;
	memset(&d, 0, sizeof(d));
	const uint64_t export_ms = (uint64_t)T0 * 1000;
	/* init, start uptime, end uptime -> the expected first, last */
	struct {
		uint64_t init;
		uint32_t up0, up1;
		uint64_t first, last;
	} c[] = {
		/* started after the flow: uptimes 15.772 s and 15.000 s "before" init */
		{export_ms, (uint32_t)-15772, (uint32_t)-15000, export_ms - 15772, export_ms - 15000},
		/* up 60 days: the uptime wrapped once */
		{export_ms - 60ull * 86400000, (uint32_t)(60ull * 86400000 - 5000),
			(uint32_t)(60ull * 86400000 - 1000), export_ms - 5000, export_ms - 1000},
		/* the plain case */
		{export_ms - 3600000, 3590000, 3595000, export_ms - 10000, export_ms - 5000},
	};
	size_t m = msg_start(&d, 1, 7);
	size_t st = set_start(&d, 2);
	b16(&d, 300);
	b16(&d, 5);
	b16(&d, 8), b16(&d, 4); /* src */
	b16(&d, 12), b16(&d, 4); /* dst */
	b16(&d, 160), b16(&d, 8); /* systemInitTimeMilliseconds */
	b16(&d, 22), b16(&d, 4); /* flowStartSysUpTime */
	b16(&d, 21), b16(&d, 4); /* flowEndSysUpTime */
	set_end(&d, st);
	st = set_start(&d, 300);
	for (int i = 0; i < 3; i++) {
		b32(&d, 0xc6336401); /* 198.51.100.1 */
		b32(&d, 0xcb00710a); /* 203.0.113.10 */
		b32(&d, (uint32_t)(c[i].init >> 32));
		b32(&d, (uint32_t)c[i].init);
		b32(&d, c[i].up0);
		b32(&d, c[i].up1);
	}
	set_end(&d, st);
	msg_end(&d, m);
	assert_int_equal(dec(dd, &d, &k), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(k.r[i].first_ms, c[i].first);
		assert_int_equal(k.r[i].last_ms, c[i].last);
	}
	fh_decoder_free(dd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_varlen_enterprise_times),
		cmocka_unit_test(test_clock_ahead),
		cmocka_unit_test(test_withdrawal),
		cmocka_unit_test(test_options_packet_sampling_and_two_messages),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_uptime_wrap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
