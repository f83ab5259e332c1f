/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon (`flowhound run`): dataplane workers (UDP sockets with SO_REUSEPORT, or DPDK
 * ports), each with its decoder and flow table, feeding analytics shards through SPSC rings;
 * a control thread serving `flowhound stats` and `flowhound reload` on a unix socket;
 * SIGHUP reloads, SIGTERM/SIGINT stop after flushing every table.
 */
#ifndef FH_DAEMON_DAEMON_H
#define FH_DAEMON_DAEMON_H

#include <stddef.h>

#include "config/config.h"

struct fh_daemon;

/* Start everything from cfg (copied). config_path (may be NULL) is re-read on reload, with
 * the same command-line overrides (sets, n_sets) applied again. Returns NULL with a message
 * in err. Main thread. */
struct fh_daemon *fh_daemon_start(const struct fh_config *cfg, const char *config_path,
	char *const *sets, unsigned n_sets, char *err, size_t errlen);

/* Run until SIGTERM/SIGINT (or fh_daemon_stop), then flush and stop every thread. Returns
 * the exit status. Main thread. */
int fh_daemon_wait(struct fh_daemon *d);

void fh_daemon_stop(struct fh_daemon *d);
void fh_daemon_free(struct fh_daemon *d);

/* Client side of the control socket: send cmd ("stats", "reload"), write the reply to out.
 * Returns 0, or -1 with a message in err (no daemon listening, ...). */
int fh_control_request(const char *socket_path, const char *cmd, char *out, size_t outlen,
	char *err, size_t errlen);

#endif
