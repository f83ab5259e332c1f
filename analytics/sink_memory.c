/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The in-memory alert sink (see sink_memory.h). Alerts are few (one per activity): a flat
 * array searched by id is enough, and keeps reads a plain copy.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/sink_memory.h"

struct mem_ent {
	struct fh_alert a;
	uint64_t seq; /* order of the last update */
};

struct mem_sink {
	struct fh_alert_sink base;
	pthread_mutex_t mu;
	struct mem_ent *v;
	unsigned n, cap;
	uint64_t seq;
	uint64_t created[FH_ALERT_TYPE_MAX];
};

static void mem_emit(struct fh_alert_sink *s, const struct fh_alert *a, enum fh_alert_event ev)
{
	struct mem_sink *m = (struct mem_sink *)s;
	pthread_mutex_lock(&m->mu);
	unsigned i = 0;
	while (i < m->n && strcmp(m->v[i].a.id, a->id))
		i++;
	if (i == m->n) {
		if (m->n < m->cap) {
			m->n++;
		} else { /* forget the stalest, resolved ones first */
			unsigned victim = 0;
			for (unsigned k = 1; k < m->n; k++) {
				const struct mem_ent *x = &m->v[k], *y = &m->v[victim];
				if ((x->a.status == FH_ALERT_RESOLVED) > (y->a.status == FH_ALERT_RESOLVED) ||
					((x->a.status == FH_ALERT_RESOLVED) ==
						(y->a.status == FH_ALERT_RESOLVED) &&
					 x->seq < y->seq))
					victim = k;
			}
			i = victim;
		}
	}
	if (ev == FH_AEV_NEW && a->type < FH_ALERT_TYPE_MAX)
		m->created[a->type]++;
	m->v[i].a = *a;
	m->v[i].seq = ++m->seq;
	pthread_mutex_unlock(&m->mu);
}

static void mem_flush(struct fh_alert_sink *s)
{
	(void)s;
}

static void mem_close(struct fh_alert_sink *s)
{
	struct mem_sink *m = (struct mem_sink *)s;
	pthread_mutex_destroy(&m->mu);
	free(m->v);
	free(m);
}

static const struct fh_alert_sink_ops mem_ops = {
	.emit = mem_emit,
	.flush = mem_flush,
	.close = mem_close,
};

struct fh_alert_sink *fh_alert_sink_memory_new(unsigned capacity)
{
	struct mem_sink *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->cap = capacity ? capacity : 4096;
	m->v = calloc(m->cap, sizeof(*m->v));
	if (!m->v) {
		free(m);
		return NULL;
	}
	m->base.ops = &mem_ops;
	pthread_mutex_init(&m->mu, NULL);
	return &m->base;
}

static int by_seq_desc(const void *x, const void *y)
{
	uint64_t a = ((const struct mem_ent *)x)->seq, b = ((const struct mem_ent *)y)->seq;
	return a < b ? 1 : a > b ? -1 : 0;
}

unsigned fh_alert_sink_memory_get(struct fh_alert_sink *s, bool active_only,
	struct fh_alert *out, unsigned max)
{
	struct mem_sink *m = (struct mem_sink *)s;
	pthread_mutex_lock(&m->mu);
	qsort(m->v, m->n, sizeof(*m->v), by_seq_desc);
	unsigned k = 0;
	for (unsigned i = 0; i < m->n && k < max; i++)
		if (!active_only || m->v[i].a.status == FH_ALERT_ACTIVE)
			out[k++] = m->v[i].a;
	pthread_mutex_unlock(&m->mu);
	return k;
}

void fh_alert_sink_memory_counts(struct fh_alert_sink *s, uint64_t created[FH_ALERT_TYPE_MAX],
	uint64_t active[FH_ALERT_TYPE_MAX])
{
	struct mem_sink *m = (struct mem_sink *)s;
	pthread_mutex_lock(&m->mu);
	memcpy(created, m->created, sizeof(m->created));
	memset(active, 0, FH_ALERT_TYPE_MAX * sizeof(uint64_t));
	for (unsigned i = 0; i < m->n; i++)
		if (m->v[i].a.status == FH_ALERT_ACTIVE && m->v[i].a.type < FH_ALERT_TYPE_MAX)
			active[m->v[i].a.type]++;
	pthread_mutex_unlock(&m->mu);
}
