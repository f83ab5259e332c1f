/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The filter language: every primitive on hand-made records, precedence (not > and > or),
 * parentheses, k/M/G, IPv6, lists, the compiled program's shape, and errors with columns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "store/filter.h"

static struct fh_flow_rec rec(const char *s, const char *d, uint16_t sp, uint16_t dp, uint8_t pr)
{
	struct fh_flow_rec r;
	memset(&r, 0, sizeof(r));
	fh_ip_parse(s, &r.src);
	fh_ip_parse(d, &r.dst);
	r.sport = sp;
	r.dport = dp;
	r.proto = pr;
	r.packets = 10;
	r.bytes = 15000;
	r.first_ms = 1000;
	r.last_ms = 3000;
	r.tcp_flags = 0x12; /* SA */
	r.in_if = 3;
	r.out_if = 7;
	r.src_as = 64500;
	r.dst_as = 65000;
	r.tos = 0x20;
	return r;
}

static int m(const char *f, const struct fh_flow_rec *r)
{
	char err[256];
	struct fh_filter *x = fh_filter_compile(f, err, sizeof(err));
	if (!x)
		fail_msg("'%s' did not compile: %s", f, err);
	int ok = fh_filter_match(x, r);
	fh_filter_free(x);
	return ok;
}

static void test_primitives(void **state)
{
	(void)state;
	struct fh_flow_rec r = rec("198.51.100.7", "203.0.113.9", 40000, 443, 6);
	assert_true(m("", &r));
	assert_true(m("any", &r));
	assert_true(m("# only a comment\n", &r));
	assert_true(m("proto tcp", &r) && !m("proto udp", &r) && m("proto 6", &r));
	assert_true(m("inet", &r) && !m("inet6", &r));
	assert_true(m("ip 198.51.100.7", &r) && m("host 203.0.113.9", &r));
	assert_true(m("src ip 198.51.100.7", &r) && !m("dst ip 198.51.100.7", &r));
	assert_true(m("src or dst ip 203.0.113.9", &r) && !m("src and dst ip 203.0.113.9", &r));
	assert_true(m("net 198.51.100.0/24", &r) && !m("net 198.51.101.0/24", &r));
	assert_true(m("dst net 203.0.113.0 255.255.255.0", &r));
	assert_true(m("port 443", &r) && m("dst port 443", &r) && !m("src port 443", &r));
	assert_true(m("port > 1023", &r) && m("src port gt 39999", &r) && !m("dst port < 443", &r));
	assert_true(m("dst port >= 443", &r) && m("dst port <= 443", &r) && m("src port != 1", &r));
	assert_true(m("port in [ 22 80 443 ]", &r) && !m("port in [ 22, 80 ]", &r));
	assert_true(m("ip in [ 192.0.2.1 203.0.113.0/24 ]", &r));
	assert_true(m("flags S", &r) && m("flags AS", &r) && !m("flags F", &r));
	assert_true(m("packets 10", &r) && m("packets > 9", &r) && !m("packets < 10", &r));
	assert_true(m("bytes > 14k", &r) && !m("bytes > 15k", &r) && m("bytes < 1M", &r));
	assert_true(m("duration 2000", &r) && m("pps 5", &r) && m("bpp 1500", &r));
	assert_true(m("bps 60000", &r) && m("bps > 59k", &r));
	assert_true(m("in if 3", &r) && m("out if 7", &r) && m("if 7", &r) && !m("in if 7", &r));
	assert_true(m("as 65000", &r) && m("src as 64500", &r) && !m("dst as 64500", &r));
	assert_true(m("tos 32", &r));

	struct fh_flow_rec r6 = rec("2001:db8:1::5", "2001:db8:2::1", 5000, 53, 17);
	assert_true(m("inet6 and proto udp", &r6));
	assert_true(m("src net 2001:db8:1::/48 and dst port 53", &r6));
	assert_true(!m("net 198.51.100.0/24", &r6));
}

static void test_precedence(void **state)
{
	(void)state;
	struct fh_flow_rec r = rec("198.51.100.7", "203.0.113.9", 40000, 443, 6);
	/* not > and > or */
	assert_true(m("proto udp and port 53 or port 443", &r));
	assert_false(m("proto udp and ( port 53 or port 443 )", &r));
	assert_true(m("not proto udp and port 443", &r));
	assert_false(m("not ( proto tcp and port 443 )", &r));
	assert_true(m("! proto udp && ( port 22 || port 443 )", &r));
	assert_true(m("not not proto tcp", &r));
	/* a program is flat: one instruction per test */
	char err[256];
	struct fh_filter *f = fh_filter_compile("(proto tcp or proto udp) and not port 53", err,
		sizeof(err));
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	fh_filter_dump(f, out);
	fclose(out);
	int lines = 0;
	for (char *c = buf; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 4); /* tcp, udp, src port, dst port */
	free(buf);
	fh_filter_free(f);
}

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *f, *msg;
	} bad[] = {
		{"port foo", "filter:1:6: expected a port number after 'port', got 'foo'"},
		{"proto tcp and", "filter:1:14: unexpected 'the end of the filter'"},
		{"( proto tcp", "filter:1:12: expected ')' to close the '(' at column 1"},
		{"port 70000", "filter:1:6: port 70000 is out of range"},
		{"net 10.0.0.0/33", "filter:1:5: expected an address or prefix, got '10.0.0.0/33'"},
		{"flags SZ", "filter:1:7: 'Z' is not a TCP flag"},
		{"port in [ 22 80", "filter:1:16: expected ']' to close the list opened at column 9"},
		{"proto tcp port 22", "filter:1:11: expected 'and', 'or' or the end"},
		{"src foo", "filter:1:5: expected ip, net, port or as after the direction"},
		{"proto tcp\nand bytes > lots", "filter:2:13: expected a number, got 'lots'"},
		{"net 10.0.0.0 255.0.255.0", "filter:1:14: '255.0.255.0' is not a contiguous netmask"},
	};
	char err[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fh_filter *f = fh_filter_compile(bad[i].f, err, sizeof(err));
		if (f)
			fail_msg("'%s' compiled", bad[i].f);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("'%s': got \"%s\", want \"%s\"", bad[i].f, err, bad[i].msg);
	}
	/* deep nesting is an error, not a stack overflow (found by fuzz_filter); shallower
	 * (60 rounds: 90 levels) still compile */
	static char deep[40000]; /* 5000 rounds: 25,000 characters and the closing parens */
	for (int depth = 60; depth <= 5000; depth += 4940) {
		size_t n = 0;
		for (int i = 0; i < depth; i++)
			n += (size_t)sprintf(deep + n, i % 2 ? "( " : "not not ");
		n += (size_t)sprintf(deep + n, "proto tcp");
		for (int i = 0; i < depth; i += 2)
			n += (size_t)sprintf(deep + n, " )");
		struct fh_filter *f = fh_filter_compile(deep, err, sizeof(err));
		if (depth == 60) {
			assert_non_null(f);
			fh_filter_free(f);
		} else {
			assert_null(f);
			assert_non_null(strstr(err, "nested deeper than 128"));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_primitives),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
