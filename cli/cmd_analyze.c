/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `flowhound analyze [-c FILE] [--set KEY=VALUE]... [--home-net CIDR]...
 *  [--blocklist NAME=PATH]... [--format json|text] CAPTURE...`: the pipeline of `run` over
 * captures, on the capture's clock; prints every alert, one JSON object a line, in its final
 * state, and a summary on stderr.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/engine.h"
#include "analytics/sink_redis.h"
#include "cli/cli.h"
#include "daemon/offline.h"
#include "daemon/setup.h"
#include "store/flowfile.h"

struct actx {
	struct fh_analytics *a;
	struct fh_flowstore *store; /* --write */
	struct fh_flow_event buf[64]; /* events go to the engine in bursts, as in `run` */
	unsigned n;
};

static void flush_events(struct actx *c)
{
	fh_analytics_events(c->a, c->buf, c->n);
	c->n = 0;
}

static void on_event(void *arg, const struct fh_flow_event *ev)
{
	struct actx *c = arg;
	c->buf[c->n++] = *ev;
	if (c->n == sizeof(c->buf) / sizeof(c->buf[0]))
		flush_events(c);
	if (c->store && (ev->roles & FH_ROLE_SRC)) /* each flow once */
		fh_flowstore_add(c->store, &ev->rec);
}

/* the watermark: every event before it is in the engine first */
static void on_tick(void *arg, uint64_t wm)
{
	struct actx *c = arg;
	flush_events(c);
	fh_analytics_tick(c->a, wm);
}

static int text_fmt;

static void print_alert(void *arg, const struct fh_alert *al)
{
	char buf[FH_ALERT_JSON_MAX];
	(void)arg;
	if (!text_fmt) {
		fh_alert_to_json(al, buf, sizeof(buf));
		puts(buf);
		return;
	}
	char tn[64], s[FH_IP_STRLEN], d[FH_IP_STRLEN] = "-", t0[FH_TIME_STRLEN], port[8] = "-";
	char ev[FH_ALERT_EVIDENCE_JSON_MAX];
	fh_alert_evidence_json(al, ev, sizeof(ev));
	if (al->has_dst)
		fh_ip_fmt(&al->dst, d, sizeof(d));
	if (al->has_port)
		snprintf(port, sizeof(port), "%u", al->port);
	printf("%s %-18s %-8s src %s dst %s port %s targets %" PRIu64 " %s\n",
		fh_time_fmt(al->detected_at, t0, sizeof(t0)), fh_alert_type_name(al, tn, sizeof(tn)),
		fh_severity_name(al->severity), fh_ip_fmt(&al->src, s, sizeof(s)), d, port,
		al->targets, ev);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: flowhound analyze [-c FILE] [--set KEY=VALUE]... [--home-net CIDR]...\n"
		   "                         [--blocklist NAME=PATH]... [--redis URL] [--write DIR]\n"
		   "                         [--format json|text] CAPTURE...\n");
}

