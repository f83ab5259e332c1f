/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Private to the decoders: the exporter and decoder structs and the per-format entry points
 * that fh_decode() dispatches to. Nothing outside dataplane/decode/ includes this.
 */
#ifndef FH_DATAPLANE_DECODE_DECODER_PRIV_H
#define FH_DATAPLANE_DECODE_DECODER_PRIV_H

#include "dataplane/decode/decoder.h"

/* ---- big-endian reads (the buffer is always bounds-checked by the caller) ------------- */

static inline uint16_t fh_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t fh_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t fh_rd64(const uint8_t *p)
{
	return (uint64_t)fh_rd32(p) << 32 | fh_rd32(p + 4);
}

/* Unsigned big-endian integer of 1..8 bytes (reduced-size encoding); wider: low 8 bytes. */
static inline uint64_t fh_rdn(const uint8_t *p, unsigned n)
{
	switch (n) { /* the common widths without a loop */
	case 1: return p[0];
	case 2: return fh_rd16(p);
	case 4: return fh_rd32(p);
	case 8: return fh_rd64(p);
	default: break;
	}
	uint64_t v = 0;
	if (n > 8) {
		p += n - 8;
		n = 8;
	}
	for (unsigned i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- per-exporter state --------------------------------------------------------------- */

#define FH_SEQ_SLOTS 16

/* Sequence state for one (version, domain) of an exporter. */
struct fh_seq_slot {
	uint32_t domain;
	uint32_t next; /* expected next sequence number */
	uint8_t version;
	uint8_t used;
};

struct fh_tpl_cache; /* NetFlow v9 / IPFIX templates of one exporter (template.c) */
struct fh_sflow_sources; /* sFlow: per data source sample sequence, pool, drops (sflow.c) */

struct fh_exporter {
	struct fh_ip ip;
	uint8_t used;
	struct fh_exporter_stats st;
	struct fh_seq_slot seq[FH_SEQ_SLOTS];
	struct fh_tpl_cache *tpl; /* NULL until the first template arrives */
	struct fh_sflow_sources *sfs; /* NULL until the first sFlow flow sample */
};

struct fh_tpl_pending; /* data sets held for a missing template (template.c) */

struct fh_decoder {
	struct fh_decoder_cfg cfg;
	struct fh_decoder_stats st;
	struct fh_exporter *ex; /* open-addressing table, cap entries (power of two) */
	unsigned cap, n;
	struct fh_exporter *last; /* one-entry cache: the previous datagram's exporter */
	struct fh_tpl_pending *pending;
};

/*
 * Track a sequence number. `incr` is how much the exporter's next sequence number should
 * advance after this datagram (v5 and IPFIX: records in it; v9 and sFlow: 1). Counts losses
 * and resets in ex->st; wrap-safe. Returns the number of datagrams/records lost before this
 * one (0 when in order, first seen, or reordered).
 */
uint32_t fh_seq_track(struct fh_exporter *ex, uint8_t version, uint32_t domain, uint32_t seq,
	uint32_t incr);

/* Forget what to expect next for (version, domain): the next datagram starts afresh. Used
 * when a datagram's increment cannot be known (IPFIX data held for its template). */
void fh_seq_forget(struct fh_exporter *ex, uint8_t version, uint32_t domain);

/* The export time in a header, in ms: NetFlow v5's (unix_secs, unix_nsecs: 16 bytes), v9's
 * (unix_secs: 12), an IPFIX message's (exportTime: 8). */
static inline uint64_t fh_nf5_export_ms(const uint8_t *h)
{
	return (uint64_t)fh_rd32(h + 8) * 1000 + fh_rd32(h + 12) / 1000000;
}
static inline uint64_t fh_nf9_export_ms(const uint8_t *h)
{
	return (uint64_t)fh_rd32(h + 8) * 1000;
}
static inline uint64_t fh_ipfix_export_ms(const uint8_t *msg)
{
	return (uint64_t)fh_rd32(msg + 4) * 1000;
}

/* Record an error on the exporter; returns -err for convenient `return fh_dec_fail(...)`. */
static inline int fh_dec_fail(struct fh_exporter *ex, enum fh_dec_err err)
{
	ex->st.malformed++;
	ex->st.err[err]++;
	return -(int)err;
}

/* Emit a record through the sink and count it. */
static inline void fh_dec_emit(struct fh_exporter *ex, const struct fh_rec_sink *sink,
	const struct fh_flow_rec *rec)
{
	ex->st.records++;
	sink->emit(sink->arg, rec);
}

/* ---- per-format decoders: same contract as fh_decode(), exporter already resolved ----- */

int fh_nf5_decode(struct fh_decoder *d, struct fh_exporter *ex, const uint8_t *buf, size_t len,
	uint64_t now_ms, const struct fh_rec_sink *sink);
int fh_nf9_decode(struct fh_decoder *d, struct fh_exporter *ex, const uint8_t *buf, size_t len,
	uint64_t now_ms, const struct fh_rec_sink *sink);
int fh_ipfix_decode(struct fh_decoder *d, struct fh_exporter *ex, const uint8_t *buf, size_t len,
	uint64_t now_ms, const struct fh_rec_sink *sink);
int fh_sflow_decode(struct fh_decoder *d, struct fh_exporter *ex, const uint8_t *buf, size_t len,
	uint64_t now_ms, const struct fh_rec_sink *sink);

/* Template-module hooks used by the decoder core (template.c). */
struct fh_tpl_pending *fh_tpl_pending_new(size_t bytes);
void fh_tpl_pending_free(struct fh_tpl_pending *p);
void fh_tpl_cache_free(struct fh_tpl_cache *c);
unsigned fh_tpl_expire(struct fh_decoder *d, uint64_t now_ms);

#endif
