/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Config: every value type, bounds, errors with file:line and "did you mean", lists that
 * replace their default and then append, --set, comments and quotes; and the committed
 * config/flowhound.conf equals the dump of the defaults (it never drifts from the schema).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"

static int parse(struct fh_config *c, const char *text, char *err)
{
	return fh_config_parse_buf(c, "t.conf", text, strlen(text), err, 256);
}

static void test_types(void **state)
{
	(void)state;
	static struct fh_config c;
	char err[256];
	fh_config_defaults(&c);
	assert_int_equal(c.listen.n, 3);
	assert_int_equal(c.ft_inactive, 15000);
	assert_int_equal(c.ft_active, 1800000);
	assert_int_equal(parse(&c,
				 "# a comment\n\n"
				 "workers = 2   # trailing comment\n"
				 "collector.rcvbuf = 4M\n"
				 "flowtable.inactive_timeout = 5000ms\n"
				 "flowtable.active_timeout = 2m\n"
				 "tap.enable = yes\n"
				 "control.socket = \"/tmp/a b#c.sock\"\n"
				 "collector.listen = [::1]:2055\n"
				 "collector.listen = 127.0.0.1:9995\n"
				 "home_net = 198.51.100.0/24, 2001:db8::/32\n",
				 err),
		0);
	assert_int_equal(c.workers, 2);
	assert_int_equal(c.rcvbuf, 4 << 20);
	assert_int_equal(c.ft_inactive, 5000);
	assert_int_equal(c.ft_active, 120000);
	assert_true(c.tap);
	assert_string_equal(c.control_socket, "/tmp/a b#c.sock");
	assert_int_equal(c.listen.n, 2); /* the default list was replaced, then appended to */
	assert_string_equal(c.listen.v[0], "[::1]:2055");
	assert_int_equal(c.home_net.n, 2);
	struct fh_ip ip;
	fh_ip_parse("198.51.100.7", &ip);
	assert_true(fh_cidr_match(&c.home_net, &ip));
	fh_ip_parse("2001:db8:1::1", &ip);
	assert_true(fh_cidr_match(&c.home_net, &ip));
	fh_ip_parse("203.0.113.1", &ip);
	assert_false(fh_cidr_match(&c.home_net, &ip));
}

/* fh_ip_in_prefix (the home_net test, and the LPM test's oracle) against its definition,
 * bit by bit: every prefix length 0..128, addresses equal up to a random bit. */
static void test_prefix_bits(void **state)
{
	(void)state;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	unsigned in = 0;
	for (unsigned n = 0; n < 200000; n++) {
		struct fh_ip a, b;
		for (int i = 0; i < 16; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			a.a[i] = (uint8_t)x;
		}
		b = a;
		unsigned plen = (unsigned)(x >> 20) % 129, flip = (unsigned)(x >> 40) % 129;
		if (flip < 128) /* 128: equal addresses */
			b.a[flip / 8] ^= (uint8_t)(0x80u >> (flip % 8));
		int want = 1;
		for (unsigned i = 0; i < plen; i++)
			if ((a.a[i / 8] ^ b.a[i / 8]) & (0x80u >> (i % 8)))
				want = 0;
		assert_int_equal(fh_ip_in_prefix(&a, &b, plen), want);
		in += (unsigned)want;
	}
	assert_true(in > 50000 && in < 150000); /* both outcomes, often */
}

