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
#include "config/config.h"
#include "dataplane/flowtable.h"

/* Detector thresholds; defaults in docs/detectors.md, each settable with --set detect.KEY. */
struct fh_detect_cfg {
	uint64_t window_ms; /* counting window, event time */
	uint32_t scan_h_targets; /* distinct hosts on one port */
	uint32_t scan_v_ports; /* distinct ports on one host */
	double scan_fail_ratio; /* share of the source's flows that failed */
	uint32_t scan_slow_targets; /* over scan_slow_window_ms */
	uint64_t scan_slow_window_ms;
	uint32_t worm_sources; /* distinct scanning sources on one port */
	uint64_t flood_pps; /* per victim, scaled packets per second */
	uint32_t flood_sources; /* distinct sources for a spoofed flood */
	uint32_t resolver_clients; /* distinct outside clients of an inside resolver */
	uint32_t dns_tunnel_queries; /* queries in the window */
	uint32_t dns_tunnel_avg_bytes; /* average query size (IP bytes) */
	uint64_t tunnel_http_ms; /* duration of a long web flow */
	uint32_t tunnel_http_bps; /* at most this many bytes per second */
	uint64_t tunnel_ssh_ms;
	uint64_t tunnel_ssh_bytes;
	uint32_t spam_targets; /* distinct outside SMTP servers */
	uint32_t p2p_peers; /* distinct high-port peers */
	uint32_t hosts; /* host states per shard */
};

void fh_detect_defaults(struct fh_detect_cfg *c);

/* Set one threshold by name ("scan_h_targets=20"; durations in ms). Returns 0, or -1 with
 * a message naming the key. */
int fh_detect_cfg_set(struct fh_detect_cfg *c, const char *kv, char *err, size_t errlen);

struct fh_analytics_cfg {
	struct fh_detect_cfg detect;
	const struct fh_cidr_list *home_net; /* not owned; may be empty */
	const struct fh_cidr_list *allow_scanners, *allow_resolvers, *allow_mail; /* may be NULL */
	const struct fh_blocklist_set *blocklists; /* may be NULL; not owned */
	struct fh_alert_table_cfg alerts;
};

struct fh_analytics;

/* NULL on allocation failure. Sinks are not owned. */
struct fh_analytics *fh_analytics_new(const struct fh_analytics_cfg *cfg,
	struct fh_alert_sink **sinks, unsigned n_sinks);
void fh_analytics_free(struct fh_analytics *a);

/* One flow event (counts are deltas, raw: scaled here by rec.sampling). Shard thread. */
void fh_analytics_event(struct fh_analytics *a, const struct fh_flow_event *ev);

/* Advance event time: close windows, resolve quiet alerts. */
void fh_analytics_tick(struct fh_analytics *a, uint64_t watermark_ms);

struct fh_alert_table *fh_analytics_alerts(struct fh_analytics *a);

struct fh_analytics_stats {
	uint64_t events, hosts, evictions;
};
void fh_analytics_get_stats(const struct fh_analytics *a, struct fh_analytics_stats *st);

#endif
