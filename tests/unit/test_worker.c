/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for dataplane/worker: frames classified as export datagrams (collector port or
 * by content), tap-mode metering, non-IP frames, fragments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/worker.h"

struct got {
	int n;
	struct fh_flow_rec last;
};

static void emit(void *arg, const struct fh_flow_rec *r)
{
	struct got *g = arg;
	g->n++;
	g->last = *r;
}

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
	return 4;
}

/* A NetFlow v5 datagram with one record 203.0.113.5:443 -> 198.51.100.9:51000 tcp. */
static size_t make_v5(uint8_t *b)
{
	memset(b, 0, 24 + 48);
	put16(b, 5);
	put16(b + 2, 1);
	put32(b + 4, 100000); /* uptime */
	put32(b + 8, 1764374400); /* unix secs */
	uint8_t *r = b + 24;
	uint8_t src[4] = {203, 0, 113, 5}, dst[4] = {198, 51, 100, 9};
	memcpy(r, src, 4);
	memcpy(r + 4, dst, 4);
	put32(r + 16, 10);
	put32(r + 20, 5000);
	put32(r + 24, 90000);
	put32(r + 28, 99000);
	put16(r + 32, 443);
	put16(r + 34, 51000);
	r[37] = 0x1b;
	r[38] = 6;
	return 24 + 48;
}

/* Ethernet + IPv4 (src 192.0.2.1) + L4 header + payload. */
static size_t make_frame(uint8_t *f, uint8_t proto, uint16_t dport, const uint8_t *pl,
	size_t plen, uint16_t frag)
{
	memset(f, 0, 64);
	memset(f, 0x02, 12);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	size_t l4len = proto == 17 ? 8 : 20;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len + plen));
	put16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = proto;
	uint8_t src[4] = {192, 0, 2, 1}, dst[4] = {192, 0, 2, 2};
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	uint8_t *l4 = ip + 20;
	put16(l4, 40000);
	put16(l4 + 2, dport);
	if (proto == 17)
		put16(l4 + 4, (uint16_t)(8 + plen));
	else
		l4[12] = 5 << 4, l4[13] = 0x02; /* SYN */
	memcpy(l4 + l4len, pl, plen);
	return 14 + 20 + l4len + plen;
}

static void test_export_on_port_and_sniff(void **state)
{
	(void)state;
	struct got g = {0};
	struct fh_rec_sink sink = {.emit = emit, .arg = &g};
	struct fh_worker_cfg cfg = {.ports = {2055}, .n_ports = 1};
	struct fh_worker *w = fh_worker_new(0, &cfg, &sink);
	uint8_t dg[128], frame[256];
	size_t dl = make_v5(dg);

	size_t fl = make_frame(frame, 17, 2055, dg, dl, 0);
	fh_worker_frame(w, frame, fl, 1);
	assert_int_equal(g.n, 1);
	char buf[FH_IP_STRLEN];
	assert_string_equal(fh_ip_fmt(&g.last.exporter, buf, sizeof(buf)), "192.0.2.1");
	assert_string_equal(fh_ip_fmt(&g.last.src, buf, sizeof(buf)), "203.0.113.5");
	assert_int_equal(g.last.bytes, 5000);

	/* another port: ignored without sniffing ... */
	fl = make_frame(frame, 17, 7777, dg, dl, 0);
	fh_worker_frame(w, frame, fl, 1);
	assert_int_equal(g.n, 1);
	assert_int_equal(fh_worker_stats(w)->ignored, 1);
	fh_worker_free(w);

	/* ... recognised by content with sniffing */
	cfg.sniff = true;
	w = fh_worker_new(0, &cfg, &sink);
	fh_worker_frame(w, frame, fl, 1);
	assert_int_equal(g.n, 2);
	assert_int_equal(fh_worker_stats(w)->datagrams, 1);
	fh_worker_free(w);
}

static void test_tap_and_others(void **state)
{
	(void)state;
	struct got g = {0};
	struct fh_rec_sink sink = {.emit = emit, .arg = &g};
	struct fh_worker_cfg cfg = {.ports = {2055}, .n_ports = 1, .tap = true, .tap_sampling = 4};
	struct fh_worker *w = fh_worker_new(3, &cfg, &sink);
	uint8_t frame[256], pl[10] = {0};

	size_t fl = make_frame(frame, 6, 22, pl, 0, 0);
	fh_worker_frame(w, frame, fl, 1764374400000ull);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.last.version, FH_VER_TAP);
	assert_int_equal(g.last.dport, 22);
	assert_int_equal(g.last.tcp_flags, 0x02);
	assert_int_equal(g.last.sampling, 4);
	assert_int_equal(g.last.packets, 1);
	assert_int_equal(g.last.bytes, 40);
	assert_int_equal(g.last.first_ms, 1764374400000ull);

	/* ARP: not IP */
	memset(frame, 0, 60);
	frame[12] = 0x08;
	frame[13] = 0x06;
	fh_worker_frame(w, frame, 60, 1);
	assert_int_equal(fh_worker_stats(w)->not_ip, 1);

	/* a fragment of a datagram to a collector port: counted, not decoded or metered */
	fl = make_frame(frame, 17, 2055, pl, 10, 0x2000 /* MF */);
	fh_worker_frame(w, frame, fl, 1);
	assert_int_equal(fh_worker_stats(w)->fragments, 1);
	assert_int_equal(g.n, 1);

	/* a truncated IP header */
	fl = make_frame(frame, 6, 22, pl, 0, 0);
	fh_worker_frame(w, frame, 14 + 10, 1);
	assert_int_equal(fh_worker_stats(w)->bad_ip, 1);
	fh_worker_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_export_on_port_and_sniff),
		cmocka_unit_test(test_tap_and_others),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
