/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The detectors' settings (docs/detectors.md): thresholds and the alert types suppressed.
 * Part of the configuration (`detect.NAME = VALUE` lines, `--set detect.NAME=VALUE`), read by
 * the analytics engine; reloadable.
 */
#ifndef FH_ANALYTICS_DETECT_CFG_H
#define FH_ANALYTICS_DETECT_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/flow.h"

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
	double flood_vs_baseline; /* and this many times the victim's own usual rate; before it has
				   * one, UDP it answers (half or more) is none (0: both off) */
	uint32_t resolver_clients; /* distinct outside clients of an inside resolver */
	uint32_t dns_tunnel_queries; /* queries in the window */
	uint32_t dns_tunnel_avg_bytes; /* average query size (IP bytes) */
	double dns_tunnel_vs_hosts; /* or DNS bytes this many times the hosts' 99th percentile */
	uint64_t tunnel_http_ms; /* duration of a long web flow */
	uint32_t tunnel_http_bps; /* at most this many bytes per second */
	uint32_t tunnel_http_popular; /* unless this many hosts hold such a flow to its network
				       * (a service's push channels; 0: off) */
	uint64_t tunnel_ssh_ms;
	uint64_t tunnel_ssh_bytes;
	uint32_t spam_targets; /* distinct outside SMTP servers */
	double mail_jump; /* a mail server's SMTP fan-out this many times its baseline */
	uint32_t mail_warmup; /* windows of baseline before the jump test applies */
	uint32_t p2p_peers; /* distinct high-port peers */
	uint32_t hosts; /* host states per shard */
	uint32_t suppress; /* alert types never raised: bit (1 << enum fh_alert_type) */
};

void fh_detect_defaults(struct fh_detect_cfg *c);

/* Set one threshold by name ("scan_h_targets=20"; durations in ms), or the suppressed types
 * ("suppress=scan.slow,p2p.bittorrent"; "suppress=" for none). Returns 0, or -1 with a
 * message naming the key. */
int fh_detect_cfg_set(struct fh_detect_cfg *c, const char *kv, char *err, size_t errlen);

/*
 * Thresholds for one network (config `detect.net = CIDR NAME=VALUE ...`): the hosts of net
 * are judged with d, the global settings with those NAME=VALUE changed. window_ms,
 * scan_slow_window_ms, hosts and suppress stay global.
 */
#define FH_DETECT_MAX_NETS 16
struct fh_detect_override {
	struct fh_ip net;
	unsigned plen128;
	struct fh_detect_cfg d;
};
/* Parse "CIDR NAME=VALUE ..." over base into o. 0, or -1 with a message. */
int fh_detect_override_parse(const char *text, const struct fh_detect_cfg *base,
	struct fh_detect_override *o, char *err, size_t errlen);

/* Every setting as `detect.NAME = VALUE` lines (for `flowhound config`). */
void fh_detect_cfg_dump(const struct fh_detect_cfg *c, FILE *f);

#endif
