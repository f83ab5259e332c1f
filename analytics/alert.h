/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Alerts (DESIGN.md §5): the record of one activity, deduplicated by type + key, updated while
 * it lasts and resolved when it stops; the alert table that does the deduplication; and the
 * sink interface (JSON lines, Redis) through which alert events leave the analytics side.
 *
 * An alert's id is a function of its type and key only (not of the instance that saw it), so
 * several flowhound instances that see the same activity name the same alert.
 */
#ifndef FH_ANALYTICS_ALERT_H
#define FH_ANALYTICS_ALERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/flow.h"

/* ---- types ---------------------------------------------------------------------------- */

#define FH_ALERT_TYPES(X)                                                                  \
	X(SCAN_HORIZONTAL, "scan.horizontal")                                              \
	X(SCAN_VERTICAL, "scan.vertical")                                                  \
	X(SCAN_SLOW, "scan.slow")                                                          \
	X(WORM, "worm")                                                                    \
	X(FLOOD_SYN, "flood.syn")                                                          \
	X(FLOOD_UDP, "flood.udp")                                                          \
	X(FLOOD_ICMP, "flood.icmp")                                                        \
	X(DNS_OPEN_RESOLVER, "dns.open_resolver")                                          \
	X(DNS_TUNNEL, "dns.tunnel")                                                        \
	X(TUNNEL_HTTP, "tunnel.http")                                                      \
	X(TUNNEL_SSH, "tunnel.ssh")                                                        \
	X(SPAM_SMTP, "spam.smtp")                                                          \
	X(P2P_BITTORRENT, "p2p.bittorrent")                                                \
	X(BLOCKLIST, "blocklist") /* name is "blocklist.<list>" */

enum fh_alert_type {
#define X(e, s) FH_ALERT_##e,
	FH_ALERT_TYPES(X)
#undef X
	FH_ALERT_TYPE_MAX
};

enum fh_severity { FH_SEV_LOW, FH_SEV_MEDIUM, FH_SEV_HIGH, FH_SEV_CRITICAL };

enum fh_alert_status { FH_ALERT_ACTIVE, FH_ALERT_RESOLVED };

/* What happened to an alert (the Redis stream's event kinds). */
enum fh_alert_event { FH_AEV_NEW, FH_AEV_UPDATE, FH_AEV_RESOLVED };

#define FH_ALERT_MAX_EXPORTERS 8
#define FH_ALERT_EVIDENCE 1536
#define FH_ALERT_ID_LEN 17 /* 16 hex digits + NUL */
#define FH_ALERT_LIST_LEN 32
#define FH_ALERT_SAMPLES 4 /* sample flows an alert keeps: its first three, and the latest */
#define FH_ALERT_TOP 8 /* the peers it counts flows for (Space-Saving) */
#define FH_ALERT_JSON_MAX 6144 /* room for any alert as JSON (fh_alert_to_json) */

/* One flow of an activity, as an alert shows it. */
struct fh_alert_flow {
	uint64_t first_ms, last_ms;
	struct fh_ip src, dst;
	uint16_t sport, dport;
	uint8_t proto, tcp_flags;
	uint64_t packets, bytes; /* scaled by sampling */
};

/* A peer of the activity (the flows' other end than the alert's source) and its flows: its
 * counter's count, of which err were the flows of the peers it replaced (Space-Saving), so
 * flows - err were its own, at least. */
struct fh_alert_peer {
	struct fh_ip ip;
	uint32_t flows, err;
};

/* In the order of use: what a raise of an active alert reads and writes comes first (the
 * alert table keeps it within two cache lines); the evidence stays last, so that the fixed
 * part can be cleared with memset up to offsetof(struct fh_alert, evidence). */
