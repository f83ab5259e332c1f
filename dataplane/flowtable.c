/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-core flow table (see flowtable.h).
 *
 * Layout: a preallocated pool of 96-byte entries; a bucket array of RCU-published chain
 * heads; an LRU list (least recently updated first) for idle expiry and eviction; a wheel of
 * lists by time for the active timeout (see "the active timeout" below); a small table
 * interning (exporter, version, domain). The lists are the writer's own: readers follow only
 * the chains. Every link is a 4-byte pool index. Removal unlinks an entry with a release
 * store (chain_set), takes it off the lists and retires it; retired entries go back to the
 * free list after a grace period: batches are handed to call_rcu, whose callback pushes them
 * on a lock-free stack the writer drains at its next expiry pass. With no concurrent readers
 * (FH_FT no_readers use, e.g. `analyze`), entries are reused at once.
 */
#include <stdlib.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "dataplane/flowtable.h"

/* ---- types ---------------------------------------------------------------------------- */

#define NIL UINT32_MAX
#define MAX_EXPORTERS 1024
#define BATCH 1024
#define HOLDERS 256

/* Lists are circular and doubly linked through a head: indices from pool_size on name the
 * heads (fh_ft.heads), so that unlinking needs neither a branch nor to know the list. */
struct link {
	uint32_t prev, next;
};

enum { LRU_LINK, ACT_LINK }; /* which link of an entry a list goes through */

struct entry {
	uint32_t next; /* hash chain (RCU) or free list: a pool index, NIL at the end */
	uint32_t in_if;
	struct fh_ip src, dst;
	uint64_t packets, bytes; /* since the flow's last event */
	uint64_t first_ms;
	uint32_t last_delta; /* last - first, ms */
	uint32_t sampling;
	struct link lru; /* the LRU list */
	struct link act; /* a wheel slot, waiting for its active timeout */
	uint16_t sport, dport;
	uint8_t proto, tcp_flags;
	uint16_t exporter; /* index into the interned exporters */
};

_Static_assert(sizeof(struct entry) <= 96, "a flow entry must fit in 96 bytes");

struct exporter_key {
	struct fh_ip ip;
	uint32_t domain;
	uint8_t version;
};

struct batch {
	struct rcu_head rh;
	struct batch *next; /* on the reclaimed stack */
	struct fh_ft *t;
	uint32_t n;
	uint32_t idx[BATCH];
};

/* The list heads: the LRU list, the flows given an active update in this expiry pass, then
 * the slots of the wheel. */
enum { H_LRU, H_UPDATED, H_WHEEL };

#define SLOTS_PER_TIMEOUT 2048 /* at most: the wheel has up to twice as many */

struct fh_ft {
	struct fh_ft_cfg cfg;
	struct fh_ft_stats st;
	struct entry *pool;
	uint32_t pool_size, live;
	uint32_t *buckets; /* chain heads: pool indices, NIL when empty */
	uint32_t bmask;
	uint32_t free_list;
	struct link *heads; /* list heads, index pool_size + H_*, slot s at H_WHEEL + s */
	uint32_t wheel_mask; /* slots - 1 */
	unsigned slot_shift; /* a slot spans 2^slot_shift ms */
	uint64_t wheel_slot; /* the first slot (ms >> slot_shift) the next pass scans */
	struct exporter_key exporters[MAX_EXPORTERS];
	unsigned n_exporters, last_exporter;
	int rcu; /* readers may exist: reclaim after grace periods */
	/* retired entries waiting to be handed to call_rcu */
	uint32_t *retired;
	uint32_t n_retired;
	struct batch *holders[HOLDERS];
	unsigned n_holders;
	struct batch *reclaimed; /* batches whose grace period is over (a Treiber stack) */
};

/* ---- helpers -------------------------------------------------------------------------- */

static inline uint32_t idx_of(const struct fh_ft *t, const struct entry *e)
{
	return (uint32_t)(e - t->pool);
}

static uint32_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static uint32_t ip_hash(const struct fh_ip *ip)
{
	uint64_t a, b;
	memcpy(&a, ip->a, 8);
	memcpy(&b, ip->a + 8, 8);
	return mix64(a * 31 + b);
}