static void test_errors(void **state)
{
	(void)state;
	static struct fh_config c;
	char err[256];
	fh_config_defaults(&c);
	assert_int_equal(parse(&c, "workers = 1\nflowtable.capacty = 5\n", err), -1);
	assert_string_equal(err,
		"t.conf:2: flowtable.capacty: unknown key (did you mean flowtable.capacity?)");
	assert_int_equal(parse(&c, "workers = 1000\n", err), -1);
	assert_string_equal(err, "t.conf:1: workers: 1000 is out of range 1..64");
	assert_int_equal(parse(&c, "\n\nworkers = two\n", err), -1);
	assert_string_equal(err, "t.conf:3: workers: 'two' is not a whole number");
	assert_int_equal(parse(&c, "tap.enable = maybe\n", err), -1);
	assert_non_null(strstr(err, "t.conf:1: tap.enable: 'maybe' is not true or false"));
	assert_int_equal(parse(&c, "collector.listen = 1.2.3.4:99999\n", err), -1);
	assert_non_null(strstr(err, "is not ADDR:PORT"));
	assert_int_equal(parse(&c, "home_net = 10.0.0.0/33\n", err), -1);
	assert_non_null(strstr(err, "not an address or CIDR"));
	assert_int_equal(parse(&c, "just words\n", err), -1);
	assert_string_equal(err, "t.conf:1: expected 'key = value', got 'just words'");
	assert_int_equal(parse(&c, "control.socket = \"open\n", err), -1);
	assert_non_null(strstr(err, "unterminated"));
	/* found by fuzz_config: a quote inside a string could not be dumped back */
	assert_int_equal(parse(&c, "control.socket = a\"b\n", err), -1);
	assert_non_null(strstr(err, "t.conf:1: control.socket: a quote"));
	assert_int_equal(parse(&c, "flowtable.inactive_timeout = 3 weeks\n", err), -1);
	assert_non_null(strstr(err, "a duration"));
	/* found by fuzz_config: numbers past int64 (and nan, inf) were converted anyway, which
	 * is undefined behaviour */
	assert_int_equal(parse(&c, "workers = 1e300\n", err), -1);
	assert_string_equal(err, "t.conf:1: workers: '1e300' is not a whole number");
	assert_int_equal(parse(&c, "collector.rcvbuf = 9e18G\n", err), -1);
	assert_int_equal(parse(&c, "flowtable.inactive_timeout = nan\n", err), -1);
	assert_int_equal(parse(&c, "flowtable.active_timeout = inf h\n", err), -1);
	assert_int_equal(fh_config_set(&c, "workers", err, 256), -1);
	assert_non_null(strstr(err, "--set: expected KEY=VALUE"));
	assert_int_equal(fh_config_set(&c, "workers=3", err, 256), 0);
	assert_int_equal(c.workers, 3);
	assert_int_equal(fh_config_set(&c, "dpdk.rx_ring=1", err, 256), -1);
	assert_non_null(strstr(err, "--set: dpdk.rx_ring: 1 is out of range"));
	assert_int_equal(fh_config_load(&c, "/nonexistent.conf", err, 256), -1);
	assert_non_null(strstr(err, "/nonexistent.conf: No such file"));
}

static void test_committed_defaults(void **state)
{
	(void)state;
	static struct fh_config c;
	fh_config_defaults(&c);
	char *dump = NULL;
	size_t dl = 0;
	FILE *f = open_memstream(&dump, &dl);
	fh_config_dump(&c, f);
	fclose(f);
	FILE *g = fopen(FH_SOURCE_DIR "/config/flowhound.conf", "r");
	assert_non_null(g);
	static char file[65536];
	size_t n = fread(file, 1, sizeof(file) - 1, g);
	fclose(g);
	file[n] = 0;
	/* the file is a header comment and then exactly the dump */
	char *body = strstr(file, "\n\n");
	assert_non_null(body);
	assert_string_equal(body + 2, dump);
	/* and it parses back to the defaults */
	static struct fh_config back;
	char err[256];
	fh_config_defaults(&back);
	assert_int_equal(fh_config_load(&back, FH_SOURCE_DIR "/config/flowhound.conf", err, 256), 0);
	back.set_mask = c.set_mask;
	assert_memory_equal(&back, &c, sizeof(c));
	free(dump);
}

/* The dump of a changed configuration parses back to the same configuration. */
static void test_dump_roundtrip(void **state)
{
	(void)state;
	static struct fh_config a, b;
	char err[256];
	fh_config_defaults(&a);
	assert_int_equal(parse(&a, "workers = 3\nhome_net = 198.51.100.0/24\ntap.enable = on\n"
				  "collector.listen = [::1]:4739\n", err), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fh_config_dump(&a, f);
	fclose(f);
	fh_config_defaults(&b);
	assert_int_equal(fh_config_parse_buf(&b, "dump", buf, len, err, sizeof(err)), 0);
	b.set_mask = a.set_mask;
	assert_memory_equal(&a, &b, sizeof(a));
	free(buf);
}

/* docs/config.md ends with the reference table printed from the schema. */
static void test_committed_markdown(void **st)
{
	(void)st;
	char path[1024];
	snprintf(path, sizeof(path), "%s", __FILE__);
	char *p = strstr(path, "tests/unit/test_config.c");
	if (!p)
		skip();
	strcpy(p, "docs/config.md");
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	static char file[65536];
	size_t n = fread(file, 1, sizeof(file) - 1, f);
	fclose(f);
	file[n] = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	fh_config_dump_markdown(m);
	fclose(m);
	if (n < len || strcmp(file + n - len, buf))
		fail_msg("docs/config.md does not end with fh_config_dump_markdown's table");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_prefix_bits),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_committed_defaults),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_committed_markdown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
