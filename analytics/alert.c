/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Alerts: naming, ids, JSON, the JSON-lines sink and the deduplicating alert table
 * (see alert.h). The table is owned by one analytics thread; sinks may be shared and are
 * thread-safe.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/alert.h"
#include "dataplane/flow_fmt.h"

/* ---- names ---------------------------------------------------------------------------- */

static const char *const type_names[FH_ALERT_TYPE_MAX] = {
#define X(e, s) [FH_ALERT_##e] = s,
	FH_ALERT_TYPES(X)
#undef X
};

const char *fh_alert_type_name(const struct fh_alert *a, char *buf, size_t len)
{
	if (a->type >= FH_ALERT_TYPE_MAX)
		return "unknown";
	if (a->type == FH_ALERT_BLOCKLIST) {
		snprintf(buf, len, "blocklist.%s", a->list);
		return buf;
	}
	return type_names[a->type];
}

int fh_alert_type_parse(const char *name)
{
	if (!strncmp(name, "blocklist.", 10) && name[10])
		return FH_ALERT_BLOCKLIST;
	for (int i = 0; i < FH_ALERT_TYPE_MAX; i++)
		if (i != FH_ALERT_BLOCKLIST && !strcmp(name, type_names[i]))
			return i;
	return -1;
}

const char *fh_severity_name(uint8_t sev)
{
	static const char *const n[] = {"low", "medium", "high", "critical"};
	return sev < 4 ? n[sev] : "unknown";
}

const char *fh_alert_event_name(uint8_t ev)
{
	static const char *const n[] = {"new", "update", "resolved"};
	return ev < 3 ? n[ev] : "unknown";
}

/* ---- ids ------------------------------------------------------------------------------ */

