/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The decoder core: recognises the export format of a datagram, finds (or creates) its
 * exporter in a fixed-size open-addressing table with a one-entry "last exporter" cache, and
 * dispatches to the per-format decoder. Also: sequence-number tracking shared by all formats.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/decode/decoder_priv.h"

/* ---- error strings -------------------------------------------------------------------- */

static const char *const err_str[FH_DEC_E_MAX] = {
	[FH_DEC_OK] = "ok",
#define X(n, s) [FH_DEC_E_##n] = s,
	FH_DEC_ERRORS(X)
#undef X
};

const char *fh_dec_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err >= FH_DEC_E_MAX)
		return "unknown error";
	return err_str[err];
}

/* ---- exporter table ------------------------------------------------------------------- */

static uint32_t ip_hash(const struct fh_ip *ip)
{
	uint64_t a, b;
	memcpy(&a, ip->a, 8);
	memcpy(&b, ip->a + 8, 8);
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;
	return (uint32_t)(h >> 32);
}

static struct fh_exporter *exporter_get(struct fh_decoder *d, const struct fh_ip *ip)
{
	if (d->last && fh_ip_eq(&d->last->ip, ip))
		return d->last;
	uint32_t mask = d->cap - 1;
	for (uint32_t i = ip_hash(ip) & mask, probes = 0; probes < d->cap;
		i = (i + 1) & mask, probes++) {
		struct fh_exporter *e = &d->ex[i];
		if (!e->used) {
			/* keep the table at most half full so probes stay short */
			if (d->n >= d->cfg.max_exporters)
				return NULL;
			e->used = 1;
			e->ip = *ip;
			d->n++;
			d->last = e;
			return e;
		}
		if (fh_ip_eq(&e->ip, ip)) {
			d->last = e;
			return e;
		}
	}
	return NULL;
}

struct fh_decoder *fh_decoder_new(const struct fh_decoder_cfg *cfg)
{
	struct fh_decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	if (cfg)
		d->cfg = *cfg;
	if (!d->cfg.max_exporters)
		d->cfg.max_exporters = 4096;
	if (!d->cfg.pending_bytes)
		d->cfg.pending_bytes = 1u << 20;
	if (!d->cfg.pending_timeout_ms)
		d->cfg.pending_timeout_ms = 60000;
	d->cap = 16;
	while (d->cap < 2 * d->cfg.max_exporters)
		d->cap <<= 1;
	d->ex = calloc(d->cap, sizeof(*d->ex));
	if (!d->ex)
		goto err_ex;
	d->pending = fh_tpl_pending_new(d->cfg.pending_bytes);
	if (!d->pending)
		goto err_pending;
	return d;

err_pending:
	free(d->ex);
err_ex:
	free(d);
	return NULL;
}

void fh_decoder_free(struct fh_decoder *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < d->cap; i++)
		if (d->ex[i].used) {
			if (d->ex[i].tpl)
				fh_tpl_cache_free(d->ex[i].tpl);
			free(d->ex[i].sfs);
		}
	fh_tpl_pending_free(d->pending);
	free(d->ex);
	free(d);
}

const struct fh_decoder_stats *fh_decoder_stats(const struct fh_decoder *d)
{
	return &d->st;
}

void fh_decoder_foreach_exporter(const struct fh_decoder *d,
	void (*fn)(void *arg, const struct fh_ip *ip, const struct fh_exporter_stats *st),
	void *arg)
{
	for (unsigned i = 0; i < d->cap; i++)
		if (d->ex[i].used)
			fn(arg, &d->ex[i].ip, &d->ex[i].st);
}

/* ---- format recognition and dispatch -------------------------------------------------- */

