/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow files: a round trip of many records (IPv4 and IPv6, every field), several blocks,
 * time-range skipping of whole blocks, a damaged block reported and skipped while the
 * others are read, an unclosed (.tmp) file not listed, a file that is not ours refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store/flowfile.h"

#define N 10000

static struct fh_flow_rec mk(unsigned i)
{
	struct fh_flow_rec r;
	memset(&r, 0, sizeof(r));
	uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (uint8_t)(i >> 8),
		(uint8_t)i};
	if (i % 2) {
		fh_ip_from_v6(&r.src, a);
		r.af = 6;
	} else {
		uint8_t v4[4] = {198, 51, (uint8_t)(i >> 8), (uint8_t)i};
		fh_ip_from_v4(&r.src, v4);
		r.af = 4;
	}
	r.dst = r.src;
	r.dst.a[15] ^= 0xff;
	r.sport = (uint16_t)i;
	r.dport = 443;
	r.proto = i % 3 ? 6 : 17;
	r.packets = i;
	r.bytes = (uint64_t)i * 100;
	r.first_ms = 1764374400000ull + (uint64_t)i * 10; /* 100 s over N records */
	r.last_ms = r.first_ms + 5;
	r.sampling = 1 + i % 4;
	r.in_if = i;
	r.src_as = 64500;
	r.version = FH_VER_IPFIX;
	return r;
}

struct got {
	unsigned n;
	uint64_t sum;
	int mismatch;
};

static void check(void *arg, const struct fh_flow_rec *r)
{
	struct got *g = arg;
	struct fh_flow_rec want = mk((unsigned)r->packets);
	if (memcmp(&want, r, sizeof(want)))
		g->mismatch++;
	g->n++;
	g->sum += r->packets;
}

static void count_file(void *arg, const char *path)
{
	(void)path;
	(*(int *)arg)++;
}

/* RFC 3720's check value, and the CPU and table versions on every length and alignment */
static void test_crc32c(void **state)
{
	(void)state;
	assert_int_equal(fh_crc32c("123456789", 9), 0xe3069283u);
	assert_int_equal(fh_crc32c_sw("123456789", 9), 0xe3069283u);
	uint8_t buf[300];
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (unsigned off = 0; off < 8; off++)
		for (unsigned n = 0; n + off <= sizeof(buf); n += 13)
			assert_int_equal(fh_crc32c(buf + off, n), fh_crc32c_sw(buf + off, n));
	assert_int_equal(fh_crc32c("", 0), 0);
}

static void test_round_trip_skip_damage(void **state)
{
	(void)state;
	char dir[] = "/tmp/fh-ff-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char err[256];
	struct fh_flowfile_writer *w = fh_flowfile_create(dir, 1764374400000ull, err, sizeof(err));
	assert_non_null(w);
	for (unsigned i = 0; i < N; i++) {
		struct fh_flow_rec r = mk(i);
		assert_int_equal(fh_flowfile_append(w, &r), 0);
	}
	/* not closed yet: only the .tmp exists, and it is not listed */
	int files = 0;
	fh_flowfile_list(dir, count_file, &files);
	assert_int_equal(files, 0);
	assert_int_equal(fh_flowfile_close(w, err, sizeof(err)), 0);
	files = 0;
	fh_flowfile_list(dir, count_file, &files);
	assert_int_equal(files, 1);

	char path[512];
	snprintf(path, sizeof(path), "%s/2025/11/29/flows-202511290000.fhf", dir);
	struct got g = {0};
	struct fh_flowfile_read_stats st = {0};
	assert_int_equal(fh_flowfile_read(path, 0, UINT64_MAX, check, &g, &st), 0);
	assert_int_equal(g.n, N);
	assert_int_equal(g.mismatch, 0);
	assert_int_equal(st.blocks, 3); /* 4096 + 4096 + 1808 */

	/* a time range inside the last block: the first two are skipped undecompressed */
	memset(&g, 0, sizeof(g));
	memset(&st, 0, sizeof(st));
	fh_flowfile_read(path, 1764374400000ull + 9000 * 10, UINT64_MAX, check, &g, &st);
	assert_int_equal(st.blocks_skipped, 2);
	assert_int_equal(g.n, 1000);

	/* damage a byte of the second block's data */
	FILE *f = fopen(path, "r+b");
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, size / 2, SEEK_SET);
	int c = fgetc(f);
	fseek(f, size / 2, SEEK_SET);
	fputc(c ^ 0x55, f);
	fclose(f);
	memset(&g, 0, sizeof(g));
	memset(&st, 0, sizeof(st));
	assert_int_equal(fh_flowfile_read(path, 0, UINT64_MAX, check, &g, &st), 0);
	assert_int_equal(st.blocks_damaged, 1);
	assert_int_equal(g.mismatch, 0);
	assert_true(g.n == N - 4096 || g.n == N - 1808);

	/* not a flow file */
	char other[600];
	snprintf(other, sizeof(other), "%s/x.fhf", dir);
	f = fopen(other, "w");
	fputs("not flows at all, not flows at all", f);
	fclose(f);
	assert_true(fh_flowfile_read(other, 0, UINT64_MAX, check, &g, &st) < 0);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Every codec writes blocks that read back bit for bit, and one file may mix them (the
 * codec is said per block); the index sees every block and reading by parts of the index
 * gives the same records. */
