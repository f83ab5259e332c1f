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
#include "store/flowfile.h"

enum stat_key { K_SRCIP, K_DSTIP, K_IP, K_SRCPORT, K_DSTPORT, K_PORT, K_PROTO, K_AGG };
enum order { O_FLOWS, O_PACKETS, O_BYTES, O_PPS, O_BPS, O_BPP, O_TSTART };

/* -A fields, in the order of the key and of the output columns */
enum { A_SRCIP = 1, A_DSTIP = 2, A_SRCPORT = 4, A_DSTPORT = 8, A_PROTO = 16 };
#define KEYLEN 40 /* src 16, dst 16, sport 2, dport 2, proto 1, padding */

struct agg {
	uint8_t key[KEYLEN];
	uint64_t flows, packets, bytes, first, last;
};

struct stat_spec {
	int key, order;
	unsigned fields; /* the A_ bits of the key (-s: one, stat_field) */
	struct agg *v;
	size_t n, cap;
	uint32_t *idx;
	size_t idx_cap;
};

struct q {
	struct fh_filter *filter;
	uint64_t from, to;
	enum fh_flow_fmt fmt;
	int json, csv;
	struct stat_spec st[8];
	unsigned nst;
	uint64_t matched, total_flows, total_packets, total_bytes;
};

static uint32_t hashkey(const uint8_t *k)
{
	/* the table indexes by the low bits: fold the high bits down after every multiply, or
	 * keys that differ only in their last bytes (ports, IPv4 in a v4-mapped address)
	 * would all share one bucket */
	uint64_t h = 0;
	for (int i = 0; i < KEYLEN; i += 8) {
		uint64_t w;
		memcpy(&w, k + i, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
	}
	h *= 0xc2b2ae3d27d4eb4full;
	return (uint32_t)(h ^ (h >> 29));
}

static void add(struct stat_spec *s, const uint8_t key[KEYLEN], const struct fh_flow_rec *r)
{
	if ((s->n + 1) * 2 > s->idx_cap) {
		size_t nc = s->idx_cap ? s->idx_cap * 2 : 1024;
		uint32_t *ni = malloc(nc * sizeof(*ni));
		memset(ni, 0xff, nc * sizeof(*ni));
		for (size_t i = 0; i < s->n; i++) {
			size_t k = hashkey(s->v[i].key) & (nc - 1);
			while (ni[k] != UINT32_MAX)
				k = (k + 1) & (nc - 1);
			ni[k] = (uint32_t)i;
		}
		free(s->idx);
		s->idx = ni;
		s->idx_cap = nc;
	}
	size_t k = hashkey(key) & (s->idx_cap - 1);
	while (s->idx[k] != UINT32_MAX && memcmp(s->v[s->idx[k]].key, key, KEYLEN))
		k = (k + 1) & (s->idx_cap - 1);
	if (s->idx[k] == UINT32_MAX) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 1024;
			s->v = realloc(s->v, s->cap * sizeof(*s->v));
		}
		struct agg *a = &s->v[s->n];
		memset(a, 0, sizeof(*a));
		memcpy(a->key, key, KEYLEN);
		a->first = UINT64_MAX;
		s->idx[k] = (uint32_t)s->n++;
	}
	struct agg *a = &s->v[s->idx[k]];
	a->flows++;
	a->packets += r->packets;
	a->bytes += r->bytes;
	if (r->first_ms < a->first)
		a->first = r->first_ms;
	if (r->last_ms > a->last)
		a->last = r->last_ms;
}

/* The key of an aggregate: the selected fields at fixed places, the others zero. -A selects
 * any of them, -s one (stat_field). */
static void agg_key(uint8_t k[KEYLEN], unsigned fields, const struct fh_flow_rec *r)
{
	memset(k, 0, KEYLEN);
	if (fields & A_SRCIP)
		memcpy(k, r->src.a, 16);
	if (fields & A_DSTIP)
		memcpy(k + 16, r->dst.a, 16);
	if (fields & A_SRCPORT)
		k[32] = (uint8_t)(r->sport >> 8), k[33] = (uint8_t)r->sport;
	if (fields & A_DSTPORT)
		k[34] = (uint8_t)(r->dport >> 8), k[35] = (uint8_t)r->dport;
	if (fields & A_PROTO)
		k[36] = r->proto;
}

