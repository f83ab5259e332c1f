/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Export encoders for the generator (see gen_enc.h). Layouts follow RFC 3954 (v9), RFC 7011
 * (IPFIX), the NetFlow v5 record format and sflow_version_5.txt.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/gen_enc.h"

/* ---- byte writers --------------------------------------------------------------------- */

static uint8_t *w8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *w16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *w32(uint8_t *p, uint32_t v)
{
	w16(p, (uint16_t)(v >> 16));
	w16(p + 2, (uint16_t)v);
	return p + 4;
}

static uint8_t *w64(uint8_t *p, uint64_t v)
{
	w32(p, (uint32_t)(v >> 32));
	return w32(p + 4, (uint32_t)v);
}

static uint8_t *wbytes(uint8_t *p, const void *b, size_t n)
{
	memcpy(p, b, n);
	return p + n;
}

/* ---- templates (v9 and IPFIX share IE numbers) ---------------------------------------- */

#define TPL_V4 256
#define TPL_V6 257
#define TPL_SAMPLING 258

struct ie {
	uint16_t id, len;
};

/* common tail of both data templates */
static const struct ie tail_v9[] = {
	{10, 4}, {14, 4}, {2, 4}, {1, 4}, {22, 4}, {21, 4}, {7, 2}, {11, 2}, {6, 1}, {4, 1},
	{5, 1}, {16, 4}, {17, 4}, {9, 1}, {13, 1}, {61, 1},
};
static const struct ie tail_ipfix[] = {
	{10, 4}, {14, 4}, {2, 8}, {1, 8}, {152, 8}, {153, 8}, {7, 2}, {11, 2}, {6, 1}, {4, 1},
	{5, 1}, {16, 4}, {17, 4}, {9, 1}, {13, 1}, {61, 1},
};
#define NTAIL (sizeof(tail_v9) / sizeof(tail_v9[0]))

static uint8_t *put_template(uint8_t *p, uint16_t id, int v6, int ipfix)
{
	const struct ie *tail = ipfix ? tail_ipfix : tail_v9;
	p = w16(p, id);
	p = w16(p, (uint16_t)(3 + NTAIL));
	p = w16(p, v6 ? 27 : 8);
	p = w16(p, v6 ? 16 : 4);
	p = w16(p, v6 ? 28 : 12);
	p = w16(p, v6 ? 16 : 4);
	p = w16(p, v6 ? 62 : 15);
	p = w16(p, v6 ? 16 : 4);
	for (size_t i = 0; i < NTAIL; i++) {
		p = w16(p, tail[i].id);
		p = w16(p, tail[i].len);
	}
	return p;
}

static size_t rec_len(int v6, int ipfix)
{
	const struct ie *tail = ipfix ? tail_ipfix : tail_v9;
	size_t n = v6 ? 48 : 12;
	for (size_t i = 0; i < NTAIL; i++)
		n += tail[i].len;
	return n;
}

static uint8_t *put_record(uint8_t *p, const struct fh_flow_rec *r, int v6, int ipfix,
	uint64_t boot_ms)
{
	if (v6) {
		p = wbytes(p, r->src.a, 16);
		p = wbytes(p, r->dst.a, 16);
		p = wbytes(p, r->nexthop.a, 16);
	} else {
		p = wbytes(p, r->src.a + 12, 4);
		p = wbytes(p, r->dst.a + 12, 4);
		p = wbytes(p, r->nexthop.a + 12, 4);
	}
	p = w32(p, r->in_if);
	p = w32(p, r->out_if);
	if (ipfix) {
		p = w64(p, r->packets);
		p = w64(p, r->bytes);
		p = w64(p, r->first_ms);
		p = w64(p, r->last_ms);
	} else {
		p = w32(p, (uint32_t)r->packets);
		p = w32(p, (uint32_t)r->bytes);
		p = w32(p, (uint32_t)(r->first_ms - boot_ms));
		p = w32(p, (uint32_t)(r->last_ms - boot_ms));
	}
	p = w16(p, r->sport);
	p = w16(p, r->dport);
	p = w8(p, r->tcp_flags);
	p = w8(p, r->proto);
	p = w8(p, r->tos);
	p = w32(p, r->src_as);
	p = w32(p, r->dst_as);
	p = w8(p, r->src_mask);
	p = w8(p, r->dst_mask);
	return w8(p, r->direction);
}

/* ---- encoder state -------------------------------------------------------------------- */

