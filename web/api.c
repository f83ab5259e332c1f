/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The JSON API (docs/web.md): /api/status, /api/series, /api/top, /api/flows, /api/alerts.
 * Bad parameters get a 400 with a message that names the parameter. Times are milliseconds
 * since the Unix epoch (UTC).
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analytics/sink_memory.h"
#include "analytics/sink_redis.h"
#include "dataplane/flow_fmt.h"
#include "store/query.h"
#include "web/web.h"

#define DEFAULT_SPAN_MS (6 * 3600 * 1000ull)
#define MAX_POINTS 2000
#define MAX_NAMES 64
#define MAX_FLOW_ROWS 10000
#define MAX_TOP 1000
#define MAX_ALERTS 5000

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void error(struct fh_api_reply *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void error(struct fh_api_reply *r, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->status = status;
	r->body.n = 0;
	if (r->body.p)
		r->body.p[0] = 0;
	fh_sb_puts(&r->body, "{\"error\":");
	fh_sb_json_str(&r->body, msg);
	fh_sb_puts(&r->body, "}\n");
}

/* An unsigned number argument: 0 absent (def), 1 read, -1 malformed (400 sent). */
static int num_arg(fh_api_arg_fn arg, void *conn, const char *name, uint64_t def, uint64_t min,
	uint64_t max, uint64_t *out, struct fh_api_reply *r)
{
	const char *v = arg(conn, name);
	*out = def;
	if (!v)
		return 0;
	char *end;
	if (!isdigit((unsigned char)v[0]) || (*out = strtoull(v, &end, 10), *end) ||
		*out < min || *out > max) {
		error(r, 400, "%s: '%.40s' is not a whole number in %" PRIu64 "..%" PRIu64, name, v,
			min, max);
		return -1;
	}
	return 1;
}

/* from/to (ms): defaults: the 6 hours ending at the newest data (or now). */
static int range_args(const struct fh_web_source *src, fh_api_arg_fn arg, void *conn,
	uint64_t *from, uint64_t *to, struct fh_api_reply *r)
{
	uint64_t end = now_ms();
	if (src->series) {
		struct fh_series_stats st;
		fh_series_get_stats(src->series, &st);
		if (st.last_ms)
			end = (st.last_ms / 60000 + 1) * 60000;
	}
	if (num_arg(arg, conn, "to", end, 1, UINT64_MAX / 2, to, r) < 0)
		return -1;
	if (num_arg(arg, conn, "from", *to > DEFAULT_SPAN_MS ? *to - DEFAULT_SPAN_MS : 0, 0,
		    UINT64_MAX / 2, from, r) < 0)
		return -1;
	if (*to <= *from) {
		error(r, 400, "to (%" PRIu64 ") must be after from (%" PRIu64 ")", *to, *from);
		return -1;
	}
	return 0;
}

static void ip_list_json(struct fh_sb *b, const struct fh_cidr_list *l)
{
	fh_sb_puts(b, "[");
	for (unsigned i = 0; l && i < l->n; i++) {
		char ip[FH_IP_STRLEN];
		int v4 = fh_ip_is_v4(&l->v[i].net) && l->v[i].plen128 >= 96;
		fh_sb_printf(b, "%s\"%s/%u\"", i ? "," : "", fh_ip_fmt(&l->v[i].net, ip, sizeof(ip)),
			v4 ? l->v[i].plen128 - 96 : l->v[i].plen128);
	}
	fh_sb_puts(b, "]");
}

/* ---- /api/status ----------------------------------------------------------------------- */

static void api_status(const struct fh_web_source *src, struct fh_api_reply *r)
{
	struct fh_sb *b = &r->body;
	struct fh_series_stats st = {0};
	if (src->series)
		fh_series_get_stats(src->series, &st);
	fh_sb_printf(b, "{\"version\":\"0.1.0\",\"now\":%" PRIu64 ",", now_ms());
	if (st.last_ms)
		fh_sb_printf(b, "\"data_first\":%" PRIu64 ",\"data_last\":%" PRIu64 ",", st.first_ms,
			st.last_ms);
	else
		fh_sb_puts(b, "\"data_first\":null,\"data_last\":null,");
	fh_sb_printf(b, "\"step_ms\":%u,\"series\":[", fh_series_level_step[0] * 1000);
	for (unsigned i = 0; src->series && i < fh_series_count(src->series); i++) {
		if (i)
			fh_sb_puts(b, ",");
		fh_sb_json_str(b, fh_series_name(src->series, i));
	}
	fh_sb_puts(b, "],\"profiles\":[");
	for (unsigned i = 0; src->profiles && i < src->profiles->n; i++) {
		fh_sb_printf(b, "%s{\"name\":", i ? "," : "");
		fh_sb_json_str(b, src->profiles->v[i].name);
		fh_sb_puts(b, ",\"filter\":");
		fh_sb_json_str(b, src->profiles->v[i].value);
		fh_sb_puts(b, "}");
	}
	fh_sb_puts(b, "],\"home_nets\":");
	ip_list_json(b, src->home_net);
	fh_sb_printf(b, ",\"store\":%s,\"alerts_source\":\"%s\",\"series_late_dropped\":%" PRIu64
			"}\n",
		src->store_dir && src->store_dir[0] ? "true" : "false",
		src->redis_url && src->redis_url[0] ? "redis" : "local", st.late_dropped);
}

/* ---- /api/series ----------------------------------------------------------------------- */

static void api_series(const struct fh_web_source *src, fh_api_arg_fn arg, void *conn,
	struct fh_api_reply *r)
{
	if (!src->series) {
		error(r, 503, "no time series in this process");
		return;
	}
	const char *names = arg(conn, "names");
	if (!names)
		names = arg(conn, "name");
	if (!names || !*names) {
		error(r, 400, "names: give one or more series names, comma-separated (see "
			      "/api/status)");
		return;
	}
	uint64_t from, to, step;
	if (range_args(src, arg, conn, &from, &to, r) < 0 ||
		num_arg(arg, conn, "step", 0, 0, 366u * 86400, &step, r) < 0)
		return;
	int idx[MAX_NAMES];
	unsigned n = 0;
	char buf[4096];
	if (strlen(names) >= sizeof(buf)) {
		error(r, 400, "names: too long");
		return;
	}
	snprintf(buf, sizeof(buf), "%s", names);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n == MAX_NAMES) {
			error(r, 400, "names: at most %d series at once", MAX_NAMES);
			return;
		}
		if ((idx[n++] = fh_series_find(src->series, t)) < 0) {
			error(r, 400, "names: no series '%.64s' (see /api/status)", t);
			return;
		}
	}
	struct fh_series_range rg;
	char err[256];
	if (fh_series_plan(src->series, from, to, (uint32_t)step, MAX_POINTS, &rg, err,
		    sizeof(err)) < 0) {
		error(r, 400, "%s", err);
		return;
	}
	uint64_t *vals = malloc(rg.n * FH_SV_MAX * sizeof(uint64_t) + 1);
	if (!vals) {
		error(r, 503, "out of memory");
		return;
	}
	uint64_t *cols[FH_SV_MAX];
	for (int k = 0; k < FH_SV_MAX; k++)
		cols[k] = vals + (size_t)k * rg.n;
	struct fh_sb *b = &r->body;
	fh_sb_printf(b, "{\"from\":%" PRIu64 ",\"to\":%" PRIu64 ",\"step\":%u,\"t\":[", rg.from,
		rg.to, rg.step);
	for (size_t i = 0; i < rg.n; i++)
		fh_sb_printf(b, "%s%" PRIu64, i ? "," : "", (uint64_t)(rg.from + i * rg.step * 1000ull));
	fh_sb_puts(b, "],\"series\":[");
	for (unsigned s = 0; s < n; s++) {
		fh_series_read(src->series, (unsigned)idx[s], &rg, cols);
		fh_sb_printf(b, "%s{\"name\":", s ? "," : "");
		fh_sb_json_str(b, fh_series_name(src->series, (unsigned)idx[s]));
		for (int k = 0; k < FH_SV_MAX; k++) {
			fh_sb_printf(b, ",\"%s\":[", fh_series_value_names[k]);
			for (size_t i = 0; i < rg.n; i++)
				fh_sb_printf(b, "%s%" PRIu64, i ? "," : "", cols[k][i]);
			fh_sb_puts(b, "]");
		}
		fh_sb_puts(b, "}");
	}
	fh_sb_puts(b, "]}\n");
	free(vals);
}

