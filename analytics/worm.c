/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The worm table shared by the analytics shards (worm.h): lock-free, C11 atomics.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/worm.h"

#define SLOTS FH_WORM_SLOTS /* a worm scans one port, an inside host sweeping every port
			     * many; and the networks of long web flows */
#define PROBE 16
#define WORDS (FH_WORM_BITS / 64)
#define CLEARING UINT64_MAX

/* One epoch's scanners of a port (the epochs of one parity: e, e + 2, ...). */
struct half {
	_Atomic uint64_t epoch; /* 1 + the epoch it counts; 0: none yet; CLEARING */
	_Atomic uint64_t first, last;
	_Atomic uint64_t bits[WORDS];
	_Atomic uint32_t n_src;
	_Atomic uint64_t src_epoch[FH_WORM_SHOWN]; /* the epoch tag it was written in; 0: none */
	_Atomic uint64_t src[FH_WORM_SHOWN][2]; /* the address's two words */
};

struct slot {
	_Atomic uint64_t key; /* fh_worm_port_key, fh_worm_net_key; 0: free */
	_Atomic uint64_t raiser; /* the shard raising its alert | the time it last did << 8 */
	struct half h[2];
};

struct fh_worm_table {
	struct slot s[SLOTS];
	_Atomic uint32_t members;
};

struct fh_worm_table *fh_worm_table_new(void)
{
	return calloc(1, sizeof(struct fh_worm_table)); /* all zero: no port, no epoch */
}

void fh_worm_table_free(struct fh_worm_table *w)
{
	free(w);
}

/* Whether a slot counts nothing in epoch e or the one before (both halves older). */
static int stale(struct slot *s, uint64_t e)
{
	for (int i = 0; i < 2; i++) {
		uint64_t tag = atomic_load_explicit(&s->h[i].epoch, memory_order_acquire);
		if (tag == CLEARING || tag >= e)
			return 0;
	}
	return 1;
}

/*
 * The port's slot: found, or a free one claimed, or else a stale one (no scanning of its
 * port in two epochs) taken over, so that a long run does not fill the table. Taking over
 * is a compare-and-swap of the key; a shard that found the old port a moment before may
 * still set one bit in the new port's bitmap: one scanner too many, once, at worst.
 */
static uint32_t slot_home(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 40) % SLOTS;
}

static struct slot *slot_of(struct fh_worm_table *w, uint64_t key, uint64_t e)
{
	uint32_t i = slot_home(key);
	struct slot *old = NULL;
	for (unsigned k = 0; k < PROBE; k++, i = (i + 1) % SLOTS) {
		uint64_t have = atomic_load_explicit(&w->s[i].key, memory_order_acquire);
		if (!have && atomic_compare_exchange_strong(&w->s[i].key, &have, key))
			return &w->s[i];
		if (have == key) /* ours, or claimed for the same port by another shard first */
			return &w->s[i];
		if (!old && stale(&w->s[i], e))
			old = &w->s[i];
	}
	if (old) { /* taken over, or just now for this port by another shard */
		uint64_t have = atomic_load_explicit(&old->key, memory_order_acquire);
		if (stale(old, e) && atomic_compare_exchange_strong(&old->key, &have, key)) {
			atomic_store_explicit(&old->raiser, 0, memory_order_relaxed);
			return old;
		}
		if (have == key)
			return old;
	}
	return NULL;
}

/* The port's slot if it has one (nothing claimed). */
static struct slot *slot_find(struct fh_worm_table *w, uint64_t key)
{
	uint32_t i = slot_home(key);
	for (unsigned k = 0; k < PROBE; k++, i = (i + 1) % SLOTS)
		if (atomic_load_explicit(&w->s[i].key, memory_order_acquire) == key)
			return &w->s[i];
	return NULL;
}

/* The half that counts epoch e, made to count it if it counted an older one; NULL when it
 * counts a newer one (t is late) or another thread is clearing it. */
