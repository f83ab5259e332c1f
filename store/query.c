/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The query engine (see query.h).
 *
 * The files (in name order: time order) are indexed and their blocks cut into units of a
 * few blocks; threads claim units in order. Each thread keeps its own aggregate tables and
 * counters, merged when all are done, so the scan takes no lock per record. A listing must
 * come out in file order: each unit's matches wait in its slot until every earlier unit has
 * been printed, and a thread does not start a unit more than `window` units ahead of the
 * printer, so memory stays bounded.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/query.h"

const char *const fh_query_key_names[FH_QK_COUNT] = {"srcip", "dstip", "ip", "srcport",
	"dstport", "port", "proto", "srcnet", "dstnet", "as", "srcas", "dstas", "if", "inif",
	"outif"};
const char *const fh_query_order_names[7] = {"flows", "packets", "bytes", "pps", "bps", "bpp",
	"tstart"};
const char *const fh_query_field_names[FH_QF_COUNT] = {"srcip", "dstip", "srcport", "dstport",
	"proto", "srcas", "dstas", "inif", "outif", "srcnet", "dstnet"};
/* the key field of each -s statistic; ip, port, as and if also add the other end in that
 * slot */
static const unsigned stat_field[FH_QK_COUNT] = {FH_QF_SRCIP, FH_QF_DSTIP, FH_QF_SRCIP,
	FH_QF_SRCPORT, FH_QF_DSTPORT, FH_QF_SRCPORT, FH_QF_PROTO, FH_QF_SRCNET, FH_QF_DSTNET,
	FH_QF_SRCAS, FH_QF_SRCAS, FH_QF_DSTAS, FH_QF_INIF, FH_QF_INIF, FH_QF_OUTIF};

/* ---- aggregate tables ----------------------------------------------------------------- */

/* Room for one more element in the array at *pv (n used of *cap elements of size sz),
 * doubling from `first`: 0, or -1 when out of memory. */
