/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `flowhound query -R DIR [-t START[-END]] [-s STAT[/ORDER]]... [-n N] [-A FIELDS [-O ORDER]]
 *  [-o table|csv|json] [-f FILE] ['FILTER']`: nfdump-style search over the flow files
 * `analyze --write DIR` wrote. -A: one row per distinct value of the fields, like nfdump -A.
 * Without -s or -A: the matching flows. With -s: top-N statistics by srcip, dstip, ip,
 * srcport, dstport, port or proto, ordered by flows, packets, bytes, pps, bps or bpp; `-o csv`
 * prints nfdump's columns (ts,te,td,pr,val,fl,flP,pkt,pktP,byt,bytP,pps,bps,bpp).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "dataplane/flow_fmt.h"
#include "store/filter.h"
#include "store/query.h"

struct out {
	enum fh_flow_fmt fmt;
	int json, csv;
};

static void print_flow(void *arg, const struct fh_flow_rec *r)
{
	const struct out *o = arg;
	char buf[FH_FLOW_FMT_MAX];
	int n = fh_flow_fmt(o->fmt, r, buf, sizeof(buf));
	if (n > 0 && (size_t)n < sizeof(buf))
		puts(buf);
}

static void print_stat(const struct fh_query *q, const struct out *o, struct fh_q_table *s,
	unsigned top)
{
	fh_query_sort_top(s, top);
	if (s->n < top)
		top = (unsigned)s->n;
	if (o->csv)
		printf("ts,te,td,pr,val,fl,flP,pkt,pktP,byt,bytP,pps,bps,bpp\n");
	else if (!o->json)
		printf("Top %u %s ordered by %s:\n%-23s %-23s %9s %-6s %-39s %10s %6s %12s %6s %14s %6s %8s %10s %6s\n",
			top, fh_query_key_names[s->key], fh_query_order_names[s->order], "Date first seen",
			"Date last seen", "Duration", "Proto", fh_query_key_names[s->key], "Flows", "(%)",
			"Packets", "(%)", "Bytes", "(%)", "pps", "bps", "bpp");
	for (unsigned i = 0; i < top; i++) {
		const struct fh_q_agg *a = &s->v[i];
		char val[FH_IP_STRLEN], t0[FH_TIME_STRLEN], t1[FH_TIME_STRLEN];
		fh_query_field_str(s->fields, a, val, sizeof(val), o->csv || o->json); /* csv: numbers, as nfdump */
		double dur = a->last > a->first ? (a->last - a->first) / 1000.0 : 0;
		double flp = q->matched ? 100.0 * a->flows / q->matched : 0;
		double pkp = q->packets ? 100.0 * a->packets / q->packets : 0;
		double byp = q->bytes ? 100.0 * a->bytes / q->bytes : 0;
		uint64_t pps = fh_query_metric(a, FH_QO_PPS), bps = fh_query_metric(a, FH_QO_BPS),
			 bpp = fh_query_metric(a, FH_QO_BPP);
		fh_time_fmt(a->first, t0, sizeof(t0));
		fh_time_fmt(a->last, t1, sizeof(t1));
		if (o->csv)
			printf("%s,%s,%.3f,any,%s,%" PRIu64 ",%.1f,%" PRIu64 ",%.1f,%" PRIu64
			       ",%.1f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
				t0, t1, dur, val, a->flows, flp, a->packets, pkp, a->bytes, byp, pps,
				bps, bpp);
		else if (o->json)
			printf("{\"stat\":\"%s\",\"val\":\"%s\",\"first\":\"%s\",\"last\":\"%s\","
			       "\"flows\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
			       ",\"pps\":%" PRIu64 ",\"bps\":%" PRIu64 ",\"bpp\":%" PRIu64 "}\n",
				fh_query_key_names[s->key], val, t0, t1, a->flows, a->packets, a->bytes, pps,
				bps, bpp);
		else
			printf("%-23s %-23s %9.3f %-6s %-39s %10" PRIu64 " %6.1f %12" PRIu64
			       " %6.1f %14" PRIu64 " %6.1f %8" PRIu64 " %10" PRIu64 " %6" PRIu64 "\n",
				t0, t1, dur, "any", val, a->flows, flp, a->packets, pkp, a->bytes, byp,
				pps, bps, bpp);
	}
	if (!o->csv && !o->json)
		printf("\n");
}

