/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Packet parser: Ethernet, 802.1Q, QinQ, IPv4 with options, fragments, IPv6 with extension
 * headers, TCP/UDP/ICMP/ICMPv6, and truncation at every offset (run under ASan too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dataplane/parse/pkt.h"

static const uint8_t qinq_v4_opts_tcp[] = {
	2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x88, 0xa8, 0, 100, 0x81, 0, 0, 200, 8, 0,
	0x46, 0x10, 0, 48, 0, 1, 0, 0, 64, 6, 0, 0, 198, 51, 100, 1, 203, 0, 113, 2, /* IHL 6 */
	1, 1, 1, 0, /* options: NOP NOP NOP EOL */
	0x04, 0xd2, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12, 0xff, 0xff, 0, 0, 0, 0,
	0xaa, 0xbb, 0xcc, 0xdd, /* 4 bytes of payload */
	0, 0, 0, 0, 0, 0, /* Ethernet padding past the IP length */
};

static const uint8_t v6_ext_icmp6[] = {
	2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x86, 0xdd,
	0x60, 0, 0, 0, 0, 16, 0 /* hop-by-hop */, 255,
	0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x16,
	58, 0, 5, 2, 0, 0, 1, 0, /* hop-by-hop: next ICMPv6, len 0 (8 bytes) */
	143, 0, 0, 0, 0, 0, 0, 1, /* ICMPv6 type 143 (MLDv2 report) */
};

static const uint8_t v4_frag_later[] = {
	0x45, 0, 0, 28, 0, 7, 0x00, 0x10 /* offset 16*8 */, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
	1, 2, 3, 4, 5, 6, 7, 8,
};

static const uint8_t v6_frag_first_udp[] = {
	0x60, 0, 0, 0, 0, 24, 44, 64,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	17, 0, 0, 1, 0, 0, 0, 9, /* fragment header: offset 0, M set */
	0x1f, 0x90, 0x08, 0x07, 0, 16, 0, 0, /* UDP 8080 -> 2055 */
	1, 2, 3, 4, 5, 6, 7, 8,
};

static void test_qinq_options_tcp(void **state)
{
	(void)state;
	struct fh_pkt p;
	char b1[FH_IP_STRLEN], b2[FH_IP_STRLEN];
	assert_int_equal(fh_pkt_parse_eth(qinq_v4_opts_tcp, sizeof(qinq_v4_opts_tcp), &p), 0);
	assert_int_equal(p.vlan, 200);
	assert_true(p.flags & FH_PKT_VLAN);
	assert_int_equal(p.af, 4);
	assert_string_equal(fh_ip_fmt(&p.src, b1, sizeof(b1)), "198.51.100.1");
	assert_string_equal(fh_ip_fmt(&p.dst, b2, sizeof(b2)), "203.0.113.2");
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sport, 1234);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp_flags, 0x12);
	assert_int_equal(p.tos, 0x10);
	assert_int_equal(p.ip_len, 48);
	assert_int_equal(p.payload_len, 4); /* the Ethernet padding is not payload */
	assert_int_equal(p.payload[0], 0xaa);
}

static void test_v6_extension_headers(void **state)
{
	(void)state;
	struct fh_pkt p;
	char b[FH_IP_STRLEN];
	assert_int_equal(fh_pkt_parse_eth(v6_ext_icmp6, sizeof(v6_ext_icmp6), &p), 0);
	assert_int_equal(p.af, 6);
	assert_int_equal(p.proto, 58);
	assert_int_equal(p.dport, 143 << 8);
	assert_string_equal(fh_ip_fmt(&p.dst, b, sizeof(b)), "ff02::16");
}

static void test_fragments(void **state)
{
	(void)state;
	struct fh_pkt p;
	assert_int_equal(fh_pkt_parse_ip(v4_frag_later, sizeof(v4_frag_later), &p), 0);
	assert_true(p.flags & FH_PKT_FRAG_LATER);
	assert_false(p.flags & FH_PKT_L4); /* the bytes after the header are not a UDP header */
	assert_int_equal(fh_pkt_parse_ip(v6_frag_first_udp, sizeof(v6_frag_first_udp), &p), 0);
	assert_true(p.flags & FH_PKT_FRAG);
	assert_false(p.flags & FH_PKT_FRAG_LATER);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dport, 2055);
}

static void test_not_ip_and_bad(void **state)
{
	(void)state;
	struct fh_pkt p;
	uint8_t arp[60] = {0};
	arp[12] = 8;
	arp[13] = 6;
	assert_int_equal(fh_pkt_parse_eth(arp, sizeof(arp), &p), FH_PKT_NOT_IP);
	uint8_t bad[40] = {0x43}; /* IHL 3 */
	assert_int_equal(fh_pkt_parse_ip(bad, sizeof(bad), &p), FH_PKT_BAD_IP);
	bad[0] = 0x75; /* version 7 */
	assert_int_equal(fh_pkt_parse_ip(bad, sizeof(bad), &p), FH_PKT_BAD_IP);
}

/* Cut each packet at every length, in a heap buffer of exactly that size (ASan sees any
 * read past it). */
static void cut_all(const uint8_t *pkt, size_t len, int eth)
{
	for (size_t n = 0; n <= len; n++) {
		uint8_t *b = malloc(n ? n : 1);
		memcpy(b, pkt, n);
		struct fh_pkt p;
		int rc = eth ? fh_pkt_parse_eth(b, n, &p) : fh_pkt_parse_ip(b, n, &p);
		assert_true(rc <= 0);
		if (rc == 0 && p.payload)
			assert_true(p.payload + p.payload_len <= b + n);
		free(b);
	}
}

static void test_truncation(void **state)
{
	(void)state;
	cut_all(qinq_v4_opts_tcp, sizeof(qinq_v4_opts_tcp), 1);
	cut_all(v6_ext_icmp6, sizeof(v6_ext_icmp6), 1);
	cut_all(v4_frag_later, sizeof(v4_frag_later), 0);
	cut_all(v6_frag_first_udp, sizeof(v6_frag_first_udp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qinq_options_tcp),
		cmocka_unit_test(test_v6_extension_headers),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_not_ip_and_bad),
		cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