static struct half *half_for(struct slot *s, uint64_t e)
{
	struct half *hf = &s->h[e & 1];
	uint64_t tag = atomic_load_explicit(&hf->epoch, memory_order_acquire);
	if (tag == e + 1)
		return hf;
	if (tag == CLEARING || tag > e + 1)
		return NULL;
	if (!atomic_compare_exchange_strong(&hf->epoch, &tag, CLEARING))
		return tag == e + 1 ? hf : NULL;
	for (unsigned i = 0; i < WORDS; i++)
		atomic_store_explicit(&hf->bits[i], 0, memory_order_relaxed);
	for (unsigned i = 0; i < FH_WORM_SHOWN; i++)
		atomic_store_explicit(&hf->src_epoch[i], 0, memory_order_relaxed);
	atomic_store_explicit(&hf->n_src, 0, memory_order_relaxed);
	atomic_store_explicit(&hf->first, UINT64_MAX, memory_order_relaxed);
	atomic_store_explicit(&hf->last, 0, memory_order_relaxed);
	atomic_store_explicit(&hf->epoch, e + 1, memory_order_release);
	return hf;
}

static void put_src(struct half *hf, uint64_t tag, const struct fh_ip *src)
{
	uint64_t a[2];
	memcpy(a, src->a, sizeof(a));
	uint32_t n = atomic_load_explicit(&hf->n_src, memory_order_acquire);
	for (uint32_t i = 0; i < n && i < FH_WORM_SHOWN; i++)
		if (atomic_load_explicit(&hf->src_epoch[i], memory_order_acquire) == tag &&
			atomic_load_explicit(&hf->src[i][0], memory_order_relaxed) == a[0] &&
			atomic_load_explicit(&hf->src[i][1], memory_order_relaxed) == a[1])
			return; /* known (two shards may still both add one: harmless) */
	if (n >= FH_WORM_SHOWN)
		return;
	uint32_t i = atomic_fetch_add_explicit(&hf->n_src, 1, memory_order_relaxed);
	if (i >= FH_WORM_SHOWN)
		return;
	atomic_store_explicit(&hf->src[i][0], a[0], memory_order_relaxed);
	atomic_store_explicit(&hf->src[i][1], a[1], memory_order_relaxed);
	atomic_store_explicit(&hf->src_epoch[i], tag, memory_order_release);
}

/* Add what half hf knows of epoch tag - 1 to *out (bits into acc). */
static void read_half(struct half *hf, uint64_t tag, uint64_t *acc, struct fh_worm_seen *out)
{
	if (atomic_load_explicit(&hf->epoch, memory_order_acquire) != tag)
		return;
	for (unsigned i = 0; i < WORDS; i++)
		acc[i] |= atomic_load_explicit(&hf->bits[i], memory_order_relaxed);
	uint64_t f = atomic_load_explicit(&hf->first, memory_order_relaxed);
	if (f < out->first)
		out->first = f;
	uint64_t l = atomic_load_explicit(&hf->last, memory_order_relaxed);
	if (l > out->last)
		out->last = l;
	uint32_t n = atomic_load_explicit(&hf->n_src, memory_order_acquire);
	for (uint32_t i = 0; i < n && i < FH_WORM_SHOWN && out->n_src < FH_WORM_SHOWN; i++) {
		if (atomic_load_explicit(&hf->src_epoch[i], memory_order_acquire) != tag)
			continue;
		uint64_t a[2] = {atomic_load_explicit(&hf->src[i][0], memory_order_relaxed),
			atomic_load_explicit(&hf->src[i][1], memory_order_relaxed)};
		if (atomic_load_explicit(&hf->src_epoch[i], memory_order_acquire) != tag)
			continue; /* rewritten meanwhile */
		struct fh_ip ip;
		memcpy(ip.a, a, sizeof(a));
		unsigned k = 0;
		while (k < out->n_src && !fh_ip_eq(&out->src[k], &ip))
			k++;
		if (k == out->n_src)
			out->src[out->n_src++] = ip;
	}
}

