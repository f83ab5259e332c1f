/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sliding-window distinct sets (analytics/sketch.h): exact while sparse, HyperLogLog
 * error within its bound on known sets of many sizes, the two panes (a pane's values leave
 * the window two pane ends later, late values only count in the window), blocks going back to
 * the pool, and a full pool.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "analytics/sketch.h"

/* the hash of value i of set `seed` */
static uint64_t hv(uint64_t seed, uint64_t i)
{
	return fh_hs_mix(seed << 40 ^ i);
}

static void test_sparse_exact(void **state)
{
	(void)state;
	struct fh_hs_pool p;
	assert_int_equal(fh_hs_pool_init(&p, 16), 0);
	struct fh_hs s = {0};
	for (uint64_t i = 1; i <= FH_HS_SPARSE; i++) {
		fh_hs_add(&p, &s, hv(1, i), 1);
		fh_hs_add(&p, &s, hv(1, i), 1); /* again: not counted twice */
		assert_int_equal(fh_hs_count(&p, &s), i);
	}
	assert_int_equal(fh_hs_pool_blocks(&p), 0);
	fh_hs_add(&p, &s, hv(1, 100), 1); /* the 8th value: a block */
	assert_int_equal(s.n, FH_HS_DENSE);
	assert_int_equal(fh_hs_pool_blocks(&p), 1);
	assert_int_equal(fh_hs_count(&p, &s), FH_HS_SPARSE + 1);
	for (uint64_t i = 1; i <= FH_HS_SPARSE; i++) /* the inline ones, again */
		fh_hs_add(&p, &s, hv(1, i), 1);
	assert_int_equal(fh_hs_count(&p, &s), FH_HS_SPARSE + 1);
	fh_hs_clear(&p, &s);
	assert_int_equal(fh_hs_count(&p, &s), 0);
	assert_int_equal(fh_hs_pool_blocks(&p), 0);
	fh_hs_pool_free(&p);
}

/*
 * The error on known sets, 20 sets of each size: every estimate within 4 standard errors and
 * the mean relative error within 1.5 of them, where the standard error is linear counting's
 * for m = 512 (Whang et al.: sqrt(m (e^t - t - 1)) / n, t = n / m) while that is used (up
 * to 2.5 m), and 1.04 / sqrt(m) above.
 */
static void test_error_bounds(void **state)
{
	(void)state;
	static const uint32_t sizes[] = {10, 30, 50, 100, 300, 1000, 2000, 5000, 20000, 100000,
		1000000};
	struct fh_hs_pool p;
	assert_int_equal(fh_hs_pool_init(&p, 64), 0);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		uint32_t n = sizes[k];
		double t = (double)n / FH_HS_M;
		double se = n <= 2.5 * FH_HS_M ? sqrt(FH_HS_M * (exp(t) - t - 1)) / n
					       : 1.04 / sqrt(FH_HS_M);
		double sum = 0;
		for (uint64_t seed = 1; seed <= 20; seed++) {
			struct fh_hs s = {0};
			for (uint32_t i = 0; i < n; i++)
				fh_hs_add(&p, &s, hv(seed + 100 * k, i), 1);
			double err = fabs((double)fh_hs_count(&p, &s) - n) / n;
			if (err > 4 * se)
				fail_msg("n %u seed %llu: estimate %u, error %.3f > 4 x %.3f", n,
					(unsigned long long)seed, fh_hs_count(&p, &s), err, se);
			sum += err;
			fh_hs_clear(&p, &s);
		}
		if (sum / 20 > 1.5 * se)
			fail_msg("n %u: mean error %.4f > 1.5 x %.4f", n, sum / 20, se);
	}
	assert_int_equal(fh_hs_pool_blocks(&p), 0);
	fh_hs_pool_free(&p);
}

/* Two panes, dense and sparse alike: A in pane 1, B in pane 2 (both counted), pane 3 keeps
 * B only, pane 5 (two ends later) nothing; a late add (cur 0) counts in the window but not in
 * the current pane, so it leaves at the next end. */