static int grow(void *pv, size_t n, size_t *cap, size_t sz, size_t first)
{
	if (n < *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : first;
	void *nv = realloc(*(void **)pv, nc * sz);
	if (!nv)
		return -1;
	*(void **)pv = nv;
	*cap = nc;
	return 0;
}

/* The index: open addressing over slots holding (hash << 32 | position in v), so that a
 * probe compares hashes without touching v, and growing needs no hashing. */
#define EMPTY UINT64_MAX

/* An index of nc slots (a power of two), all EMPTY; NULL when out of memory. */
static uint64_t *idx_new(size_t nc)
{
	uint64_t *ni = malloc(nc * sizeof(*ni));
	if (ni)
		memset(ni, 0xff, nc * sizeof(*ni));
	return ni;
}

/* Put entry e (hash << 32 | position) in the first free slot from its hash. */
static void idx_put(uint64_t *ni, size_t nc, uint64_t e)
{
	size_t k = (e >> 32) & (nc - 1);
	while (ni[k] != EMPTY)
		k = (k + 1) & (nc - 1);
	ni[k] = e;
}

static uint32_t hashkey(const uint8_t *k)
{
	/* the table indexes by the low bits: fold the high bits down after every multiply, or
	 * keys that differ only in their last bytes (ports, IPv4 in a v4-mapped address)
	 * would all share one bucket */
	uint64_t h = 0;
	for (int i = 0; i < FH_Q_KEYLEN; i += 8) {
		uint64_t w;
		memcpy(&w, k + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	h *= 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h ^ (h >> 29));
}

/* The aggregate of key in t, created (zero) when absent; NULL when out of memory. */
static struct fh_q_agg *slot_of(struct fh_q_table *t, const uint8_t *key, uint64_t h)
{
	if (!t->idx && t->n) { /* sorted or merged: index v again */
		size_t nc = 1024;
		while (nc < (t->n + 1) * 2)
			nc *= 2;
		uint64_t *ni = idx_new(nc);
		if (!ni)
			return NULL;
		for (size_t i = 0; i < t->n; i++)
			idx_put(ni, nc, (uint64_t)hashkey(t->v[i].key) << 32 | i);
		t->idx = ni;
		t->idx_cap = nc;
	}
	if ((t->n + 1) * 2 > t->idx_cap) {
		size_t nc = t->idx_cap ? t->idx_cap * 2 : 1024;
		uint64_t *ni = idx_new(nc);
		if (!ni)
			return NULL;
		for (size_t i = 0; i < t->idx_cap; i++)
			if (t->idx[i] != EMPTY)
				idx_put(ni, nc, t->idx[i]);
		free(t->idx);
		t->idx = ni;
		t->idx_cap = nc;
	}
	size_t k = h & (t->idx_cap - 1);
	for (; t->idx[k] != EMPTY; k = (k + 1) & (t->idx_cap - 1))
		if ((t->idx[k] >> 32) == h &&
			!memcmp(t->v[(uint32_t)t->idx[k]].key, key, FH_Q_KEYLEN))
			return &t->v[(uint32_t)t->idx[k]];
	if (grow(&t->v, t->n, &t->cap, sizeof(*t->v), 1024) < 0)
		return NULL;
	struct fh_q_agg *a = &t->v[t->n];
	memset(a, 0, sizeof(*a));
	memcpy(a->key, key, FH_Q_KEYLEN);
	a->first = UINT64_MAX;
	t->idx[k] = h << 32 | t->n++;
	return a;
}

/* A table in parts: a key goes to the part its hash's high bits choose (the index uses the
 * low bits), so that threads can merge the parts separately. */
static void agg_add(struct fh_q_table *parts, unsigned np, const uint8_t *key, uint64_t flows,
	uint64_t packets, uint64_t bytes, uint64_t first, uint64_t last)
{
	uint32_t h = hashkey(key);
	struct fh_q_table *t = &parts[np > 1 ? ((uint64_t)h * np) >> 32 : 0];
	struct fh_q_agg *a = slot_of(t, key, h);
	if (!a)
		return; /* out of memory: the statistic is incomplete, never a crash */
	a->flows += flows;
	a->packets += packets;
	a->bytes += bytes;
	if (first < a->first)
		a->first = first;
	if (last > a->last)
		a->last = last;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ip under a prefix length (IPv4: of its 32 bits) into slot; the length into *len */
static void put_net(uint8_t *slot, uint8_t *len, const struct fh_ip *ip, unsigned plen4,
	unsigned plen6)
{
	int v4 = fh_ip_is_v4(ip);
	unsigned plen = v4 ? (plen4 > 32 ? 32 : plen4) : (plen6 > 128 ? 128 : plen6);
	unsigned bits = v4 ? 96 + plen : plen; /* of the 128 */
	memcpy(slot, ip->a, 16);
	for (unsigned b = bits; b < 128; b++)
		slot[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	*len = (uint8_t)plen;
}

/* The key of an aggregate: the selected fields at fixed places, the others zero. */
static void agg_key(uint8_t k[FH_Q_KEYLEN], const struct fh_q_table *t,
	const struct fh_flow_rec *r)
{
	unsigned fields = t->fields;
	memset(k, 0, FH_Q_KEYLEN);
	if (fields & FH_QF_SRCIP)
		memcpy(k, r->src.a, 16);
	if (fields & FH_QF_DSTIP)
		memcpy(k + 16, r->dst.a, 16);
	/* prefix lengths: given (-A srcip4/24; the other family then whole), or the record's */
	if (fields & FH_QF_SRCNET) {
		int given = t->src4 || t->src6;
		put_net(k, &k[37], &r->src, given ? (t->src4 ? t->src4 : 32) : r->src_mask,
			given ? (t->src6 ? t->src6 : 128) : r->src_mask);
	}
	if (fields & FH_QF_DSTNET) {
		int given = t->dst4 || t->dst6;
		put_net(k + 16, &k[38], &r->dst, given ? (t->dst4 ? t->dst4 : 32) : r->dst_mask,
			given ? (t->dst6 ? t->dst6 : 128) : r->dst_mask);
	}
	if (fields & FH_QF_SRCPORT)
		k[32] = (uint8_t)(r->sport >> 8), k[33] = (uint8_t)r->sport;
	if (fields & FH_QF_DSTPORT)
		k[34] = (uint8_t)(r->dport >> 8), k[35] = (uint8_t)r->dport;
	if (fields & FH_QF_PROTO)
		k[36] = r->proto;
	if (fields & FH_QF_SRCAS)
		put32(k + 40, r->src_as);
	if (fields & FH_QF_DSTAS)
		put32(k + 44, r->dst_as);
	if (fields & FH_QF_INIF)
		put32(k + 48, r->in_if);
	if (fields & FH_QF_OUTIF)
		put32(k + 52, r->out_if);
}

/* Count r in every statistic: st[i] is statistic i in np parts. */
static void count_rec(struct fh_q_table *const *st, unsigned nst, unsigned np,
	const struct fh_flow_rec *r)
{
	for (unsigned i = 0; i < nst; i++) {
		struct fh_q_table *t = st[i];
		uint8_t k[FH_Q_KEYLEN];
		agg_key(k, t, r);
		agg_add(t, np, k, 1, r->packets, r->bytes, r->first_ms, r->last_ms);
		/* ip, port, as and if count a flow for both ends, in the first end's slot of the
		 * key; ports and interfaces even when equal, addresses and AS numbers once when
		 * equal (as nfdump counts them) */
		int again = 1;
		switch (t->key) {
		case FH_QK_IP:
			again = !fh_ip_eq(&r->src, &r->dst);
			memcpy(k, r->dst.a, 16);
			break;
		case FH_QK_PORT:
			k[32] = (uint8_t)(r->dport >> 8), k[33] = (uint8_t)r->dport;
			break;
		case FH_QK_AS:
			again = r->src_as != r->dst_as;
			put32(k + 40, r->dst_as);
			break;
		case FH_QK_IF:
			put32(k + 48, r->out_if);
			break;
		default:
			again = 0;
		}
		if (again)
			agg_add(t, np, k, 1, r->packets, r->bytes, r->first_ms, r->last_ms);
	}
}

int fh_query_add_table(struct fh_query *q, int key, int order, unsigned fields)
{
	if (q->nst == FH_Q_MAX_STATS)
		return -1;
	q->st[q->nst++] = (struct fh_q_table){.key = key, .order = order,
		.fields = key == FH_QK_AGG ? fields : stat_field[key]};
	return 0;
}

/* ---- the scan ------------------------------------------------------------------------- */

struct slot {
	struct fh_flow_rec *r;
	size_t n, cap;
	int done;
};

/* A unit of work: up to UNIT_BLOCKS consecutive blocks of one file (about 32 k records),
 * so that threads share a big file too. */
#define UNIT_BLOCKS 8
struct unit {
	size_t file, first, n;
};

struct job {
	struct fh_query *q;
	char **paths;
	size_t n, cap; /* files */
	struct fh_flowfile_block **idx; /* each file's blocks */
	struct unit *units;
	size_t n_units, units_cap;
	atomic_size_t next; /* the next unit to claim */
	/* listing */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots; /* one per unit */
	size_t emitted; /* units printed so far (under mu) */
	size_t window;
	atomic_int stop;
};

struct tctx {
	struct job *j;
	pthread_t th;
	struct fh_q_table *st[FH_Q_MAX_STATS]; /* each statistic in np parts */
	unsigned np;
	uint64_t matched, packets, bytes;
	struct fh_flowfile_read_stats rs;
	struct slot *cur; /* listing: the slot of the unit being read */
};

static bool match(const struct fh_query *q, const struct fh_flow_rec *r)
{
	return r->last_ms >= q->from && r->first_ms < q->to &&
	       (!q->filter || fh_filter_match(q->filter, r));
}

/* r, or its copy in buf with packets and bytes scaled by its sampling (q->scale) */
static const struct fh_flow_rec *scaled(const struct fh_query *q, const struct fh_flow_rec *r,
	struct fh_flow_rec *buf)
{
	if (!q->scale || r->sampling <= 1)
		return r;
	*buf = *r;
	buf->packets *= r->sampling;
	buf->bytes *= r->sampling;
	return buf;
}

static void on_rec(void *arg, const struct fh_flow_rec *r)
{
	struct tctx *t = arg;
	const struct fh_query *q = t->j->q;
	if (q->filter && !fh_filter_match(q->filter, r))
		return; /* the reader applied the time range */
	t->matched++;
	if (q->nst) {
		struct fh_flow_rec sc;
		r = scaled(q, r, &sc);
		t->packets += r->packets;
		t->bytes += r->bytes;
		count_rec(t->st, q->nst, t->np, r);
		return;
	}
	struct fh_flow_rec sc;
	const struct fh_flow_rec *c = scaled(q, r, &sc);
	t->packets += c->packets;
	t->bytes += c->bytes;
	struct slot *s = t->cur;
	if (q->limit && s->n >= q->limit)
		return; /* never printed: earlier records fill the listing first */
	if (grow(&s->r, s->n, &s->cap, sizeof(*s->r), 256) < 0)
		return;
	s->r[s->n++] = *r;
}

/* The interval a file covers from its name (flows-YYYYMMDDhhmm[-TAG].fhf); 0 if unknown.
 * Every record in it ended before the interval's end (late ones go to later files). */
static uint64_t file_start(const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	struct tm tm = {0};
	if (strncmp(b, "flows-", 6))
		return 0;
	const char *e = strptime(b + 6, "%Y%m%d%H%M", &tm);
	if (!e || (*e != '.' && *e != '-'))
		return 0;
	return (uint64_t)timegm(&tm) * 1000;
}

static void *scan_main(void *arg)
{
	struct tctx *t = arg;
	struct job *j = t->j;
	struct fh_query *q = j->q;
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->n_units)
			break;
		if (!q->nst) {
			pthread_mutex_lock(&j->mu);
			while (i >= j->emitted + j->window && !atomic_load(&j->stop))
				pthread_cond_wait(&j->cv, &j->mu);
			pthread_mutex_unlock(&j->mu);
			t->cur = &j->slots[i];
		}
		const struct unit *u = &j->units[i];
		if (!atomic_load(&j->stop))
			fh_flowfile_read_blocks(j->paths[u->file], j->idx[u->file] + u->first, u->n,
				q->from, q->to, on_rec, t, &t->rs);
		if (!q->nst) {
			pthread_mutex_lock(&j->mu);
			j->slots[i].done = 1;
			pthread_cond_broadcast(&j->cv);
			pthread_mutex_unlock(&j->mu);
		}
	}
	return NULL;
}

/* Index every file the range may need and cut their blocks into units. */
static void make_units(struct job *j)
{
	struct fh_query *q = j->q;
	j->idx = calloc(j->n ? j->n : 1, sizeof(*j->idx));
	if (!j->idx)
		return;
	for (size_t f = 0; f < j->n; f++) {
		uint64_t fs = file_start(j->paths[f]);
		if (fs && fs + FH_FLOWSTORE_ROTATE_MS <= q->from)
			continue; /* every record in it ended before the range */
		int nb = fh_flowfile_index(j->paths[f], &j->idx[f], &q->rs);
		for (int b = 0; b < nb; b += UNIT_BLOCKS) {
			if (grow(&j->units, j->n_units, &j->units_cap, sizeof(*j->units), 256) < 0)
				return;
			j->units[j->n_units++] = (struct unit){.file = f, .first = (size_t)b,
				.n = (size_t)(nb - b < UNIT_BLOCKS ? nb - b : UNIT_BLOCKS)};
		}
	}
}

static void collect(void *arg, const char *path)
{
	struct job *j = arg;
	if (grow(&j->paths, j->n, &j->cap, sizeof(*j->paths), 64) < 0)
		return;
	char *p = strdup(path);
	if (p)
		j->paths[j->n++] = p;
}

/* print the listing in file order as files complete (calling thread) */
static void print_in_order(struct job *j)
{
	struct fh_query *q = j->q;
	uint64_t shown = 0;
	for (size_t i = 0; i < j->n_units; i++) {
		pthread_mutex_lock(&j->mu);
		while (!j->slots[i].done)
			pthread_cond_wait(&j->cv, &j->mu);
		pthread_mutex_unlock(&j->mu);
		struct slot *s = &j->slots[i];
		for (size_t k = 0; k < s->n && !atomic_load(&j->stop); k++) {
			if (q->limit && shown == q->limit) {
				q->truncated = true;
				break;
			}
			q->on_flow(q->arg, &s->r[k]);
			shown++;
		}
		free(s->r);
		s->r = NULL;
		pthread_mutex_lock(&j->mu);
		j->emitted = i + 1;
		pthread_cond_broadcast(&j->cv);
		pthread_mutex_unlock(&j->mu);
	}
}

/* Merging the threads' tables: every scan thread kept each statistic in one part per
 * thread, by hash, so merge thread p merges part p of every scan thread's table alone (a
 * statistic over a million addresses costs about as much to merge as to count). The parts
 * hold disjoint keys and are then laid end to end. */
struct merge_ctx {
	struct tctx *t;
	unsigned nt, k, p;
	struct fh_q_table out;
	pthread_t th;
	int started;
};

static void *merge_main(void *arg)
{
	struct merge_ctx *m = arg;
	m->out = m->t[0].st[m->k][m->p]; /* the first scan thread's part, taken whole */
	memset(&m->t[0].st[m->k][m->p], 0, sizeof(struct fh_q_table));
	for (unsigned i = 1; i < m->nt; i++) {
		struct fh_q_table *src = &m->t[i].st[m->k][m->p];
		for (size_t a = 0; a < src->n; a++) {
			const struct fh_q_agg *g = &src->v[a];
			agg_add(&m->out, 1, g->key, g->flows, g->packets, g->bytes, g->first,
				g->last);
		}
	}
	return NULL;
}

static void merge_tables(struct fh_query *q, struct tctx *t, unsigned nt)
{
	for (unsigned k = 0; k < q->nst; k++) {
		struct fh_q_table *dst = &q->st[k];
		struct merge_ctx *m = calloc(nt, sizeof(*m));
		int ok = m != NULL;
		for (unsigned i = 0; i < nt; i++)
			ok = ok && t[i].st[k];
		for (unsigned p = 0; ok && p < nt; p++) {
			m[p] = (struct merge_ctx){.t = t, .nt = nt, .k = k, .p = p};
			m[p].started = nt > 1 && pthread_create(&m[p].th, NULL, merge_main, &m[p]) == 0;
			if (!m[p].started)
				merge_main(&m[p]);
		}
		size_t total = 0;
		for (unsigned p = 0; ok && p < nt; p++) {
			if (m[p].started)
				pthread_join(m[p].th, NULL);
			total += m[p].out.n;
		}
		/* the table is empty before a run (fh_query_add comes after it) */
		free(dst->v);
		free(dst->idx);
		dst->v = NULL, dst->idx = NULL, dst->n = dst->cap = dst->idx_cap = 0;
		if (ok && nt == 1) {
			dst->v = m[0].out.v, dst->n = m[0].out.n, dst->cap = m[0].out.cap;
			dst->idx = m[0].out.idx, dst->idx_cap = m[0].out.idx_cap;
			m[0].out.v = NULL, m[0].out.idx = NULL;
		} else if (ok && (dst->v = malloc((total ? total : 1) * sizeof(*dst->v)))) {
			for (unsigned p = 0; p < nt; p++) {
				if (!m[p].out.n)
					continue; /* an empty part has no array at all */
				memcpy(dst->v + dst->n, m[p].out.v, m[p].out.n * sizeof(*dst->v));
				dst->n += m[p].out.n;
			}
			dst->cap = total ? total : 1; /* indexed again from v if added to */
		}
		for (unsigned p = 0; m && p < nt; p++) {
			free(m[p].out.v);
			free(m[p].out.idx);
		}
		free(m);
		for (unsigned i = 0; i < nt; i++) {
			for (unsigned p = 0; t[i].st[k] && p < nt; p++) {
				free(t[i].st[k][p].v);
				free(t[i].st[k][p].idx);
			}
			free(t[i].st[k]);
		}
	}
}

static unsigned default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 16 ? 16 : (unsigned)n;
}

int fh_query_run(struct fh_query *q, const char *dir)
{
	struct job j = {.q = q};
	int rc = q->open_files ? fh_flowfile_list_open(dir, collect, &j)
			       : fh_flowfile_list(dir, collect, &j);
	if (rc < 0)
		return rc;
	q->files = (unsigned)j.n;
	make_units(&j);
	unsigned nt = q->threads ? q->threads : default_threads();
	if (nt > j.n_units)
		nt = j.n_units ? (unsigned)j.n_units : 1;
	j.window = (size_t)nt * 2;
	pthread_mutex_init(&j.mu, NULL);
	pthread_cond_init(&j.cv, NULL);
	if (!q->nst)
		j.slots = calloc(j.n_units ? j.n_units : 1, sizeof(*j.slots));
	struct tctx *t = calloc(nt, sizeof(*t));
	for (unsigned i = 0; i < nt; i++) {
		t[i].j = &j;
		t[i].np = nt;
		for (unsigned k = 0; k < q->nst; k++) {
			t[i].st[k] = calloc(nt, sizeof(struct fh_q_table));
			for (unsigned p = 0; t[i].st[k] && p < nt; p++)
				t[i].st[k][p] = (struct fh_q_table){.key = q->st[k].key,
					.order = q->st[k].order, .fields = q->st[k].fields,
					.src4 = q->st[k].src4, .src6 = q->st[k].src6,
					.dst4 = q->st[k].dst4, .dst6 = q->st[k].dst6};
		}
	}
	/* one thread: scan in the caller (a listing is printed as it goes) */
	unsigned started = 0;
	if (nt > 1 || !q->nst) {
		for (unsigned i = 0; i < nt; i++)
			if (pthread_create(&t[i].th, NULL, scan_main, &t[i]) == 0)
				started++;
		if (!started) { /* no thread could start: do it here, stats only */
			if (!q->nst)
				atomic_store(&j.stop, 1);
			else
				scan_main(&t[0]);
		}
		if (!q->nst && started)
			print_in_order(&j);
		for (unsigned i = 0; i < started; i++)
			pthread_join(t[i].th, NULL);
	} else {
		scan_main(&t[0]);
	}
	for (unsigned i = 0; i < nt; i++) {
		q->matched += t[i].matched;
		q->packets += t[i].packets;
		q->bytes += t[i].bytes;
		q->rs.blocks += t[i].rs.blocks;
		q->rs.blocks_skipped += t[i].rs.blocks_skipped;
		q->rs.blocks_damaged += t[i].rs.blocks_damaged;
		q->rs.records += t[i].rs.records;
	}
	merge_tables(q, t, nt);
	for (size_t i = 0; i < j.n_units; i++)
		if (j.slots)
			free(j.slots[i].r);
	for (size_t i = 0; i < j.n; i++) {
		free(j.paths[i]);
		if (j.idx)
			free(j.idx[i]);
	}
	free(j.slots);
	free(j.paths);
	free(j.idx);
	free(j.units);
	free(t);
	pthread_mutex_destroy(&j.mu);
	pthread_cond_destroy(&j.cv);
	return (int)j.n;
}

void fh_query_add(struct fh_query *q, const struct fh_flow_rec *r)
{
	if (!match(q, r))
		return;
	struct fh_flow_rec sc;
	const struct fh_flow_rec *c = scaled(q, r, &sc);
	q->matched++;
	q->packets += c->packets;
	q->bytes += c->bytes;
	if (q->nst) {
		struct fh_q_table *st[FH_Q_MAX_STATS];
		for (unsigned i = 0; i < q->nst; i++)
			st[i] = &q->st[i];
		count_rec(st, q->nst, 1, c);
	}
	else if (q->on_flow && (!q->limit || q->matched <= q->limit))
		q->on_flow(q->arg, r);
	else if (q->on_flow)
		q->truncated = true;
}

void fh_query_free(struct fh_query *q)
{
	for (unsigned i = 0; i < q->nst; i++) {
		free(q->st[i].v);
		free(q->st[i].idx);
		q->st[i].v = NULL;
		q->st[i].idx = NULL;
		q->st[i].n = q->st[i].cap = q->st[i].idx_cap = 0;
	}
}

/* ---- results -------------------------------------------------------------------------- */

uint64_t fh_query_metric(const struct fh_q_agg *a, int order)
{
	uint64_t dur = a->last > a->first ? a->last - a->first : 0;
	switch (order) {
	case FH_QO_FLOWS: return a->flows;
	case FH_QO_PACKETS: return a->packets;
	case FH_QO_BYTES: return a->bytes;
	case FH_QO_PPS: return dur ? a->packets * 1000 / dur : 0;
	case FH_QO_BPS: return dur ? a->bytes * 8000 / dur : 0;
	case FH_QO_TSTART: return a->first;
	default: return a->packets ? a->bytes / a->packets : 0;
	}
}

static _Thread_local int sort_order;

static int by_metric(const void *x, const void *y)
{
	uint64_t a = fh_query_metric(x, sort_order), b = fh_query_metric(y, sort_order);
	if (sort_order == FH_QO_TSTART) /* oldest first */
		return a < b ? -1 : a > b ? 1 : 0;
	if (a != b)
		return a < b ? 1 : -1;
	/* ties in key order, so that the output does not depend on the thread count */
	return memcmp(((const struct fh_q_agg *)x)->key, ((const struct fh_q_agg *)y)->key,
		FH_Q_KEYLEN);
}

/* heap of indices into v, the "smallest" (by the sort order: the last to be printed) on
 * top */
static void heap_down(const struct fh_q_agg *v, uint32_t *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		/* by_metric(a, b) > 0: a comes after b in the output */
		if (l < n && by_metric(&v[h[l]], &v[h[m]]) > 0)
			m = l;
		if (r < n && by_metric(&v[h[r]], &v[h[m]]) > 0)
			m = r;
		if (m == i)
			return;
		uint32_t x = h[i];
		h[i] = h[m];
		h[m] = x;
		i = m;
	}
}