/* The epoch e and the one before, as of t (out zeroed, first UINT64_MAX). */
static void read_slot(struct slot *s, uint64_t e, uint64_t t, struct fh_worm_seen *out)
{
	/* the epoch before (its tag: e), then this one */
	uint64_t acc[WORDS] = {0};
	if (e)
		read_half(&s->h[(e - 1) & 1], e, acc, out);
	read_half(&s->h[e & 1], e + 1, acc, out);
	for (unsigned i = 0; i < WORDS; i++)
		out->ones += (unsigned)__builtin_popcountll(acc[i]);
	if (out->first == UINT64_MAX)
		out->first = t;
}

uint64_t fh_worm_net_key(const struct fh_ip *dst)
{
	uint64_t a[2];
	memcpy(a, dst->a, sizeof(a));
	if (fh_ip_is_v4(dst))
		a[1] &= ~(0xffull << 56); /* the /24: without the address's last byte */
	else
		a[0] &= 0xffffffffffffull, a[1] = 0; /* the /48: the first 6 bytes */
	uint64_t k = (a[0] * 0x9e3779b97f4a7c15ull ^ a[1]) * 0xff51afd7ed558ccdull;
	return (k ^ k >> 29) | 1ull << 63; /* never a port's key */
}

int fh_worm_note(struct fh_worm_table *w, uint64_t key, uint64_t h, const struct fh_ip *src,
	uint64_t t, uint64_t gap_ms, struct fh_worm_seen *out)
{
	memset(out, 0, sizeof(*out));
	out->first = UINT64_MAX;
	uint64_t e = t / (gap_ms ? gap_ms : 1);
	struct slot *s = slot_of(w, key, e);
	if (!s)
		return -1;
	struct half *hf = half_for(s, e);
	if (hf) {
		unsigned b = (unsigned)(h % FH_WORM_BITS);
		atomic_fetch_or_explicit(&hf->bits[b / 64], 1ull << (b % 64), memory_order_relaxed);
		uint64_t f = atomic_load_explicit(&hf->first, memory_order_relaxed);
		while (t < f && !atomic_compare_exchange_weak(&hf->first, &f, t))
			;
		uint64_t l = atomic_load_explicit(&hf->last, memory_order_relaxed);
		while (t > l && !atomic_compare_exchange_weak(&hf->last, &l, t))
			;
		put_src(hf, e + 1, src);
	}
	read_slot(s, e, t, out);
	return hf ? 0 : 1;
}

int fh_worm_look(struct fh_worm_table *w, uint64_t key, uint64_t t, uint64_t gap_ms,
	struct fh_worm_seen *out)
{
	memset(out, 0, sizeof(*out));
	out->first = UINT64_MAX;
	struct slot *s = slot_find(w, key);
	if (!s)
		return -1;
	read_slot(s, t / (gap_ms ? gap_ms : 1), t, out);
	return 0;
}

unsigned fh_worm_join(struct fh_worm_table *w)
{
	return atomic_fetch_add_explicit(&w->members, 1, memory_order_relaxed) % 255 + 1;
}

void fh_worm_release(struct fh_worm_table *w, uint64_t key, unsigned me)
{
	struct slot *s = slot_find(w, key);
	if (!s)
		return;
	uint64_t r = atomic_load_explicit(&s->raiser, memory_order_acquire);
	while ((r & 255) == me && !atomic_compare_exchange_weak(&s->raiser, &r, 0))
		;
}

int fh_worm_raiser(struct fh_worm_table *w, uint64_t key, unsigned me, uint64_t t,
	uint64_t hold_ms)
{
	struct slot *s = slot_find(w, key);
	if (!s)
		return 0;
	uint64_t r = atomic_load_explicit(&s->raiser, memory_order_acquire);
	for (;;) {
		unsigned who = (unsigned)(r & 255);
		uint64_t at = r >> 8;
		if (who && who != me && t <= at + hold_ms)
			return 0;
		uint64_t nr = (who == me && at > t ? at : t) << 8 | me;
		if (nr == r || atomic_compare_exchange_weak(&s->raiser, &r, nr))
			return 1;
	}
}