/* The hash of a flow's key. Entries do not keep it: removal computes it again. */
static uint32_t key_hash(const struct fh_ip *src, const struct fh_ip *dst, uint16_t sport,
	uint16_t dport, uint8_t proto, uint32_t in_if, uint16_t ex)
{
	uint64_t a, b, c, d;
	memcpy(&a, src->a, 8);
	memcpy(&b, src->a + 8, 8);
	memcpy(&c, dst->a, 8);
	memcpy(&d, dst->a + 8, 8);
	uint64_t h = a * 0x9e3779b97f4a7c15ull ^ b;
	h = h * 0x9e3779b97f4a7c15ull ^ c;
	h = h * 0x9e3779b97f4a7c15ull ^ d;
	h = h * 0x9e3779b97f4a7c15ull ^ ((uint64_t)sport << 48 | (uint64_t)dport << 32 |
						(uint64_t)proto << 24 | ex);
	h = h * 0x9e3779b97f4a7c15ull ^ in_if;
	return mix64(h);
}

/*
 * Chain links are pool indices, which liburcu's pointer macros do not take: the same
 * ordering as rcu_assign_pointer / rcu_dereference, as C11 atomics. A release store publishes
 * an entry written whole before it; readers load links with acquire.
 */
static inline void chain_set(uint32_t *link, uint32_t i)
{
	__atomic_store_n(link, i, __ATOMIC_RELEASE);
}

static inline uint32_t chain_get(const uint32_t *link)
{
	return __atomic_load_n(link, __ATOMIC_ACQUIRE);
}

static uint16_t intern_exporter(struct fh_ft *t, const struct fh_flow_rec *r)
{
	struct exporter_key *k = &t->exporters[t->last_exporter];
	if (t->n_exporters && k->version == r->version && k->domain == r->domain &&
		fh_ip_eq(&k->ip, &r->exporter))
		return (uint16_t)t->last_exporter;
	for (unsigned i = 0; i < t->n_exporters; i++) {
		k = &t->exporters[i];
		if (k->version == r->version && k->domain == r->domain &&
			fh_ip_eq(&k->ip, &r->exporter)) {
			t->last_exporter = i;
			return (uint16_t)i;
		}
	}
	if (t->n_exporters == MAX_EXPORTERS)
		return MAX_EXPORTERS - 1; /* share the last slot: keys stay distinct by address */
	k = &t->exporters[t->n_exporters];
	k->ip = r->exporter;
	k->domain = r->domain;
	k->version = r->version;
	t->last_exporter = t->n_exporters;
	return (uint16_t)t->n_exporters++;
}

static inline uint32_t head_idx(const struct fh_ft *t, unsigned h)
{
	return t->pool_size + h;
}

static inline struct link *link_at(struct fh_ft *t, uint32_t i, int which)
{
	if (i >= t->pool_size)
		return &t->heads[i - t->pool_size];
	return which == LRU_LINK ? &t->pool[i].lru : &t->pool[i].act;
}

/* The first element of list h: head_idx(t, h) itself when the list is empty. */
static inline uint32_t list_first(const struct fh_ft *t, unsigned h)
{
	return t->heads[h].next;
}

static void list_unlink(struct fh_ft *t, uint32_t i, int which)
{
	struct link *l = link_at(t, i, which);
	link_at(t, l->prev, which)->next = l->next;
	link_at(t, l->next, which)->prev = l->prev;
}

/* Put i last in list h. */
static void list_append(struct fh_ft *t, unsigned h, uint32_t i, int which)
{
	uint32_t hi = head_idx(t, h);
	struct link *hl = &t->heads[h], *l = link_at(t, i, which);
	l->prev = hl->prev;
	l->next = hi;
	link_at(t, hl->prev, which)->next = i;
	hl->prev = i;
}

static void to_rec(const struct fh_ft *t, const struct entry *e, struct fh_flow_rec *r)
{
	const struct exporter_key *k = &t->exporters[e->exporter];
	memset(r, 0, sizeof(*r));
	r->src = e->src;
	r->dst = e->dst;
	r->exporter = k->ip;
	r->version = k->version;
	r->domain = k->domain;
	r->packets = __atomic_load_n(&e->packets, __ATOMIC_RELAXED);
	r->bytes = __atomic_load_n(&e->bytes, __ATOMIC_RELAXED);
	r->first_ms = __atomic_load_n(&e->first_ms, __ATOMIC_RELAXED);
	r->last_ms = r->first_ms + __atomic_load_n(&e->last_delta, __ATOMIC_RELAXED);
	r->sampling = __atomic_load_n(&e->sampling, __ATOMIC_RELAXED);
	r->in_if = e->in_if;
	r->sport = e->sport;
	r->dport = e->dport;
	r->proto = e->proto;
	r->tcp_flags = __atomic_load_n(&e->tcp_flags, __ATOMIC_RELAXED);
	r->af = fh_ip_is_v4(&e->src) ? 4 : 6;
	r->fields = FH_F_IF | FH_F_TIMES;
}

