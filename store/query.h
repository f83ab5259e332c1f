/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The query engine over flow files, shared by `flowhound query` and the web API: a filter
 * (store/filter.h) and a time range select records; they are listed in file order, or
 * counted into top-N statistics (-s) or aggregates (-A). Files are scanned by several
 * threads, each with its own tables, merged at the end; listings keep file order.
 */
#ifndef FH_STORE_QUERY_H
#define FH_STORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/flow.h"
#include "store/filter.h"
#include "store/flowfile.h"

/* -s statistics; FH_QK_AGG is an -A aggregate */
enum fh_q_key {
	FH_QK_SRCIP,
	FH_QK_DSTIP,
	FH_QK_IP,
	FH_QK_SRCPORT,
	FH_QK_DSTPORT,
	FH_QK_PORT,
	FH_QK_PROTO,
	FH_QK_SRCNET, /* the source address under the record's source mask */
	FH_QK_DSTNET,
	FH_QK_AS, /* source and destination AS, as ip does addresses */
	FH_QK_SRCAS,
	FH_QK_DSTAS,
	FH_QK_IF, /* input and output interface */
	FH_QK_INIF,
	FH_QK_OUTIF,
	FH_QK_AGG,
};
#define FH_QK_COUNT FH_QK_AGG

enum fh_q_order { FH_QO_FLOWS, FH_QO_PACKETS, FH_QO_BYTES, FH_QO_PPS, FH_QO_BPS, FH_QO_BPP,
	FH_QO_TSTART };

/* -A fields, in the order of the key and of the output columns. srcnet/dstnet share the
 * address slots with srcip/dstip (one or the other). */
enum {
	FH_QF_SRCIP = 1,
	FH_QF_DSTIP = 2,
	FH_QF_SRCPORT = 4,
	FH_QF_DSTPORT = 8,
	FH_QF_PROTO = 16,
	FH_QF_SRCAS = 32,
	FH_QF_DSTAS = 64,
	FH_QF_INIF = 128,
	FH_QF_OUTIF = 256,
	FH_QF_SRCNET = 512,
	FH_QF_DSTNET = 1024,
};
#define FH_QF_COUNT 11
/* src 16, dst 16, sport 2, dport 2, proto 1, src mask 1, dst mask 1, pad 1, src AS 4,
 * dst AS 4, in if 4, out if 4 */
#define FH_Q_KEYLEN 56
#define FH_Q_MAX_STATS 8

struct fh_q_agg {
	uint8_t key[FH_Q_KEYLEN];
	uint64_t flows, packets, bytes, first, last;
};

/* One table of aggregates (a -s statistic or the -A table). */
struct fh_q_table {
	int key; /* enum fh_q_key */
	int order; /* enum fh_q_order */
	unsigned fields; /* FH_QF_* bits of the key */
	/* srcnet/dstnet: prefix lengths for IPv4 and IPv6 (-A srcip4/24,srcip6/64); 0: the
	 * record's own mask */
	uint8_t src4, src6, dst4, dst6;
	struct fh_q_agg *v;
	size_t n, cap;
	uint64_t *idx; /* hash << 32 | position in v */
	size_t idx_cap;
};

struct fh_query {
	/* in */
	const struct fh_filter *filter; /* NULL: every record */
	uint64_t from, to; /* records that overlap [from, to); 0, UINT64_MAX for all */
	unsigned threads; /* 0: one per online CPU, at most 16 */
	bool open_files; /* also read the written blocks of files still open (.tmp) */
	bool scale; /* count packets and bytes scaled by each record's sampling (as nfsen) */
	struct fh_q_table st[FH_Q_MAX_STATS];
	unsigned nst; /* 0: a listing, through on_flow */
	/* listing: every match in file order (in the calling thread), until limit matches
	 * (0 = all) */
	void (*on_flow)(void *arg, const struct fh_flow_rec *r);
	void *arg;
	uint64_t limit;
	/* out */
	uint64_t matched, packets, bytes; /* matched flows and their counts (unscaled) */
	unsigned files;
	bool truncated; /* the listing stopped at limit */
	struct fh_flowfile_read_stats rs;
};

/* Add a statistic or an aggregate table to q (fields: FH_QF_* for FH_QK_AGG, ignored
 * otherwise). -1 when q has FH_Q_MAX_STATS already. */
int fh_query_add_table(struct fh_query *q, int key, int order, unsigned fields);

/* Scan every flow file below dir. Returns the number of files, or -errno when dir cannot be
 * read. Damaged blocks are reported on stderr and counted in q->rs. */
int fh_query_run(struct fh_query *q, const char *dir);

/* Count one more record (one that is not in a file: live flows), in the calling thread,
 * after fh_query_run. Applies the filter and the time range. */
void fh_query_add(struct fh_query *q, const struct fh_flow_rec *r);

/* Sort a table by its order (largest first; tstart: oldest first). */
void fh_query_sort(struct fh_q_table *t);
/* Only the first n in that order, at the front of t->v (the rest in no order): a heap
 * instead of a full sort when n is small. 0 = all. */
void fh_query_sort_top(struct fh_q_table *t, size_t n);

void fh_query_free(struct fh_query *q);

/* A metric of an aggregate (pps, bps: over its first..last span). */
uint64_t fh_query_metric(const struct fh_q_agg *a, int order);

/* One field (FH_QF_*) of an aggregate as text; protocols by name in capitals (as nfdump),
 * or as numbers when numeric. */
void fh_query_field_str(unsigned field, const struct fh_q_agg *a, char *b, size_t l,
	bool numeric);

/* Names: "srcip"..."proto" (keys), "flows"..."tstart" (orders), fields "srcip".."proto".
 * The parsers return -1 on an unknown name. */
extern const char *const fh_query_key_names[FH_QK_COUNT];
extern const char *const fh_query_order_names[7];
extern const char *const fh_query_field_names[FH_QF_COUNT];
int fh_query_parse_key(const char *s);
int fh_query_parse_order(const char *s, bool allow_tstart);
/* "srcip,dstport": FH_QF_* bits, 0 on an unknown field. "srcip4/24", "dstip6/48" (nfdump's
 * -A forms) select srcnet/dstnet with that prefix length, stored in t (may be NULL). */
unsigned fh_query_parse_fields(const char *s, struct fh_q_table *t);
/* "2026/11/29.10:00:00", "2026-11-29T10:00:00[Z]", "2026/11/29.10:00", "2026/11/29" (UTC) or
 * seconds since the epoch, to ms. -1 if none of these. */
int fh_query_parse_time(const char *s, uint64_t *ms);

#endif
