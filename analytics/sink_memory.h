/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The in-memory alert sink: the latest state of the most recent alerts of this process, for
 * the web view and /metrics when there is no Redis (and for this instance's resolved alerts
 * when there is). Bounded: past capacity, the alert updated longest ago is forgotten
 * (resolved ones first). Thread-safe (a mutex around each event and each read).
 */
#ifndef FH_ANALYTICS_SINK_MEMORY_H
#define FH_ANALYTICS_SINK_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include "analytics/alert.h"

struct fh_alert_sink *fh_alert_sink_memory_new(unsigned capacity);

/* Copy out up to max alerts (active only, or all), most recently updated first. Returns the
 * number copied. */
unsigned fh_alert_sink_memory_get(struct fh_alert_sink *s, bool active_only,
	struct fh_alert *out, unsigned max);

/* Alerts seen (new events) and active now, by type (FH_ALERT_TYPE_MAX entries each). */
void fh_alert_sink_memory_counts(struct fh_alert_sink *s, uint64_t created[FH_ALERT_TYPE_MAX],
	uint64_t active[FH_ALERT_TYPE_MAX]);

#endif