/* ---- queries over flow files and live tables ------------------------------------------- */

static void live_rec(void *arg, const struct fh_flow_rec *rec)
{
	fh_query_add(arg, rec);
}

/* Run q over the flow files and the live tables. */
static void run_query(const struct fh_web_source *src, struct fh_query *q)
{
	q->open_files = true;
	q->scale = true;
	if (src->store_dir && src->store_dir[0])
		fh_query_run(q, src->store_dir); /* an empty or absent store reads as no flows */
	if (src->live_flows)
		src->live_flows(src->arg, live_rec, q);
}

static struct fh_filter *filter_arg(fh_api_arg_fn arg, void *conn, struct fh_api_reply *r,
	int *bad)
{
	const char *text = arg(conn, "filter");
	char err[512];
	*bad = 0;
	if (!text || !*text)
		return NULL;
	if (strlen(text) > 4096) {
		error(r, 400, "filter: longer than 4096 characters");
		*bad = 1;
		return NULL;
	}
	struct fh_filter *f = fh_filter_compile(text, err, sizeof(err));
	if (!f) {
		error(r, 400, "%s", err);
		*bad = 1;
	}
	return f;
}

static void api_top(const struct fh_web_source *src, fh_api_arg_fn arg, void *conn,
	struct fh_api_reply *r)
{
	const char *by = arg(conn, "by"), *order = arg(conn, "order");
	int key = by ? fh_query_parse_key(by) : FH_QK_DSTPORT;
	int ord = order ? fh_query_parse_order(order, false) : FH_QO_BYTES;
	if (key < 0) {
		error(r, 400, "by: '%.40s' is not srcip dstip ip srcport dstport port proto srcnet "
			      "dstnet as srcas dstas if inif outif", by);
		return;
	}
	if (ord < 0) {
		error(r, 400, "order: '%.40s' is not flows packets bytes pps bps bpp", order);
		return;
	}
	uint64_t from, to, n;
	if (range_args(src, arg, conn, &from, &to, r) < 0 ||
		num_arg(arg, conn, "n", 10, 1, MAX_TOP, &n, r) < 0)
		return;
	int bad;
	struct fh_filter *f = filter_arg(arg, conn, r, &bad);
	if (bad)
		return;
	struct fh_query q = {.filter = f, .from = from, .to = to};
	fh_query_add_table(&q, key, ord, 0);
	run_query(src, &q);
	struct fh_q_table *t = &q.st[0];
	fh_query_sort_top(t, n);
	struct fh_sb *b = &r->body;
	fh_sb_printf(b, "{\"by\":\"%s\",\"order\":\"%s\",\"from\":%" PRIu64 ",\"to\":%" PRIu64
			",\"rows\":[",
		fh_query_key_names[key], fh_query_order_names[ord], from, to);
	for (size_t i = 0; i < t->n && i < n; i++) {
		const struct fh_q_agg *a = &t->v[i];
		char val[FH_IP_STRLEN];
		fh_query_field_str(t->fields, a, val, sizeof(val), false);
		fh_sb_printf(b, "%s{\"val\":", i ? "," : "");
		fh_sb_json_str(b, val);
		fh_sb_printf(b, ",\"flows\":%" PRIu64 ",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
				",\"pps\":%" PRIu64 ",\"bps\":%" PRIu64 "}",
			a->flows, a->packets, a->bytes, fh_query_metric(a, FH_QO_PPS),
			fh_query_metric(a, FH_QO_BPS));
	}
	fh_sb_printf(b, "],\"distinct\":%zu,\"total\":{\"flows\":%" PRIu64 ",\"packets\":%" PRIu64
			",\"bytes\":%" PRIu64 "},\"files\":%u,\"damaged_blocks\":%" PRIu64 "}\n",
		t->n, q.matched, q.packets, q.bytes, q.files, q.rs.blocks_damaged);
	fh_query_free(&q);
	fh_filter_free(f);
}