/* FNV-1a over the key bytes, then a final mix: stable across builds and machines. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

void fh_alert_make_id(struct fh_alert *a)
{
	uint64_t h = 0xcbf29ce484222325ull;
	uint8_t t = a->type, flags = (uint8_t)(a->has_dst | a->has_port << 1);

	h = fnv(h, &t, 1);
	if (a->type == FH_ALERT_BLOCKLIST)
		h = fnv(h, a->list, strnlen(a->list, sizeof(a->list)));
	if (fh_alert_src_in_key(a->type))
		h = fnv(h, a->src.a, 16);
	h = fnv(h, &flags, 1);
	if (a->has_dst)
		h = fnv(h, a->dst.a, 16);
	if (a->has_port) {
		uint8_t p[2] = {(uint8_t)(a->port >> 8), (uint8_t)a->port};
		h = fnv(h, p, 2);
	}
	h = fnv(h, &a->proto, 1);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	for (int i = 15; i >= 0; i--, h >>= 4)
		a->id[i] = "0123456789abcdef"[h & 15];
	a->id[16] = 0;
}

/* The value of each hex digit of an id plus one; 0 for any other character. */
static const uint8_t hex_value[256] = {['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};

/* The 64-bit value of an id (16 lowercase hex digits, as fh_alert_make_id writes them) into
 * *key; false for any other string (it cannot name an alert of the table). */
static bool id_key(const char *id, uint64_t *key)
{
	uint64_t k = 0;
	for (unsigned i = 0; i < 16; i++) {
		unsigned v = hex_value[(unsigned char)id[i]];
		if (!v)
			return false; /* also at a NUL: nothing is read past the end */
		k = k << 4 | (v - 1);
	}
	*key = k;
	return !id[16];
}

/* Two digits a step from the back, the length known first: a digit a division and a copy
 * back took three times the instructions (callgrind: 125 M of an alert-heavy run's 1.6 G). */
static const char dec2[201] = "0001020304050607080910111213141516171819"
			      "2021222324252627282930313233343536373839"
			      "4041424344454647484950515253545556575859"
			      "6061626364656667686970717273747576777879"
			      "8081828384858687888990919293949596979899";
static const unsigned long long pow10s[20] = {1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull,
	1000000ull, 10000000ull, 100000000ull, 1000000000ull, 10000000000ull, 100000000000ull,
	1000000000000ull, 10000000000000ull, 100000000000000ull, 1000000000000000ull,
	10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
	10000000000000000000ull};
char *fh_put_dec(char *o, unsigned long long v)
{
	/* its digits: log10 from its bits (1233 / 4096 ~ log10 2), one less when below 10^t */
	unsigned t = (unsigned)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
	unsigned n = t + 1 - ((v | 1) < pow10s[t]);
	char *e = o + n;
	while (v >= 100) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		e -= 2;
		memcpy(e, dec2 + 2 * r, 2);
	}
	if (v >= 10)
		memcpy(e - 2, dec2 + 2 * v, 2);
	else
		e[-1] = (char)('0' + v);
	return o + n;
}

char *fh_put_tenths(char *o, unsigned long long v)
{
	o = fh_put_dec(o, v / 10);
	*o++ = '.';
	*o++ = (char)('0' + v % 10);
	return o;
}

/* %.{prec}f of v (prec 0 or 1) as an integer of tenths or units, when that is exact: v not
 * negative, and v * 10 not rounded (true of every float, and of most doubles with a short
 * fraction); the rounding of the exact value is then that of rint (to nearest, ties to
 * even), as printf's. 0 when it is not exact. */
static int fixed_exact(double v, int prec, unsigned long long *n)
{
	if (signbit(v) || !(v < 1e15)) /* negative (-0 too), NaN, or too large */
		return 0;
	double p = prec ? v * 10 : v;
	if (prec && fma(v, 10, -p) != 0)
		return 0;
	*n = (unsigned long long)rint(p);
	return 1;
}

int fh_evidence_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap, again;
	va_start(ap, fmt);
	va_copy(again, ap);
	/* the output is at most 20 bytes a conversion longer than its format, strings aside */
	char *o = out, *end = out + len;
	const char *f = fmt;
	while (*f) {
		const char *pc = strchr(f, '%');
		size_t lit = pc ? (size_t)(pc - f) : strlen(f);
		if ((size_t)(end - o) <= lit + 21)
			goto slow;
		memcpy(o, f, lit);
		o += lit;
		if (!pc)
			break;
		f = pc + 1;
		if (f[0] == 'u') {
			o = fh_put_dec(o, va_arg(ap, unsigned));
			f += 1;
		} else if (f[0] == 'l' && f[1] == 'l' && f[2] == 'u') {
			o = fh_put_dec(o, va_arg(ap, unsigned long long));
			f += 3;
		} else if (f[0] == 's') {
			const char *str = va_arg(ap, const char *);
			size_t n = strlen(str);
			if ((size_t)(end - o) <= n)
				goto slow;
			memcpy(o, str, n);
			o += n;
			f += 1;
		} else if (f[0] == '.' && (f[1] == '0' || f[1] == '1') && f[2] == 'f') {
			unsigned long long n;
			if (!fixed_exact(va_arg(ap, double), f[1] - '0', &n))
				goto slow;
			o = f[1] == '1' ? fh_put_tenths(o, n) : fh_put_dec(o, n);
			f += 3;
		} else if (f[0] == '%') {
			*o++ = '%';
			f += 1;
		} else {
			goto slow;
		}
	}
	*o = 0;
	va_end(ap);
	va_end(again);
	return (int)(o - out);
slow:
	va_end(ap);
	int r = vsnprintf(out, len, fmt, again);
	va_end(again);
	return r;
}

void fh_alert_add_exporter(struct fh_alert *a, const struct fh_ip *ex)
{
	for (unsigned i = 0; i < a->n_exporters; i++)
		if (fh_ip_eq(&a->exporters[i], ex))
			return;
	if (a->n_exporters < FH_ALERT_MAX_EXPORTERS)
		a->exporters[a->n_exporters++] = *ex;
}

void fh_alert_note_flow(struct fh_alert *a, const struct fh_alert_flow *f)
{
	a->samples[a->n_samples < FH_ALERT_SAMPLES ? a->n_samples++ : FH_ALERT_SAMPLES - 1] = *f;
	/* a flood's peers are its sources, its src among them (its flows' other end is the
	 * victim) */
	const struct fh_ip *peer =
		!fh_alert_src_in_key(a->type) || !fh_ip_eq(&f->src, &a->src) ? &f->src : &f->dst;
	unsigned low = 0;
	for (unsigned i = 0; i < a->n_top; i++) {
		if (fh_ip_eq(&a->top[i].ip, peer)) {
			a->top[i].flows++;
			return;
		}
		if (a->top[i].flows < a->top[low].flows)
			low = i;
	}
	if (a->n_top < FH_ALERT_TOP) /* room: a counter of its own */
		a->top[a->n_top++] = (struct fh_alert_peer){*peer, 1, 0};
	else /* Space-Saving: it takes the place of the least counted, and its count */
		a->top[low] = (struct fh_alert_peer){*peer, a->top[low].flows + 1, a->top[low].flows};
}

