/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The web view (docs/web.md): an HTTP server (libmicrohttpd, its own threads) serving the
 * page and its assets (built into the binary), a JSON API over the time series, the flow
 * files and live tables, and the alerts, and Prometheus metrics at /metrics. Bound to
 * loopback by default; anywhere else it needs a token or basic authentication; HTTPS when a
 * certificate is given.
 *
 * The web side knows nothing of workers or DPDK: the daemon hands it a source (callbacks and
 * the stores it reads).
 */
#ifndef FH_WEB_WEB_H
#define FH_WEB_WEB_H

#include <stddef.h>
#include <stdint.h>

#include "analytics/alert.h"
#include "config/config.h"
#include "dataplane/flow.h"
#include "store/series.h"

struct fh_web_source {
	struct fh_series *series; /* may be NULL */
	const char *store_dir; /* flow files; NULL or "" when none */
	struct fh_alert_sink *alerts; /* the in-memory sink (analytics/sink_memory.h) */
	const char *redis_url, *redis_prefix; /* active alerts from Redis when set */
	const struct fh_named_list *profiles;
	const struct fh_cidr_list *home_net;
	/* Visit every flow still in the live tables (not in a flow file yet). Any thread. */
	void (*live_flows)(void *arg, void (*fn)(void *fa, const struct fh_flow_rec *r), void *fa);
	/* Append the process's metrics (Prometheus text format) to out; returns the length. */
	size_t (*metrics)(void *arg, char *out, size_t len);
	void *arg;
};

struct fh_web_cfg {
	const char *listen; /* ADDR:PORT, [V6]:PORT */
	const char *token; /* "" = none */
	const char *basic; /* "USER:PASSWORD" or "" */
	const char *tls_cert, *tls_key; /* PEM file paths, or "" */
};

struct fh_web;

/* Start serving. NULL with a message in err (address in use, non-loopback without auth, bad
 * certificate...). */
struct fh_web *fh_web_start(const struct fh_web_cfg *cfg, const struct fh_web_source *src,
	char *err, size_t errlen);
void fh_web_stop(struct fh_web *w);

struct fh_web_stats {
	uint64_t requests, errors_4xx, errors_5xx, auth_failures;
};
void fh_web_get_stats(const struct fh_web *w, struct fh_web_stats *st);

/* ---- for the API (web/api.c) -------------------------------------------------------- */

/* A growing text buffer. */
struct fh_sb {
	char *p;
	size_t n, cap;
	int oom;
};
void fh_sb_printf(struct fh_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fh_sb_puts(struct fh_sb *b, const char *s);
/* s as a JSON string (quoted, escaped) */
void fh_sb_json_str(struct fh_sb *b, const char *s);

/* An API reply: status and body (JSON). */
struct fh_api_reply {
	unsigned status;
	struct fh_sb body;
};

/* Query argument lookup for a request. */
typedef const char *(*fh_api_arg_fn)(void *conn, const char *name);

/* Dispatch /api/... (path after "/api/"). */
void fh_api_handle(const struct fh_web_source *src, const char *path, fh_api_arg_fn arg,
	void *conn, struct fh_api_reply *r);

/* The assets built into the binary (generated from web/static and uPlot). */
struct fh_web_asset {
	const char *path; /* "/static/app.js" */
	const char *mime;
	const unsigned char *data;
	size_t len;
};
extern const struct fh_web_asset fh_web_assets[];
extern const unsigned fh_web_n_assets;

#endif