static void panes(uint32_t n)
{
	struct fh_hs_pool p;
	assert_int_equal(fh_hs_pool_init(&p, 4), 0);
	struct fh_hs s = {0};
	double tol = n > FH_HS_SPARSE ? 0.12 : 0; /* 4 standard errors at these sizes */
#define NEAR(v, want) assert_true(fabs((double)(v) - (want)) <= tol * (want) + 0.5)
	for (uint32_t i = 0; i < n; i++)
		fh_hs_add(&p, &s, hv(7, i), 1); /* A */
	NEAR(fh_hs_count(&p, &s), n);
	fh_hs_roll(&p, &s, 1);
	NEAR(fh_hs_count(&p, &s), n); /* A is in the pane before: still in the window */
	for (uint32_t i = 0; i < n; i++)
		fh_hs_add(&p, &s, hv(8, i), 1); /* B */
	NEAR(fh_hs_count(&p, &s), 2 * n);
	fh_hs_roll(&p, &s, 1);
	NEAR(fh_hs_count(&p, &s), n); /* A has left */
	for (uint32_t i = 0; i < n; i++)
		fh_hs_add(&p, &s, hv(9, i), 0); /* C, late: into the window only */
	NEAR(fh_hs_count(&p, &s), 2 * n);
	fh_hs_roll(&p, &s, 1);
	assert_int_equal(fh_hs_count(&p, &s), 0); /* B and C were both of the pane before */
	assert_int_equal(fh_hs_pool_blocks(&p), 0);
	for (uint32_t i = 0; i < n; i++)
		fh_hs_add(&p, &s, hv(10, i), 1);
	fh_hs_roll(&p, &s, 2); /* two ends at once: empty */
	assert_int_equal(fh_hs_count(&p, &s), 0);
	assert_int_equal(fh_hs_pool_blocks(&p), 0);
	/* a value of the pane before seen again in the current pane stays after the end */
	fh_hs_add(&p, &s, hv(11, 1), 1);
	fh_hs_roll(&p, &s, 1);
	fh_hs_add(&p, &s, hv(11, 1), 1);
	fh_hs_roll(&p, &s, 1);
	assert_int_equal(fh_hs_count(&p, &s), 1);
	fh_hs_clear(&p, &s);
	fh_hs_pool_free(&p);
#undef NEAR
}

static void test_panes_sparse(void **state)
{
	(void)state;
	panes(3);
}

static void test_panes_dense(void **state)
{
	(void)state;
	panes(200);
}

/* A pool of one chunk: as many dense sets as blocks; then a set stays sparse (its count stops
 * at FH_HS_SPARSE) and `full` says so; a block given back is taken again. */
static void test_pool_full(void **state)
{
	(void)state;
	struct fh_hs_pool p;
	assert_int_equal(fh_hs_pool_init(&p, FH_HS_CHUNK), 0);
	static struct fh_hs s[FH_HS_CHUNK + 1];
	for (uint32_t k = 0; k <= FH_HS_CHUNK; k++)
		for (uint32_t i = 0; i < 20; i++)
			fh_hs_add(&p, &s[k], hv(k, i), 1);
	assert_int_equal(fh_hs_pool_blocks(&p), FH_HS_CHUNK);
	assert_int_equal(fh_hs_count(&p, &s[FH_HS_CHUNK]), FH_HS_SPARSE);
	assert_true(p.full > 0);
	assert_true(fh_hs_count(&p, &s[0]) >= 18 && fh_hs_count(&p, &s[0]) <= 22);
	fh_hs_clear(&p, &s[0]);
	fh_hs_add(&p, &s[FH_HS_CHUNK], hv(5000, 1), 1);
	assert_int_equal(s[FH_HS_CHUNK].n, FH_HS_DENSE);
	assert_int_equal(fh_hs_pool_blocks(&p), FH_HS_CHUNK);
	assert_int_equal(fh_hs_pool_bytes(&p), FH_HS_CHUNK * sizeof(struct fh_hs_block));
	fh_hs_pool_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sparse_exact),
		cmocka_unit_test(test_error_bounds),
		cmocka_unit_test(test_panes_sparse),
		cmocka_unit_test(test_panes_dense),
		cmocka_unit_test(test_pool_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