/* ---- JSON ----------------------------------------------------------------------------- */

void fh_alert_evidence_json(const struct fh_alert *a, char *out, size_t len)
{
	const char *ev = a->evidence[0] ? a->evidence : "{}";
	size_t n = strlen(ev);
	if (!a->n_samples || n < 2 || ev[n - 1] != '}' || n >= len) {
		snprintf(out, len, "%s", ev);
		return;
	}
	size_t o = n - 1;
	memcpy(out, ev, o);
	const char *sep = n > 2 ? "," : "";
#define PUT(...) o += (size_t)snprintf(out + o, o < len ? len - o : 0, __VA_ARGS__)
	/* the top peers by their own flows (at least), most first (at most 8: a selection
	 * sort) */
	PUT("%s\"top_peers\":[", sep);
	uint8_t done = 0;
	for (unsigned k = 0; k < a->n_top; k++) {
		int best = -1;
		uint32_t bf = 0;
		for (unsigned i = 0; i < a->n_top; i++) {
			uint32_t f = a->top[i].flows - a->top[i].err;
			if (!(done >> i & 1) && (best < 0 || f > bf)) {
				best = (int)i;
				bf = f;
			}
		}
		done |= (uint8_t)(1u << best);
		char ip[FH_IP_STRLEN];
		PUT("%s{\"addr\":\"%s\",\"flows\":%u}", k ? "," : "",
			fh_ip_fmt(&a->top[best].ip, ip, sizeof(ip)), bf);
	}
	PUT("],\"sample_flows\":[");
	for (unsigned i = 0; i < a->n_samples; i++) {
		const struct fh_alert_flow *f = &a->samples[i];
		char t0[FH_TIME_STRLEN], t1[FH_TIME_STRLEN], s[FH_IP_STRLEN], d[FH_IP_STRLEN];
		char proto[8], fl[9];
		const char *pn = fh_proto_name(f->proto);
		if (pn)
			snprintf(proto, sizeof(proto), "%s", pn);
		else
			snprintf(proto, sizeof(proto), "%u", f->proto);
		fh_tcp_flags_str(f->tcp_flags, fl);
		PUT("%s{\"first\":\"%s\",\"last\":\"%s\",\"src\":\"%s\",\"sport\":%u,"
		    "\"dst\":\"%s\",\"dport\":%u,\"proto\":\"%s\",\"flags\":\"%s\","
		    "\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
			i ? "," : "", fh_time_fmt(f->first_ms, t0, sizeof(t0)),
			fh_time_fmt(f->last_ms, t1, sizeof(t1)), fh_ip_fmt(&f->src, s, sizeof(s)),
			f->sport, fh_ip_fmt(&f->dst, d, sizeof(d)), f->dport, proto,
			f->proto == 6 ? fl : "", f->packets, f->bytes);
	}
	PUT("]}");
#undef PUT
	if (o >= len) /* cannot happen with FH_ALERT_JSON_MAX's room; the evidence alone then */
		snprintf(out, len, "%s", ev);
}