/* ---- events --------------------------------------------------------------------------- */

static void push_event(struct fh_ft *t, unsigned ring, const struct fh_flow_event *ev)
{
	t->st.events++;
	if (fh_ring_enqueue_burst(t->cfg.rings[ring], ev, 1) == 1)
		return;
	if (t->cfg.ring_full) {
		t->cfg.ring_full(t->cfg.ring_full_arg, ring);
		if (fh_ring_enqueue_burst(t->cfg.rings[ring], ev, 1) == 1)
			return;
	}
	t->st.ring_drops++;
}

static void emit(struct fh_ft *t, const struct fh_flow_rec *r, uint8_t kind, uint8_t cause)
{
	if (!t->cfg.n_rings)
		return;
	struct fh_flow_event ev;
	ev.rec = *r;
	ev.kind = kind;
	ev.cause = cause;
	unsigned s = ip_hash(&r->src) % t->cfg.n_rings, d = ip_hash(&r->dst) % t->cfg.n_rings;
	if (s == d) {
		ev.roles = FH_ROLE_SRC | FH_ROLE_DST;
		push_event(t, s, &ev);
	} else {
		ev.roles = FH_ROLE_SRC;
		push_event(t, s, &ev);
		ev.roles = FH_ROLE_DST;
		push_event(t, d, &ev);
	}
}

/* ---- retirement and reclamation ------------------------------------------------------- */

/*
 * The call_rcu thread pushes, the writer takes all at once: a Treiber stack whose only pop is
 * an exchange has no ABA problem. (liburcu's lfstack does the same but computes
 * container_of(NULL) on an empty stack, which UBSan reports.)
 */
static void reclaim_cb(struct rcu_head *rh)
{
	struct batch *b = caa_container_of(rh, struct batch, rh);
	struct fh_ft *t = b->t;
	struct batch *old = __atomic_load_n(&t->reclaimed, __ATOMIC_RELAXED);
	do
		b->next = old;
	while (!__atomic_compare_exchange_n(&t->reclaimed, &old, b, true, __ATOMIC_RELEASE,
		__ATOMIC_RELAXED));
}

static struct batch *reclaimed_take_all(struct fh_ft *t)
{
	return __atomic_exchange_n(&t->reclaimed, NULL, __ATOMIC_ACQUIRE);
}

static void free_entry(struct fh_ft *t, struct entry *e)
{
	e->sampling = 0; /* not live */
	e->next = t->free_list;
	t->free_list = idx_of(t, e);
}

/* Hand retired entries to call_rcu in batches; take back batches whose grace period ended. */
static void reclaim(struct fh_ft *t)
{
	if (!t->rcu)
		return;
	for (struct batch *b = reclaimed_take_all(t), *next; b; b = next) {
		next = b->next;
		for (uint32_t i = 0; i < b->n; i++)
			free_entry(t, &t->pool[b->idx[i]]);
		t->holders[t->n_holders++] = b;
	}
	while (t->n_retired && t->n_holders) {
		struct batch *b = t->holders[--t->n_holders];
		b->n = t->n_retired < BATCH ? t->n_retired : BATCH;
		t->n_retired -= b->n;
		memcpy(b->idx, t->retired + t->n_retired, b->n * sizeof(uint32_t));
		call_rcu(&b->rh, reclaim_cb);
	}
}

/* Remove e from its chain and the LRU list; it is reused after a grace period. */
static void remove_entry(struct fh_ft *t, struct entry *e)
{
	uint32_t h = key_hash(&e->src, &e->dst, e->sport, e->dport, e->proto, e->in_if,
		e->exporter);
	uint32_t i = idx_of(t, e), *link = &t->buckets[h & t->bmask];
	while (*link != i)
		link = &t->pool[*link].next;
	chain_set(link, e->next);
	list_unlink(t, i, LRU_LINK);
	list_unlink(t, i, ACT_LINK); /* no free or retired entry is on the wheel */
	__atomic_store_n(&e->sampling, 0, __ATOMIC_RELAXED); /* not live (readers may see it) */
	t->live--;
	t->st.entries = t->live;
	if (t->rcu)
		t->retired[t->n_retired++] = i;
	else
		free_entry(t, e);
}