static void test_codecs(void **state)
{
	(void)state;
	char dir[] = "/tmp/fh-codec-XXXXXX", err[256];
	assert_non_null(mkdtemp(dir));
	struct fh_flowfile_writer *w = fh_flowfile_create(dir, 1764374400000ull, err, sizeof(err));
	assert_non_null(w);
	for (unsigned i = 0; i < N; i++) {
		if (i % 4096 == 0) /* a block each: zstd, lz4, lz4hc, zstd ... */
			fh_flowfile_set_codec(w, (int)(i / 4096) % FH_CODEC_MAX);
		struct fh_flow_rec r = mk(i);
		assert_int_equal(fh_flowfile_append(w, &r), 0);
	}
	assert_int_equal(fh_flowfile_close(w, err, sizeof(err)), 0);
	char path[1200];
	snprintf(path, sizeof(path), "%s/2025/11/29/flows-202511290000.fhf", dir);
	struct fh_flowfile_read_stats st = {0};
	struct got c = {0};
	assert_int_equal(fh_flowfile_read(path, 0, UINT64_MAX, check, &c, &st), 0);
	assert_int_equal(c.n, N);
	assert_int_equal(c.mismatch, 0);
	assert_int_equal(st.blocks_damaged, 0);
	struct fh_flowfile_block *blk;
	int nb = fh_flowfile_index(path, &blk, &st);
	assert_int_equal(nb, (N + 4095) / 4096);
	struct got c2 = {0};
	for (int b = 0; b < nb; b += 2) /* in parts */
		assert_int_equal(fh_flowfile_read_blocks(path, blk + b, nb - b < 2 ? 1 : 2, 0,
					 UINT64_MAX, check, &c2, &st),
			0);
	assert_int_equal(c2.n, N);
	assert_int_equal(c2.mismatch, 0);
	free(blk);
	assert_int_equal(fh_codec_parse("lz4hc"), FH_CODEC_LZ4HC);
	assert_int_equal(fh_codec_parse("gzip"), -1);
	char cmd[1300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Retention: by age, then by size, oldest first; open files and foreign files untouched;
 * emptied day directories removed. */
static void test_retention(void **state)
{
	(void)state;
	char dir[] = "/tmp/fh-ret-XXXXXX", err[256], path[1200];
	assert_non_null(mkdtemp(dir));
	const uint64_t day = 86400000ull, t0 = 1767225600000ull; /* 2026-01-01 */
	for (int d = 0; d < 4; d++) { /* one file a day, 10 records each */
		struct fh_flowfile_writer *w = fh_flowfile_create(dir, t0 + (uint64_t)d * day, err,
			sizeof(err));
		assert_non_null(w);
		for (unsigned i = 0; i < 10; i++) {
			struct fh_flow_rec r = mk(i);
			assert_int_equal(fh_flowfile_append(w, &r), 0);
		}
		assert_int_equal(fh_flowfile_close(w, err, sizeof(err)), 0);
	}
	struct fh_flowfile_writer *open_w = fh_flowfile_create(dir, t0, err, sizeof(err));
	assert_non_null(open_w); /* a .tmp of the oldest interval: never deleted */
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	FILE *f = fopen(path, "w");
	fputs("mine\n", f);
	fclose(f);
	uint64_t left = 0;
	/* nothing is old enough, no size limit */
	assert_int_equal(fh_flowstore_expire(dir, 10 * day, 0, t0 + 4 * day, &left), 0);
	uint64_t all = left;
	assert_true(all > 0);
	/* older than 2 days at the start of day 4: days 0 and 1 go */
	assert_int_equal(fh_flowstore_expire(dir, 2 * day, 0, t0 + 4 * day, &left), 2);
	snprintf(path, sizeof(path), "%s/2026/01/02", dir);
	assert_int_not_equal(access(path, F_OK), 0); /* its emptied day directory too */
	snprintf(path, sizeof(path), "%s/2026/01/01", dir);
	assert_int_equal(access(path, F_OK), 0); /* still holds the open file */
	snprintf(path, sizeof(path), "%s/2026/01/03", dir);
	assert_int_equal(access(path, F_OK), 0);
	/* then by size: room for one file keeps the newest */
	assert_int_equal(fh_flowstore_expire(dir, 0, all / 4 + 1, t0 + 4 * day, &left), 1);
	assert_true(left <= all / 4 + 1);
	snprintf(path, sizeof(path), "%s/2026/01/04", dir);
	assert_int_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	assert_int_equal(access(path, F_OK), 0);
	assert_int_equal(fh_flowfile_close(open_w, err, sizeof(err)), 0);
	char cmd[1300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_round_trip_skip_damage),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_codecs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
