/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The analytics engine of one shard: per-host state over event-time windows, fed flow events
 * (dataplane/flowtable.h), and the detectors that turn it into alerts (analytics/alert.h).
 * A shard owns the hosts routed to it (FH_ROLE_SRC: the source's state; FH_ROLE_DST: the
 * destination's), so nothing here is locked. Memory is bounded: a fixed pool of hosts, the
 * idlest evicted when it is full. See docs/detectors.md for each detector.
 */
#ifndef FH_ANALYTICS_ENGINE_H
#define FH_ANALYTICS_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/alert.h"
#include "analytics/blocklist.h"
#include "analytics/detect_cfg.h"
#include "config/config.h"
#include "dataplane/flowtable.h"

struct fh_worm_table;

struct fh_analytics_cfg {
	struct fh_detect_cfg detect;
	const struct fh_cidr_list *home_net; /* not owned; may be empty */
	const struct fh_cidr_list *allow_scanners, *allow_resolvers, *allow_mail; /* may be NULL */
	const struct fh_blocklist_set *blocklists; /* may be NULL; not owned */
	/* thresholds per network (the longest match for the host whose state is judged: the
	 * source's for scans, tunnels, spam...; the victim's for floods); not owned */
	const struct fh_detect_override *nets;
	unsigned n_nets;
	struct fh_alert_table_cfg alerts;
	/* the ports inside hosts scan and their scanners, shared by the shards (worm.h), so that
	 * a worm's first scanners count together wherever their addresses put them; NULL: the
	 * engine's own. Set at fh_analytics_new; not owned */
	struct fh_worm_table *worms;
};

struct fh_analytics;

/* NULL on allocation failure. Sinks are not owned. */
struct fh_analytics *fh_analytics_new(const struct fh_analytics_cfg *cfg,
	struct fh_alert_sink **sinks, unsigned n_sinks);
void fh_analytics_free(struct fh_analytics *a);

/* Take new settings (a reload): thresholds, suppressed types, home networks, allowlists and
 * blocklists; the host pool keeps its size and the alerts their table. The pointers in cfg
 * must stay valid until the next call. Shard thread. */
void fh_analytics_reconfigure(struct fh_analytics *a, const struct fh_analytics_cfg *cfg);

/* One flow event (counts are deltas, raw: scaled here by rec.sampling). Shard thread. */
void fh_analytics_event(struct fh_analytics *a, const struct fh_flow_event *ev);
/* n events in order, as n calls of fh_analytics_event would take them, but faster: the hosts
 * of later events are loaded while earlier ones are judged. Shard thread. */
void fh_analytics_events(struct fh_analytics *a, const struct fh_flow_event *ev, unsigned n);

/* Advance event time (the watermark): resolve quiet alerts. A host's windows move on at its
 * own next record (their panes are aligned on event time, docs/detectors.md). */
void fh_analytics_tick(struct fh_analytics *a, uint64_t watermark_ms);

struct fh_alert_table *fh_analytics_alerts(struct fh_analytics *a);

struct fh_analytics_stats {
	uint64_t events, hosts, evictions;
	uint64_t late; /* records too late for a window (older than the pane before the current) */
	uint64_t sketch_blocks, sketch_bytes; /* the sets' dense blocks in use; the pool's memory */
	uint64_t sketch_full; /* adds that found no block (memory short): the set stays at 7 */
	/* a destination's first flood-kind record, held until its second (engine.c, struct
	 * hold), whose place another destination's took first: not counted for its victim */
	uint64_t flood_first_dropped;
	/* an outside source's first record that could raise nothing alone, held while the pool
	 * was full (engine.c, struct src_hold) until its second, whose place another source's
	 * took first: not judged for its source (the blocklists judged it) */
	uint64_t src_first_dropped;
	/* scanning flows of inside hosts that the worm table had no slot for: more ports
	 * scanned at once than its 1,024 (worm.h); not counted for a worm */
	uint64_t worm_untracked;
};
void fh_analytics_get_stats(const struct fh_analytics *a, struct fh_analytics_stats *st);

#endif
