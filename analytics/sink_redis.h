/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Redis alert sink (DESIGN.md §6), on its own thread: analytics threads hand alert events
 * to it through a bounded in-memory queue and never wait on the network. The thread writes
 * each event with one Lua script (atomic: the alert's hash, the active-alerts sorted set, the
 * event stream, the pub/sub channel), pipelined in batches. While Redis is unreachable,
 * events are appended in order to an on-disk spool and delivered, in order, when it returns,
 * also after a restart. Several instances share one alert per activity (same id): counters
 * are kept per instance and summed, `seen_by` lists the instances.
 * The client half serves `flowhound alerts`.
 */
#ifndef FH_ANALYTICS_SINK_REDIS_H
#define FH_ANALYTICS_SINK_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/alert.h"

struct fh_redis_cfg {
	const char *url; /* redis://[user:pass@]host[:port][/db] or unix:///path[?db=N] */
	const char *prefix; /* default "flowhound:" */
	const char *instance; /* default hostname:pid */
	const char *spool; /* spool file; default /var/lib/flowhound/redis.spool */
	size_t spool_max; /* bytes; default 64 MiB: past it, updates are dropped (counted) */
	uint32_t resolved_ttl_s; /* resolved alerts expire after this; default 7 days */
	uint32_t stream_maxlen; /* approximate MAXLEN of the event stream; default 100000 */
	uint64_t stale_ms; /* an instance silent on an alert this long no longer holds it
			    * active when another resolves it; default 30 min */
};

struct fh_redis_stats {
	uint64_t queued, written, spooled, replayed, dropped, duplicates, reconnects;
	int connected;
};

/* Start the sink thread. Returns NULL with a message in err (bad URL, spool not writable).
 * An unreachable Redis is not an error: events are spooled until it answers. */
struct fh_alert_sink *fh_alert_sink_redis_new(const struct fh_redis_cfg *cfg, char *err,
	size_t errlen);

/* Wait (up to timeout_ms) until every queued and spooled event has reached Redis. Returns 0
 * when delivered, -1 on timeout (they stay spooled). Not for the analytics path. */
int fh_alert_sink_redis_drain(struct fh_alert_sink *s, unsigned timeout_ms);

void fh_alert_sink_redis_stats(struct fh_alert_sink *s, struct fh_redis_stats *st);

/* ---- client (flowhound alerts) -------------------------------------------------------- */

struct fh_redis_client;

struct fh_redis_client *fh_redis_client_open(const char *url, const char *prefix, char *err,
	size_t errlen);
void fh_redis_client_close(struct fh_redis_client *c);

/* Print active alerts (newest update first): a table, or one JSON object a line. */
int fh_redis_alerts_list(struct fh_redis_client *c, int json, FILE *out, char *err, size_t errlen);
/* Print one alert's hash (every field, the alert JSON pretty-printed). -ENOENT if absent. */
int fh_redis_alerts_show(struct fh_redis_client *c, const char *id, FILE *out, char *err,
	size_t errlen);
/* Mark an alert acknowledged by who. -ENOENT if absent. */
int fh_redis_alerts_ack(struct fh_redis_client *c, const char *id, const char *who, char *err,
	size_t errlen);
/* Follow the event stream from now (or from the start with from_start), printing each event
 * as a JSON line, until count events (0 = forever) or an error. */
int fh_redis_alerts_tail(struct fh_redis_client *c, int from_start, unsigned count, FILE *out,
	char *err, size_t errlen);

#endif