int fh_alert_to_json(const struct fh_alert *a, char *buf, size_t len)
{
	char tn[64], src[FH_IP_STRLEN], dst[FH_IP_STRLEN + 2] = "null", port[8] = "null";
	char proto[16] = "null", t0[FH_TIME_STRLEN], t1[FH_TIME_STRLEN], t2[FH_TIME_STRLEN];
	char exs[FH_ALERT_MAX_EXPORTERS * (FH_IP_STRLEN + 3) + 3];
	size_t o = 0;

	fh_ip_fmt(&a->src, src, sizeof(src));
	if (a->has_dst) {
		char d[FH_IP_STRLEN];
		snprintf(dst, sizeof(dst), "\"%s\"", fh_ip_fmt(&a->dst, d, sizeof(d)));
	}
	if (a->has_port)
		snprintf(port, sizeof(port), "%u", a->port);
	if (a->proto) {
		const char *pn = fh_proto_name(a->proto);
		if (pn)
			snprintf(proto, sizeof(proto), "\"%s\"", pn);
		else
			snprintf(proto, sizeof(proto), "%u", a->proto);
	}
	exs[o++] = '[';
	for (unsigned i = 0; i < a->n_exporters; i++) {
		char e[FH_IP_STRLEN];
		o += (size_t)snprintf(exs + o, sizeof(exs) - o, "%s\"%s\"", i ? "," : "",
			fh_ip_fmt(&a->exporters[i], e, sizeof(e)));
	}
	exs[o++] = ']';
	exs[o] = 0;
	char ev[FH_ALERT_EVIDENCE_JSON_MAX];
	fh_alert_evidence_json(a, ev, sizeof(ev));
	return snprintf(buf, len,
		"{\"id\":\"%s\",\"type\":\"%s\",\"severity\":\"%s\",\"src\":\"%s\",\"dst\":%s,"
		"\"port\":%s,\"proto\":%s,\"first_seen\":\"%s\",\"last_seen\":\"%s\","
		"\"detected_at\":\"%s\",\"count\":{\"flows\":%" PRIu64 ",\"packets\":%" PRIu64
		",\"bytes\":%" PRIu64 ",\"targets\":%" PRIu64 "},\"evidence\":%s,"
		"\"exporters\":%s,\"status\":\"%s\"}",
		a->id, fh_alert_type_name(a, tn, sizeof(tn)), fh_severity_name(a->severity), src,
		dst, port, proto, fh_time_fmt(a->first_seen, t0, sizeof(t0)),
		fh_time_fmt(a->last_seen, t1, sizeof(t1)),
		fh_time_fmt(a->detected_at, t2, sizeof(t2)), a->flows, a->packets, a->bytes,
		a->targets, ev, exs,
		a->status == FH_ALERT_RESOLVED ? "resolved" : "active");
}

/* ---- JSON-lines sink ------------------------------------------------------------------ */

struct json_sink {
	struct fh_alert_sink base;
	FILE *f;
	bool close_file;
	pthread_mutex_t mu;
};

static void json_emit(struct fh_alert_sink *s, const struct fh_alert *a, enum fh_alert_event ev)
{
	struct json_sink *js = (struct json_sink *)s;
	char buf[FH_ALERT_JSON_MAX + 64];
	int n = fh_alert_to_json(a, buf, sizeof(buf));

	if (n <= 0 || (size_t)n >= sizeof(buf) - 32)
		return;
	/* insert the event kind before the closing brace */
	n--;
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, ",\"event\":\"%s\"}\n",
		fh_alert_event_name(ev));
	pthread_mutex_lock(&js->mu);
	fwrite(buf, 1, (size_t)n, js->f);
	fflush(js->f); /* whole lines for whoever follows the stream (alerts are rare) */
	pthread_mutex_unlock(&js->mu);
}

static void json_flush(struct fh_alert_sink *s)
{
	struct json_sink *js = (struct json_sink *)s;
	pthread_mutex_lock(&js->mu);
	fflush(js->f);
	pthread_mutex_unlock(&js->mu);
}

static void json_close(struct fh_alert_sink *s)
{
	struct json_sink *js = (struct json_sink *)s;
	fflush(js->f);
	if (js->close_file)
		fclose(js->f);
	pthread_mutex_destroy(&js->mu);
	free(js);
}

static const struct fh_alert_sink_ops json_ops = {
	.emit = json_emit,
	.flush = json_flush,
	.close = json_close,
};

struct fh_alert_sink *fh_alert_sink_json_new(FILE *f, bool close_file)
{
	struct json_sink *js = calloc(1, sizeof(*js));
	if (!js)
		return NULL;
	js->base.ops = &json_ops;
	js->f = f;
	js->close_file = close_file;
	pthread_mutex_init(&js->mu, NULL);
	return &js->base;
}

/* ---- alert table ---------------------------------------------------------------------- */

/* An alert of the table: its first two cache lines hold all that fh_alert_update and the
 * merge in fh_alert_raise read (with the first exporter). */
