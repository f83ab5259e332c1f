/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Distinct counting over a sliding window of two panes: the analytics engine's sets (the
 * targets of a scan, the clients of a resolver, a victim's sources...).
 *
 * A set counts the distinct 64-bit hashes added to it in the current pane and the one before
 * it. It starts sparse: up to FH_HS_SPARSE 16-bit fingerprints inline (16 bytes, exact
 * counts), each tagged with its pane. Past that it takes a block from the shard's pool: two
 * HyperLogLog register arrays (Flajolet, Fusy, Gandouet and Meunier, 2007) of m = 512 4-bit
 * registers, one for the whole window and one for the current pane. The window's array is
 * the register-wise maximum of both panes, so it is kept up to date on every add, with the
 * running sum of 2^-M and the count of zero registers: a count costs one division, not a pass
 * over the registers. When the pane ends, the current pane's array becomes the window's and
 * the current one starts empty (the pane that left the window is simply dropped), one pass
 * over 256 bytes; a set whose window is empty gives its block back.
 *
 * Estimates: exact in the sparse form; then linear counting over the registers while it is
 * the better estimate (up to 2.5 m, as the paper says: about 3 % error from 10 to 1,000
 * distinct), then HyperLogLog (1.04 / sqrt(512) = 4.6 % standard error), without saturating
 * (4-bit registers reach 2^15 m, some 16 million). tests/unit/test_sketch.c checks the error
 * against these bounds on known sets.
 *
 * The pool grows in chunks as blocks are first needed, up to the size it was made with; when
 * it is full (or memory is short) a set stays sparse, keeps counting its first FH_HS_SPARSE
 * values and the pool's `full` counter says how often that happened.
 */
#ifndef FH_ANALYTICS_SKETCH_H
#define FH_ANALYTICS_SKETCH_H

#include <stdint.h>
#include <string.h>

#define FH_HS_P 9
#define FH_HS_M (1u << FH_HS_P)
#define FH_HS_SPARSE 7
#define FH_HS_DENSE 0xff
#define FH_HS_CHUNK 1024 /* blocks per chunk of the pool */

struct fh_hs {
	uint8_t n; /* fingerprints held, or FH_HS_DENSE: e[0..1] hold the block's index */
	uint8_t curmask; /* sparse: bit k, fingerprint k was seen in the current pane */
	uint16_t e[FH_HS_SPARSE];
};

struct fh_hs_block {
	uint32_t sumq; /* sum over the window's registers of 2^(15 - M) */
	uint16_t zeros; /* the window's registers still 0 */
	uint16_t spare;
	uint8_t win[FH_HS_M / 2], cur[FH_HS_M / 2]; /* 4-bit registers, two a byte */
};

struct fh_hs_pool {
	struct fh_hs_block **chunk;
	uint32_t n_chunks, max_chunks, used, free_head; /* freed blocks are listed through sumq */
	uint32_t in_use; /* blocks held by sets */
	uint64_t full; /* adds of an 8th value that found no block to take (the set stays at 7) */
};

/* 0, or -1 when out of memory. max_blocks: the most blocks the pool may hold. */
int fh_hs_pool_init(struct fh_hs_pool *p, uint32_t max_blocks);
void fh_hs_pool_free(struct fh_hs_pool *p);
/* Blocks in use and bytes taken by the pool's chunks. */
uint32_t fh_hs_pool_blocks(const struct fh_hs_pool *p);
uint64_t fh_hs_pool_bytes(const struct fh_hs_pool *p);

/* A hash of a small value (a port) to add: every bit depends on every input bit (the
 * 64-bit finalizer of MurmurHash3), as the register index and rank need. */
static inline uint64_t fh_hs_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

/* The set's block index (the set is dense). */
static inline uint32_t fh_hs_blk(const struct fh_hs *s)
{
	uint32_t i;
	memcpy(&i, &s->e[0], sizeof(i));
	return i;
}

