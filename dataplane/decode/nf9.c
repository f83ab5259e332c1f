/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * NetFlow v9 (RFC 3954): a 20-byte header (version, count, sysUptime, UNIX seconds,
 * sequence number, source id) and flowsets: 0 templates, 1 options templates, >= 256 data.
 * Templates and records go through the shared template engine (template.c). The sequence
 * number counts export datagrams per source id, so a gap is the number of datagrams lost.
 */
#include "dataplane/decode/template.h"

#define NF9_HDR 20

int fh_nf9_decode(struct fh_decoder *d, struct fh_exporter *ex, const uint8_t *buf, size_t len,
	uint64_t now_ms, const struct fh_rec_sink *sink)
{
	if (len < NF9_HDR)
		return fh_dec_fail(ex, FH_DEC_E_SHORT);
	struct fh_hdr_ctx h = {
		.version = FH_VER_NF9,
		.uptime_ms = fh_rd32(buf + 4),
		.export_ms = fh_nf9_export_ms(buf),
		.domain = fh_rd32(buf + 16),
		.now_ms = now_ms,
	};
	fh_seq_track(ex, FH_VER_NF9, h.domain, fh_rd32(buf + 12), 1);

	uint64_t before = ex->st.records;
	size_t pos = NF9_HDR;
	while (len - pos >= 4) {
		uint16_t id = fh_rd16(buf + pos), flen = fh_rd16(buf + pos + 2);
		if (flen < 4 || flen > len - pos) {
			/* trailing zero padding after the last flowset is not an error */
			if (id == 0 && flen == 0)
				break;
			return fh_dec_fail(ex, FH_DEC_E_SET);
		}
		const uint8_t *body = buf + pos + 4;
		size_t blen = flen - 4u;
		int rc;
		if (id <= 1)
			rc = fh_tpl_template_set(d, ex, &h, id, body, blen, sink);
		else if (id >= 256)
			rc = fh_tpl_data_set(d, ex, &h, id, body, blen, sink);
		else
			rc = 0; /* reserved flowset ids: skipped */
		if (rc < 0)
			return fh_dec_fail(ex, (enum fh_dec_err)-rc);
		pos += flen;
	}
	return (int)(ex->st.records - before);
}