void fh_query_sort_top(struct fh_q_table *t, size_t n)
{
	if (n == 0 || n * 8 >= t->n) {
		fh_query_sort(t);
		return;
	}
	sort_order = t->order;
	uint32_t *h = malloc(n * sizeof(*h));
	if (!h) {
		fh_query_sort(t);
		return;
	}
	for (size_t i = 0; i < n; i++)
		h[i] = (uint32_t)i;
	for (size_t i = n / 2; i-- > 0;)
		heap_down(t->v, h, n, i);
	for (size_t i = n; i < t->n; i++)
		if (by_metric(&t->v[i], &t->v[h[0]]) < 0) { /* comes before the heap's last */
			h[0] = (uint32_t)i;
			heap_down(t->v, h, n, 0);
		}
	struct fh_q_agg *top = malloc(n * sizeof(*top));
	if (!top) {
		free(h);
		fh_query_sort(t);
		return;
	}
	for (size_t i = 0; i < n; i++)
		top[i] = t->v[h[i]];
	qsort(top, n, sizeof(*top), by_metric);
	memcpy(t->v, top, n * sizeof(*top)); /* the rest of v is in no order */
	free(top);
	free(h);
	free(t->idx);
	t->idx = NULL;
	t->idx_cap = 0;
}

void fh_query_sort(struct fh_q_table *t)
{
	sort_order = t->order;
	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), by_metric);
	/* the index no longer matches the order: drop it (a sorted table is not added to) */
	free(t->idx);
	t->idx = NULL;
	t->idx_cap = 0;
}