void fh_gen_enc_init(struct fh_gen_enc *e, enum fh_gen_format fmt, uint32_t domain,
	uint32_t sampling, uint64_t boot_ms)
{
	memset(e, 0, sizeof(*e));
	e->fmt = fmt;
	e->domain = domain;
	e->sampling = sampling ? sampling : 1;
	e->boot_ms = boot_ms;
	e->tpl_every = 20;
	e->set_v6 = -1;
	e->agent[0] = 192;
	e->agent[1] = 0;
	e->agent[2] = 2;
	e->agent[3] = (uint8_t)(10 + domain % 200);
}

static size_t hdr_len(enum fh_gen_format f)
{
	switch (f) {
	case FH_GEN_V5: return 24;
	case FH_GEN_V9: return 20;
	case FH_GEN_IPFIX: return 16;
	default: return 28;
	}
}

/* Start a datagram: leave room for the header; v9/IPFIX add templates periodically. */
static void start(struct fh_gen_enc *e)
{
	e->len = hdr_len(e->fmt);
	e->nrec = 0;
	e->set_v6 = -1;
	if ((e->fmt == FH_GEN_V9 || e->fmt == FH_GEN_IPFIX) && e->n_dgrams % e->tpl_every == 0) {
		int ipfix = e->fmt == FH_GEN_IPFIX;
		uint8_t *s = e->buf + e->len, *p = s + 4;
		p = put_template(p, TPL_V4, 0, ipfix);
		p = put_template(p, TPL_V6, 1, ipfix);
		w16(s, ipfix ? 2 : 0);
		w16(s + 2, (uint16_t)(p - s));
		e->len += (size_t)(p - s);
		e->nrec += 2; /* v9 counts template records too */
		/* sampling options template + its data record */
		s = e->buf + e->len;
		p = s + 4;
		if (ipfix) {
			p = w16(p, TPL_SAMPLING);
			p = w16(p, 2);
			p = w16(p, 1);
			p = w16(p, 149);
			p = w16(p, 4);
			p = w16(p, 34);
			p = w16(p, 4);
			w16(s, 3);
		} else {
			p = w16(p, TPL_SAMPLING);
			p = w16(p, 4); /* scope length in bytes */
			p = w16(p, 8); /* options length in bytes */
			p = w16(p, 1); /* scope: system */
			p = w16(p, 4);
			p = w16(p, 34);
			p = w16(p, 4);
			p = w16(p, 35);
			p = w16(p, 1);
			p = w16(p, 0); /* padding to 4 */
			w16(s, 1);
		}
		w16(s + 2, (uint16_t)(p - s));
		e->len += (size_t)(p - s);
		s = e->buf + e->len;
		p = s + 4;
		p = w32(p, e->domain);
		p = w32(p, e->sampling);
		if (!ipfix) {
			p = w8(p, 2); /* random sampling */
			while ((p - s) % 4)
				p = w8(p, 0);
		}
		w16(s, TPL_SAMPLING);
		w16(s + 2, (uint16_t)(p - s));
		e->len += (size_t)(p - s);
		e->nrec += 2;
	}
}

static void close_set(struct fh_gen_enc *e)
{
	if (e->set_v6 < 0)
		return;
	if (e->fmt == FH_GEN_V9)
		while ((e->len - e->set_start) % 4)
			e->buf[e->len++] = 0;
	w16(e->buf + e->set_start + 2, (uint16_t)(e->len - e->set_start));
	e->set_v6 = -1;
}