static void on_rec(void *arg, const struct fh_flow_rec *r)
{
	struct q *q = arg;
	if (q->filter && !fh_filter_match(q->filter, r))
		return;
	q->matched++;
	q->total_flows++;
	q->total_packets += r->packets;
	q->total_bytes += r->bytes;
	if (!q->nst) {
		char buf[FH_FLOW_FMT_MAX];
		int n = fh_flow_fmt(q->fmt, r, buf, sizeof(buf));
		if (n > 0 && (size_t)n < sizeof(buf))
			puts(buf);
		return;
	}
	for (unsigned i = 0; i < q->nst; i++) {
		struct stat_spec *s = &q->st[i];
		uint8_t k[KEYLEN];
		agg_key(k, s->fields, r);
		add(s, k, r);
		/* ip and port count a flow for both ends, in the source's slot of the key; ports
		 * even when equal, as nfdump counts them */
		if (s->key == K_IP && !fh_ip_eq(&r->src, &r->dst)) {
			memcpy(k, r->dst.a, 16);
			add(s, k, r);
		} else if (s->key == K_PORT) {
			k[32] = (uint8_t)(r->dport >> 8), k[33] = (uint8_t)r->dport;
			add(s, k, r);
		}
	}
}

static void on_file(void *arg, const char *path)
{
	struct q *q = arg;
	struct fh_flowfile_read_stats st = {0};
	fh_flowfile_read(path, q->from, q->to, on_rec, q, &st);
}

static uint64_t metric(const struct agg *a, int order)
{
	uint64_t dur = a->last > a->first ? a->last - a->first : 0;
	switch (order) {
	case O_FLOWS: return a->flows;
	case O_PACKETS: return a->packets;
	case O_BYTES: return a->bytes;
	case O_PPS: return dur ? a->packets * 1000 / dur : 0;
	case O_BPS: return dur ? a->bytes * 8000 / dur : 0;
	case O_TSTART: return a->first;
	default: return a->packets ? a->bytes / a->packets : 0;
	}
}

static int sort_order;

static int by_metric(const void *x, const void *y)
{
	uint64_t a = metric(x, sort_order), b = metric(y, sort_order);
	if (sort_order == O_TSTART) /* oldest first */
		return a < b ? -1 : a > b ? 1 : 0;
	return a < b ? 1 : a > b ? -1 : 0;
}

static const char *keynames[] = {"srcip", "dstip", "ip", "srcport", "dstport", "port", "proto"};
static const char *ordernames[] = {"flows", "packets", "bytes", "pps", "bps", "bpp", "tstart"};
static const char *fieldnames[] = {"srcip", "dstip", "srcport", "dstport", "proto"};
/* the key field of each -s statistic; ip and port also add the destination in that slot */
static const unsigned stat_field[] = {A_SRCIP, A_DSTIP, A_SRCIP, A_SRCPORT, A_DSTPORT, A_SRCPORT,
	A_PROTO};

/* one field of an aggregate's key as text; protocols by name in capitals (as nfdump), as
 * numbers for csv and json */
static void field_str(unsigned f, const struct agg *a, char *b, size_t l, int numeric)
{
	struct fh_ip ip;
	const char *pn;
	switch (f) {
	case A_SRCIP:
	case A_DSTIP:
		memcpy(ip.a, a->key + (f == A_SRCIP ? 0 : 16), 16);
		fh_ip_fmt(&ip, b, l);
		break;
	case A_SRCPORT: snprintf(b, l, "%u", a->key[32] << 8 | a->key[33]); break;
	case A_DSTPORT: snprintf(b, l, "%u", a->key[34] << 8 | a->key[35]); break;
	default:
		pn = numeric ? NULL : fh_proto_name(a->key[36]);
		if (pn) {
			snprintf(b, l, "%s", pn);
			for (char *c = b; *c; c++)
				*c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
		} else
			snprintf(b, l, "%u", a->key[36]);
	}
}