struct fh_alert {
	char id[FH_ALERT_ID_LEN];
	uint8_t type; /* enum fh_alert_type */
	uint8_t severity; /* enum fh_severity */
	uint8_t status; /* enum fh_alert_status */
	uint8_t proto; /* 0 = not part of the alert */
	bool has_dst, has_port;
	uint16_t port;
	unsigned n_exporters;
	uint64_t first_seen, last_seen; /* event time, ms */
	uint64_t detected_at; /* event time at which the detector fired, ms */
	/* how long the record of its latest raise covered when that flow goes on (no FIN or
	 * RST): the exporter reports it again that much later (its active timeout), so the
	 * alert's quiet time (resolve_after) starts then. Not in the JSON. */
	uint64_t span_ms;
	uint64_t flows, packets, bytes, targets; /* packets/bytes scaled by sampling */
	struct fh_ip exporters[FH_ALERT_MAX_EXPORTERS];
	char list[FH_ALERT_LIST_LEN]; /* blocklist name, for FH_ALERT_BLOCKLIST */
	struct fh_ip src, dst; /* offender; victim or peer (when has_dst) */
	/* the flows that raised it (fh_alert_note_flow): shown in the evidence as
	 * "sample_flows" and "top_peers" (fh_alert_to_json) */
	uint8_t n_samples, n_top;
	struct fh_alert_flow samples[FH_ALERT_SAMPLES];
	struct fh_alert_peer top[FH_ALERT_TOP];
	char evidence[FH_ALERT_EVIDENCE]; /* a JSON object, "{}" when empty */
};

/*
 * Note a flow of the alert's activity: the first three are kept as samples, and the latest
 * as the fourth; its peer (its other end than a->src) is counted in the top peers, a
 * Space-Saving summary of FH_ALERT_TOP counters (Metwally et al., 2005): a peer not counted
 * takes the counter with the fewest flows, and that count as its error. The JSON shows each
 * peer's flows less its error: a lower bound, exact for a peer that kept its counter.
 */
void fh_alert_note_flow(struct fh_alert *a, const struct fh_alert_flow *f);

/* "scan.horizontal", ...; for blocklist alerts writes "blocklist.<list>" into buf. */
const char *fh_alert_type_name(const struct fh_alert *a, char *buf, size_t len);
/* Inverse of the names above (blocklist.* -> FH_ALERT_BLOCKLIST); -1 if unknown. */
int fh_alert_type_parse(const char *name);
const char *fh_severity_name(uint8_t sev);
const char *fh_alert_event_name(uint8_t ev);

/* Compute a->id from the type and key (type, list, src, dst if has_dst, port if has_port,
 * proto). Call after filling those fields. */
void fh_alert_make_id(struct fh_alert *a);

/* Whether src is part of an alert type's key: not a flood's, which is its victim's (its
 * sources come and go: pulses, a spoofed flood judged so once its sources are counted); such
 * an alert's src is its latest raise's. */
static inline bool fh_alert_src_in_key(uint8_t type)
{
	return type != FH_ALERT_FLOOD_SYN && type != FH_ALERT_FLOOD_UDP &&
	       type != FH_ALERT_FLOOD_ICMP;
}

/* Whether a type's raises carry one flow's counts each, which add up (the blocklists'), not
 * the activity's counts so far (a window's, the other detectors'), of which the largest is
 * kept. */
static inline bool fh_alert_counts_add(uint8_t type)
{
	return type == FH_ALERT_BLOCKLIST;
}

/*
 * snprintf for evidence, which the detectors format often (an active alert's every second):
 * the same output as snprintf for any format, without printf's machinery for the
 * conversions evidence uses (%s, %u, %llu, and %.0f and %.1f whose result is exact in
 * integer arithmetic); any other conversion, or a value that does not fit, is left to
 * vsnprintf. Returns what snprintf returns.
 */