/* End a flow: the event for what it counted since its last one, then removal. */
static void end_flow(struct fh_ft *t, struct entry *e, uint8_t cause)
{
	t->st.expired[cause]++;
	struct fh_flow_rec r; /* (entries are flows built from samples: exported ones are not kept) */
	to_rec(t, e, &r);
	emit(t, &r, FH_FEV_END, cause);
	remove_entry(t, e);
}

/* ---- the active timeout --------------------------------------------------------------- */

/*
 * A flow waits for its active timeout (first_ms + active_ms) on a wheel of slots of
 * 2^slot_shift ms, filed under the slot of that time. A pass scans the slots from wheel_slot
 * to the current one and checks each flow it finds against the time, so a flow is updated
 * exactly when the old walk of the whole pool would have: at the first pass whose time has
 * reached its timeout, whatever the order in which flows came. The current slot, only partly
 * due, is scanned again by the next pass; a flow whose timeout is more than a turn away (a
 * record from the future) stays in its slot through the turns before. The cost of a pass is
 * the slots it crosses (about one a second, the whole wheel at most) and the flows in them:
 * a flow is looked at by the passes while its slot is the current one (once or twice with the
 * default timeout's slots of 1,024 ms), not by every pass.
 *
 * The updates of a pass come in the order of their timeouts, slot by slot (in a slot, in the
 * order the flows were filed); the walk gave them in the order of the entries in the pool.
 */

/* File flow i under the slot of its timeout, or under the first slot the next pass scans if
 * that one has gone by (a record older than those before it; a flow updated while its last
 * packet was already an active timeout old): it is then due at the next pass. */
static void wheel_add(struct fh_ft *t, uint32_t i)
{
	uint64_t s = (t->pool[i].first_ms + t->cfg.active_ms) >> t->slot_shift;
	if (s < t->wheel_slot)
		s = t->wheel_slot;
	list_append(t, H_WHEEL + (unsigned)(s & t->wheel_mask), i, ACT_LINK);
}

/* The update of a flow at its active timeout: what it counted since its last event, then its
 * counts restart from its last packet. */
static void active_update(struct fh_ft *t, struct entry *e)
{
	struct fh_flow_rec r;
	to_rec(t, e, &r);
	emit(t, &r, FH_FEV_UPDATE, FH_FT_ACTIVE);
	t->st.expired[FH_FT_ACTIVE]++;
	uint64_t last = e->first_ms + e->last_delta;
	__atomic_store_n(&e->packets, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->bytes, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->first_ms, last, __ATOMIC_RELAXED);
	__atomic_store_n(&e->last_delta, 0, __ATOMIC_RELAXED);
}

/* Update the flows whose active timeout has passed by now_ms, at most budget of them (0: no
 * limit; the others at the next pass). Each flow at most once a pass: those updated wait on
 * their own list until the scan is over, then go to the slot of their next timeout. */
static void active_pass(struct fh_ft *t, uint64_t now_ms, unsigned budget)
{
	uint64_t s = t->wheel_slot, end = now_ms >> t->slot_shift;
	if (end < s)
		end = s; /* the clock went back: the slot the last pass ended in, still */
	uint64_t n = end - s + 1;
	if (n > (uint64_t)t->wheel_mask + 1)
		n = (uint64_t)t->wheel_mask + 1; /* one turn sees every flow */
	unsigned done = 0;
	for (; n; n--, s++) {
		unsigned h = H_WHEEL + (unsigned)(s & t->wheel_mask);
		for (uint32_t i = list_first(t, h), next; i != head_idx(t, h); i = next) {
			struct entry *e = &t->pool[i];
			next = e->act.next;
			if (e->first_ms + t->cfg.active_ms > now_ms)
				continue;
			if (budget && done == budget)
				goto stop; /* the next pass goes on from this slot */
			active_update(t, e);
			list_unlink(t, i, ACT_LINK);
			list_append(t, H_UPDATED, i, ACT_LINK);
			done++;
		}
	}
	s = end;
stop:
	t->wheel_slot = s;
	for (uint32_t i; (i = list_first(t, H_UPDATED)) != head_idx(t, H_UPDATED);) {
		list_unlink(t, i, ACT_LINK);
		wheel_add(t, i);
	}
}