static void print_stat(struct q *q, struct stat_spec *s, unsigned top)
{
	sort_order = s->order;
	qsort(s->v, s->n, sizeof(*s->v), by_metric);
	if (s->n < top)
		top = (unsigned)s->n;
	if (q->csv)
		printf("ts,te,td,pr,val,fl,flP,pkt,pktP,byt,bytP,pps,bps,bpp\n");
	else if (!q->json)
		printf("Top %u %s ordered by %s:\n%-23s %-23s %9s %-6s %-39s %10s %6s %12s %6s %14s %6s %8s %10s %6s\n",
			top, keynames[s->key], ordernames[s->order], "Date first seen",
			"Date last seen", "Duration", "Proto", keynames[s->key], "Flows", "(%)",
			"Packets", "(%)", "Bytes", "(%)", "pps", "bps", "bpp");
	for (unsigned i = 0; i < top; i++) {
		const struct agg *a = &s->v[i];
		char val[FH_IP_STRLEN], t0[FH_TIME_STRLEN], t1[FH_TIME_STRLEN];
		field_str(s->fields, a, val, sizeof(val), q->csv || q->json); /* csv: numbers, as nfdump */
		double dur = a->last > a->first ? (a->last - a->first) / 1000.0 : 0;
		double flp = q->total_flows ? 100.0 * a->flows / q->total_flows : 0;
		double pkp = q->total_packets ? 100.0 * a->packets / q->total_packets : 0;
		double byp = q->total_bytes ? 100.0 * a->bytes / q->total_bytes : 0;
		uint64_t pps = metric(a, O_PPS), bps = metric(a, O_BPS), bpp = metric(a, O_BPP);
		fh_time_fmt(a->first, t0, sizeof(t0));
		fh_time_fmt(a->last, t1, sizeof(t1));
		if (q->csv)
			printf("%s,%s,%.3f,any,%s,%" PRIu64 ",%.1f,%" PRIu64 ",%.1f,%" PRIu64
			       ",%.1f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
				t0, t1, dur, val, a->flows, flp, a->packets, pkp, a->bytes, byp, pps,
				bps, bpp);
		else if (q->json)
			printf("{\"stat\":\"%s\",\"val\":\"%s\",\"first\":\"%s\",\"last\":\"%s\","
			       "\"flows\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
			       ",\"pps\":%" PRIu64 ",\"bps\":%" PRIu64 ",\"bpp\":%" PRIu64 "}\n",
				keynames[s->key], val, t0, t1, a->flows, a->packets, a->bytes, pps,
				bps, bpp);
		else
			printf("%-23s %-23s %9.3f %-6s %-39s %10" PRIu64 " %6.1f %12" PRIu64
			       " %6.1f %14" PRIu64 " %6.1f %8" PRIu64 " %10" PRIu64 " %6" PRIu64 "\n",
				t0, t1, dur, "any", val, a->flows, flp, a->packets, pkp, a->bytes, byp,
				pps, bps, bpp);
	}
	if (!q->csv && !q->json)
		printf("\n");
}

