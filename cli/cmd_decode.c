/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `flowhound decode [--format json|csv|text] [--port N]... CAPTURE...`: print every flow
 * record in the captures, decoded as a collector would receive them (one decoder for the
 * whole run, files in order, so templates in one file serve data in the next). Malformed
 * datagrams are reported on stderr with the file, frame number and reason, and skipped.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "dataplane/flow_fmt.h"
#include "daemon/offline.h"
#include "store/filter.h"
#include "dataplane/worker.h"

struct decode_ctx {
	enum fh_flow_fmt fmt;
	struct fh_filter *filter; /* NULL: every record */
};

static void print_rec(void *arg, const struct fh_flow_rec *r)
{
	struct decode_ctx *c = arg;
	char buf[FH_FLOW_FMT_MAX];
	if (c->filter && !fh_filter_match(c->filter, r))
		return;
	int n = fh_flow_fmt(c->fmt, r, buf, sizeof(buf));
	if (n > 0 && (size_t)n < sizeof(buf)) {
		buf[n] = '\n';
		fwrite(buf, 1, (size_t)n + 1, stdout);
	}
}

static void print_element(void *arg, unsigned id, const char *name, const char *dest,
	unsigned minw, unsigned maxw)
{
	(void)arg;
	if (minw == maxw)
		printf("| %u | %s | %s | %u |\n", id, name, dest, minw);
	else
		printf("| %u | %s | %s | %u..%u |\n", id, name, dest, minw, maxw);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: flowhound decode [--format json|csv|text] [--port N]... [--filter EXPR]\n"
		   "                        CAPTURE...   (EXPR: nfdump's filter syntax, docs/filter.md)\n"
		   "       flowhound decode --list-elements   (the NetFlow v9/IPFIX elements decoded)\n"
		   "  CAPTURE: pcap or pcapng (export datagrams on the collector ports 2055, 9995,\n"
		   "  9996, 4739, 6343 and --port N, or recognised by content on any UDP port), or\n"
		   "  a raw payload file (.dat/.bin datagrams back to back, .ipfix RFC 5655 file)\n");
}

struct sum {
	uint64_t pending;
};

static void sum_exporter(void *arg, const struct fh_ip *ip, const struct fh_exporter_stats *st)
{
	struct sum *s = arg;
	(void)ip;
	s->pending += st->pending - st->pending_decoded - st->pending_dropped;
}

int fh_cmd_decode(int argc, char **argv)
{
	static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
		{"port", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'},
		{"list-elements", no_argument, NULL, 'L'}, {"filter", required_argument, NULL, 'F'},
		{NULL, 0, NULL, 0}};
	struct fh_worker_cfg cfg = {.sniff = true};
	struct decode_ctx c = {.fmt = FH_FMT_JSON};
	int opt;

	memcpy(cfg.ports, fh_default_collector_ports, sizeof(fh_default_collector_ports));
	cfg.n_ports = 5;
	while ((opt = getopt_long(argc, argv, "f:p:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'f': {
			int f = fh_flow_fmt_parse(optarg);
			if (f < 0) {
				fprintf(stderr, "decode: --format: '%s' is not json, csv or text\n",
					optarg);
				return FH_EXIT_USAGE;
			}
			c.fmt = (enum fh_flow_fmt)f;
			break;
		}
		case 'p': {
			char *end;
			long p = strtol(optarg, &end, 10);
			if (*end || p < 1 || p > 65535 || cfg.n_ports >= FH_WORKER_MAX_PORTS) {
				fprintf(stderr, "decode: --port: '%s' is not a port number\n",
					optarg);
				return FH_EXIT_USAGE;
			}
			cfg.ports[cfg.n_ports++] = (uint16_t)p;
			break;
		}
		case 'h':
			usage(stdout);
			return FH_EXIT_OK;
		case 'F': {
			char err[512];
			fh_filter_free(c.filter);
			c.filter = fh_filter_compile(optarg, err, sizeof(err));
			if (!c.filter) {
				fprintf(stderr, "decode: %s\n", err);
				return FH_EXIT_USAGE;
			}
			break;
		}
		case 'L':
			printf("| id | IANA name | goes to | width (bytes) |\n|---|---|---|---|\n");
			fh_decode_elements(print_element, NULL);
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
	struct fh_rec_sink sink = {.emit = print_rec, .arg = &c};
	struct fh_worker *w = fh_worker_new(0, &cfg, &sink);
	if (!w) {
		fprintf(stderr, "decode: out of memory\n");
		return FH_EXIT_FAIL;
	}
	if (c.fmt == FH_FMT_CSV)
		printf("%s\n", fh_flow_fmt_csv_header());
	struct fh_feed_result fr = {0};
	int status = fh_offline_feed(w, argv + optind, argc - optind, NULL, NULL, &fr) < 0
			     ? FH_EXIT_FAIL
			     : FH_EXIT_OK;
	fflush(stdout);
	const struct fh_worker_stats *ws = fh_worker_stats(w);
	struct sum s = {0};
	fh_decoder_foreach_exporter(fh_worker_decoder(w), sum_exporter, &s);
	fprintf(stderr,
		"decode: %" PRIu64 " frames, %" PRIu64 " export datagrams, %" PRIu64
		" records, %" PRIu64 " malformed, %" PRIu64 " fragments skipped, %" PRIu64
		" records waiting for a template (dropped)\n",
		fr.frames, ws->datagrams, ws->records, fr.malformed, ws->fragments, s.pending);
	fh_worker_free(w);
	fh_filter_free(c.filter);
	return status;
}
