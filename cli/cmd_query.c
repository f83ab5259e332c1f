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

/* A listing with -O: every match is kept, sorted, then printed (up to -c). */
struct sorted {
	struct fh_flow_rec *v;
	size_t n, cap;
	int oom;
};

static void keep_flow(void *arg, const struct fh_flow_rec *r)
{
	struct sorted *s = arg;
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 4096;
		struct fh_flow_rec *nv = realloc(s->v, nc * sizeof(*nv));
		if (!nv) {
			s->oom = 1;
			return;
		}
		s->v = nv;
		s->cap = nc;
	}
	s->v[s->n++] = *r;
}

enum { LO_TSTART, LO_TEND, LO_FLOWS, LO_PACKETS, LO_BYTES, LO_PPS, LO_BPS, LO_BPP };
static const char *const list_orders[] = {"tstart", "tend", "flows", "packets", "bytes", "pps",
	"bps", "bpp"};
static int list_order;

static double rec_metric(const struct fh_flow_rec *r)
{
	double m = r->sampling > 1 ? r->sampling : 1, dur = (double)(r->last_ms - r->first_ms);
	switch (list_order) {
	case LO_TSTART: return (double)r->first_ms;
	case LO_TEND: return (double)r->last_ms;
	case LO_PACKETS: return (double)r->packets * m;
	case LO_BYTES: return (double)r->bytes * m;
	case LO_PPS: return dur > 0 ? r->packets * m * 1000 / dur : 0;
	case LO_BPS: return dur > 0 ? r->bytes * m * 8000 / dur : 0;
	case LO_BPP: return r->packets ? (double)r->bytes / r->packets : 0;
	default: return 0; /* flows: each record is one */
	}
}

static int by_rec(const void *x, const void *y)
{
	double a = rec_metric(x), b = rec_metric(y);
	int asc = list_order == LO_TSTART || list_order == LO_TEND; /* times: oldest first */
	if (a == b)
		return 0;
	return (a < b) == asc ? -1 : 1;
}

/* addresses and networks: text, wide columns */
static int wide(unsigned f)
{
	return f & (FH_QF_SRCIP | FH_QF_DSTIP | FH_QF_SRCNET | FH_QF_DSTNET);
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
				printf(wide(1u << i) ? " %-43s" : " %7s", fh_query_field_names[i]);
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
				printf(wide(1u << i) ? ",\"%s\":\"%s\"" : ",\"%s\":%s",
					fh_query_field_names[i], v);
			else if (o->csv)
				printf(",%s", v);
			else
				printf(wide(1u << i) ? " %-43s" : " %7s", v);
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
		   "                       [-c N] [-O ORDER] [-T THREADS]\n"
		   "                       ['FILTER']\n"
		   "  STAT: srcip dstip ip srcport dstport port proto srcnet dstnet as srcas dstas\n"
		   "  if inif outif; ORDER: flows packets bytes pps bps bpp (and tstart for -O)\n"
		   "  FIELDS: srcip,dstip,srcport,dstport,proto,srcas,dstas,inif,outif,srcnet,\n"
		   "  dstnet, srcip4/LEN, dstip6/LEN ...; a listing: -c N flows, -O tstart tend\n"
		   "  flows packets bytes pps bps bpp\n"
		   "  START/END: YYYY/MM/DD.hh:mm:ss, ISO 8601 or epoch seconds\n");
}

int fh_cmd_query(int argc, char **argv)
{
	struct fh_query q = {.from = 0, .to = UINT64_MAX};
	struct out o = {.fmt = FH_FMT_TEXT};
	const char *dir = NULL, *ffile = NULL;
	unsigned top = 10, afields = 0;
	struct fh_q_table amasks = {0};
	int opt, aorder = FH_QO_TSTART, top_given = 0;
	const char *order_arg = NULL;
	unsigned long long count = 0; /* -c: at most this many flows listed */
	char err[512];
	optind = 1;
	while ((opt = getopt(argc, argv, "R:t:s:n:o:f:A:O:T:c:h")) != -1) {
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
			if (!(afields = fh_query_parse_fields(optarg, &amasks))) {
				fprintf(stderr, "query: -A: '%s' is not a list of srcip dstip srcport "
						"dstport proto srcas dstas inif outif srcnet dstnet, "
						"srcip4/LEN dstip6/LEN (an address or its network, not "
						"both)\n", optarg);
				return FH_EXIT_USAGE;
			}
			break;
		case 'c': {
			char *end;
			count = strtoull(optarg, &end, 10);
			if (*end || !count) {
				fprintf(stderr, "query: -c: '%s' is not a positive number\n", optarg);
				return FH_EXIT_USAGE;
			}
			break;
		}
		case 'O':
			order_arg = optarg;
			list_order = -1;
			for (int k = 0; k < 8; k++)
				if (!strcmp(optarg, list_orders[k]))
					list_order = k;
			aorder = fh_query_parse_order(optarg, true);
			if (aorder < 0 && list_order < 0) {
				fprintf(stderr, "query: -O: '%s' is not tstart tend flows packets bytes "
						"pps bps bpp\n", optarg);
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
	if (order_arg && (afields ? aorder < 0 : q.nst ? 1 : list_order < 0)) {
		fprintf(stderr, "query: -O %s: %s\n", order_arg,
			afields ? "-A orders by flows packets bytes pps bps bpp tstart"
			: q.nst ? "-s takes its order as STAT/ORDER"
				: "a listing orders by tstart tend flows packets bytes pps bps bpp");
		return FH_EXIT_USAGE;
	}
	if (afields && q.nst) {
		fprintf(stderr, "query: -A and -s do not go together\n");
		return FH_EXIT_USAGE;
	}
	if (afields) { /* one aggregate table, printed whole unless -n */
		fh_query_add_table(&q, FH_QK_AGG, aorder, afields);
		q.st[0].src4 = amasks.src4, q.st[0].src6 = amasks.src6;
		q.st[0].dst4 = amasks.dst4, q.st[0].dst6 = amasks.dst6;
	}
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
	q.scale = true; /* statistics count sampled packets and bytes scaled, as nfdump does */
	struct sorted so = {0};
	int sort_listing = !q.nst && order_arg;
	q.on_flow = sort_listing ? keep_flow : print_flow;
	q.arg = sort_listing ? (void *)&so : (void *)&o;
	if (!sort_listing)
		q.limit = count; /* the first -c flows in file order */
	if (o.csv && !q.nst)
		printf("%s\n", fh_flow_fmt_csv_header());
	int n = fh_query_run(&q, dir);
	if (n < 0) {
		fprintf(stderr, "query: %s: %s\n", dir, strerror(-n));
		fh_filter_free(filter);
		return FH_EXIT_FAIL;
	}
	if (sort_listing) {
		if (so.oom)
			fprintf(stderr, "query: -O: out of memory; the order covers the first %zu "
					"flows\n", so.n);
		if (so.n)
			qsort(so.v, so.n, sizeof(*so.v), by_rec);
		for (size_t i = 0; i < so.n && (!count || i < count); i++)
			print_flow(&o, &so.v[i]);
		free(so.v);
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
