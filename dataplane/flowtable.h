/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The per-core flow table: one per dataplane worker, written only by it, read lock-free by
 * other threads (stats, web, top-N) under RCU (liburcu QSBR). Records that exporters built
 * (NetFlow/IPFIX) are merged by key and passed on at once; sampled packets (sFlow, tap)
 * build flows here, with the cache semantics routers use: inactive timeout (15 s), active
 * timeout (30 min: an update event, counters restart), end on FIN/RST, eviction of the
 * oldest idle flow when full. Each expiry is counted by cause. Flow events go out through
 * SPSC rings to the analytics shards (dataplane/ring.h); a full ring is counted, never waited
 * on.
 *
 * Events carry the counts since the flow's previous event (deltas), raw as exported; scale
 * by rec.sampling. Key: exporter, src, dst, ports, protocol, ingress interface.
 * Memory: 96 bytes per entry, all preallocated (no allocation per packet).
 */
#ifndef FH_DATAPLANE_FLOWTABLE_H
#define FH_DATAPLANE_FLOWTABLE_H

#include <stdint.h>

#include "dataplane/flow.h"
#include "dataplane/ring.h"

enum fh_ft_cause {
	FH_FT_INACTIVE,
	FH_FT_ACTIVE, /* active timeout: an update, the flow goes on */
	FH_FT_FIN,
	FH_FT_RST,
	FH_FT_EVICT, /* table full: the oldest idle flow made room */
	FH_FT_FLUSH, /* end of input / shutdown */
	FH_FT_EXPORTED, /* a record an exporter built, passed on as it came */
	FH_FT_CAUSE_MAX
};

enum fh_flow_event_kind { FH_FEV_NEW, FH_FEV_UPDATE, FH_FEV_END };

/* Which side's state the receiving analytics shard owns (both when one shard has both). */
enum { FH_ROLE_SRC = 1, FH_ROLE_DST = 2 };

struct fh_flow_event {
	struct fh_flow_rec rec; /* counts are deltas since the previous event of this flow */
	uint8_t kind; /* enum fh_flow_event_kind */
	uint8_t cause; /* enum fh_ft_cause */
	uint8_t roles; /* FH_ROLE_* */
};

struct fh_ft_cfg {
	uint32_t capacity; /* flows; default 1 Mi, at most 2 Gi */
	uint32_t inactive_ms; /* default 15 s */
	uint32_t active_ms; /* default 30 min */
	unsigned n_rings; /* analytics shards; 0 = no events (decode-only use) */
	struct fh_ring **rings; /* n_rings SPSC rings of struct fh_flow_event, owned by caller */
	/* When set, called (on the writer's thread) with ring_full_arg and the ring's number when
	 * an event finds its ring full, before the event is counted as dropped: a reader on the
	 * same thread (`analyze`) empties the ring there, and the event goes in. */
	void (*ring_full)(void *arg, unsigned ring);
	void *ring_full_arg;
};

struct fh_ft_stats {
	uint64_t entries, inserts, updates;
	uint64_t expired[FH_FT_CAUSE_MAX];
	uint64_t events, ring_drops;
	uint64_t full_drops; /* no free entry even after eviction (grace periods pending) */
};

struct fh_ft;

/* Create a table. The calling thread must be the one that will write it, registered with
 * liburcu-qsbr (rcu_register_thread) if other threads read it. NULL on allocation failure. */
struct fh_ft *fh_ft_new(const struct fh_ft_cfg *cfg);
/* No other thread will read this table (`analyze`, tests): removed entries are reused at
 * once instead of after an RCU grace period, and the caller need not be registered. */
void fh_ft_no_readers(struct fh_ft *t);

/* Free the table (no readers may remain: after synchronize_rcu). */
void fh_ft_free(struct fh_ft *t);

/* Account one record (writer thread). now_ms: the record's event time drives expiry. */
void fh_ft_upsert(struct fh_ft *t, const struct fh_flow_rec *rec);

/* Expire flows idle since now - inactive, and emit the active-timeout updates due by now, in
 * the order of their timeouts: at most budget of them (0 = no limit), the rest at the next
 * calls. The table is not walked: the work is the flows ended or updated, and the slots of
 * the active-timeout wheel that time has moved across since the last call with the flows in
 * them (about a second's worth when called once a second). Also returns entries whose grace
 * period has passed to the free list. Writer thread; call about once a second with the
 * event-time watermark. Returns the number of flows ended. */
unsigned fh_ft_expire(struct fh_ft *t, uint64_t now_ms, unsigned budget);

/* End every flow (SIGTERM, end of a capture). Writer thread. */
void fh_ft_flush(struct fh_ft *t);

/* Counters: exact from the writer, approximate (racy reads of monotonic counters) from
 * other threads. */
void fh_ft_get_stats(const struct fh_ft *t, struct fh_ft_stats *st);

/*
 * Visit every live flow as a record (cumulative counts since the last event). Calling
 * context: any thread registered with liburcu-qsbr and online; takes rcu_read_lock itself.
 * fn must not block.
 */
void fh_ft_foreach(struct fh_ft *t, void (*fn)(void *arg, const struct fh_flow_rec *rec),
	void *arg);

#endif