struct flow_out {
	struct fh_sb *b;
	uint64_t rows;
};

static void flow_row(void *arg, const struct fh_flow_rec *rec)
{
	struct flow_out *o = arg;
	char buf[FH_FLOW_FMT_MAX];
	if (fh_flow_fmt(FH_FMT_JSON, rec, buf, sizeof(buf)) <= 0)
		return;
	fh_sb_puts(o->b, o->rows++ ? "," : "");
	fh_sb_puts(o->b, buf);
}

static void api_flows(const struct fh_web_source *src, fh_api_arg_fn arg, void *conn,
	struct fh_api_reply *r)
{
	uint64_t from, to, limit;
	if (range_args(src, arg, conn, &from, &to, r) < 0 ||
		num_arg(arg, conn, "limit", 100, 1, MAX_FLOW_ROWS, &limit, r) < 0)
		return;
	int bad;
	struct fh_filter *f = filter_arg(arg, conn, r, &bad);
	if (bad)
		return;
	struct fh_sb *b = &r->body;
	struct flow_out o = {.b = b};
	fh_sb_printf(b, "{\"from\":%" PRIu64 ",\"to\":%" PRIu64 ",\"rows\":[", from, to);
	struct fh_query q = {.filter = f, .from = from, .to = to, .on_flow = flow_row, .arg = &o,
		.limit = limit};
	run_query(src, &q);
	fh_sb_printf(b, "],\"matched\":%" PRIu64 ",\"truncated\":%s,\"files\":%u}\n", q.matched,
		o.rows < q.matched ? "true" : "false", q.files);
	fh_query_free(&q);
	fh_filter_free(f);
}

