/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A dataplane worker's packet path (see worker.h).
 */
#include <stdlib.h>
#include <string.h>

#include "dataplane/parse/pkt.h"
#include "dataplane/worker.h"

const uint16_t fh_default_collector_ports[5] = {2055, 9995, 9996, 4739, 6343};

struct fh_worker {
	unsigned id;
	struct fh_worker_cfg cfg;
	struct fh_rec_sink out;
	struct fh_rec_sink count_sink; /* wraps out to count records */
	struct fh_decoder *dec;
	struct fh_worker_stats st;
	struct fh_ip last_exporter;
	int last_rc;
	uint8_t port_map[65536 / 8]; /* collector ports as a bitmap: one load per packet */
};

static void count_emit(void *arg, const struct fh_flow_rec *rec)
{
	struct fh_worker *w = arg;
	w->st.records++;
	w->out.emit(w->out.arg, rec);
}

static void count_counters(void *arg, const struct fh_if_counters *c)
{
	struct fh_worker *w = arg;
	if (w->out.counters)
		w->out.counters(w->out.arg, c);
}

struct fh_worker *fh_worker_new(unsigned id, const struct fh_worker_cfg *cfg,
	const struct fh_rec_sink *out)
{
	struct fh_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->id = id;
	w->cfg = *cfg;
	w->out = *out;
	if (!w->cfg.tap_sampling)
		w->cfg.tap_sampling = 1;
	w->count_sink.emit = count_emit;
	w->count_sink.counters = count_counters;
	w->count_sink.arg = w;
	for (unsigned i = 0; i < cfg->n_ports && i < FH_WORKER_MAX_PORTS; i++)
		if (cfg->ports[i])
			w->port_map[cfg->ports[i] / 8] |= (uint8_t)(1u << (cfg->ports[i] % 8));
	w->dec = fh_decoder_new(&w->cfg.dec);
	if (!w->dec) {
		free(w);
		return NULL;
	}
	return w;
}

void fh_worker_free(struct fh_worker *w)
{
	if (!w)
		return;
	fh_decoder_free(w->dec);
	free(w);
}

bool fh_worker_is_export(const struct fh_worker *w, uint16_t dport, const uint8_t *payload,
	size_t len)
{
	if (w->port_map[dport / 8] & (1u << (dport % 8)))
		return true;
	return w->cfg.sniff && fh_decode_sniff(payload, len) != 0;
}

int fh_worker_datagram(struct fh_worker *w, const struct fh_ip *exporter, const uint8_t *buf,
	size_t len, uint64_t now_ms)
{
	w->st.datagrams++;
	int rc = fh_decode(w->dec, exporter, buf, len, now_ms, &w->count_sink);
	w->last_exporter = *exporter;
	w->last_rc = rc;
	if (rc < 0)
		w->st.decode_errors++;
	return rc;
}

static void tap_meter(struct fh_worker *w, const struct fh_pkt *p, size_t frame_len,
	uint64_t now_ms)
{
	struct fh_flow_rec r;

	memset(&r, 0, sizeof(r));
	fh_pkt_to_rec(p, &r);
	r.version = FH_VER_TAP;
	r.packets = 1;
	r.bytes = p->ip_len ? p->ip_len : frame_len;
	r.first_ms = r.last_ms = now_ms;
	r.sampling = w->cfg.tap_sampling;
	r.domain = w->id;
	w->st.tap_packets++;
	count_emit(w, &r);
}

static int handle(struct fh_worker *w, int rc, const struct fh_pkt *p, size_t len,
	uint64_t now_ms)
{
	if (rc == FH_PKT_NOT_IP) {
		w->st.not_ip++;
		return FH_WV_NOT_IP;
	}
	if (rc != FH_PKT_OK) {
		w->st.bad_ip++;
		return FH_WV_BAD_IP;
	}
	if (p->proto == 17 && (p->flags & FH_PKT_FRAG)) {
		/* a fragment of a UDP datagram: the first one tells the port */
		if ((p->flags & FH_PKT_L4) && w->port_map[p->dport / 8] & (1u << (p->dport % 8))) {
			w->st.fragments++;
			return FH_WV_FRAGMENT;
		}
		if (p->flags & FH_PKT_FRAG_LATER && !w->cfg.tap) {
			w->st.fragments++;
			return FH_WV_FRAGMENT;
		}
	}
	if (p->proto == 17 && (p->flags & FH_PKT_L4) && p->payload &&
		fh_worker_is_export(w, p->dport, p->payload, p->payload_len)) {
		int drc = fh_worker_datagram(w, &p->src, p->payload, p->payload_len, now_ms);
		return drc < 0 ? FH_WV_EXPORT_BAD : FH_WV_EXPORT;
	}
	if (w->cfg.tap) {
		tap_meter(w, p, len, now_ms);
		return FH_WV_TAP;
	}
	w->st.ignored++;
	return FH_WV_IGNORED;
}

int fh_worker_frame(struct fh_worker *w, const uint8_t *frame, size_t len, uint64_t now_ms)
{
	struct fh_pkt p;

	w->st.frames++;
	int rc = fh_pkt_parse_eth(frame, len, &p);
	return handle(w, rc, &p, len, now_ms);
}

int fh_worker_ip(struct fh_worker *w, const uint8_t *l3, size_t len, uint64_t now_ms)
{
	struct fh_pkt p;

	w->st.frames++;
	int rc = fh_pkt_parse_ip(l3, len, &p);
	return handle(w, rc, &p, len, now_ms);
}

void fh_worker_last_export(const struct fh_worker *w, struct fh_ip *exporter, int *rc)
{
	*exporter = w->last_exporter;
	*rc = w->last_rc;
}

void fh_worker_tick(struct fh_worker *w, uint64_t now_ms)
{
	fh_decoder_expire(w->dec, now_ms);
}

const struct fh_worker_stats *fh_worker_stats(const struct fh_worker *w)
{
	return &w->st;
}

struct fh_decoder *fh_worker_decoder(struct fh_worker *w)
{
	return w->dec;
}