/* -A: every aggregate (or the first N), ordered by -O (default: first seen) */
static void print_agg(const struct out *o, struct fh_q_table *s, unsigned limit)
{
	fh_query_sort_top(s, limit);
	size_t n = limit && limit < s->n ? limit : s->n;
	if (o->csv) {
		printf("ts,te,td");
		for (unsigned i = 0; i < FH_QF_COUNT; i++)
			if (s->fields & (1u << i))
				printf(",%s", fh_query_field_names[i]);
		printf(",fl,pkt,byt,pps,bps,bpp\n");
	} else if (!o->json) {
		printf("%-23s %-23s %9s", "Date first seen", "Date last seen", "Duration");
		for (unsigned i = 0; i < FH_QF_COUNT; i++)
			if (s->fields & (1u << i))
				printf(i < 2 ? " %-39s" : " %7s", fh_query_field_names[i]);
		printf(" %10s %12s %14s %8s %10s %6s\n", "Flows", "Packets", "Bytes", "pps", "bps",
			"bpp");
	}
	for (size_t r = 0; r < n; r++) {
		const struct fh_q_agg *a = &s->v[r];
		char t0[FH_TIME_STRLEN], t1[FH_TIME_STRLEN], v[FH_IP_STRLEN];
		fh_time_fmt(a->first, t0, sizeof(t0));
		fh_time_fmt(a->last, t1, sizeof(t1));
		double dur = a->last > a->first ? (a->last - a->first) / 1000.0 : 0;
		if (o->json)
			printf("{\"first\":\"%s\",\"last\":\"%s\",\"duration\":%.3f", t0, t1, dur);
		else
			printf(o->csv ? "%s,%s,%.3f" : "%-23s %-23s %9.3f", t0, t1, dur);
		for (unsigned i = 0; i < FH_QF_COUNT; i++) {
			if (!(s->fields & (1u << i)))
				continue;
			fh_query_field_str(1u << i, a, v, sizeof(v), o->csv || o->json);
			if (o->json)
				printf(i < 2 ? ",\"%s\":\"%s\"" : ",\"%s\":%s", fh_query_field_names[i], v);
			else if (o->csv)
				printf(",%s", v);
			else
				printf(i < 2 ? " %-39s" : " %7s", v);
		}
		uint64_t pps = fh_query_metric(a, FH_QO_PPS), bps = fh_query_metric(a, FH_QO_BPS),
			 bpp = fh_query_metric(a, FH_QO_BPP);
		if (o->json)
			printf(",\"flows\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
			       ",\"pps\":%" PRIu64 ",\"bps\":%" PRIu64 ",\"bpp\":%" PRIu64 "}\n",
				a->flows, a->packets, a->bytes, pps, bps, bpp);
		else
			printf(o->csv ? ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
					",%" PRIu64 "\n"
				      : " %10" PRIu64 " %12" PRIu64 " %14" PRIu64 " %8" PRIu64
					" %10" PRIu64 " %6" PRIu64 "\n",
				a->flows, a->packets, a->bytes, pps, bps, bpp);
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: flowhound query -R DIR [-t START[-END]] [-s STAT[/ORDER]]... [-n N]\n"
		   "                       [-A FIELDS [-O ORDER]] [-o table|csv|json] [-f FILE]\n"
		   "                       [-T THREADS]\n"
		   "                       ['FILTER']\n"
		   "  STAT: srcip dstip ip srcport dstport port proto; ORDER: flows packets bytes\n"
		   "  pps bps bpp (and tstart for -O); FIELDS: srcip,dstip,srcport,dstport,proto\n"
		   "  START/END: YYYY/MM/DD.hh:mm:ss, ISO 8601 or epoch seconds\n");
}