/* -A: every aggregate (or the first N), ordered by -O (default: first seen) */
static void print_agg(struct q *q, struct stat_spec *s, unsigned limit)
{
	sort_order = s->order;
	qsort(s->v, s->n, sizeof(*s->v), by_metric);
	size_t n = limit && limit < s->n ? limit : s->n;
	if (q->csv) {
		printf("ts,te,td");
		for (unsigned i = 0; i < 5; i++)
			if (s->fields & (1u << i))
				printf(",%s", fieldnames[i]);
		printf(",fl,pkt,byt,pps,bps,bpp\n");
	} else if (!q->json) {
		printf("%-23s %-23s %9s", "Date first seen", "Date last seen", "Duration");
		for (unsigned i = 0; i < 5; i++)
			if (s->fields & (1u << i))
				printf(i < 2 ? " %-39s" : " %7s", fieldnames[i]);
		printf(" %10s %12s %14s %8s %10s %6s\n", "Flows", "Packets", "Bytes", "pps", "bps",
			"bpp");
	}
	for (size_t r = 0; r < n; r++) {
		const struct agg *a = &s->v[r];
		char t0[FH_TIME_STRLEN], t1[FH_TIME_STRLEN], v[FH_IP_STRLEN];
		fh_time_fmt(a->first, t0, sizeof(t0));
		fh_time_fmt(a->last, t1, sizeof(t1));
		double dur = a->last > a->first ? (a->last - a->first) / 1000.0 : 0;
		if (q->json)
			printf("{\"first\":\"%s\",\"last\":\"%s\",\"duration\":%.3f", t0, t1, dur);
		else
			printf(q->csv ? "%s,%s,%.3f" : "%-23s %-23s %9.3f", t0, t1, dur);
		for (unsigned i = 0; i < 5; i++) {
			if (!(s->fields & (1u << i)))
				continue;
			field_str(1u << i, a, v, sizeof(v), q->csv || q->json);
			if (q->json)
				printf(i < 2 ? ",\"%s\":\"%s\"" : ",\"%s\":%s", fieldnames[i], v);
			else if (q->csv)
				printf(",%s", v);
			else
				printf(i < 2 ? " %-39s" : " %7s", v);
		}
		uint64_t pps = metric(a, O_PPS), bps = metric(a, O_BPS), bpp = metric(a, O_BPP);
		if (q->json)
			printf(",\"flows\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
			       ",\"pps\":%" PRIu64 ",\"bps\":%" PRIu64 ",\"bpp\":%" PRIu64 "}\n",
				a->flows, a->packets, a->bytes, pps, bps, bpp);
		else
			printf(q->csv ? ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
					",%" PRIu64 "\n"
				      : " %10" PRIu64 " %12" PRIu64 " %14" PRIu64 " %8" PRIu64
					" %10" PRIu64 " %6" PRIu64 "\n",
				a->flows, a->packets, a->bytes, pps, bps, bpp);
	}
}

/* -A srcip,dstport,...: the A_ bits, 0 on an unknown field */
static unsigned parse_fields(const char *arg)
{
	char b[128];
	unsigned bits = 0;
	snprintf(b, sizeof(b), "%s", arg);
	for (char *save = NULL, *t = strtok_r(b, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned f = 0;
		for (unsigned i = 0; i < 5; i++)
			if (!strcmp(t, fieldnames[i]))
				f = 1u << i;
		if (!f)
			return 0;
		bits |= f;
	}
	return bits;
}

/* "2026/11/29.10:00:00", "2026-11-29T10:00:00", or seconds since the epoch */
static int parse_time(const char *s, uint64_t *ms)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	char *end = NULL;
	if ((end = strptime(s, "%Y/%m/%d.%H:%M:%S", &tm)) || (end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) ||
		(end = strptime(s, "%Y/%m/%d.%H:%M", &tm)) || (end = strptime(s, "%Y/%m/%d", &tm))) {
		if (*end && *end != 'Z')
			return -1;
		*ms = (uint64_t)timegm(&tm) * 1000;
		return 0;
	}
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || end == s)
		return -1;
	*ms = v * 1000;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: flowhound query -R DIR [-t START[-END]] [-s STAT[/ORDER]]... [-n N]\n"
		   "                       [-A FIELDS [-O ORDER]] [-o table|csv|json] [-f FILE]\n"
		   "                       ['FILTER']\n"
		   "  STAT: srcip dstip ip srcport dstport port proto; ORDER: flows packets bytes\n"
		   "  pps bps bpp (and tstart for -O); FIELDS: srcip,dstip,srcport,dstport,proto\n"
		   "  START/END: YYYY/MM/DD.hh:mm:ss, ISO 8601 or epoch seconds\n");
}

