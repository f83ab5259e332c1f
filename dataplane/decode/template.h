/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The template engine shared by the NetFlow v9 and IPFIX decoders: templates are compiled,
 * when they arrive, into arrays of copy ops (offset, width, destination) from the
 * information-element table (ie.def); data records then only run the ops. Templates are
 * cached per exporter, keyed by (observation domain / source id, template id). Data sets
 * whose template has not arrived are held in a bounded per-decoder FIFO and decoded when it
 * does. Options data carrying sampling parameters set the rates applied to later records.
 * Private to dataplane/decode/.
 */
#ifndef FH_DATAPLANE_DECODE_TEMPLATE_H
#define FH_DATAPLANE_DECODE_TEMPLATE_H

#include "dataplane/decode/decoder_priv.h"

/* Where a field goes: the third column of ie.def, prefixed FH_K_. */
enum fh_ie_kind {
	FH_K_NONE,
	FH_K_BYTES, FH_K_PKTS, FH_K_PROTO, FH_K_TOS, FH_K_TCP_FLAGS, FH_K_SPORT, FH_K_DPORT,
	FH_K_SRC4, FH_K_DST4, FH_K_SRC6, FH_K_DST6, FH_K_SRC_MASK, FH_K_DST_MASK, FH_K_IN_IF,
	FH_K_OUT_IF, FH_K_NH4, FH_K_NH6, FH_K_BGP_NH4, FH_K_BGP_NH6, FH_K_SRC_AS, FH_K_DST_AS,
	FH_K_LAST_UP, FH_K_FIRST_UP, FH_K_OUT_BYTES, FH_K_OUT_PKTS, FH_K_ICMP_TC, FH_K_SAMPLING,
	FH_K_SAMPLER_ID, FH_K_SRC_MAC, FH_K_DST_MAC, FH_K_VLAN, FH_K_DIRECTION, FH_K_BYTES_TOTAL,
	FH_K_PKTS_TOTAL, FH_K_START_S, FH_K_END_S, FH_K_START_MS, FH_K_END_MS, FH_K_START_NTP,
	FH_K_END_NTP, FH_K_START_DELTA_US, FH_K_END_DELTA_US, FH_K_SYSINIT_MS, FH_K_ICMP_TYPE,
	FH_K_ICMP_CODE, FH_K_INIT_BYTES, FH_K_RESP_BYTES, FH_K_INIT_PKTS, FH_K_RESP_PKTS,
	FH_K_SAMPLING_PKT_INTERVAL, FH_K_SAMPLING_PKT_SPACE, FH_K_SAMPLING_SIZE,
	FH_K_SAMPLING_POPULATION, FH_K_OBS_MS,
	FH_K_MAX
};

/* One row of ie.def, for lookups and docs. */
struct fh_ie_info {
	uint16_t id;
	uint8_t kind; /* enum fh_ie_kind */
	uint8_t minw, maxw;
	const char *name;
};

/* The row for an IANA element id, or NULL. */
const struct fh_ie_info *fh_ie_lookup(uint16_t id);

/* What a datagram's header says, needed to turn record fields into a flow record. */
struct fh_hdr_ctx {
	uint8_t version; /* FH_VER_NF9 or FH_VER_IPFIX */
	uint32_t domain;
	uint32_t uptime_ms; /* v9 sysUptime */
	uint64_t export_ms; /* header export time */
	uint64_t now_ms; /* arrival time */
};

/* Parse a template set (v9 flowset 0/1, IPFIX set 2/3) body. Returns 0 or -FH_DEC_E_*.
 * New templates release data sets held for them (emitted through sink). */
int fh_tpl_template_set(struct fh_decoder *d, struct fh_exporter *ex,
	const struct fh_hdr_ctx *h, uint16_t set_id, const uint8_t *p, size_t len,
	const struct fh_rec_sink *sink);

/* Decode a data set (id >= 256) body, or hold it when its template is unknown.
 * Returns the number of data records decoded (>= 0), FH_TPL_HELD when held, or
 * -FH_DEC_E_*. */
#define FH_TPL_HELD (1 << 30)
int fh_tpl_data_set(struct fh_decoder *d, struct fh_exporter *ex, const struct fh_hdr_ctx *h,
	uint16_t set_id, const uint8_t *p, size_t len, const struct fh_rec_sink *sink);

#endif
