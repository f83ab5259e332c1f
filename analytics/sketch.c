/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The slow paths of the sliding-window distinct sets (sketch.h): the pool, a set going dense,
 * the end of a pane and the estimate.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "analytics/sketch.h"

#define NIL UINT32_MAX

const uint16_t fh_hs_q[16] = {32768, 16384, 8192, 4096, 2048, 1024, 512, 256, 128, 64, 32, 16,
	8, 4, 2, 1};

static float lc_tab[FH_HS_M + 1]; /* linear counting: m ln(m / zeros) */
static double hll_k; /* alpha_m m^2 2^15: the raw estimate is hll_k / sumq */
static uint32_t byte_q[256]; /* sumq of the two registers of a byte */
static uint8_t byte_z[256]; /* zero registers in a byte */

static void tables_init(void)
{
	for (unsigned z = 1; z <= FH_HS_M; z++)
		lc_tab[z] = (float)(FH_HS_M * log((double)FH_HS_M / z));
	double alpha = 0.7213 / (1 + 1.079 / FH_HS_M);
	hll_k = alpha * FH_HS_M * (double)FH_HS_M * 32768.0;
	for (unsigned b = 0; b < 256; b++) {
		byte_q[b] = (uint32_t)fh_hs_q[b & 15] + fh_hs_q[b >> 4];
		byte_z[b] = (uint8_t)(!(b & 15) + !(b >> 4));
	}
}

int fh_hs_pool_init(struct fh_hs_pool *p, uint32_t max_blocks)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, tables_init);
	memset(p, 0, sizeof(*p));
	p->max_chunks = (max_blocks + FH_HS_CHUNK - 1) / FH_HS_CHUNK;
	if (!p->max_chunks)
		p->max_chunks = 1;
	p->chunk = calloc(p->max_chunks, sizeof(*p->chunk));
	p->free_head = NIL;
	return p->chunk ? 0 : -1;
}

void fh_hs_pool_free(struct fh_hs_pool *p)
{
	for (uint32_t i = 0; i < p->n_chunks; i++)
		free(p->chunk[i]);
	free(p->chunk);
	memset(p, 0, sizeof(*p));
}

uint32_t fh_hs_pool_blocks(const struct fh_hs_pool *p)
{
	return p->in_use;
}

uint64_t fh_hs_pool_bytes(const struct fh_hs_pool *p)
{
	return (uint64_t)p->n_chunks * FH_HS_CHUNK * sizeof(struct fh_hs_block);
}

/* An empty block (window and pane 0, sumq for m zero registers), or NIL. */
static uint32_t blk_alloc(struct fh_hs_pool *p)
{
	uint32_t i;
	if (p->free_head != NIL) {
		i = p->free_head;
		p->free_head = fh_hs_block_at(p, i)->sumq;
	} else {
		if (p->used == p->n_chunks * FH_HS_CHUNK) {
			if (p->n_chunks == p->max_chunks)
				return NIL;
			struct fh_hs_block *c = malloc(FH_HS_CHUNK * sizeof(*c));
			if (!c)
				return NIL;
			p->chunk[p->n_chunks++] = c;
		}
		i = p->used++;
	}
	struct fh_hs_block *b = fh_hs_block_at(p, i);
	p->in_use++;
	memset(b, 0, sizeof(*b));
	b->sumq = FH_HS_M * 32768u;
	b->zeros = FH_HS_M;
	return i;
}

static void blk_free(struct fh_hs_pool *p, uint32_t i)
{
	fh_hs_block_at(p, i)->sumq = p->free_head;
	p->free_head = i;
	p->in_use--;
}

void fh_hs_densify(struct fh_hs_pool *p, struct fh_hs *s, uint64_t h, int cur)
{
	uint32_t i = blk_alloc(p);
	if (i == NIL) {
		p->full++;
		return; /* stays sparse: the count stops at FH_HS_SPARSE */
	}
	struct fh_hs_block *b = fh_hs_block_at(p, i);
	for (unsigned k = 0; k < s->n; k++) {
		/* a fingerprint holds the index and 7 bits of the rest: its rank is at most 8 */
		uint64_t fh = (uint64_t)s->e[k] << 48 | 1ull << 47;
		fh_hs_add_dense(b, fh, s->curmask >> k & 1);
	}
	fh_hs_add_dense(b, h, cur);
	s->n = FH_HS_DENSE;
	s->curmask = 0;
	memcpy(&s->e[0], &i, sizeof(i));
}

void fh_hs_roll_dense(struct fh_hs_pool *p, struct fh_hs *s, unsigned panes)
{
	uint32_t i = fh_hs_blk(s);
	struct fh_hs_block *b = fh_hs_block_at(p, i);
	if (panes == 1) {
		uint32_t q = 0;
		unsigned z = 0;
		for (unsigned k = 0; k < FH_HS_M / 2; k++) {
			uint8_t v = b->cur[k];
			b->win[k] = v;
			q += byte_q[v];
			z += byte_z[v];
		}
		memset(b->cur, 0, sizeof(b->cur));
		b->sumq = q;
		b->zeros = (uint16_t)z;
		if (z < FH_HS_M)
			return;
	}
	blk_free(p, i);
	s->n = 0;
	s->curmask = 0;
}

uint32_t fh_hs_estimate(const struct fh_hs_block *b)
{
	double e = hll_k / b->sumq;
	if (b->zeros && e <= 2.5 * FH_HS_M)
		e = lc_tab[b->zeros];
	return (uint32_t)(e + 0.5);
}
