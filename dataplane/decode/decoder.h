/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Export-datagram decoding: NetFlow v5, NetFlow v9 (RFC 3954), IPFIX (RFC 7011/7012) and
 * sFlow v5, behind one entry point. A decoder holds the per-exporter state (template caches,
 * sampling rates, sequence numbers, counters) of one worker: it is single-threaded by design
 * (an exporter's datagrams always reach the same worker), so nothing in it takes a lock.
 *
 * Decoding is a pure function of (decoder state, datagram bytes, arrival time): no I/O, no
 * DPDK, no sockets. Records go to a caller-supplied sink.
 */
#ifndef FH_DATAPLANE_DECODE_DECODER_H
#define FH_DATAPLANE_DECODE_DECODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/flow.h"

/* ---- errors: why a datagram (or the rest of it) was refused --------------------------- */

#define FH_DEC_ERRORS(X)                                                                   \
	X(SHORT, "datagram shorter than its header")                                       \
	X(VERSION, "not a NetFlow v5/v9, IPFIX or sFlow v5 datagram")                      \
	X(LENGTH, "length or count field disagrees with the datagram size")                \
	X(SET, "flowset/set header invalid or overruns the datagram")                      \
	X(TEMPLATE, "template record invalid")                                             \
	X(RECORD, "data record overruns its set")                                          \
	X(SAMPLE, "sFlow sample or record invalid")                                        \
	X(EXPORTERS, "exporter table full")                                                \
	X(DENIED, "exporter not in the allowed prefixes")

enum fh_dec_err {
	FH_DEC_OK = 0,
#define X(n, s) FH_DEC_E_##n,
	FH_DEC_ERRORS(X)
#undef X
	FH_DEC_E_MAX
};

/* Short reason for an error code (positive enum value). */
const char *fh_dec_strerror(int err);

/* ---- counters ------------------------------------------------------------------------- */

#define FH_CLOCK_STEP_MS 2000

/* Whether a clock offset (or its change) is beyond ms either way. */
static inline bool fh_clock_beyond(int64_t off, int64_t ms)
{
	return off > ms || off < -ms;
}
/* Whether an exporter's records are moved onto our clock: its offset beyond a tolerance that
 * is set (fh_decoder_cfg.clock_tolerance_ms). */
static inline bool fh_clock_moved(int64_t off, uint32_t tolerance_ms)
{
	return tolerance_ms && fh_clock_beyond(off, tolerance_ms);
}

struct fh_exporter_stats {
	uint64_t datagrams; /* accepted datagrams (decoded fully or in part) */
	uint64_t records; /* flow records emitted */
	uint64_t templates; /* data templates received (new or refreshed) */
	uint64_t opt_templates; /* options templates received */
	uint64_t withdrawals; /* IPFIX template withdrawals */
	uint64_t options_records; /* options data records (sampling, interface tables, ...) */
	uint64_t malformed; /* datagrams with a decode error (see err[]) */
	uint64_t seq_lost; /* export datagrams (v9, sFlow) or records (v5, IPFIX) lost */
	uint64_t seq_resets; /* sequence jumps too large or backwards: exporter restart */
	uint64_t pending; /* data sets held waiting for their template */
	uint64_t pending_decoded; /* ... later decoded when it came */
	uint64_t pending_dropped; /* ... dropped (timeout or buffer full) */
	uint64_t counter_samples; /* sFlow counter samples */
	/* The exporter's clock against ours: arrival time less the export header's time (NetFlow
	 * v5/v9, IPFIX; sFlow has none), in ms: positive, its clock is behind. Set by its first
	 * datagram that decodes, and again by one that differs by more than FH_CLOCK_STEP_MS (its
	 * clock was set, or a queue held the datagram), so that the jitter of the header's
	 * one-second resolution does not move it; clock_steps counts the settings.
	 * clock_corrected: records whose times were moved by it (clock_tolerance_ms). */
	int64_t clock_offset_ms;
	uint64_t clock_steps, clock_corrected;
	/* sFlow flow samples, per data source (sub-agent and source id): samples lost on the
	 * way (gaps in the sample sequence), packets the sampler saw (the sample pool's
	 * growth: pool / samples is the rate actually applied), and samples the agent itself
	 * dropped (the drops counter's growth) */
	uint64_t flow_samples, sample_seq_lost, sample_pool, agent_drops;
	uint64_t err[FH_DEC_E_MAX]; /* malformed, by reason */
};

struct fh_decoder_stats {
	uint64_t datagrams, records;
	uint64_t unknown; /* datagrams not recognised as any export format */
	uint64_t malformed;
	uint64_t denied; /* from exporters outside the ACL */
	uint64_t exporters_full;
};

/* ---- API ------------------------------------------------------------------------------ */

struct fh_decoder;
struct fh_exporter;

struct fh_decoder_cfg {
	unsigned max_exporters; /* 0 = default 4096 */
	size_t pending_bytes; /* data sets held for a missing template; 0 = default 1 MiB */
	uint32_t pending_timeout_ms; /* 0 = default 60 s */
	uint32_t template_timeout_ms; /* templates not refreshed expire; 0 = never */
	/* An exporter whose clock is off ours (clock_offset_ms) by more than this has its
	 * records' times moved onto ours by that offset; 0 = times as exported (`decode`) */
	uint32_t clock_tolerance_ms;
	/* exporter ACL: NULL = accept all; else return non-zero to accept */
	int (*allow)(void *arg, const struct fh_ip *exporter);
	void *allow_arg;
};

/* Create a decoder. cfg may be NULL for the defaults. Returns NULL on allocation failure.
 * All memory the decoder needs for exporters is allocated here; templates are allocated
 * when they first arrive (rare), never per record. */
struct fh_decoder *fh_decoder_new(const struct fh_decoder_cfg *cfg);
void fh_decoder_free(struct fh_decoder *d);

/*
 * Decode one export datagram (the UDP payload) received from `exporter` at `now_ms` (wall
 * clock when live, capture clock when offline). The format is recognised from the content.
 * Each record goes to sink->emit. Data sets whose template has not arrived are held (bounded)
 * and decoded, in order, when it arrives; held records are emitted from that later call.
 * Returns the number of records emitted (>= 0), or -enum fh_dec_err when the datagram is
 * malformed (records emitted before the error stand and are counted). Never reads outside
 * buf[0..len).
 * Calling context: the thread that owns d.
 */
int fh_decode(struct fh_decoder *d, const struct fh_ip *exporter, const uint8_t *buf, size_t len,
	uint64_t now_ms, const struct fh_rec_sink *sink);

/* Drop held data sets older than the pending timeout (counted as pending_dropped) and
 * expire templates. Call periodically (e.g. once a second). Returns the number dropped. */
unsigned fh_decoder_expire(struct fh_decoder *d, uint64_t now_ms);

/*
 * Whether buf looks like an export datagram, judged by content alone (for captures on
 * ports not configured as collector ports). Returns the enum fh_version, or 0.
 */
int fh_decode_sniff(const uint8_t *buf, size_t len);

const struct fh_decoder_stats *fh_decoder_stats(const struct fh_decoder *d);

/* Visit the NetFlow v9 / IPFIX information elements the decoder understands (ie.def), in id
 * order: id, IANA name, where the value goes, accepted widths. For docs and --list. */
void fh_decode_elements(void (*fn)(void *arg, unsigned id, const char *name, const char *dest,
				unsigned minw, unsigned maxw),
	void *arg);

/* Visit every exporter (for `stats`). ip is the exporter address as the decoder keys it. */
void fh_decoder_foreach_exporter(const struct fh_decoder *d,
	void (*fn)(void *arg, const struct fh_ip *ip, const struct fh_exporter_stats *st),
	void *arg);

#endif
