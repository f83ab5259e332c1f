/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Alerts into Redis: (1) events per second sustained through the Redis sink (emit N events
 * for distinct alerts, time until all are in Redis); (2) the latency of emit() — what an
 * analytics thread pays — with Redis answering and with Redis paused by SIGSTOP.
 *
 *   bench_redis REDIS_URL REDIS_PID [N]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analytics/sink_redis.h"
#include "benchlib.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void mk(struct fh_alert *a, unsigned i)
{
	memset(a, 0, sizeof(*a));
	a->type = FH_ALERT_SCAN_HORIZONTAL;
	a->severity = FH_SEV_HIGH;
	uint8_t s[4] = {198, 18, (uint8_t)(i >> 8), (uint8_t)i};
	fh_ip_from_v4(&a->src, s);
	a->has_port = true;
	a->port = (uint16_t)(i >> 16);
	a->proto = 6;
	a->first_seen = a->last_seen = a->detected_at = 1764374400000ull + i;
	a->flows = a->targets = 100;
	strcpy(a->evidence, "{\"distinct_targets\":100}");
	fh_alert_make_id(a);
}

static void latency(struct fh_alert_sink *s, const char *label, unsigned n, unsigned base,
	unsigned gap_us)
{
	double *lat = malloc(n * sizeof(double));
	struct fh_alert a;
	for (unsigned i = 0; i < n; i++) {
		mk(&a, base + i);
		double t0 = now_s();
		s->ops->emit(s, &a, FH_AEV_NEW);
		lat[i] = (now_s() - t0) * 1e6;
		if (gap_us)
			usleep(gap_us);
	}
	qsort(lat, n, sizeof(double), cmp);
	printf("emit() latency, %s: p50 %.2f us, p99 %.2f us, max %.2f us (%u events)\n", label,
		lat[n / 2], lat[n * 99 / 100], lat[n - 1], n);
	free(lat);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_redis REDIS_URL REDIS_PID [N]\n");
		return 2;
	}
	unsigned n = argc > 3 ? (unsigned)atoi(argv[3]) : 20000;
	pid_t rpid = (pid_t)atoi(argv[2]);
	char spool[] = "/tmp/fh-bench-spool-XXXXXX", err[256];
	int fd = mkstemp(spool);
	close(fd);
	unlink(spool);
	struct fh_redis_cfg cfg = {.url = argv[1], .spool = spool, .instance = "bench"};
	struct fh_alert_sink *s = fh_alert_sink_redis_new(&cfg, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	/* 1. throughput: batches of 4,000 (half the queue), each waited for */
	struct fh_alert a;
	double t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		mk(&a, i);
		s->ops->emit(s, &a, FH_AEV_NEW);
		if (i % 4000 == 3999)
			fh_alert_sink_redis_drain(s, 60000);
	}
	fh_alert_sink_redis_drain(s, 60000);
	double el = now_s() - t0;
	struct fh_redis_stats st;
	fh_alert_sink_redis_stats(s, &st);
	printf("sustained: %u alert events in %.2f s = %.0f events/s into Redis "
	       "(written %llu, dropped %llu)\n", n, el, n / el, (unsigned long long)st.written,
		(unsigned long long)st.dropped);
	/* 2. latency, Redis up, then paused */
	latency(s, "Redis answering", 4000, 1000000, 0);
	fh_alert_sink_redis_drain(s, 60000);
	kill(rpid, SIGSTOP);
	/* paused for 4 s: longer than the 2 s command timeout, so the sink spools */
	latency(s, "Redis paused (SIGSTOP) for 4 s", 4000, 2000000, 1000);
	kill(rpid, SIGCONT);
	t0 = now_s();
	int rc = fh_alert_sink_redis_drain(s, 60000);
	fh_alert_sink_redis_stats(s, &st);
	printf("after SIGCONT: all delivered in %.2f s (%s); spooled %llu, replayed %llu, "
	       "duplicates skipped %llu, dropped %llu\n",
		now_s() - t0, rc ? "timeout" : "ok", (unsigned long long)st.spooled,
		(unsigned long long)st.replayed, (unsigned long long)st.duplicates,
		(unsigned long long)st.dropped);
	s->ops->close(s);
	unlink(spool);
	return 0;
}