int fh_cmd_analyze(int argc, char **argv)
{
	static const struct option lo[] = {{"config", 1, NULL, 'c'}, {"set", 1, NULL, 's'},
		{"home-net", 1, NULL, 'H'}, {"blocklist", 1, NULL, 'b'}, {"format", 1, NULL, 'f'},
		{"redis", 1, NULL, 'r'}, {"write", 1, NULL, 'w'},
		{"help", 0, NULL, 'h'}, {NULL, 0, NULL, 0}};
	static struct fh_config cfg;
	char err[512];
	const char *cfile = NULL, *write_dir = NULL;
	char *sets[64], *lists[32];
	unsigned n_sets = 0, n_lists = 0;
	int o;

	while ((o = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		switch (o) {
		case 'c':
			cfile = optarg;
			break;
		case 's':
		case 'H':
			if (n_sets == 64)
				return FH_EXIT_USAGE;
			if (o == 'H') {
				static char hb[64][128];
				snprintf(hb[n_sets], sizeof(hb[0]), "home_net=%s", optarg);
				sets[n_sets] = hb[n_sets];
				n_sets++;
			} else {
				sets[n_sets++] = optarg;
			}
			break;
		case 'w':
			write_dir = optarg;
			break;
		case 'r':
			if (n_sets == 64)
				return FH_EXIT_USAGE;
			{
				static char rb[600];
				snprintf(rb, sizeof(rb), "redis.url=%s", optarg);
				sets[n_sets++] = rb;
			}
			break;
		case 'b':
			if (n_lists == 32 || !strchr(optarg, '=')) {
				fprintf(stderr, "analyze: --blocklist takes NAME=PATH\n");
				return FH_EXIT_USAGE;
			}
			lists[n_lists++] = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
				fprintf(stderr, "analyze: --format is json or text\n");
				return FH_EXIT_USAGE;
			}
			text_fmt = !strcmp(optarg, "text");
			break;
		case 'h':
			usage(stdout);
			return FH_EXIT_OK;
		default:
			usage(stderr);
			return FH_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return FH_EXIT_USAGE;
	}
	fh_config_defaults(&cfg);
	if (cfile && fh_config_load(&cfg, cfile, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowhound: %s\n", err);
		return FH_EXIT_USAGE;
	}
	for (unsigned i = 0; i < n_sets; i++)
		if (fh_config_set(&cfg, sets[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "flowhound: %s\n", err);
			return FH_EXIT_USAGE;
		}
	for (unsigned i = 0; i < n_lists; i++) { /* --blocklist NAME=PATH: one more list */
		char kv[700];
		const char *eq = strchr(lists[i], '=');
		snprintf(kv, sizeof(kv), "blocklist=%.*s: %s", (int)(eq - lists[i]), lists[i], eq + 1);
		if (fh_config_set(&cfg, kv, err, sizeof(err)) < 0) {
			fprintf(stderr, "flowhound: --blocklist: %s\n", err);
			return FH_EXIT_USAGE;
		}
	}
	struct fh_blocklist_set *bl = fh_setup_blocklists(&cfg, err, sizeof(err));
	if (err[0]) {
		fprintf(stderr, "flowhound: %s\n", err);
		return FH_EXIT_USAGE;
	}
	static struct fh_detect_override nets[FH_DETECT_MAX_NETS];
	struct fh_analytics_cfg acfg;
	fh_setup_analytics(&cfg, bl, nets, &acfg);
	struct fh_alert_sink *rsink = NULL;
	if (cfg.redis_url[0]) {
		struct fh_redis_cfg rc;
		fh_setup_redis(&cfg, &rc);
		rsink = fh_alert_sink_redis_new(&rc, err, sizeof(err));
		if (!rsink) {
			fprintf(stderr, "flowhound: %s\n", err);
			fh_blocklist_set_free(bl);
			return FH_EXIT_USAGE;
		}
	}
	struct actx c = {.a = fh_analytics_new(&acfg, &rsink, rsink ? 1 : 0),
		.store = write_dir ? fh_flowstore_new(write_dir, NULL) : NULL};
	fh_flowstore_set_codec(c.store, fh_codec_parse(cfg.store_codec));
	if (!c.a) {
		fprintf(stderr, "flowhound: out of memory\n");
		return FH_EXIT_FAIL;
	}
	struct fh_offline_result res;
	int rc = fh_offline_run(&cfg, argv + optind, argc - optind, on_event, on_tick, &c, &res);
	flush_events(&c); /* the last tick (at the end of input) flushed; to be sure */
	if (fh_flowstore_close(c.store))
		rc = -1;
	fh_alert_table_foreach(fh_analytics_alerts(c.a), print_alert, NULL);
	fflush(stdout);
	if (rsink) {
		/* the final state of every alert reaches Redis (or stays spooled for later) */
		fh_alert_table_flush(fh_analytics_alerts(c.a));
		if (fh_alert_sink_redis_drain(rsink, 10000) < 0)
			fprintf(stderr, "flowhound: Redis unreachable: alert events spooled in %s\n",
				cfg.redis_spool);
		rsink->ops->close(rsink);
	}
	struct fh_alert_table_stats as;
	fh_alert_table_stats(fh_analytics_alerts(c.a), &as);
	struct fh_analytics_stats an;
	fh_analytics_get_stats(c.a, &an);
	fprintf(stderr,
		"analyze: %" PRIu64 " frames, %" PRIu64 " export datagrams, %" PRIu64
		" tap packets, %" PRIu64 " records, %" PRIu64 " flows built from samples, %" PRIu64
		" flow events (%" PRIu64 " too late for the windows), %" PRIu64 " malformed; %" PRIu64
		" alerts\n",
		res.frames, res.ws.datagrams, res.ws.tap_packets, res.ws.records, res.fs.inserts,
		res.events, an.late, res.malformed, as.created);
	fh_analytics_free(c.a);
	fh_blocklist_set_free(bl);
	return rc < 0 ? FH_EXIT_FAIL : FH_EXIT_OK;
}