static inline struct fh_hs_block *fh_hs_block_at(const struct fh_hs_pool *p, uint32_t i)
{
	return &p->chunk[i / FH_HS_CHUNK][i % FH_HS_CHUNK];
}

/* Internal: the slow paths (a set going dense, the end of a pane, an estimate). */
void fh_hs_densify(struct fh_hs_pool *p, struct fh_hs *s, uint64_t h, int cur);
void fh_hs_roll_dense(struct fh_hs_pool *p, struct fh_hs *s, unsigned panes);
uint32_t fh_hs_estimate(const struct fh_hs_block *b);
extern const uint16_t fh_hs_q[16]; /* 2^(15 - M) */

/* Register index and rank (1 + leading zeros of the rest, at most 15) of a hash. */
static inline void fh_hs_reg(uint64_t h, unsigned *idx, unsigned *rank)
{
	*idx = (unsigned)(h >> (64 - FH_HS_P));
	uint64_t rest = h << FH_HS_P | (1ull << (FH_HS_P - 1)); /* a 1 bit caps the rank */
	unsigned r = (unsigned)__builtin_clzll(rest) + 1;
	*rank = r > 15 ? 15 : r;
}

/* Set register idx of a 4-bit array to rank if that is higher; returns the old value. */
static inline unsigned fh_hs_nib_max(uint8_t *a, unsigned idx, unsigned rank)
{
	uint8_t *b = &a[idx / 2];
	unsigned sh = (idx & 1) * 4, old = (*b >> sh) & 15;
	if (rank > old)
		*b = (uint8_t)((*b & ~(15u << sh)) | rank << sh);
	return old;
}

/* A dense add: into the window, and into the current pane when cur. */
static inline void fh_hs_add_dense(struct fh_hs_block *b, uint64_t h, int cur)
{
	unsigned idx, rank;
	fh_hs_reg(h, &idx, &rank);
	if (cur)
		fh_hs_nib_max(b->cur, idx, rank);
	unsigned old = fh_hs_nib_max(b->win, idx, rank);
	if (rank > old) {
		b->sumq -= (uint32_t)(fh_hs_q[old] - fh_hs_q[rank]);
		b->zeros -= !old;
	}
}

/* Add hash h: cur 1 for the current pane, 0 for the pane before it (a late record). */
static inline void fh_hs_add(struct fh_hs_pool *p, struct fh_hs *s, uint64_t h, int cur)
{
	if (s->n == FH_HS_DENSE) {
		fh_hs_add_dense(fh_hs_block_at(p, fh_hs_blk(s)), h, cur);
		return;
	}
	uint16_t fp = (uint16_t)(h >> 48);
	for (unsigned k = 0; k < s->n; k++)
		if (s->e[k] == fp) {
			s->curmask |= (uint8_t)(cur << k);
			return;
		}
	if (s->n < FH_HS_SPARSE) {
		s->curmask |= (uint8_t)(cur << s->n);
		s->e[s->n++] = fp;
		return;
	}
	fh_hs_densify(p, s, h, cur);
}

static inline uint32_t fh_hs_count(const struct fh_hs_pool *p, const struct fh_hs *s)
{
	if (s->n != FH_HS_DENSE)
		return s->n;
	return fh_hs_estimate(fh_hs_block_at(p, fh_hs_blk(s)));
}

/* The current pane ends, `panes` times over (2 or more: the window is empty). */
static inline void fh_hs_roll(struct fh_hs_pool *p, struct fh_hs *s, unsigned panes)
{
	if (s->n == FH_HS_DENSE) {
		fh_hs_roll_dense(p, s, panes);
		return;
	}
	unsigned k = 0;
	if (panes == 1)
		for (unsigned i = 0; i < s->n; i++)
			if (s->curmask >> i & 1)
				s->e[k++] = s->e[i];
	s->n = (uint8_t)k;
	s->curmask = 0;
}

/* Empty the set (its block back to the pool). */
static inline void fh_hs_clear(struct fh_hs_pool *p, struct fh_hs *s)
{
	fh_hs_roll(p, s, 2);
}

#endif