void fh_query_field_str(unsigned f, const struct fh_q_agg *a, char *b, size_t l, bool numeric)
{
	struct fh_ip ip;
	const char *pn;
	switch (f) {
	case FH_QF_SRCIP:
	case FH_QF_DSTIP:
		memcpy(ip.a, a->key + (f == FH_QF_SRCIP ? 0 : 16), 16);
		fh_ip_fmt(&ip, b, l);
		break;
	case FH_QF_SRCNET:
	case FH_QF_DSTNET: {
		char t[FH_IP_STRLEN];
		memcpy(ip.a, a->key + (f == FH_QF_SRCNET ? 0 : 16), 16);
		snprintf(b, l, "%s/%u", fh_ip_fmt(&ip, t, sizeof(t)),
			a->key[f == FH_QF_SRCNET ? 37 : 38]);
		break;
	}
	case FH_QF_SRCPORT: snprintf(b, l, "%u", a->key[32] << 8 | a->key[33]); break;
	case FH_QF_DSTPORT: snprintf(b, l, "%u", a->key[34] << 8 | a->key[35]); break;
	case FH_QF_SRCAS: snprintf(b, l, "%u", get32(a->key + 40)); break;
	case FH_QF_DSTAS: snprintf(b, l, "%u", get32(a->key + 44)); break;
	case FH_QF_INIF: snprintf(b, l, "%u", get32(a->key + 48)); break;
	case FH_QF_OUTIF: snprintf(b, l, "%u", get32(a->key + 52)); break;
	default:
		pn = numeric ? NULL : fh_proto_name(a->key[36]);
		if (pn) {
			snprintf(b, l, "%s", pn);
			for (char *c = b; *c; c++)
				*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		} else
			snprintf(b, l, "%u", a->key[36]);
	}
}

