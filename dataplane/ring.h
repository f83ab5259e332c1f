/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A bounded single-producer/single-consumer ring of fixed-size elements, for flow events
 * going from a dataplane worker to an analytics thread. Head and tail live on their own cache
 * lines; the producer publishes with a release store and the consumer reads with an acquire
 * load (C11 atomics), so neither side ever takes a lock or makes a system call. A full ring
 * refuses the element (the caller counts the drop): a worker never waits for analytics.
 * No DPDK dependency, so the socket path and the tests use it without the EAL.
 */
#ifndef FH_DATAPLANE_RING_H
#define FH_DATAPLANE_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FH_CACHE_LINE 64

struct fh_ring {
	alignas(FH_CACHE_LINE) _Atomic uint32_t head; /* next slot the producer writes */
	uint32_t cached_tail; /* producer's copy of tail */
	alignas(FH_CACHE_LINE) _Atomic uint32_t tail; /* next slot the consumer reads */
	uint32_t cached_head; /* consumer's copy of head */
	alignas(FH_CACHE_LINE) uint32_t mask;
	uint32_t elem_size;
	uint8_t *slots;
};

/* Create a ring of at least `count` elements (rounded up to a power of two) of elem_size
 * bytes. Returns NULL on allocation failure. */
static inline struct fh_ring *fh_ring_new(uint32_t count, uint32_t elem_size)
{
	uint32_t n = 2;
	while (n < count)
		n <<= 1;
	struct fh_ring *r = aligned_alloc(FH_CACHE_LINE, sizeof(*r));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->slots = malloc((size_t)n * elem_size);
	if (!r->slots) {
		free(r);
		return NULL;
	}
	r->mask = n - 1;
	r->elem_size = elem_size;
	return r;
}

static inline void fh_ring_free(struct fh_ring *r)
{
	if (r) {
		free(r->slots);
		free(r);
	}
}

/* Producer only. Enqueue up to n elements from src; returns how many were enqueued. */
static inline uint32_t fh_ring_enqueue_burst(struct fh_ring *r, const void *src, uint32_t n)
{
	uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t cap = r->mask + 1;
	if (cap - (head - r->cached_tail) < n)
		r->cached_tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint32_t room = cap - (head - r->cached_tail);
	if (n > room)
		n = room;
	for (uint32_t i = 0; i < n; i++)
		memcpy(r->slots + (size_t)((head + i) & r->mask) * r->elem_size,
			(const uint8_t *)src + (size_t)i * r->elem_size, r->elem_size);
	atomic_store_explicit(&r->head, head + n, memory_order_release);
	return n;
}

/* Consumer only. Dequeue up to n elements into dst; returns how many were dequeued. */
static inline uint32_t fh_ring_dequeue_burst(struct fh_ring *r, void *dst, uint32_t n)
{
	uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (r->cached_head - tail < n)
		r->cached_head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint32_t avail = r->cached_head - tail;
	if (n > avail)
		n = avail;
	for (uint32_t i = 0; i < n; i++)
		memcpy((uint8_t *)dst + (size_t)i * r->elem_size,
			r->slots + (size_t)((tail + i) & r->mask) * r->elem_size, r->elem_size);
	atomic_store_explicit(&r->tail, tail + n, memory_order_release);
	return n;
}

/* Elements waiting (approximate from either side). */
static inline uint32_t fh_ring_count(struct fh_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire) -
	       atomic_load_explicit(&r->tail, memory_order_acquire);
}

#endif
