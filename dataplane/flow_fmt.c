/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow record formatting (see flow_fmt.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/flow_fmt.h"

int fh_flow_fmt_parse(const char *name)
{
	if (!strcmp(name, "json"))
		return FH_FMT_JSON;
	if (!strcmp(name, "csv"))
		return FH_FMT_CSV;
	if (!strcmp(name, "text"))
		return FH_FMT_TEXT;
	return -1;
}

void fh_tcp_flags_str(uint8_t f, char out[9])
{
	static const char letters[] = "CEUAPRSF";
	for (int i = 0; i < 8; i++)
		out[i] = f & (0x80 >> i) ? letters[i] : '.';
	out[8] = 0;
}

static void mac_str(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* A bounded appender: keeps counting past the end like snprintf. */
struct out {
	char *buf;
	size_t len, pos;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = o->pos < o->len ? o->len - o->pos : 0;
	int n = vsnprintf(room ? o->buf + o->pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->pos += (size_t)n;
}

static void version_json(struct out *o, uint8_t v)
{
	if (v == FH_VER_NF5 || v == FH_VER_NF9 || v == FH_VER_IPFIX)
		put(o, "%u", v);
	else
		put(o, "\"%s\"", fh_version_name(v));
}

static void fmt_json(struct out *o, const struct fh_flow_rec *r)
{
	char ex[FH_IP_STRLEN], s[FH_IP_STRLEN], d[FH_IP_STRLEN], t0[FH_TIME_STRLEN],
		t1[FH_TIME_STRLEN];

	put(o, "{\"exporter\":\"%s\",\"version\":", fh_ip_fmt(&r->exporter, ex, sizeof(ex)));
	version_json(o, r->version);
	put(o,
		",\"domain\":%" PRIu32 ",\"src\":\"%s\",\"dst\":\"%s\",\"sport\":%u,\"dport\":%u,"
		"\"proto\":%u,\"tcp_flags\":%u,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		",\"first\":\"%s\",\"last\":\"%s\",\"in_if\":%" PRIu32 ",\"out_if\":%" PRIu32
		",\"sampling\":%" PRIu32,
		r->domain, fh_ip_fmt(&r->src, s, sizeof(s)), fh_ip_fmt(&r->dst, d, sizeof(d)),
		r->sport, r->dport, r->proto, r->tcp_flags, r->packets, r->bytes,
		fh_time_fmt(r->first_ms, t0, sizeof(t0)), fh_time_fmt(r->last_ms, t1, sizeof(t1)),
		r->in_if, r->out_if, r->sampling);
	if (r->fields & FH_F_NEXTHOP)
		put(o, ",\"nexthop\":\"%s\"", fh_ip_fmt(&r->nexthop, s, sizeof(s)));
	if (r->fields & FH_F_AS)
		put(o, ",\"src_as\":%" PRIu32 ",\"dst_as\":%" PRIu32, r->src_as, r->dst_as);
	if (r->fields & FH_F_MASK)
		put(o, ",\"src_mask\":%u,\"dst_mask\":%u", r->src_mask, r->dst_mask);
	if (r->fields & FH_F_TOS)
		put(o, ",\"tos\":%u", r->tos);
	if (r->fields & FH_F_DIRECTION)
		put(o, ",\"direction\":%u", r->direction);
	if (r->fields & FH_F_VLAN)
		put(o, ",\"vlan\":%u", r->vlan);
	if (r->fields & FH_F_MAC) {
		char a[18], b[18];
		mac_str(r->src_mac, a);
		mac_str(r->dst_mac, b);
		put(o, ",\"src_mac\":\"%s\",\"dst_mac\":\"%s\"", a, b);
	}
	put(o, "}");
}

static const char csv_header[] =
	"exporter,version,domain,src,dst,sport,dport,proto,tcp_flags,packets,bytes,first,last,"
	"in_if,out_if,sampling,nexthop,src_as,dst_as,src_mask,dst_mask,tos,direction,vlan,"
	"src_mac,dst_mac";

const char *fh_flow_fmt_csv_header(void)
{
	return csv_header;
}

static void fmt_csv(struct out *o, const struct fh_flow_rec *r)
{
	char ex[FH_IP_STRLEN], s[FH_IP_STRLEN], d[FH_IP_STRLEN], t0[FH_TIME_STRLEN],
		t1[FH_TIME_STRLEN];

	put(o,
		"%s,%s,%" PRIu32 ",%s,%s,%u,%u,%u,%u,%" PRIu64 ",%" PRIu64 ",%s,%s,%" PRIu32
		",%" PRIu32 ",%" PRIu32 ",",
		fh_ip_fmt(&r->exporter, ex, sizeof(ex)), fh_version_name(r->version), r->domain,
		fh_ip_fmt(&r->src, s, sizeof(s)), fh_ip_fmt(&r->dst, d, sizeof(d)), r->sport,
		r->dport, r->proto, r->tcp_flags, r->packets, r->bytes,
		fh_time_fmt(r->first_ms, t0, sizeof(t0)), fh_time_fmt(r->last_ms, t1, sizeof(t1)),
		r->in_if, r->out_if, r->sampling);
	if (r->fields & FH_F_NEXTHOP)
		put(o, "%s", fh_ip_fmt(&r->nexthop, s, sizeof(s)));
	put(o, ",");
	if (r->fields & FH_F_AS)
		put(o, "%" PRIu32 ",%" PRIu32, r->src_as, r->dst_as);
	else
		put(o, ",");
	put(o, ",");
	if (r->fields & FH_F_MASK)
		put(o, "%u,%u", r->src_mask, r->dst_mask);
	else
		put(o, ",");
	put(o, ",");
	if (r->fields & FH_F_TOS)
		put(o, "%u", r->tos);
	put(o, ",");
	if (r->fields & FH_F_DIRECTION)
		put(o, "%u", r->direction);
	put(o, ",");
	if (r->fields & FH_F_VLAN)
		put(o, "%u", r->vlan);
	put(o, ",");
	if (r->fields & FH_F_MAC) {
		char a[18], b[18];
		mac_str(r->src_mac, a);
		mac_str(r->dst_mac, b);
		put(o, "%s,%s", a, b);
	} else {
		put(o, ",");
	}
}

static void fmt_text(struct out *o, const struct fh_flow_rec *r)
{
	char ex[FH_IP_STRLEN], s[FH_IP_STRLEN], d[FH_IP_STRLEN], t0[FH_TIME_STRLEN],
		t1[FH_TIME_STRLEN], fl[9], pn[8];
	const char *proto = fh_proto_name(r->proto);
	if (!proto) {
		snprintf(pn, sizeof(pn), "%u", r->proto);
		proto = pn;
	}
	fh_tcp_flags_str(r->tcp_flags, fl);
	int v6 = !fh_ip_is_v4(&r->src);
	put(o,
		"%s %s %-5s %s%s%s:%u -> %s%s%s:%u flags %s pkts %" PRIu64 " bytes %" PRIu64
		" sampling 1:%" PRIu32 " if %" PRIu32 "/%" PRIu32 " exporter %s v%s/%" PRIu32,
		fh_time_fmt(r->first_ms, t0, sizeof(t0)), fh_time_fmt(r->last_ms, t1, sizeof(t1)),
		proto, v6 ? "[" : "", fh_ip_fmt(&r->src, s, sizeof(s)), v6 ? "]" : "", r->sport,
		v6 ? "[" : "", fh_ip_fmt(&r->dst, d, sizeof(d)), v6 ? "]" : "", r->dport, fl,
		r->packets, r->bytes, r->sampling, r->in_if, r->out_if,
		fh_ip_fmt(&r->exporter, ex, sizeof(ex)), fh_version_name(r->version), r->domain);
}

int fh_flow_fmt(enum fh_flow_fmt fmt, const struct fh_flow_rec *rec, char *buf, size_t len)
{
	struct out o = {.buf = buf, .len = len};
	if (len)
		buf[0] = 0;
	switch (fmt) {
	case FH_FMT_JSON:
		fmt_json(&o, rec);
		break;
	case FH_FMT_CSV:
		fmt_csv(&o, rec);
		break;
	case FH_FMT_TEXT:
		fmt_text(&o, rec);
		break;
	}
	if (len && o.pos >= len)
		buf[len - 1] = 0;
	return (int)o.pos;
}
