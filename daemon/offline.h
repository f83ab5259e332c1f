/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The pipeline of `flowhound run` over capture files, on the capture's clock, in one thread
 * (so `analyze` is deterministic): capture reader -> worker (export datagrams decoded, other
 * traffic metered in tap mode) -> flow table (expiry every second of capture time) -> flow
 * events to the consumer (the analytics engine).
 */
#ifndef FH_DAEMON_OFFLINE_H
#define FH_DAEMON_OFFLINE_H

#include <stddef.h>

#include "config/config.h"
#include "dataplane/flowtable.h"
#include "dataplane/worker.h"

struct fh_feed_result {
	uint64_t frames, malformed;
	unsigned files_failed;
	uint64_t last_ts; /* the latest capture time seen */
};

/*
 * Feed capture files to a worker as a collector would receive them: packets and raw
 * datagrams in order, on the capture's clock (raw files, which have none, take the last time
 * seen). Malformed datagrams are reported on stderr as `FILE: frame N: exporter A: REASON`.
 * after(arg, ts), when not NULL, runs after each packet or datagram. Returns 0, or -1 when a
 * file could not be read (the others are still fed).
 */
int fh_offline_feed(struct fh_worker *w, char *const *files, int n_files,
	void (*after)(void *arg, uint64_t ts), void *arg, struct fh_feed_result *res);

struct fh_offline_result {
	struct fh_worker_stats ws;
	struct fh_ft_stats fs;
	uint64_t frames, events, malformed;
	uint64_t first_ms, last_ms; /* capture time span */
	unsigned files_failed;
};

/*
 * Run the files through the pipeline. Each flow event goes to on_event (with its cause and
 * kind); tick is called every second of capture time with the watermark (may be NULL).
 * Malformed datagrams are reported on stderr as `FILE: frame N: exporter A: REASON`.
 * Returns 0, or -1 when a file could not be read (the others are still processed).
 */
int fh_offline_run(const struct fh_config *cfg, char *const *files, int n_files,
	void (*on_event)(void *arg, const struct fh_flow_event *ev),
	void (*tick)(void *arg, uint64_t watermark_ms), void *arg, struct fh_offline_result *res);

#endif
