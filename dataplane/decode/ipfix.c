/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * IPFIX (RFC 7011): a 16-byte message header (version 10, length, export time, sequence
 * number, observation domain) and sets: 2 templates, 3 options templates, >= 256 data.
 * Templates and records go through the shared template engine (template.c). A datagram may
 * carry several messages back to back; each is decoded. The sequence number counts data
 * records per observation domain, so a gap is the number of records lost.
 */
#include "dataplane/decode/template.h"

#define IPFIX_HDR 16

static int decode_message(struct fh_decoder *d, struct fh_exporter *ex, const uint8_t *buf,
	size_t len, uint64_t now_ms, const struct fh_rec_sink *sink)
{
	struct fh_hdr_ctx h = {
		.version = FH_VER_IPFIX,
		.export_ms = fh_ipfix_export_ms(buf),
		.domain = fh_rd32(buf + 12),
		.now_ms = now_ms,
	};
	uint32_t seq = fh_rd32(buf + 8);
	uint32_t data_records = 0;
	int held = 0;
	size_t pos = IPFIX_HDR;
	while (len - pos >= 4) {
		uint16_t id = fh_rd16(buf + pos), slen = fh_rd16(buf + pos + 2);
		if (slen < 4 || slen > len - pos)
			return -FH_DEC_E_SET;
		const uint8_t *body = buf + pos + 4;
		size_t blen = slen - 4u;
		int rc = 0;
		if (id == 2 || id == 3)
			rc = fh_tpl_template_set(d, ex, &h, id, body, blen, sink);
		else if (id >= 256)
			rc = fh_tpl_data_set(d, ex, &h, id, body, blen, sink);
		if (rc < 0)
			return rc;
		if (rc == FH_TPL_HELD)
			held = 1;
		else if (id >= 256)
			data_records += (uint32_t)rc;
		pos += slen;
	}
	/* the record count of a held set is unknown: check this message's number, then start
	 * afresh with the next one */
	fh_seq_track(ex, FH_VER_IPFIX, h.domain, seq, data_records);
	if (held)
		fh_seq_forget(ex, FH_VER_IPFIX, h.domain);
	return 0;
}

int fh_ipfix_decode(struct fh_decoder *d, struct fh_exporter *ex, const uint8_t *buf,
	size_t len, uint64_t now_ms, const struct fh_rec_sink *sink)
{
	uint64_t before = ex->st.records;
	size_t pos = 0;
	if (len < IPFIX_HDR)
		return fh_dec_fail(ex, FH_DEC_E_SHORT);
	while (len - pos >= IPFIX_HDR && fh_rd16(buf + pos) == 10) {
		uint16_t mlen = fh_rd16(buf + pos + 2);
		if (mlen < IPFIX_HDR || mlen > len - pos)
			return fh_dec_fail(ex, FH_DEC_E_LENGTH);
		int rc = decode_message(d, ex, buf + pos, mlen, now_ms, sink);
		if (rc < 0)
			return fh_dec_fail(ex, (enum fh_dec_err)-rc);
		pos += mlen;
	}
	return (int)(ex->st.records - before);
}