/* ---- parsing -------------------------------------------------------------------------- */

int fh_query_parse_key(const char *s)
{
	for (int k = 0; k < FH_QK_COUNT; k++)
		if (!strcmp(s, fh_query_key_names[k]))
			return k;
	return -1;
}

int fh_query_parse_order(const char *s, bool allow_tstart)
{
	for (int k = 0; k < (allow_tstart ? 7 : 6); k++)
		if (!strcmp(s, fh_query_order_names[k]))
			return k;
	return -1;
}

unsigned fh_query_parse_fields(const char *arg, struct fh_q_table *tab)
{
	char b[256];
	unsigned bits = 0;
	if (strlen(arg) >= sizeof(b))
		return 0;
	snprintf(b, sizeof(b), "%s", arg);
	for (char *save = NULL, *t = strtok_r(b, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned f = 0;
		for (unsigned i = 0; i < FH_QF_COUNT; i++)
			if (!strcmp(t, fh_query_field_names[i]))
				f = 1u << i;
		char side[4];
		int fam, plen, used = 0;
		/* srcip4/24, dstip6/64: the address under a prefix length */
		if (!f && sscanf(t, "%3[srcdst]ip%d/%d%n", side, &fam, &plen, &used) == 3 &&
			!t[used] && (!strcmp(side, "src") || !strcmp(side, "dst")) &&
			(fam == 4 || fam == 6) && plen >= 0 && plen <= (fam == 4 ? 32 : 128)) {
			int src = side[0] == 's';
			f = src ? FH_QF_SRCNET : FH_QF_DSTNET;
			if (tab) {
				uint8_t *m = src ? (fam == 4 ? &tab->src4 : &tab->src6)
						 : (fam == 4 ? &tab->dst4 : &tab->dst6);
				*m = (uint8_t)plen;
			}
		}
		if (!f)
			return 0;
		bits |= f;
	}
	/* an address slot holds an address or a network, not both */
	if (((bits & FH_QF_SRCIP) && (bits & FH_QF_SRCNET)) ||
		((bits & FH_QF_DSTIP) && (bits & FH_QF_DSTNET)))
		return 0;
	return bits;
}

int fh_query_parse_time(const char *s, uint64_t *ms)
{
	static const char *const forms[] = {"%Y/%m/%d.%H:%M:%S", "%Y-%m-%dT%H:%M:%S",
		"%Y/%m/%d.%H:%M", "%Y/%m/%d"};
	for (unsigned i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *end = strptime(s, forms[i], &tm);
		if (!end)
			continue;
		if (*end && strcmp(end, "Z"))
			return -1;
		*ms = (uint64_t)timegm(&tm) * 1000;
		return 0;
	}
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || end == s || *s == '-')
		return -1;
	*ms = v * 1000;
	return 0;
}