int fh_cmd_query(int argc, char **argv)
{
	struct fh_query q = {.from = 0, .to = UINT64_MAX};
	struct out o = {.fmt = FH_FMT_TEXT};
	const char *dir = NULL, *ffile = NULL;
	unsigned top = 10, afields = 0;
	int opt, aorder = FH_QO_TSTART, top_given = 0;
	char err[512];
	optind = 1;
	while ((opt = getopt(argc, argv, "R:t:s:n:o:f:A:O:T:h")) != -1) {
		switch (opt) {
		case 'R': dir = optarg; break;
		case 'f': ffile = optarg; break;
		case 'n': top = (unsigned)atoi(optarg), top_given = 1; break;
		case 'T': {
			int t = atoi(optarg);
			if (t < 1 || t > 64) {
				fprintf(stderr, "query: -T: threads is 1..64\n");
				return FH_EXIT_USAGE;
			}
			q.threads = (unsigned)t;
			break;
		}
		case 'A':
			if (!(afields = fh_query_parse_fields(optarg))) {
				fprintf(stderr, "query: -A: '%s' is not a list of srcip dstip srcport "
						"dstport proto\n", optarg);
				return FH_EXIT_USAGE;
			}
			break;
		case 'O':
			if ((aorder = fh_query_parse_order(optarg, true)) < 0) {
				fprintf(stderr, "query: -O: '%s' is not flows packets bytes pps bps bpp "
						"tstart\n", optarg);
				return FH_EXIT_USAGE;
			}
			break;
		case 't': {
			char b[128];
			snprintf(b, sizeof(b), "%s", optarg);
			char *dash = strchr(b, '-');
			/* nfdump's START-END has slash dates; an ISO date has dashes inside */
			if (strchr(b, '/') && dash)
				*dash = 0;
			else
				dash = NULL;
			if (fh_query_parse_time(b, &q.from) < 0 ||
				(dash && fh_query_parse_time(dash + 1, &q.to) < 0)) {
				fprintf(stderr, "query: -t: bad time '%s'\n", optarg);
				return FH_EXIT_USAGE;
			}
			break;
		}
		case 's': {
			char b[64];
			snprintf(b, sizeof(b), "%s", optarg);
			char *slash = strchr(b, '/');
			if (slash)
				*slash = 0;
			int key = fh_query_parse_key(b);
			int order = slash ? fh_query_parse_order(slash + 1, false) : FH_QO_FLOWS;
			if (key < 0 || order < 0) {
				fprintf(stderr, "query: -s: '%s' is not STAT[/ORDER]\n", optarg);
				usage(stderr);
				return FH_EXIT_USAGE;
			}
			if (fh_query_add_table(&q, key, order, 0) < 0) {
				fprintf(stderr, "query: at most %d -s\n", FH_Q_MAX_STATS);
				return FH_EXIT_USAGE;
			}
			break;
		}
		case 'o':
			if (!strcmp(optarg, "json"))
				o.json = 1, o.fmt = FH_FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				o.csv = 1, o.fmt = FH_FMT_CSV;
			else if (strcmp(optarg, "table")) {
				fprintf(stderr, "query: -o is table, csv or json\n");
				return FH_EXIT_USAGE;
			}
			break;
		case 'h': usage(stdout); return FH_EXIT_OK;
		default: usage(stderr); return FH_EXIT_USAGE;
		}
	}
	if (!dir) {
		usage(stderr);
		return FH_EXIT_USAGE;
	}
	if (afields && q.nst) {
		fprintf(stderr, "query: -A and -s do not go together\n");
		return FH_EXIT_USAGE;
	}
	if (afields) /* one aggregate table, printed whole unless -n */
		fh_query_add_table(&q, FH_QK_AGG, aorder, afields);
	/* the filter: the remaining words, or -f FILE */
	char text[4096] = "";
	for (int i = optind; i < argc; i++) {
		strncat(text, argv[i], sizeof(text) - strlen(text) - 2);
		strcat(text, " ");
	}
	struct fh_filter *filter = ffile ? fh_filter_compile_file(ffile, err, sizeof(err))
					 : fh_filter_compile(text, err, sizeof(err));
	if (!filter) {
		fprintf(stderr, "query: %s\n", err);
		return FH_EXIT_USAGE;
	}
	q.filter = filter;
	q.on_flow = print_flow;
	q.arg = &o;
	if (o.csv && !q.nst)
		printf("%s\n", fh_flow_fmt_csv_header());
	int n = fh_query_run(&q, dir);
	if (n < 0) {
		fprintf(stderr, "query: %s: %s\n", dir, strerror(-n));
		fh_filter_free(filter);
		return FH_EXIT_FAIL;
	}
	for (unsigned i = 0; i < q.nst; i++) {
		if (q.st[i].key == FH_QK_AGG)
			print_agg(&o, &q.st[i], top_given ? top : 0);
		else
			print_stat(&q, &o, &q.st[i], top);
	}
	fprintf(stderr, "query: %d files, %" PRIu64 " flows matched%s\n", n, q.matched,
		q.rs.blocks_damaged ? " (damaged blocks skipped: see above)" : "");
	fh_query_free(&q);
	fh_filter_free(filter);
	return FH_EXIT_OK;
}