/* ---- API ------------------------------------------------------------------------------ */

struct fh_ft *fh_ft_new(const struct fh_ft_cfg *cfg)
{
	struct fh_ft *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (!t->cfg.capacity)
		t->cfg.capacity = 1u << 20;
	if (!t->cfg.inactive_ms)
		t->cfg.inactive_ms = 15000;
	if (!t->cfg.active_ms)
		t->cfg.active_ms = 1800000;
	if (t->cfg.capacity > 1u << 31)
		goto err; /* pool indices and list heads must stay below NIL */
	t->rcu = 1;
	/* a reserve beyond capacity for entries waiting out a grace period */
	t->pool_size = t->cfg.capacity + t->cfg.capacity / 8 + 64;
	uint32_t nb = 16;
	while (nb < t->cfg.capacity)
		nb <<= 1;
	t->bmask = nb - 1;
	t->pool = calloc(t->pool_size, sizeof(*t->pool));
	t->buckets = malloc((size_t)nb * sizeof(*t->buckets));
	t->retired = malloc((size_t)t->pool_size * sizeof(uint32_t));
	/* the wheel turns once in a bit more than an active timeout: a slot is the power of two
	 * of ms that gives at most SLOTS_PER_TIMEOUT slots to a timeout */
	while ((t->cfg.active_ms >> t->slot_shift) > SLOTS_PER_TIMEOUT)
		t->slot_shift++;
	uint32_t slots = 1;
	while (slots < (t->cfg.active_ms >> t->slot_shift) + 2)
		slots <<= 1;
	t->wheel_mask = slots - 1;
	t->heads = malloc((H_WHEEL + slots) * sizeof(*t->heads));
	if (!t->pool || !t->buckets || !t->retired || !t->heads)
		goto err;
	for (unsigned h = 0; h < H_WHEEL + slots; h++) /* empty: the head links to itself */
		t->heads[h].prev = t->heads[h].next = head_idx(t, h);
	memset(t->buckets, 0xff, (size_t)nb * sizeof(*t->buckets)); /* NIL: empty */
	for (unsigned i = 0; i < HOLDERS; i++) {
		t->holders[i] = calloc(1, sizeof(struct batch));
		if (!t->holders[i])
			goto err;
		t->holders[i]->t = t;
		t->n_holders++;
	}
	t->free_list = NIL;
	for (uint32_t i = t->pool_size; i-- > 0;)
		free_entry(t, &t->pool[i]);
	return t;
err:
	fh_ft_free(t);
	return NULL;
}

void fh_ft_free(struct fh_ft *t)
{
	if (!t)
		return;
	if (t->rcu && t->n_holders < HOLDERS)
		rcu_barrier(); /* wait for our call_rcu callbacks */
	for (struct batch *b = reclaimed_take_all(t); b; b = b->next)
		t->holders[t->n_holders++] = b;
	for (unsigned i = 0; i < t->n_holders; i++)
		free(t->holders[i]);
	free(t->heads);
	free(t->retired);
	free(t->buckets);
	free(t->pool);
	free(t);
}

void fh_ft_no_readers(struct fh_ft *t)
{
	t->rcu = 0;
}

static struct entry *alloc_entry(struct fh_ft *t)
{
	if (t->live >= t->cfg.capacity)
		end_flow(t, &t->pool[list_first(t, H_LRU)], FH_FT_EVICT);
	if (t->free_list == NIL)
		reclaim(t);
	if (t->free_list == NIL)
		return NULL;
	struct entry *e = &t->pool[t->free_list];
	t->free_list = e->next;
	return e;
}

