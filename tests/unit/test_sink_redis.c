/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Redis sink with Redis unreachable (no server needed): events go to the spool in order;
 * when the spool is full the oldest updates are dropped, never the new or resolved events;
 * emit() never waits; bad URLs are refused with a clear message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "analytics/sink_redis.h"

static void mk(struct fh_alert *a, uint64_t t, uint64_t targets)
{
	memset(a, 0, sizeof(*a));
	a->type = FH_ALERT_SCAN_HORIZONTAL;
	fh_ip_parse("198.51.100.7", &a->src);
	a->has_port = true;
	a->port = 22;
	a->first_seen = a->last_seen = a->detected_at = t;
	a->targets = targets;
	fh_alert_make_id(a);
}

static void test_spool_order_and_shedding(void **state)
{
	(void)state;
	char spool[] = "/tmp/fh-test-spool-XXXXXX", err[256];
	int fd = mkstemp(spool);
	close(fd);
	unlink(spool);
	struct fh_redis_cfg cfg = {.url = "redis://127.0.0.1:1", .spool = spool,
		.spool_max = 8192, .instance = "t"};
	struct fh_alert_sink *s = fh_alert_sink_redis_new(&cfg, err, sizeof(err));
	assert_non_null(s);
	struct fh_alert a;
	mk(&a, 1000, 1);
	s->ops->emit(s, &a, FH_AEV_NEW);
	for (int i = 0; i < 60; i++) { /* ~60 x 600 bytes: far over 8 KiB */
		mk(&a, 2000 + (uint64_t)i, 100 + (uint64_t)i);
		s->ops->emit(s, &a, FH_AEV_UPDATE);
	}
	mk(&a, 9000, 999);
	s->ops->emit(s, &a, FH_AEV_RESOLVED);
	assert_int_equal(fh_alert_sink_redis_drain(s, 5000), -1); /* spooled, not delivered */
	struct fh_redis_stats st;
	fh_alert_sink_redis_stats(s, &st);
	assert_int_equal(st.queued, 62);
	assert_true(st.dropped > 0);
	s->ops->close(s);

	FILE *f = fopen(spool, "r");
	assert_non_null(f);
	char line[4096];
	int news = 0, resolved = 0, updates = 0;
	long first_update = -1, prev = -1;
	unsigned long long prev_seq = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long seq = strtoull(line, NULL, 10);
		assert_true(seq > prev_seq); /* in order */
		prev_seq = seq;
		if (strstr(line, "\tnew\t"))
			news++;
		else if (strstr(line, "\tresolved\t"))
			resolved++;
		else if (strstr(line, "\tupdate\t")) {
			char *t = strstr(line, "\"targets\":");
			long tg = t ? atol(t + 10) : -1;
			if (first_update < 0)
				first_update = tg;
			assert_true(tg > prev);
			prev = tg;
			updates++;
		}
	}
	fclose(f);
	unlink(spool);
	assert_int_equal(news, 1);
	assert_int_equal(resolved, 1);
	assert_true(updates > 0 && updates < 60);
	assert_true(first_update > 100); /* the oldest updates were the ones dropped */
	assert_int_equal(prev, 159); /* the newest survived */
	assert_int_equal(updates + (int)st.dropped, 60);
}

static void test_emit_never_waits(void **state)
{
	(void)state;
	char spool[] = "/tmp/fh-test-spool-XXXXXX", err[256];
	int fd = mkstemp(spool);
	close(fd);
	unlink(spool);
	/* a loopback listener that never answers: the sink thread waits on it for its timeout */
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(ls, 4), 0);
	getsockname(ls, (struct sockaddr *)&sa, &sl);
	char url[64];
	snprintf(url, sizeof(url), "redis://127.0.0.1:%u", ntohs(sa.sin_port));
	struct fh_redis_cfg cfg = {.url = url, .spool = spool};
	struct fh_alert_sink *s = fh_alert_sink_redis_new(&cfg, err, sizeof(err));
	assert_non_null(s);
	struct fh_alert a;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 1000; i++) {
		mk(&a, 1000 + (uint64_t)i, 1);
		s->ops->emit(s, &a, i ? FH_AEV_UPDATE : FH_AEV_NEW);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	assert_true(ms < 200); /* 1,000 emits while the thread is stuck waiting on "Redis" */
	s->ops->close(s);
	close(ls);
	unlink(spool);
}

static void test_bad_urls(void **state)
{
	(void)state;
	char err[256];
	struct fh_redis_cfg cfg = {.url = "http://x", .spool = "/tmp/fh-test-never"};
	assert_null(fh_alert_sink_redis_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "bad Redis URL"));
	cfg.url = "redis://host:99999";
	assert_null(fh_alert_sink_redis_new(&cfg, err, sizeof(err)));
	cfg.url = "redis://127.0.0.1:6379";
	cfg.spool = "/nonexistent-dir/spool";
	assert_null(fh_alert_sink_redis_new(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/spool"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spool_order_and_shedding),
		cmocka_unit_test(test_emit_never_waits),
		cmocka_unit_test(test_bad_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