struct entry {
	uint64_t last_emit_ms; /* event time of the last event that reached the sinks */
	bool dirty; /* state changed since the last event */
	struct fh_alert a;
} __attribute__((aligned(64)));
_Static_assert(offsetof(struct entry, a.exporters[1]) <= 128, "the hot part is two lines");
_Static_assert(
	sizeof(struct fh_alert) - offsetof(struct fh_alert, evidence) < FH_ALERT_EVIDENCE + 8,
	"the evidence is last (alert.h)");

struct fh_alert_table {
	struct fh_alert_table_cfg cfg;
	struct fh_alert_sink **sinks;
	unsigned n_sinks;
	struct entry *e; /* in creation order; an earlier occurrence of an alert that occurred
			  * again is left in place as a gap (its id cleared) until a compaction */
	unsigned n, gaps;
	/* The index: open addressing over e[] by key (id_key: the id's value, a mixed hash
	 * whose low bits pick the slot). A slot is the key's high 32 bits << 32 | the position in
	 * e[], or EMPTY: a probe reads no entry but the one it finds. idx_cap slots (2 * capacity,
	 * a power of two) are allocated; the first mask + 1 are used, doubled as alerts come (2
	 * to 4 slots an alert), so that the slots of a few thousand alerts are few cache lines. */
	uint64_t *idx;
	uint32_t mask, idx_cap;
	struct fh_alert_table_stats st;
};

#define EMPTY UINT64_MAX

/* Index e[pos], whose key is key. */
static void idx_put(struct fh_alert_table *t, uint64_t key, uint32_t pos)
{
	uint32_t i = (uint32_t)key & t->mask;
	while (t->idx[i] != EMPTY)
		i = (i + 1) & t->mask;
	t->idx[i] = (key >> 32) << 32 | pos;
}

/* Index e[] in the first `slots` slots (a power of two). */
static void rebuild_index(struct fh_alert_table *t, uint32_t slots)
{
	t->mask = slots - 1;
	memset(t->idx, 0xff, slots * sizeof(*t->idx));
	for (unsigned k = 0; k < t->n; k++) {
		uint64_t key;
		if (id_key(t->e[k].a.id, &key)) /* all but the gaps (fh_alert_raise) */
			idx_put(t, key, k);
	}
}

/* The position of the alert whose id is id and key is key, or -1. */
static int32_t lookup(const struct fh_alert_table *t, uint64_t key, const char *id)
{
	for (uint32_t i = (uint32_t)key & t->mask;; i = (i + 1) & t->mask) {
		uint64_t v = t->idx[i];
		if (v == EMPTY)
			return -1;
		if (v >> 32 == key >> 32 && !memcmp(t->e[(uint32_t)v].a.id, id, 16))
			return (int32_t)(uint32_t)v;
	}
}

struct fh_alert_table *fh_alert_table_new(const struct fh_alert_table_cfg *cfg,
	struct fh_alert_sink **sinks, unsigned n_sinks)
{
	struct fh_alert_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	if (cfg)
		t->cfg = *cfg;
	if (!t->cfg.capacity)
		t->cfg.capacity = 65536;
	if (t->cfg.capacity > 1u << 30)
		t->cfg.capacity = 1u << 30; /* positions fit a slot's 32 bits, never EMPTY's */
	if (!t->cfg.resolve_after_ms)
		t->cfg.resolve_after_ms = 300000;
	if (!t->cfg.update_interval_ms)
		t->cfg.update_interval_ms = 10000;
	t->idx_cap = 16;
	while (t->idx_cap < 2 * t->cfg.capacity)
		t->idx_cap <<= 1;
	t->e = aligned_alloc(64, t->cfg.capacity * sizeof(*t->e)); /* cleared as taken */
	t->idx = malloc(t->idx_cap * sizeof(*t->idx));
	t->sinks = calloc(n_sinks ? n_sinks : 1, sizeof(*t->sinks));
	if (!t->e || !t->idx || !t->sinks) {
		fh_alert_table_free(t);
		return NULL;
	}
	if (n_sinks)
		memcpy(t->sinks, sinks, n_sinks * sizeof(*sinks));
	t->n_sinks = n_sinks;
	rebuild_index(t, 16);
	return t;
}