/* ---- /api/alerts ----------------------------------------------------------------------- */

static void api_alerts(const struct fh_web_source *src, fh_api_arg_fn arg, void *conn,
	struct fh_api_reply *r)
{
	const char *status = arg(conn, "status");
	if (status && strcmp(status, "active") && strcmp(status, "all")) {
		error(r, 400, "status: '%.40s' is not active or all", status);
		return;
	}
	int active = status && !strcmp(status, "active");
	uint64_t limit;
	if (num_arg(arg, conn, "limit", 200, 1, MAX_ALERTS, &limit, r) < 0)
		return;
	struct fh_sb *b = &r->body;
	/* Redis holds the alerts of every instance that shares it: active ones from there */
	if (active && src->redis_url && src->redis_url[0]) {
		char err[512];
		struct fh_redis_client *c = fh_redis_client_open(src->redis_url, src->redis_prefix,
			err, sizeof(err));
		char *text = NULL;
		size_t tl = 0;
		FILE *mf = c ? open_memstream(&text, &tl) : NULL;
		int rc = mf ? fh_redis_alerts_list(c, 1, mf, err, sizeof(err)) : -1;
		if (mf)
			fclose(mf);
		if (c)
			fh_redis_client_close(c);
		if (rc == 0) {
			fh_sb_puts(b, "{\"source\":\"redis\",\"alerts\":[");
			uint64_t k = 0;
			for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && k < limit;
				l = strtok_r(NULL, "\n", &save))
				if (*l == '{') {
					fh_sb_puts(b, k++ ? "," : "");
					fh_sb_puts(b, l);
				}
			fh_sb_puts(b, "]}\n");
			free(text);
			return;
		}
		free(text);
		/* Redis unreachable: this instance's own alerts, saying so */
		fh_sb_puts(b, "{\"source\":\"local\",\"redis_error\":");
		fh_sb_json_str(b, err);
		fh_sb_puts(b, ",\"alerts\":[");
	} else {
		fh_sb_puts(b, "{\"source\":\"local\",\"alerts\":[");
	}
	struct fh_alert *v = malloc(limit * sizeof(*v));
	unsigned n = v && src->alerts ? fh_alert_sink_memory_get(src->alerts, active, v,
						       (unsigned)limit)
				      : 0;
	for (unsigned i = 0; i < n; i++) {
		char buf[FH_ALERT_JSON_MAX];
		if (fh_alert_to_json(&v[i], buf, sizeof(buf)) >= (int)sizeof(buf))
			continue;
		fh_sb_puts(b, i ? "," : "");
		fh_sb_puts(b, buf);
	}
	free(v);
	fh_sb_puts(b, "]}\n");
}

/* ---- dispatch -------------------------------------------------------------------------- */

void fh_api_handle(const struct fh_web_source *src, const char *path, fh_api_arg_fn arg,
	void *conn, struct fh_api_reply *r)
{
	r->status = 200;
	if (!strcmp(path, "status"))
		api_status(src, r);
	else if (!strcmp(path, "series"))
		api_series(src, arg, conn, r);
	else if (!strcmp(path, "top"))
		api_top(src, arg, conn, r);
	else if (!strcmp(path, "flows"))
		api_flows(src, arg, conn, r);
	else if (!strcmp(path, "alerts"))
		api_alerts(src, arg, conn, r);
	else
		error(r, 404, "no API endpoint '%.60s' (status series top flows alerts)", path);
}