int fh_cmd_query(int argc, char **argv)
{
	struct q q = {.from = 0, .to = UINT64_MAX, .fmt = FH_FMT_TEXT};
	const char *dir = NULL, *ffile = NULL;
	unsigned top = 10, afields = 0;
	int o, aorder = O_TSTART, top_given = 0;
	char err[512];
	optind = 1;
	while ((o = getopt(argc, argv, "R:t:s:n:o:f:A:O:h")) != -1) {
		switch (o) {
		case 'R': dir = optarg; break;
		case 'f': ffile = optarg; break;
		case 'n': top = (unsigned)atoi(optarg), top_given = 1; break;
		case 'A':
			if (!(afields = parse_fields(optarg))) {
				fprintf(stderr, "query: -A: '%s' is not a list of srcip dstip srcport "
						"dstport proto\n", optarg);
				return FH_EXIT_USAGE;
			}
			break;
		case 'O':
			aorder = -1;
			for (int k = 0; k < 7; k++)
				if (!strcmp(optarg, ordernames[k]))
					aorder = k;
			if (aorder < 0) {
				fprintf(stderr, "query: -O: '%s' is not flows packets bytes pps bps bpp "
						"tstart\n", optarg);
				return FH_EXIT_USAGE;
			}
			break;
		case 't': {
			char b[128];
			snprintf(b, sizeof(b), "%s", optarg);
			char *dash = strchr(b, '-');
			/* an ISO date has dashes inside: split at the dash followed by a digit and a
			 * slash-date or by a long number only in the nfdump form */
			if (strchr(b, '/') && dash)
				*dash = 0;
			else
				dash = NULL;
			if (parse_time(b, &q.from) < 0 || (dash && parse_time(dash + 1, &q.to) < 0)) {
				fprintf(stderr, "query: -t: bad time '%s'\n", optarg);
				return FH_EXIT_USAGE;
			}
			break;
		}
		case 's': {
			if (q.nst == 8)
				return FH_EXIT_USAGE;
			struct stat_spec *s = &q.st[q.nst];
			memset(s, 0, sizeof(*s));
			s->key = -1;
			char b[64];
			snprintf(b, sizeof(b), "%s", optarg);
			char *slash = strchr(b, '/');
			if (slash)
				*slash = 0;
			for (int k = 0; k < 7; k++)
				if (!strcmp(b, keynames[k]))
					s->key = k;
			s->order = slash ? -1 : O_FLOWS;
			for (int k = 0; slash && k < 6; k++)
				if (!strcmp(slash + 1, ordernames[k]))
					s->order = k;
			if (s->key < 0 || s->order < 0) {
				fprintf(stderr, "query: -s: '%s' is not STAT[/ORDER]\n", optarg);
				usage(stderr);
				return FH_EXIT_USAGE;
			}
			s->fields = stat_field[s->key];
			q.nst++;
			break;
		}
		case 'o':
			if (!strcmp(optarg, "json"))
				q.json = 1, q.fmt = FH_FMT_JSON;
			else if (!strcmp(optarg, "csv"))
				q.csv = 1, q.fmt = FH_FMT_CSV;
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
	if (afields) { /* one aggregate table, printed whole unless -n */
		q.st[0] = (struct stat_spec){.key = K_AGG, .order = aorder, .fields = afields};
		q.nst = 1;
	}
	/* the filter: the remaining words, or -f FILE */
	char text[4096] = "";
	for (int i = optind; i < argc; i++) {
		strncat(text, argv[i], sizeof(text) - strlen(text) - 2);
		strcat(text, " ");
	}
	q.filter = ffile ? fh_filter_compile_file(ffile, err, sizeof(err))
			 : fh_filter_compile(text, err, sizeof(err));
	if (!q.filter) {
		fprintf(stderr, "query: %s\n", err);
		return FH_EXIT_USAGE;
	}
	if (q.csv && !q.nst)
		printf("%s\n", fh_flow_fmt_csv_header());
	int n = fh_flowfile_list(dir, on_file, &q);
	if (n < 0) {
		fprintf(stderr, "query: %s: no such directory\n", dir);
		fh_filter_free(q.filter);
		return FH_EXIT_FAIL;
	}
	for (unsigned i = 0; i < q.nst; i++) {
		if (q.st[i].key == K_AGG)
			print_agg(&q, &q.st[i], top_given ? top : 0);
		else
			print_stat(&q, &q.st[i], top);
		free(q.st[i].v);
		free(q.st[i].idx);
	}
	fprintf(stderr, "query: %d files, %" PRIu64 " flows matched\n", n, q.matched);
	fh_filter_free(q.filter);
	return FH_EXIT_OK;
}
