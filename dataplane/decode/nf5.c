/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v5: a 24-byte header and up to 30 fixed 48-byte records. Times in records are
 * milliseconds of the exporter's uptime; the header gives uptime and wall clock at export,
 * from which absolute times follow. The header's sampling interval (low 14 bits; the top
 * two bits are the sampling mode) applies to every record. The flow sequence number counts
 * records, so a gap is the number of records lost.
 */
#include "dataplane/decode/decoder_priv.h"

#define NF5_HDR 24
#define NF5_REC 48
#define NF5_MAX 30

int fh_nf5_decode(struct fh_decoder *d, struct fh_exporter *ex, const uint8_t *buf, size_t len,
	uint64_t now_ms, const struct fh_rec_sink *sink)
{
	(void)d;
	(void)now_ms;
	if (len < NF5_HDR)
		return fh_dec_fail(ex, FH_DEC_E_SHORT);
	unsigned count = fh_rd16(buf + 2);
	if (count == 0 || count > NF5_MAX || len < NF5_HDR + (size_t)count * NF5_REC)
		return fh_dec_fail(ex, FH_DEC_E_LENGTH);

	uint32_t uptime = fh_rd32(buf + 4);
	uint64_t export_ms = fh_nf5_export_ms(buf);
	uint32_t seq = fh_rd32(buf + 16);
	uint32_t domain = (uint32_t)buf[20] << 8 | buf[21];
	uint32_t sampling = fh_rd16(buf + 22) & 0x3fff;
	if (sampling == 0)
		sampling = 1;

	fh_seq_track(ex, FH_VER_NF5, domain, seq, count);

	struct fh_flow_rec r;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *p = buf + NF5_HDR + (size_t)i * NF5_REC;
		memset(&r, 0, sizeof(r));
		r.version = FH_VER_NF5;
		r.af = 4;
		r.exporter = ex->ip;
		r.domain = domain;
		r.sampling = sampling;
		fh_ip_from_v4(&r.src, p);
		fh_ip_from_v4(&r.dst, p + 4);
		fh_ip_from_v4(&r.nexthop, p + 8);
		r.in_if = fh_rd16(p + 12);
		r.out_if = fh_rd16(p + 14);
		r.packets = fh_rd32(p + 16);
		r.bytes = fh_rd32(p + 20);
		/* signed distance from export time handles uptime wrap */
		r.first_ms = export_ms + (int64_t)(int32_t)(fh_rd32(p + 24) - uptime);
		r.last_ms = export_ms + (int64_t)(int32_t)(fh_rd32(p + 28) - uptime);
		r.sport = fh_rd16(p + 32);
		r.dport = fh_rd16(p + 34);
		r.tcp_flags = p[37];
		r.proto = p[38];
		r.tos = p[39];
		r.src_as = fh_rd16(p + 40);
		r.dst_as = fh_rd16(p + 42);
		r.src_mask = p[44];
		r.dst_mask = p[45];
		r.fields = FH_F_NEXTHOP | FH_F_AS | FH_F_MASK | FH_F_TOS | FH_F_IF | FH_F_TIMES;
		fh_dec_emit(ex, sink, &r);
	}
	return (int)count;
}