/* sFlow: one flow sample with a raw Ethernet header record built from r. */
static size_t put_sflow_sample(struct fh_gen_enc *e, uint8_t *s, const struct fh_flow_rec *r)
{
	uint8_t hdr[128], *h = hdr;
	int v6 = !fh_ip_is_v4(&r->src);
	uint64_t pkts = r->packets ? r->packets : 1;
	uint32_t frame = (uint32_t)(r->bytes / pkts) + 14;
	size_t l4 = r->proto == 6 ? 20 : 8;

	memset(hdr, 0, sizeof(hdr));
	h = w16(w16(w16(h, 0x0200), 0), 1); /* dst mac 02:00:00:00:00:01 */
	h = w16(w16(w16(h, 0x0200), 0), 2);
	h = w16(h, v6 ? 0x86dd : 0x0800);
	uint32_t iplen = frame > 14 ? frame - 14 : 0;
	if (v6) {
		h = w32(h, 0x60000000);
		h = w16(h, (uint16_t)(iplen > 40 ? iplen - 40 : 0));
		h = w8(h, r->proto);
		h = w8(h, 64);
		h = wbytes(h, r->src.a, 16);
		h = wbytes(h, r->dst.a, 16);
	} else {
		h = w8(h, 0x45);
		h = w8(h, r->tos);
		h = w16(h, (uint16_t)iplen);
		h = w32(h, 0);
		h = w8(h, 64);
		h = w8(h, r->proto);
		h = w16(h, 0);
		h = wbytes(h, r->src.a + 12, 4);
		h = wbytes(h, r->dst.a + 12, 4);
	}
	h = w16(h, r->sport);
	h = w16(h, r->dport);
	if (l4 == 20) {
		h = w32(h, 1);
		h = w32(h, 0);
		h = w8(h, 5 << 4);
		h = w8(h, r->tcp_flags);
		h = w16(h, 65535);
		h = w32(h, 0);
	} else {
		h = w16(h, (uint16_t)(iplen > 20 ? iplen - 20 : 8));
		h = w16(h, 0);
	}
	size_t hl = (size_t)(h - hdr);
	size_t hpad = (hl + 3) & ~(size_t)3;

	uint8_t *p = s;
	p = w32(p, 1); /* flow sample */
	uint8_t *slen = p;
	p += 4;
	p = w32(p, e->seq); /* sample sequence (per source id) */
	p = w32(p, r->in_if & 0xffffff);
	p = w32(p, e->sampling);
	p = w32(p, e->seq * e->sampling); /* sample pool */
	p = w32(p, 0); /* drops */
	p = w32(p, r->in_if);
	p = w32(p, r->out_if);
	p = w32(p, 1); /* one record */
	p = w32(p, 1); /* raw packet header */
	p = w32(p, (uint32_t)(16 + hpad));
	p = w32(p, 1); /* header protocol: Ethernet */
	p = w32(p, frame);
	p = w32(p, 4); /* stripped (FCS) */
	p = w32(p, (uint32_t)hl);
	memcpy(p, hdr, hl);
	memset(p + hl, 0, hpad - hl);
	p += hpad;
	w32(slen, (uint32_t)(p - slen - 4));
	return (size_t)(p - s);
}

int fh_gen_enc_add(struct fh_gen_enc *e, const struct fh_flow_rec *r, uint64_t now_ms)
{
	(void)now_ms;
	int v6 = !fh_ip_is_v4(&r->src);
	if (e->len == 0)
		start(e);
	switch (e->fmt) {
	case FH_GEN_V5: {
		if (v6)
			return 1;
		if (e->nrec == 30)
			return 0;
		uint8_t *p = e->buf + e->len;
		p = wbytes(p, r->src.a + 12, 4);
		p = wbytes(p, r->dst.a + 12, 4);
		p = wbytes(p, r->nexthop.a + 12, 4);
		p = w16(p, (uint16_t)r->in_if);
		p = w16(p, (uint16_t)r->out_if);
		p = w32(p, (uint32_t)r->packets);
		p = w32(p, (uint32_t)r->bytes);
		p = w32(p, (uint32_t)(r->first_ms - e->boot_ms));
		p = w32(p, (uint32_t)(r->last_ms - e->boot_ms));
		p = w16(p, r->sport);
		p = w16(p, r->dport);
		p = w8(p, 0);
		p = w8(p, r->tcp_flags);
		p = w8(p, r->proto);
		p = w8(p, r->tos);
		p = w16(p, (uint16_t)r->src_as);
		p = w16(p, (uint16_t)r->dst_as);
		p = w8(p, r->src_mask);
		p = w8(p, r->dst_mask);
		p = w16(p, 0);
		e->len += 48;
		e->nrec++;
		return 1;
	}
	case FH_GEN_V9:
	case FH_GEN_IPFIX: {
		int ipfix = e->fmt == FH_GEN_IPFIX;
		size_t need = rec_len(v6, ipfix) + (e->set_v6 != v6 ? 4 + 3 : 3);
		if (e->len + need > FH_GEN_MTU)
			return 0;
		if (e->set_v6 != v6) {
			close_set(e);
			e->set_start = e->len;
			w16(e->buf + e->len, v6 ? TPL_V6 : TPL_V4);
			e->len += 4;
			e->set_v6 = v6;
		}
		uint8_t *p = put_record(e->buf + e->len, r, v6, ipfix, e->boot_ms);
		e->len = (size_t)(p - e->buf);
		e->nrec++;
		return 1;
	}
	case FH_GEN_SFLOW: {
		if (e->len + 160 > FH_GEN_MTU)
			return 0;
		e->seq++;
		e->len += put_sflow_sample(e, e->buf + e->len, r);
		e->nrec++;
		return 1;
	}
	}
	return 1;
}