int fh_evidence_fmt(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* v's decimal digits at o, and v / 10 with one decimal (no NUL); the end. */
char *fh_put_dec(char *o, unsigned long long v);
char *fh_put_tenths(char *o, unsigned long long v);

/* Add an exporter to the alert's set (no-op if present or the set is full). */
void fh_alert_add_exporter(struct fh_alert *a, const struct fh_ip *ex);

/* The evidence as the JSON shows it: the detector's object with the alert's flows after its
 * fields, "top_peers" (by flows, most first) and "sample_flows". Room for any:
 * FH_ALERT_EVIDENCE_JSON_MAX. */
#define FH_ALERT_EVIDENCE_JSON_MAX (FH_ALERT_EVIDENCE + 2560)
void fh_alert_evidence_json(const struct fh_alert *a, char *out, size_t len);

/* Format as one JSON object (DESIGN.md §5), no newline. Returns the length written, or the
 * length needed (snprintf semantics) when len is too small. */
int fh_alert_to_json(const struct fh_alert *a, char *buf, size_t len);

/* ---- sinks ---------------------------------------------------------------------------- */

struct fh_alert_sink;

struct fh_alert_sink_ops {
	/* Deliver one event. Must not block for long: may be called from an analytics thread. */
	void (*emit)(struct fh_alert_sink *s, const struct fh_alert *a, enum fh_alert_event ev);
	void (*flush)(struct fh_alert_sink *s);
	void (*close)(struct fh_alert_sink *s); /* frees s */
};

struct fh_alert_sink {
	const struct fh_alert_sink_ops *ops;
};

/* JSON lines to a stream (stdout or a file): one object per event, with an "event" field
 * added. Thread-safe (a mutex around each line). Does not close f when f is stdout. */
struct fh_alert_sink *fh_alert_sink_json_new(FILE *f, bool close_file);

/* ---- the alert table: deduplication, updates, resolution ------------------------------- */

struct fh_alert_table;

struct fh_alert_table_cfg {
	/* active + recently resolved alerts kept; default 65536, at most 2^30. When it is full,
	 * the oldest half of the resolved alerts are forgotten at once to make room */
	unsigned capacity;
	uint64_t resolve_after_ms; /* no activity for this long (event time) -> resolved; 300 s;
				    * after an alert's span_ms */
	uint64_t update_interval_ms; /* at most one UPDATE event per alert per interval; 10 s */
};

/* Create a table delivering events to the given sinks (not owned). NULL on failure. */
struct fh_alert_table *fh_alert_table_new(const struct fh_alert_table_cfg *cfg,
	struct fh_alert_sink **sinks, unsigned n_sinks);
void fh_alert_table_free(struct fh_alert_table *t);

/*
 * Report an activity. If no alert with a's id is active, it becomes a new alert (event NEW;
 * first_seen/detected_at as given). Otherwise the active alert is updated: last_seen, counts
 * (the detector reports the activity's cumulative counts: the larger value is kept),
 * severity (the higher), evidence (replaced when non-empty), exporters (union); an UPDATE
 * event is emitted at most once per update_interval (the final state always reaches the sinks
 * on resolve or flush). a->id must be set (fh_alert_make_id).
 * Calling context: the thread that owns t. Returns 0, -ENOSPC when the table is full (the
 * alert is counted as dropped), or -EINVAL when a->id is not an id (16 lowercase hex digits).
 */
int fh_alert_raise(struct fh_alert_table *t, const struct fh_alert *a);

/* What a raise of an active alert changes besides its evidence. */
struct fh_alert_counts {
	uint64_t first_seen, last_seen, flows, packets, bytes, targets, span_ms;
	uint8_t severity;
	const struct fh_ip *exporter; /* may be NULL */
	const struct fh_alert_flow *flow; /* the flow that raised it again (NULL: none) */
};
/*
 * Raise the active alert `id` again with new counts and times but the evidence it has: the
 * cheap path for an activity's every flow. 0 when done; -1 when there is no such active
 * alert (a string that is not an id names none), or when this raise is to reach the sinks
 * (an update is due, or the severity rises), which must carry fresh evidence: then build it
 * and call fh_alert_raise.
 */
int fh_alert_update(struct fh_alert_table *t, const char *id, const struct fh_alert_counts *c);

/* Resolve alerts idle (event time) since before watermark - resolve_after; emit pending
 * updates whose interval has passed. Returns the number resolved. */
unsigned fh_alert_table_tick(struct fh_alert_table *t, uint64_t watermark_ms);

/* Emit the pending update of every alert whose last state has not reached the sinks. */
void fh_alert_table_flush(struct fh_alert_table *t);

/* Visit every alert (active and resolved still in the table) in first-detected order. */
void fh_alert_table_foreach(struct fh_alert_table *t,
	void (*fn)(void *arg, const struct fh_alert *a), void *arg);

struct fh_alert_table_stats {
	uint64_t raised, created, updates_emitted, resolved, dropped;
	unsigned active;
};
void fh_alert_table_stats(const struct fh_alert_table *t, struct fh_alert_table_stats *st);

/* Find an alert by id (NULL if absent, or if id is not an id). The pointer is valid until the
 * next call on t. */
const struct fh_alert *fh_alert_table_find(const struct fh_alert_table *t, const char *id);

#endif