void fh_alert_table_free(struct fh_alert_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->idx);
	free(t->sinks);
	free(t);
}

static void emit(struct fh_alert_table *t, struct entry *e, enum fh_alert_event ev)
{
	for (unsigned i = 0; i < t->n_sinks; i++)
		t->sinks[i]->ops->emit(t->sinks[i], &e->a, ev);
	e->last_emit_ms = e->a.last_seen;
	e->dirty = false;
	if (ev == FH_AEV_UPDATE)
		t->st.updates_emitted++;
}

/* Close the gaps, and forget the oldest `drop` resolved alerts, in one pass. */
static void compact(struct fh_alert_table *t, unsigned drop)
{
	unsigned out = 0, w = 0;
	for (unsigned k = 0; k < t->n; k++) {
		if (!t->e[k].a.id[0])
			continue;
		if (out < drop && t->e[k].a.status == FH_ALERT_RESOLVED) {
			out++;
			continue;
		}
		if (w != k)
			t->e[w] = t->e[k];
		w++;
	}
	t->n = w;
	t->gaps = 0;
	rebuild_index(t, t->mask + 1);
}

/* Make room by forgetting the oldest resolved alerts. Returns false if all are active. The
 * oldest half of them (at least one) go at once, with the gaps: a full table then pays for
 * moving its entries once per many new alerts, not each time. */
static bool evict_resolved(struct fh_alert_table *t)
{
	unsigned resolved = 0;
	for (unsigned k = 0; k < t->n; k++)
		resolved += t->e[k].a.status == FH_ALERT_RESOLVED && t->e[k].a.id[0];
	if (!resolved && !t->gaps)
		return false;
	compact(t, resolved > 1 ? resolved / 2 : resolved);
	return true;
}

/* An active alert raised again: times widen, counts and severity never go down; the counts
 * of a type whose raises are one flow each add up (fh_alert_counts_add). */
static void merge_counts(struct fh_alert *o, const struct fh_alert_counts *c)
{
	if (c->last_seen >= o->last_seen) {
		o->last_seen = c->last_seen;
		o->span_ms = c->span_ms; /* the latest record's */
	}
	if (c->first_seen && c->first_seen < o->first_seen)
		o->first_seen = c->first_seen;
#define KEEP_MAX(f) if (c->f > o->f) o->f = c->f
	if (fh_alert_counts_add(o->type)) {
		o->flows += c->flows;
		o->packets += c->packets;
		o->bytes += c->bytes;
	} else {
		KEEP_MAX(flows);
		KEEP_MAX(packets);
		KEEP_MAX(bytes);
	}
	KEEP_MAX(targets);
	KEEP_MAX(severity);
#undef KEEP_MAX
}

int fh_alert_update(struct fh_alert_table *t, const char *id, const struct fh_alert_counts *c)
{
	uint64_t key;
	if (!id_key(id, &key))
		return -1;
	int32_t k = lookup(t, key, id);
	if (k < 0 || t->e[k].a.status != FH_ALERT_ACTIVE)
		return -1;
	struct entry *e = &t->e[k];
	struct fh_alert *o = &e->a;
	uint64_t last = c->last_seen > o->last_seen ? c->last_seen : o->last_seen;
	if (c->severity > o->severity || last >= e->last_emit_ms + t->cfg.update_interval_ms)
		return -1; /* the sinks are to hear of it: with fresh evidence */
	t->st.raised++;
	merge_counts(o, c);
	if (c->exporter && !fh_ip_is_zero(c->exporter))
		fh_alert_add_exporter(o, c->exporter);
	if (c->flow)
		fh_alert_note_flow(o, c->flow);
	e->dirty = true;
	return 0;
}