size_t fh_gen_enc_finish(struct fh_gen_enc *e, uint64_t now_ms)
{
	if (e->len == 0)
		return 0;
	uint8_t *p = e->buf;
	uint32_t up = (uint32_t)(now_ms - e->boot_ms);
	unsigned data_recs = e->nrec;
	switch (e->fmt) {
	case FH_GEN_V5:
		if (e->nrec == 0) {
			e->len = 0;
			return 0;
		}
		p = w16(p, 5);
		p = w16(p, (uint16_t)e->nrec);
		p = w32(p, up);
		p = w32(p, (uint32_t)(now_ms / 1000));
		p = w32(p, (uint32_t)(now_ms % 1000) * 1000000);
		p = w32(p, e->seq);
		p = w8(p, 0);
		p = w8(p, (uint8_t)e->domain);
		w16(p, (uint16_t)(e->sampling > 1 ? (0x4000 | (e->sampling & 0x3fff)) : 0));
		e->seq += e->nrec;
		break;
	case FH_GEN_V9:
		close_set(e);
		p = w16(p, 9);
		p = w16(p, (uint16_t)e->nrec);
		p = w32(p, up);
		p = w32(p, (uint32_t)(now_ms / 1000));
		p = w32(p, e->seq++);
		w32(p, e->domain);
		break;
	case FH_GEN_IPFIX:
		close_set(e);
		if (e->n_dgrams % e->tpl_every == 0)
			data_recs -= 3; /* 2 templates + 1 options template */
		p = w16(p, 10);
		p = w16(p, (uint16_t)e->len);
		p = w32(p, (uint32_t)(now_ms / 1000));
		p = w32(p, e->seq);
		w32(p, e->domain);
		e->seq += data_recs;
		break;
	case FH_GEN_SFLOW:
		p = w32(p, 5);
		p = w32(p, 1);
		p = wbytes(p, e->agent, 4);
		p = w32(p, e->domain);
		p = w32(p, e->n_dgrams);
		p = w32(p, up);
		w32(p, e->nrec);
		break;
	}
	e->n_dgrams++;
	size_t len = e->len;
	e->len = 0;
	return len;
}

/* ---- pcap output ---------------------------------------------------------------------- */

struct fh_gen_pcap {
	FILE *f;
};

struct fh_gen_pcap *fh_gen_pcap_open(const char *path)
{
	struct fh_gen_pcap *p = calloc(1, sizeof(*p));
	uint8_t gh[24];
	uint32_t v[6] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};

	if (!p)
		return NULL;
	p->f = fopen(path, "wb");
	if (!p->f) {
		free(p);
		return NULL;
	}
	memcpy(gh, &v[0], 4); /* native byte order, as libpcap writes */
	uint16_t maj = 2, min = 4;
	memcpy(gh + 4, &maj, 2);
	memcpy(gh + 6, &min, 2);
	memset(gh + 8, 0, 8);
	memcpy(gh + 16, &v[4], 4);
	memcpy(gh + 20, &v[5], 4);
	fwrite(gh, 1, sizeof(gh), p->f);
	return p;
}

int fh_gen_pcap_write(struct fh_gen_pcap *p, const uint8_t src_ip[4], uint16_t sport,
	const uint8_t dst_ip[4], uint16_t dport, const uint8_t *payload, size_t len,
	uint64_t ts_us)
{
	uint8_t f[14 + 20 + 8];
	uint8_t *q = f;
	q = w16(w16(w16(q, 0x0200), 0), 1);
	q = w16(w16(w16(q, 0x0200), 0), 2);
	q = w16(q, 0x0800);
	uint8_t *ip = q;
	q = w8(q, 0x45);
	q = w8(q, 0);
	q = w16(q, (uint16_t)(20 + 8 + len));
	q = w32(q, 0x00004000); /* DF */
	q = w8(q, 64);
	q = w8(q, 17);
	q = w16(q, 0);
	q = wbytes(q, src_ip, 4);
	q = wbytes(q, dst_ip, 4);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	w16(ip + 10, (uint16_t)~sum);
	q = w16(q, sport);
	q = w16(q, dport);
	q = w16(q, (uint16_t)(8 + len));
	w16(q, 0);
	uint32_t rh[4] = {(uint32_t)(ts_us / 1000000), (uint32_t)(ts_us % 1000000),
		(uint32_t)(sizeof(f) + len), (uint32_t)(sizeof(f) + len)};
	if (fwrite(rh, 1, sizeof(rh), p->f) != sizeof(rh) ||
		fwrite(f, 1, sizeof(f), p->f) != sizeof(f) ||
		fwrite(payload, 1, len, p->f) != len)
		return -1;
	return 0;
}

int fh_gen_pcap_close(struct fh_gen_pcap *p)
{
	int rc = fclose(p->f);
	free(p);
	return rc;
}
