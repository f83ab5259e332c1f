/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Decode throughput per format on one core: datagrams made by the generator's encoders are
 * held in memory and decoded over and over by one fh_decoder into a sink that touches each
 * record. Prints records/s for NetFlow v5, v9, IPFIX and sFlow v5 (raw-header samples).
 *
 *   bench_decode [SECONDS_PER_FORMAT]      (default 2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/gen_enc.h"
#include "dataplane/decode/decoder.h"
#include "benchlib.h"

#define NDGRAMS 2048

struct sink_state {
	uint64_t n, sum;
};

static void sink_emit(void *arg, const struct fh_flow_rec *r)
{
	struct sink_state *s = arg;
	s->n++;
	s->sum += r->bytes + r->dport; /* touch the record so nothing is optimised away */
}

static void make_flow(struct fh_flow_rec *r, unsigned i, uint64_t t)
{
	uint8_t s[4] = {198, 18, (uint8_t)(i >> 8), (uint8_t)i};
	uint8_t d[4] = {203, 0, 113, (uint8_t)(i * 7)};
	memset(r, 0, sizeof(*r));
	fh_ip_from_v4(&r->src, s);
	fh_ip_from_v4(&r->dst, d);
	r->af = 4;
	r->sport = (uint16_t)(1024 + i);
	r->dport = 443;
	r->proto = 6;
	r->tcp_flags = 0x1b;
	r->packets = 10;
	r->bytes = 4000;
	r->first_ms = t;
	r->last_ms = t + 100;
	r->in_if = 1;
	r->out_if = 2;
}

static void run(const char *name, enum fh_gen_format fmt, double secs)
{
	static uint8_t bufs[NDGRAMS][FH_GEN_MTU + 256];
	static size_t lens[NDGRAMS];
	struct fh_gen_enc enc;
	uint64_t t0 = 1764374400000ull;
	unsigned nd = 0, i = 0;
	uint64_t recs_per_pass = 0;

	fh_gen_enc_init(&enc, fmt, 1, 1, t0 - 3600000);
	enc.tpl_every = 1u << 30; /* templates once, in the first datagram */
	while (nd < NDGRAMS) {
		struct fh_flow_rec r;
		make_flow(&r, i++, t0);
		if (!fh_gen_enc_add(&enc, &r, t0 + 1000)) {
			lens[nd] = fh_gen_enc_finish(&enc, t0 + 1000);
			memcpy(bufs[nd], enc.buf, lens[nd]);
			nd++;
			fh_gen_enc_add(&enc, &r, t0 + 1000);
		}
	}
	struct fh_decoder *d = fh_decoder_new(NULL);
	struct sink_state st = {0};
	struct fh_rec_sink sink = {.emit = sink_emit, .arg = &st};
	struct fh_ip ex;
	uint8_t exa[4] = {192, 0, 2, 10};
	fh_ip_from_v4(&ex, exa);
	/* first pass learns templates and counts records per pass */
	for (unsigned k = 0; k < nd; k++)
		fh_decode(d, &ex, bufs[k], lens[k], t0 + 1000, &sink);
	recs_per_pass = st.n;
	if (recs_per_pass == 0) {
		printf("%-8s no records decoded (decoder missing?)\n", name);
		fh_decoder_free(d);
		return;
	}
	/* records in datagrams 1..nd-1 (the loop skips the template-carrying first one) */
	st.n = 0;
	for (unsigned k = 1; k < nd; k++)
		fh_decode(d, &ex, bufs[k], lens[k], t0 + 1000, &sink);
	uint64_t per_loop = st.n, loops = 0;
	st.n = 0;
	double start = now_s(), el;
	uint64_t bytes = 0;
	do {
		loops++;
		for (unsigned k = 1; k < nd; k++) {
			fh_decode(d, &ex, bufs[k], lens[k], t0 + 1000, &sink);
			bytes += lens[k];
		}
		el = now_s() - start;
	} while (el < secs);
	if (st.n != loops * per_loop)
		printf("%-8s WARNING: %llu records, expected %llu\n", name,
			(unsigned long long)st.n, (unsigned long long)(loops * per_loop));
	printf("%-8s %8.2f M records/s  %7.1f MB/s  (%u-byte datagrams avg, %.1f records each)\n",
		name, st.n / el / 1e6, bytes / el / 1e6, (unsigned)(bytes / (st.n ? st.n : 1) *
		(recs_per_pass / (double)nd)), recs_per_pass / (double)nd);
	fh_decoder_free(d);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	printf("bench_decode: one core, one exporter, %d datagrams decoded in a loop, %.1f s each\n",
		NDGRAMS, secs);
	run("nf5", FH_GEN_V5, secs);
	run("nf9", FH_GEN_V9, secs);
	run("ipfix", FH_GEN_IPFIX, secs);
	run("sflow5", FH_GEN_SFLOW, secs);
	return 0;
}
