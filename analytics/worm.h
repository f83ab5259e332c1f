/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The worm table: the ports that inside hosts are found scanning, and by whom, shared by all
 * the analytics shards. Each shard judges its own hosts; a worm's first few scanners are
 * spread over the shards by address, and only their union reaches worm_sources. The same
 * table counts the hosts holding a long thin web flow to one destination network
 * (tunnel.http: a service many hosts keep a channel to is no tunnel): a key is a port
 * (fh_worm_port_key) or a network (fh_worm_net_key).
 *
 * Lock-free: a port's slot is claimed once (compare-and-swap) and never given back; its
 * scanners are bits of a linear-counting bitmap (Whang et al. 1990), set with atomic OR;
 * times are kept with atomic min. A run of scanning is counted in epochs of gap_ms: the
 * scanners of the current epoch and the one before, so that a quiet spell of two epochs
 * starts the count again. An epoch's half of a slot is cleared by the shard that first
 * sees the new epoch; a note that meets the clearing is skipped (a scanner is noted at each
 * of its scanning flows: its next one counts).
 *
 * One shard raises a port's worm alert (fh_worm_raiser): the first to see the count reach
 * worm_sources. The others' scanners reach that alert through the table: the raising shard
 * reads the port's latest scanning flow at each tick (fh_worm_look) and carries the alert on.
 * When its alert resolves the shard lets go of it (fh_worm_release); a shard that has not
 * raised it for hold_ms loses it too.
 * So the sinks hear of one alert, not one a shard (two "new" events, and a Redis alert
 * resolved by one shard while another still raised it).
 */
#ifndef FH_ANALYTICS_WORM_H
#define FH_ANALYTICS_WORM_H

#include <stdint.h>

#include "dataplane/flow.h"

#define FH_WORM_BITS 1024 /* each half's bitmap */
#define FH_WORM_SLOTS 4096 /* keys at once (about 2 MiB) */
#define FH_WORM_SHOWN 4 /* the first scanners kept for the evidence */

struct fh_worm_table;

/* NULL when out of memory. */
struct fh_worm_table *fh_worm_table_new(void);
void fh_worm_table_free(struct fh_worm_table *w);

/* The key of a port's scanners, and of a destination network's (its /24, or /48 for IPv6). */
static inline uint64_t fh_worm_port_key(uint16_t port, uint8_t proto)
{
	return ((uint64_t)port << 8 | proto) + 1;
}
uint64_t fh_worm_net_key(const struct fh_ip *dst);

/* What a key's sources look like now. */
struct fh_worm_seen {
	unsigned ones; /* bits set in the union of the two epochs' bitmaps (linear counting) */
	uint64_t first; /* the earliest scanning flow noted in the two epochs */
	uint64_t last; /* and the latest */
	unsigned n_src;
	struct fh_ip src[FH_WORM_SHOWN]; /* its first scanners, in the order noted */
};

/*
 * Note that src, whose hash is h, was found scanning the port (or holding a flow to the
 * network) of key at event time t, and fill *out. 0; -1 when the table has no slot left for
 * the key (nothing noted); 1 when the key's half for t is being cleared by another shard, or
 * counts a later epoch (nothing noted; out holds what is known). Any thread.
 */
int fh_worm_note(struct fh_worm_table *w, uint64_t key, uint64_t h, const struct fh_ip *src,
	uint64_t t, uint64_t gap_ms, struct fh_worm_seen *out);

/* What fh_worm_note would say of the key at t, without noting anything. -1: no slot. */
int fh_worm_look(struct fh_worm_table *w, uint64_t key, uint64_t t, uint64_t gap_ms,
	struct fh_worm_seen *out);

/* A shard's number in the table (1, 2, ...): who raises a port's alert. */
unsigned fh_worm_join(struct fh_worm_table *w);

/*
 * Whether shard `me` is to raise the port's worm alert for a flow at t: 1 when it raised it
 * last, or when no shard has for hold_ms (then it takes it over), and it is noted as raising
 * it at t; 0 when another shard does.
 */
int fh_worm_raiser(struct fh_worm_table *w, uint64_t key, unsigned me, uint64_t t,
	uint64_t hold_ms);

/* Shard `me` no longer raises the port's alert (it resolved): the next to see the count
 * reach worm_sources raises a new one at once. */
void fh_worm_release(struct fh_worm_table *w, uint64_t key, unsigned me);

#endif
