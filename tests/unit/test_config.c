/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for the configuration parser: every value type, bounds, list keys (repeat and
 * replace), errors carrying file:line and "did you mean", --set overrides, and that the
 * committed defaults file config/flowhound.conf parses back to exactly the schema defaults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"

static int parse(struct fh_config *c, const char *text, char *err, size_t el)
{
	fh_config_defaults(c);
	return fh_config_parse_buf(c, "t.conf", text, strlen(text), err, el);
}

static void test_defaults(void **st)
{
	(void)st;
	struct fh_config c;
	fh_config_defaults(&c);
	assert_int_equal(c.listen.n, 3);
	assert_string_equal(c.listen.v[0], "0.0.0.0:2055");
	assert_string_equal(c.listen.v[1], "0.0.0.0:4739");
	assert_string_equal(c.listen.v[2], "0.0.0.0:6343");
	assert_int_equal(c.ft_inactive, 15000);
	assert_int_equal(c.ft_active, 30 * 60 * 1000);
	assert_int_equal(c.rcvbuf, 32 * 1024 * 1024);
	assert_false(c.tap);
	assert_int_equal(c.home_net.n, 0);
}

static void test_types(void **st)
{
	(void)st;
	struct fh_config c;
	char err[256] = "";
	const char *t = "# comment\n\n"
			"tap.enable = yes\n"
			"workers = 4   # trailing\n"
			"collector.rcvbuf = 8M\n"
			"decoder.pending_bytes = 64k\n"
			"flowtable.inactive_timeout = 1500ms\n"
			"flowtable.active_timeout = 2m\n"
			"decoder.pending_timeout = 1h\n"
			"control.socket = \"/tmp/a b.sock\"\n";
	if (parse(&c, t, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_true(c.tap);
	assert_int_equal(c.workers, 4);
	assert_int_equal(c.rcvbuf, 8 << 20);
	assert_int_equal(c.pending_bytes, 64 << 10);
	assert_int_equal(c.ft_inactive, 1500);
	assert_int_equal(c.ft_active, 120000);
	assert_int_equal(c.pending_timeout, 3600000);
	assert_string_equal(c.control_socket, "/tmp/a b.sock");
}

static void test_lists(void **st)
{
	(void)st;
	struct fh_config c;
	char err[256] = "";
	const char *t = "collector.listen = 127.0.0.1:9995\n"
			"collector.listen = [::1]:2055\n"
			"home_net = 10.0.0.0/8, 2001:db8::/32\n"
			"home_net = 192.0.2.7\n";
	assert_int_equal(parse(&c, t, err, sizeof(err)), 0);
	/* a given list replaces the default, repeats append */
	assert_int_equal(c.listen.n, 2);
	assert_string_equal(c.listen.v[0], "127.0.0.1:9995");
	assert_string_equal(c.listen.v[1], "[::1]:2055");
	assert_int_equal(c.home_net.n, 3);
	struct fh_ip ip;
	memset(&ip, 0, sizeof(ip));
	/* 10.1.2.3 as IPv4-mapped */
	const uint8_t v4[6] = {0xff, 0xff, 10, 1, 2, 3};
	memcpy(&ip.a[10], v4, sizeof(v4));
	assert_true(fh_cidr_match(&c.home_net, &ip));
	ip.a[12] = 11;
	assert_false(fh_cidr_match(&c.home_net, &ip));
}

static void expect_err(const char *text, const char *want)
{
	struct fh_config c;
	char err[256] = "";
	assert_int_equal(parse(&c, text, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_errors(void **st)
{
	(void)st;
	expect_err("workers = 2\n\nworkerz = 3\n",
		"t.conf:3: workerz: unknown key (did you mean workers?)");
	expect_err("workers = 0\n", "t.conf:1: workers:");
	expect_err("workers = 0\n", "out of range 1..64");
	expect_err("# x\nworkers = 65\n", "t.conf:2: workers: 65 is out of range");
	expect_err("workers = 2.5\n", "not a whole number");
	expect_err("collector.rcvbuf = 3T\n", "not a size");
	expect_err("flowtable.inactive_timeout = 5 fortnights\n", "not a duration");
	expect_err("flowtable.inactive_timeout = 10ms\n", "out of range");
	expect_err("tap.enable = maybe\n", "t.conf:1: tap.enable: 'maybe' is not true or false");
	expect_err("collector.listen = nowhere\n", "is not ADDR:PORT");
	expect_err("home_net = 10.0.0.0/33\n", "not an address or CIDR prefix");
	expect_err("\n\njust words\n", "t.conf:3: expected 'key = value'");
	expect_err("control.socket = \"open\n", "unterminated quoted string");
	expect_err("zzzzzzzz = 1\n", "zzzzzzzz: unknown key");
	/* found by fuzz_config: a quote inside a string could not be dumped back */
	expect_err("control.socket = a\"b\n", "t.conf:1: control.socket: a quote");
}

static void test_set(void **st)
{
	(void)st;
	struct fh_config c;
	char err[256] = "";
	assert_int_equal(parse(&c, "workers = 2\nhome_net = 10.0.0.0/8\n", err, sizeof(err)), 0);
	assert_int_equal(fh_config_set(&c, "workers=6", err, sizeof(err)), 0);
	assert_int_equal(c.workers, 6);
	assert_int_equal(fh_config_set(&c, "flowtable.inactive_timeout = 30s", err, sizeof(err)), 0);
	assert_int_equal(c.ft_inactive, 30000);
	assert_int_equal(fh_config_set(&c, "workers=99", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--set: workers: 99 is out of range"));
	assert_int_equal(c.workers, 6);
	assert_int_equal(fh_config_set(&c, "noequals", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--set: expected KEY=VALUE"));
	assert_int_equal(fh_config_set(&c, "wrokers=1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--set: wrokers: unknown key (did you mean workers?)"));
}

/* The dump parses back to the same configuration (round trip), for defaults and changes. */
static void test_dump_roundtrip(void **st)
{
	(void)st;
	struct fh_config a, b;
	char err[256] = "";
	assert_int_equal(parse(&a, "workers = 3\nhome_net = 198.51.100.0/24\ntap.enable = on\n"
				   "collector.listen = [::1]:4739\n", err, sizeof(err)), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	fh_config_dump(&a, f);
	fclose(f);
	fh_config_defaults(&b);
	assert_int_equal(fh_config_parse_buf(&b, "dump", buf, len, err, sizeof(err)), 0);
	assert_int_equal(b.workers, 3);
	assert_true(b.tap);
	assert_int_equal(b.home_net.n, 1);
	assert_int_equal(b.listen.n, 1);
	assert_string_equal(b.listen.v[0], "[::1]:4739");
	assert_int_equal(b.ft_active, a.ft_active);
	assert_string_equal(b.control_socket, a.control_socket);
	free(buf);
}

/* The committed defaults file holds every key of the dump, with the default values. */
static void test_committed_defaults(void **st)
{
	(void)st;
	char path[1024];
	snprintf(path, sizeof(path), "%s", __FILE__);
	char *p = strstr(path, "tests/unit/test_config.c");
	if (!p)
		skip();
	strcpy(p, "config/flowhound.conf");
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char file[16384];
	size_t n = fread(file, 1, sizeof(file) - 1, f);
	fclose(f);
	file[n] = 0;

	struct fh_config d;
	fh_config_defaults(&d);
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	fh_config_dump(&d, m);
	fclose(m);
	/* the file is a header comment followed by exactly the dump of the defaults */
	if (n < len || strcmp(file + n - len, buf))
		fail_msg("config/flowhound.conf differs from the dump of the defaults; "
			 "regenerate it with `flowhound config`");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_dump_roundtrip),
		cmocka_unit_test(test_committed_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
