/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Time series of traffic for the web view and /metrics, rrdtool-style: per series, flows,
 * packets and bytes in and out, kept at three resolutions in fixed-size rings (1 minute for
 * 2 days, 5 minutes for 14 days, 1 hour for 366 days), so a year takes bounded space
 * (docs/web.md). Every resolution is a sum, so a count is added to the slot of its time at
 * each resolution at once: no consolidation pass, and a late record still lands in its own
 * minute while that minute is in the ring. The rings live in a memory-mapped file that
 * survives restarts (or in memory when no file is given).
 *
 * Series: "total", "proto.tcp|udp|icmp|other", "port.N" for configured ports (either end),
 * "net.CIDR" for each home network (either end inside), "profile.NAME" for each profile (a
 * named filter in the nfdump syntax, as nfsen's). "out" is traffic whose source is inside a
 * home network; everything else is "in".
 *
 * Threads: analytics shards add through their own accumulator (no lock per flow; each
 * accumulator is merged under the store's mutex about once a second); readers (the web
 * server) take the mutex to copy a range out.
 */
#ifndef FH_STORE_SERIES_H
#define FH_STORE_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "dataplane/flow.h"
#include "store/filter.h"

enum { FH_SV_FLOWS_IN, FH_SV_FLOWS_OUT, FH_SV_PACKETS_IN, FH_SV_PACKETS_OUT, FH_SV_BYTES_IN,
	FH_SV_BYTES_OUT, FH_SV_MAX };
extern const char *const fh_series_value_names[FH_SV_MAX];

#define FH_SERIES_NAME_LEN 64
#define FH_SERIES_MAX 256
#define FH_SERIES_LEVELS 3

struct fh_series_profile {
	char name[32];
	const struct fh_filter *filter; /* not owned */
};

struct fh_series_spec {
	const uint16_t *ports; /* port.N series */
	unsigned n_ports;
	const struct fh_cidr_list *home_net; /* in/out and net.CIDR series; may be NULL */
	const struct fh_series_profile *profiles;
	unsigned n_profiles;
};

struct fh_series;

/* Open (or create) the store at path (NULL: in memory only). An existing file made for
 * other series keeps the series both have (by name); its other rings are dropped. NULL with
 * a message in err. */
struct fh_series *fh_series_open(const struct fh_series_spec *spec, const char *path, char *err,
	size_t errlen);
void fh_series_close(struct fh_series *s); /* syncs the file */
/* Write the mapped rings to disk (msync). */
void fh_series_sync(struct fh_series *s);

unsigned fh_series_count(const struct fh_series *s);
const char *fh_series_name(const struct fh_series *s, unsigned i);
int fh_series_find(const struct fh_series *s, const char *name); /* -1 if absent */

/* Resolutions: step in seconds and slots, finest first. */
extern const uint32_t fh_series_level_step[FH_SERIES_LEVELS];
extern const uint32_t fh_series_level_slots[FH_SERIES_LEVELS];

/* ---- adding (one accumulator per thread) --------------------------------------------- */

struct fh_series_acc;
struct fh_series_acc *fh_series_acc_new(struct fh_series *s);
void fh_series_acc_free(struct fh_series_acc *a); /* flushes first */
/* Count one flow event (packets and bytes scaled by rec->sampling) at rec->last_ms in every
 * series it belongs to. */
void fh_series_acc_add(struct fh_series_acc *a, const struct fh_flow_rec *r);
/* Merge what the accumulator holds into the store (takes the store's mutex). */
void fh_series_acc_flush(struct fh_series_acc *a);

/* ---- reading ------------------------------------------------------------------------- */

struct fh_series_range {
	uint64_t from, to; /* ms; to exclusive; aligned to step */
	uint32_t step; /* seconds */
	size_t n; /* points */
};

/*
 * Plan a read of [from, to): the finest resolution that still holds from (and gives at most
 * max_points points), and a step that is a multiple of it and at least min_step_s. -1 with a
 * message when the range is empty or too long.
 */
int fh_series_plan(const struct fh_series *s, uint64_t from, uint64_t to, uint32_t min_step_s,
	size_t max_points, struct fh_series_range *r, char *err, size_t errlen);
/* Copy one series' values into out[FH_SV_MAX][r->n] (zeros where nothing was counted). */
void fh_series_read(struct fh_series *s, unsigned idx, const struct fh_series_range *r,
	uint64_t *const out[FH_SV_MAX]);

struct fh_series_stats {
	uint64_t first_ms, last_ms; /* of any data (0 when none) */
	uint64_t added, late_dropped; /* counts added; additions older than a ring (dropped) */
};
void fh_series_get_stats(struct fh_series *s, struct fh_series_stats *st);

#endif