void fh_ft_upsert(struct fh_ft *t, const struct fh_flow_rec *r)
{
	if (r->version <= FH_VER_IPFIX) {
		/* built by the exporter: passed on now, and not kept. Nothing would read the
		 * entry again (its end is silent, the live views skip it), and at high rates a
		 * full table evicted one on every insert: 40 % of the NetFlow path
		 * (bench/RESULTS.md, dpdk.sh). */
		emit(t, r, FH_FEV_UPDATE, FH_FT_EXPORTED);
		t->st.expired[FH_FT_EXPORTED]++;
		return;
	}
	uint16_t ex = intern_exporter(t, r);
	uint32_t h = key_hash(&r->src, &r->dst, r->sport, r->dport, r->proto, r->in_if, ex);
	struct entry *e = NULL;

	for (uint32_t i = t->buckets[h & t->bmask]; i != NIL; i = t->pool[i].next) {
		struct entry *c = &t->pool[i];
		if (c->sport == r->sport && c->dport == r->dport && c->exporter == ex &&
			c->proto == r->proto && c->in_if == r->in_if &&
			fh_ip_eq(&c->src, &r->src) && fh_ip_eq(&c->dst, &r->dst)) {
			e = c;
			break;
		}
	}
	if (e) {
		t->st.updates++;
		__atomic_store_n(&e->packets, e->packets + r->packets, __ATOMIC_RELAXED);
		__atomic_store_n(&e->bytes, e->bytes + r->bytes, __ATOMIC_RELAXED);
		if (r->last_ms > e->first_ms + e->last_delta)
			__atomic_store_n(&e->last_delta, (uint32_t)(r->last_ms - e->first_ms),
				__ATOMIC_RELAXED);
		__atomic_store_n(&e->tcp_flags, (uint8_t)(e->tcp_flags | r->tcp_flags),
			__ATOMIC_RELAXED);
		list_unlink(t, idx_of(t, e), LRU_LINK);
		list_append(t, H_LRU, idx_of(t, e), LRU_LINK);
	} else {
		e = alloc_entry(t);
		if (!e) {
			t->st.full_drops++;
			return;
		}
		t->st.inserts++;
		e->src = r->src;
		e->dst = r->dst;
		e->packets = r->packets;
		e->bytes = r->bytes;
		e->first_ms = r->first_ms;
		e->last_delta = r->last_ms > r->first_ms ? (uint32_t)(r->last_ms - r->first_ms) : 0;
		e->in_if = r->in_if;
		e->sampling = r->sampling ? r->sampling : 1;
		e->sport = r->sport;
		e->dport = r->dport;
		e->proto = r->proto;
		e->tcp_flags = r->tcp_flags;
		e->exporter = ex;
		list_append(t, H_LRU, idx_of(t, e), LRU_LINK);
		wheel_add(t, idx_of(t, e));
		e->next = t->buckets[h & t->bmask];
		chain_set(&t->buckets[h & t->bmask], idx_of(t, e)); /* published whole */
		t->live++;
		t->st.entries = t->live;
	}
	/* a sampled TCP flow ends with its FIN or RST */
	if (r->proto == 6 && (r->tcp_flags & 0x05))
		end_flow(t, e, (r->tcp_flags & 0x04) ? FH_FT_RST : FH_FT_FIN);
}

unsigned fh_ft_expire(struct fh_ft *t, uint64_t now_ms, unsigned budget)
{
	unsigned ended = 0;
	/* idle flows, oldest first */
	for (uint32_t i; (i = list_first(t, H_LRU)) != head_idx(t, H_LRU);) {
		struct entry *e = &t->pool[i];
		if (e->first_ms + e->last_delta + t->cfg.inactive_ms > now_ms)
			break;
		end_flow(t, e, FH_FT_INACTIVE);
		ended++;
	}
	/* long flows: an update every active timeout, counts restart */
	active_pass(t, now_ms, budget);
	reclaim(t);
	return ended;
}

void fh_ft_flush(struct fh_ft *t)
{
	for (uint32_t i; (i = list_first(t, H_LRU)) != head_idx(t, H_LRU);)
		end_flow(t, &t->pool[i], FH_FT_FLUSH);
	reclaim(t);
}

void fh_ft_get_stats(const struct fh_ft *t, struct fh_ft_stats *st)
{
	memcpy(st, &t->st, sizeof(*st));
}

void fh_ft_foreach(struct fh_ft *t, void (*fn)(void *arg, const struct fh_flow_rec *rec),
	void *arg)
{
	struct fh_flow_rec r;
	rcu_read_lock();
	for (uint32_t b = 0; b <= t->bmask; b++)
		for (uint32_t i = chain_get(&t->buckets[b]); i != NIL;
			i = chain_get(&t->pool[i].next)) {
			to_rec(t, &t->pool[i], &r);
			fn(arg, &r);
		}
	rcu_read_unlock();
}