int fh_decode_sniff(const uint8_t *buf, size_t len)
{
	if (len < 4)
		return 0;
	uint32_t w0 = fh_rd32(buf);
	if (w0 == 5 && len >= 28) {
		uint32_t at = fh_rd32(buf + 4);
		if (at == 1 || at == 2)
			return FH_VER_SFLOW5;
		return 0;
	}
	uint16_t v = fh_rd16(buf);
	uint16_t n = fh_rd16(buf + 2);
	switch (v) {
	case 5:
		/* count 1..30 records, and the datagram holds them all */
		if (n >= 1 && n <= 30 && len >= 24 + 48u * n)
			return FH_VER_NF5;
		return 0;
	case 9:
		if (len >= 24 && n <= 1024) {
			uint16_t fsid = fh_rd16(buf + 20), fslen = fh_rd16(buf + 22);
			if ((fsid <= 1 || fsid >= 256) && fslen >= 4 && fslen <= len - 20)
				return FH_VER_NF9;
		}
		return 0;
	case 10:
		/* the message length is exact (a datagram may hold several messages) */
		if (n >= 16 && n <= len && len >= 20) {
			uint16_t sid = fh_rd16(buf + 16), slen = fh_rd16(buf + 18);
			if ((sid == 2 || sid == 3 || sid >= 256) && slen >= 4 && slen <= n - 16)
				return FH_VER_IPFIX;
		}
		return 0;
	default:
		return 0;
	}
}

/* ---- the exporter's clock -------------------------------------------------------------- */

/* The export header's time in ms (0: none: sFlow, or too short to hold one). */
static uint64_t header_ms(const uint8_t *buf, size_t len)
{
	if (fh_rd32(buf) == 5) /* sFlow: uptime only */
		return 0;
	switch (fh_rd16(buf)) {
	case 5:
		return len >= 16 ? fh_nf5_export_ms(buf) : 0;
	case 9:
		return len >= 12 ? fh_nf9_export_ms(buf) : 0;
	case 10: /* the first message's */
		return len >= 8 ? fh_ipfix_export_ms(buf) : 0;
	default:
		return 0;
	}
}

/* The exporter's clock offset with this datagram (arrival now_ms, header time hdr_ms): its
 * first, or one that differs from the offset so far by more than FH_CLOCK_STEP_MS; else the
 * offset so far. */
static int64_t clock_offset(const struct fh_exporter *ex, uint64_t hdr_ms, uint64_t now_ms)
{
	/* within 2^62 ms either way (any real clock is), so that differences cannot overflow */
	const uint64_t lim = 1ull << 62;
	int64_t off = now_ms >= hdr_ms ? (int64_t)(now_ms - hdr_ms < lim ? now_ms - hdr_ms : lim)
				       : -(int64_t)(hdr_ms - now_ms < lim ? hdr_ms - now_ms : lim);
	if (!ex->st.clock_steps || fh_clock_beyond(off - ex->st.clock_offset_ms, FH_CLOCK_STEP_MS))
		return off;
	return ex->st.clock_offset_ms;
}

/* Records on their way to the sink, their times moved by the exporter's clock offset. */
struct shifted {
	const struct fh_rec_sink *to;
	struct fh_exporter *ex;
	int64_t off;
};

static void shifted_emit(void *arg, const struct fh_flow_rec *rec)
{
	const struct shifted *s = arg;
	struct fh_flow_rec r = *rec;
	int64_t off = s->off;
	/* an offset larger than the time itself (a clock far ahead, or a time of 0) leaves 0 */
	uint64_t back = off < 0 ? 0 - (uint64_t)off : 0;
	r.first_ms = back > r.first_ms ? 0 : r.first_ms + (uint64_t)off;
	r.last_ms = back > r.last_ms ? 0 : r.last_ms + (uint64_t)off;
	s->ex->st.clock_corrected++;
	s->to->emit(s->to->arg, &r);
}

static void shifted_counters(void *arg, const struct fh_if_counters *c)
{
	const struct shifted *s = arg;
	if (s->to->counters)
		s->to->counters(s->to->arg, c);
}