int fh_alert_raise(struct fh_alert_table *t, const struct fh_alert *a)
{
	uint64_t key;
	if (!id_key(a->id, &key))
		return -EINVAL;
	t->st.raised++;
	int32_t k = lookup(t, key, a->id);
	if (k >= 0 && t->e[k].a.status == FH_ALERT_ACTIVE) {
		struct entry *e = &t->e[k];
		struct fh_alert *o = &e->a;
		struct fh_alert_counts c = {.first_seen = a->first_seen, .last_seen = a->last_seen,
			.flows = a->flows, .packets = a->packets, .bytes = a->bytes,
			.targets = a->targets, .span_ms = a->span_ms, .severity = a->severity};
		merge_counts(o, &c);
		if (!fh_alert_src_in_key(o->type))
			o->src = a->src;
		if (a->evidence[0]) { /* its text, not the whole buffer */
			size_t n = strnlen(a->evidence, sizeof(o->evidence) - 1);
			memcpy(o->evidence, a->evidence, n);
			o->evidence[n] = 0;
		}
		for (unsigned i = 0; i < a->n_exporters; i++)
			fh_alert_add_exporter(o, &a->exporters[i]);
		for (unsigned i = 0; i < a->n_samples; i++) /* the flows that raised it again */
			fh_alert_note_flow(o, &a->samples[i]);
		e->dirty = true;
		if (o->last_seen >= e->last_emit_ms + t->cfg.update_interval_ms)
			emit(t, e, FH_AEV_UPDATE);
		return 0;
	}
	if (k >= 0) {
		/* the same activity again after it was resolved: a new occurrence, last in the
		 * table's order; the old one becomes a gap (a lookup passes it: its id no longer
		 * matches), closed when there are many, or when the table is full */
		t->e[k].a.id[0] = 0;
		t->e[k].dirty = false;
		if (++t->gaps > 64 && t->gaps * 4 > t->n)
			compact(t, 0);
	}
	if (t->n == t->cfg.capacity && !evict_resolved(t)) {
		t->st.dropped++;
		return -ENOSPC;
	}
	struct entry *e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	e->a = *a;
	e->a.status = FH_ALERT_ACTIVE;
	if (!e->a.detected_at)
		e->a.detected_at = a->last_seen;
	if (!e->a.first_seen)
		e->a.first_seen = a->detected_at;
	if (2 * (t->n + 1) > t->mask + 1 && t->mask + 1 < t->idx_cap)
		rebuild_index(t, 2 * (t->mask + 1)); /* no more than half the slots in use */
	idx_put(t, key, t->n);
	t->n++;
	t->st.created++;
	emit(t, e, FH_AEV_NEW);
	return 0;
}

unsigned fh_alert_table_tick(struct fh_alert_table *t, uint64_t watermark_ms)
{
	unsigned resolved = 0;
	for (unsigned k = 0; k < t->n; k++) {
		struct entry *e = &t->e[k];
		if (e->a.status != FH_ALERT_ACTIVE)
			continue;
		if (e->a.last_seen + e->a.span_ms + t->cfg.resolve_after_ms <= watermark_ms) {
			e->a.status = FH_ALERT_RESOLVED;
			emit(t, e, FH_AEV_RESOLVED);
			t->st.resolved++;
			resolved++;
		} else if (e->dirty && watermark_ms >= e->last_emit_ms + t->cfg.update_interval_ms) {
			emit(t, e, FH_AEV_UPDATE);
		}
	}
	return resolved;
}

void fh_alert_table_flush(struct fh_alert_table *t)
{
	for (unsigned k = 0; k < t->n; k++)
		if (t->e[k].dirty)
			emit(t, &t->e[k], FH_AEV_UPDATE);
	for (unsigned i = 0; i < t->n_sinks; i++)
		if (t->sinks[i]->ops->flush)
			t->sinks[i]->ops->flush(t->sinks[i]);
}

void fh_alert_table_foreach(struct fh_alert_table *t,
	void (*fn)(void *arg, const struct fh_alert *a), void *arg)
{
	for (unsigned k = 0; k < t->n; k++)
		if (t->e[k].a.id[0])
			fn(arg, &t->e[k].a);
}

void fh_alert_table_stats(const struct fh_alert_table *t, struct fh_alert_table_stats *st)
{
	*st = t->st;
	st->active = 0;
	for (unsigned k = 0; k < t->n; k++)
		st->active += t->e[k].a.status == FH_ALERT_ACTIVE;
}

const struct fh_alert *fh_alert_table_find(const struct fh_alert_table *t, const char *id)
{
	uint64_t key;
	int32_t k = id_key(id, &key) ? lookup(t, key, id) : -1;
	return k >= 0 ? &t->e[k].a : NULL;
}
