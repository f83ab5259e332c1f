/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The whole worker path on one core and on two: Ethernet frames of NetFlow v9 (or IPFIX /
 * sFlow) exports, preloaded in memory (as an RX burst would hand them over), go through the
 * frame parser, the decoder and the flow table (events to a ring drained by the same
 * thread). Prints records/s per worker and in total, and the flow events each worker
 * delivers to the analytics (what an analytics shard must keep up with: one per NetFlow/IPFIX
 * record; none for sFlow here, whose samples all fall in the same second and so only build
 * flows that never end); with 2 workers each has its own exporters, decoder, table and
 * frames, as RSS would give them.
 *
 *   bench_worker [v9|ipfix|sflow] [SECONDS] [FLOWS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/gen_enc.h"
#include "dataplane/flowtable.h"
#include "dataplane/worker.h"
#include "benchlib.h"

#define NFRAMES 4096

struct frames {
	uint8_t *buf[NFRAMES];
	size_t len[NFRAMES];
	unsigned n;
	uint64_t records; /* per pass */
};

struct wctx {
	struct frames *f;
	double secs;
	uint64_t records;
	uint64_t events; /* flow events out to the (analytics) ring */
	double elapsed;
};

static void frame_of(struct frames *f, const uint8_t *payload, size_t len, uint8_t ex)
{
	uint8_t *b = malloc(len + 42);
	memset(b, 0, 42);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = (uint8_t)((len + 28) >> 8);
	b[17] = (uint8_t)(len + 28);
	b[22] = 64;
	b[23] = 17;
	b[26] = 192, b[27] = 0, b[28] = 2, b[29] = ex;
	b[30] = 192, b[31] = 0, b[32] = 2, b[33] = 1;
	b[34] = 0xc3, b[35] = 0x50;
	b[36] = 0x08, b[37] = 0x07; /* 2055 */
	b[38] = (uint8_t)((len + 8) >> 8);
	b[39] = (uint8_t)(len + 8);
	memcpy(b + 42, payload, len);
	f->buf[f->n] = b;
	f->len[f->n++] = len + 42;
}

static void make(struct frames *f, enum fh_gen_format fmt, unsigned flows, uint8_t ex)
{
	struct fh_gen_enc e;
	uint64_t t0 = 1764374400000ull;
	fh_gen_enc_init(&e, fmt, ex, 1, t0 - 3600000);
	e.tpl_every = 1u << 30;
	for (unsigned i = 0; f->n < NFRAMES; i++) {
		struct fh_flow_rec r;
		memset(&r, 0, sizeof(r));
		unsigned k = i % flows;
		uint8_t s[4] = {198, (uint8_t)(18 + (k >> 16 & 1)), (uint8_t)(k >> 8), (uint8_t)k};
		uint8_t d[4] = {203, 0, 113, (uint8_t)(k * 7)};
		fh_ip_from_v4(&r.src, s);
		fh_ip_from_v4(&r.dst, d);
		r.sport = (uint16_t)(1024 + k % 60000);
		r.dport = 443;
		r.proto = 6;
		r.tcp_flags = 0x10;
		r.packets = 10;
		r.bytes = 4000;
		r.first_ms = r.last_ms = t0;
		if (!fh_gen_enc_add(&e, &r, t0 + 1000)) {
			size_t len = fh_gen_enc_finish(&e, t0 + 1000);
			frame_of(f, e.buf, len, ex);
			fh_gen_enc_add(&e, &r, t0 + 1000);
		}
	}
}

static void *run(void *arg)
{
	struct wctx *w = arg;
	struct fh_ring *ring = fh_ring_new(1 << 16, sizeof(struct fh_flow_event));
	struct fh_ft_cfg fc = {.capacity = 1 << 20, .n_rings = 1, .rings = &ring};
	struct fh_ft *ft = fh_ft_new(&fc);
	fh_ft_no_readers(ft);
	struct fh_worker_cfg wc = {.ports = {2055}, .n_ports = 1};
	struct fh_rec_sink sink = {.emit = (void (*)(void *, const struct fh_flow_rec *))fh_ft_upsert,
		.arg = ft};
	struct fh_worker *wk = fh_worker_new(0, &wc, &sink);
	static __thread struct fh_flow_event ev[256];
	/* the first frame carries the templates */
	fh_worker_frame(wk, w->f->buf[0], w->f->len[0], 1);
	while (fh_ring_dequeue_burst(ring, ev, 256))
		;
	uint64_t before = fh_worker_stats(wk)->records;
	double t0 = now_s();
	unsigned k;
	do {
		for (unsigned i = 1; i < w->f->n; i++) {
			fh_worker_frame(wk, w->f->buf[i], w->f->len[i], 1);
			if ((i & 7) == 0)
				while ((k = fh_ring_dequeue_burst(ring, ev, 256)))
					w->events += k;
		}
		w->elapsed = now_s() - t0;
	} while (w->elapsed < w->secs);
	w->records = fh_worker_stats(wk)->records - before;
	fh_worker_free(wk);
	fh_ft_free(ft);
	fh_ring_free(ring);
	return NULL;
}

int main(int argc, char **argv)
{
	enum fh_gen_format fmt = FH_GEN_V9;
	if (argc > 1 && !strcmp(argv[1], "ipfix"))
		fmt = FH_GEN_IPFIX;
	if (argc > 1 && !strcmp(argv[1], "sflow"))
		fmt = FH_GEN_SFLOW;
	double secs = argc > 2 ? atof(argv[2]) : 3;
	unsigned flows = argc > 3 ? (unsigned)atoi(argv[3]) : 100000;
	static struct frames f[2];
	for (int i = 0; i < 2; i++)
		make(&f[i], fmt, flows, (uint8_t)(10 + i));
	printf("bench_worker: %s, %u distinct flows, frames in memory, parse+decode+flow table\n",
		argc > 1 ? argv[1] : "v9", flows);
	for (int nw = 1; nw <= 2; nw++) {
		struct wctx w[2] = {{.f = &f[0], .secs = secs}, {.f = &f[1], .secs = secs}};
		pthread_t th[2];
		for (int i = 0; i < nw; i++)
			pthread_create(&th[i], NULL, run, &w[i]);
		double total = 0, events = 0;
		for (int i = 0; i < nw; i++) {
			pthread_join(th[i], NULL);
			total += w[i].records / w[i].elapsed;
			events += w[i].events / w[i].elapsed;
		}
		printf("%d worker(s): %.2f M records/s total, %.2f M per worker, delivering %.2f M "
		       "flow events/s each\n",
			nw, total / 1e6, total / 1e6 / nw, events / 1e6 / nw);
	}
	return 0;
}