int fh_decode(struct fh_decoder *d, const struct fh_ip *exporter, const uint8_t *buf, size_t len,
	uint64_t now_ms, const struct fh_rec_sink *sink)
{
	int rc;

	if (d->cfg.allow && !d->cfg.allow(d->cfg.allow_arg, exporter)) {
		d->st.denied++;
		return -FH_DEC_E_DENIED;
	}
	if (len < 4) {
		d->st.unknown++;
		return -FH_DEC_E_SHORT;
	}
	struct fh_exporter *ex = exporter_get(d, exporter);
	if (!ex) {
		d->st.exporters_full++;
		return -FH_DEC_E_EXPORTERS;
	}
	uint64_t before = ex->st.records;
	/* the exporter's clock; not sFlow's (no header time: its records are stamped with
	 * now_ms, also when the agent exports NetFlow too), nor one a malformed datagram gives */
	uint64_t hdr = header_ms(buf, len);
	int64_t off = hdr ? clock_offset(ex, hdr, now_ms) : 0;
	struct shifted sh = {sink, ex, off};
	struct fh_rec_sink moved = {shifted_emit, shifted_counters, &sh};
	if (fh_clock_moved(off, d->cfg.clock_tolerance_ms))
		sink = &moved; /* held data sets decoded in this call too: the same clock */
	if (fh_rd32(buf) == 5) {
		rc = fh_sflow_decode(d, ex, buf, len, now_ms, sink);
	} else {
		switch (fh_rd16(buf)) {
		case 5:
			rc = fh_nf5_decode(d, ex, buf, len, now_ms, sink);
			break;
		case 9:
			rc = fh_nf9_decode(d, ex, buf, len, now_ms, sink);
			break;
		case 10:
			rc = fh_ipfix_decode(d, ex, buf, len, now_ms, sink);
			break;
		default:
			d->st.unknown++;
			ex->st.err[FH_DEC_E_VERSION]++;
			ex->st.malformed++;
			return -FH_DEC_E_VERSION;
		}
	}
	if (hdr && rc >= 0 && (!ex->st.clock_steps || off != ex->st.clock_offset_ms)) {
		ex->st.clock_offset_ms = off;
		ex->st.clock_steps++;
	}
	ex->st.datagrams++;
	d->st.datagrams++;
	d->st.records += ex->st.records - before;
	if (rc < 0)
		d->st.malformed++;
	return rc;
}

unsigned fh_decoder_expire(struct fh_decoder *d, uint64_t now_ms)
{
	return fh_tpl_expire(d, now_ms);
}

/* ---- sequence numbers ----------------------------------------------------------------- */

/* A forward jump larger than this is an exporter restart, not loss. */
#define SEQ_MAX_GAP 1000000u

uint32_t fh_seq_track(struct fh_exporter *ex, uint8_t version, uint32_t domain, uint32_t seq,
	uint32_t incr)
{
	struct fh_seq_slot *s = NULL, *victim = &ex->seq[0];

	for (unsigned i = 0; i < FH_SEQ_SLOTS; i++) {
		struct fh_seq_slot *c = &ex->seq[i];
		if (c->used && c->version == version && c->domain == domain) {
			s = c;
			break;
		}
		if (!c->used)
			victim = c;
	}
	if (!s) {
		/* first datagram of this domain (or more domains than slots: reuse one) */
		victim->used = 1;
		victim->version = version;
		victim->domain = domain;
		victim->next = seq + incr;
		return 0;
	}
	uint32_t gap = seq - s->next; /* wrap-safe modulo 2^32 */
	uint32_t lost = 0;
	if (gap == 0) {
		s->next = seq + incr;
	} else if (gap < SEQ_MAX_GAP) {
		lost = gap;
		ex->st.seq_lost += gap;
		s->next = seq + incr;
	} else if ((uint32_t)(s->next - seq) < SEQ_MAX_GAP) {
		/* late (reordered or duplicated) datagram: keep the expectation */
	} else {
		ex->st.seq_resets++;
		s->next = seq + incr;
	}
	return lost;
}

void fh_seq_forget(struct fh_exporter *ex, uint8_t version, uint32_t domain)
{
	for (unsigned i = 0; i < FH_SEQ_SLOTS; i++)
		if (ex->seq[i].used && ex->seq[i].version == version &&
			ex->seq[i].domain == domain)
			ex->seq[i].used = 0;
}
