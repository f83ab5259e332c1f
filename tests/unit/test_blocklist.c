/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Blocklists: the longest-prefix match against a linear scan on random IPv4 and IPv6
 * prefixes and addresses; the three file formats; bad lines counted with file:line.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "analytics/blocklist.h"
#include "config/config.h"

static uint64_t rs = 88172645463325252ull;
static uint32_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return (uint32_t)rs;
}

struct pfx {
	struct fh_ip net;
	unsigned plen;
};

/* the longest of the first n prefixes that contains ip, or -1 */
static int linear(const struct pfx *p, int n, const struct fh_ip *ip)
{
	int best = -1;
	for (int i = 0; i < n; i++)
		if (fh_ip_in_prefix(ip, &p[i].net, p[i].plen) && (best < 0 || p[i].plen > p[best].plen))
			best = i;
	return best;
}

/*
 * Random prefixes of every length, IPv4 (/1 - /32) and IPv6 (/1 - /128), added in three
 * rounds with the lookups checked after each (a prefix added after a longer or shorter one
 * that overlaps it), and in the later rounds the prefixes that cover every IPv4 address
 * (::/0, ::/80, 0.0.0.0/0), added shortest last.
 */
static void test_lpm_vs_linear(void **state)
{
	(void)state;
	enum { N = 3000, Q = 20000 };
	static struct pfx p[N + 3];
	struct fh_blocklist_set *s = fh_blocklist_set_new();
	char name[8];
	int n = 0, hits = 0, hits4 = 0;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N / 3; i++, n++) {
			int v6 = n % 3 == 0;
			uint8_t a[16];
			for (int k = 0; k < 16; k++)
				a[k] = (uint8_t)rnd();
			if (v6) {
				a[0] = 0x20; /* a small space, so prefixes overlap and queries hit */
				a[1] = 0x01;
				fh_ip_from_v6(&p[n].net, a);
				p[n].plen = 1 + rnd() % 128;
			} else {
				a[0] = (uint8_t)(10 + rnd() % 3);
				fh_ip_from_v4(&p[n].net, a);
				p[n].plen = 96 + 1 + (rnd() % 4 ? 7 + rnd() % 25 : rnd() % 32);
			}
			for (unsigned b = p[n].plen; b < 128; b++)
				p[n].net.a[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
			snprintf(name, sizeof(name), "l%d", n % 4);
			assert_int_equal(fh_blocklist_add(s, name, &p[n].net, p[n].plen, ""), 0);
		}
		static const char *const all4[] = {NULL, "::/80", "0.0.0.0/0 ::/0"};
		for (const char *c = all4[round]; c && *c;) {
			char tok[16];
			int used;
			bool v4;
			assert_int_equal(sscanf(c, "%15s%n", tok, &used), 1);
			c += used;
			assert_int_equal(fh_cidr_parse(tok, &p[n].net, &p[n].plen, &v4), 0);
			p[n].plen += v4 ? 96 : 0;
			assert_int_equal(fh_blocklist_add(s, "all", &p[n].net, p[n].plen, ""), 0);
			n++;
		}
		for (int q = 0; q < Q; q++) {
			/* half the queries inside a known prefix, half near one, and of those one
			 * in four any IPv4 address (the prefixes that cover them all) */
			struct fh_ip ip = p[rnd() % n].net;
			for (int k = 8; k < 16; k++)
				if (q % 2 || k > 12)
					ip.a[k] ^= (uint8_t)rnd();
			if (q % 8 == 7) {
				uint32_t a4 = rnd();
				fh_ip_from_v4(&ip, (const uint8_t *)&a4);
			}
			int best = linear(p, n, &ip);
			struct fh_blocklist_match m;
			int got = fh_blocklist_lookup(s, &ip, &m);
			assert_int_equal(got, best >= 0);
			if (got) {
				hits++;
				hits4 += fh_ip_is_v4(&ip);
				assert_int_equal(m.plen128, p[best].plen);
				/* two prefixes of one length that hold the address are one prefix */
				assert_true(fh_ip_eq(&m.net, &p[best].net));
			}
		}
	}
	assert_true(hits > Q / 2 && hits4 > Q / 10);
	fh_blocklist_set_free(s);
}

static void test_formats(void **state)
{
	(void)state;
	struct fh_blocklist_set *s = fh_blocklist_set_new();
	char err[256];
	unsigned bad;
	const char *d = FH_SOURCE_DIR "/tests/data/blocklists/";
	char path[512];
	snprintf(path, sizeof(path), "%stor-relays.rules", d);
	assert_int_equal(fh_blocklist_load(s, "tor", path, &bad, err, sizeof(err)), 5);
	assert_int_equal(bad, 0);
	snprintf(path, sizeof(path), "%sdrop.txt", d);
	assert_int_equal(fh_blocklist_load(s, "drop", path, &bad, err, sizeof(err)), 2);
	snprintf(path, sizeof(path), "%splain.txt", d);
	assert_int_equal(fh_blocklist_load(s, "plain", path, &bad, err, sizeof(err)), 2);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(err, "plain.txt:4: "));

	struct fh_blocklist_match m;
	struct fh_ip ip;
	fh_ip_parse("38.229.70.53", &ip);
	assert_int_equal(fh_blocklist_lookup(s, &ip, &m), 1);
	assert_string_equal(m.list, "tor");
	fh_ip_parse("203.0.113.77", &ip);
	assert_int_equal(fh_blocklist_lookup(s, &ip, &m), 1);
	assert_string_equal(m.list, "drop");
	assert_string_equal(m.note, "SBL000001");
	fh_ip_parse("203.0.113.200", &ip); /* outside the /25 */
	assert_int_equal(fh_blocklist_lookup(s, &ip, &m), 0);
	fh_ip_parse("2001:db8:dead:1::5", &ip);
	assert_int_equal(fh_blocklist_lookup(s, &ip, &m), 1);
	assert_int_equal(m.plen128, 48);
	fh_ip_parse("192.0.2.5", &ip); /* 192.0.2.0/28 from an ET rule */
	assert_int_equal(fh_blocklist_lookup(s, &ip, &m), 1);
	assert_int_equal(m.plen128, 96 + 28);
	assert_int_equal(fh_blocklist_load(s, "x", "/nonexistent", &bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent"));
	fh_blocklist_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lpm_vs_linear),
		cmocka_unit_test(test_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
