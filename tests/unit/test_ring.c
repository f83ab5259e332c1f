/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SPSC ring: capacity, full and empty, wrap-around, and a producer and a consumer thread
 * passing 2 million sequence-numbered elements without loss, duplication or reordering.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dataplane/ring.h"

static void test_basic(void **state)
{
	(void)state;
	struct fh_ring *r = fh_ring_new(5, sizeof(uint64_t)); /* rounds up to 8 */
	uint64_t in[10], out[10];
	for (int i = 0; i < 10; i++)
		in[i] = (uint64_t)i;
	assert_int_equal(fh_ring_dequeue_burst(r, out, 1), 0);
	assert_int_equal(fh_ring_enqueue_burst(r, in, 10), 8); /* full: the rest refused */
	assert_int_equal(fh_ring_count(r), 8);
	assert_int_equal(fh_ring_enqueue_burst(r, in, 1), 0);
	assert_int_equal(fh_ring_dequeue_burst(r, out, 3), 3);
	assert_int_equal(out[2], 2);
	/* wrap around */
	assert_int_equal(fh_ring_enqueue_burst(r, in + 8, 2), 2);
	assert_int_equal(fh_ring_dequeue_burst(r, out, 10), 7);
	assert_int_equal(out[0], 3);
	assert_int_equal(out[6], 9);
	fh_ring_free(r);
}

#define N 2000000

static void *producer(void *arg)
{
	struct fh_ring *r = arg;
	uint64_t v[16];
	for (uint64_t i = 0; i < N;) {
		uint32_t k = 0;
		while (k < 16 && i + k < N) {
			v[k] = i + k;
			k++;
		}
		i += fh_ring_enqueue_burst(r, v, k);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	struct fh_ring *r = fh_ring_new(1024, sizeof(uint64_t));
	pthread_t t;
	pthread_create(&t, NULL, producer, r);
	uint64_t next = 0, buf[32];
	while (next < N) {
		uint32_t n = fh_ring_dequeue_burst(r, buf, 32);
		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != next++)
				fail_msg("expected %llu got %llu", (unsigned long long)next - 1,
					(unsigned long long)buf[i]);
	}
	pthread_join(t, NULL);
	assert_int_equal(fh_ring_count(r), 0);
	fh_ring_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
