/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the analytics engine (analytics/engine.c) on any flow records. Every
 * field a decoder hands the engine comes from an exporter's datagram (counters, sampling
 * rate, times, ports, flags), so the engine must take any of them without a crash, an
 * overflow or a cast out of range (ASan/UBSan). Input: 40-byte records; each picks its
 * addresses from small pools (inside and outside, IPv4 and IPv6) so that hosts meet again,
 * and takes the rest raw, times as offsets from a base (or, one in 16, raw). The engine has
 * a pool of 64 host states (evictions), home_net, allowlists, a blocklist and per-network
 * thresholds, alerts into a memory sink (JSON) from a table of 64, a worm table shared by the
 * runs as the shards share theirs; it is ticked as event time goes.
 */
#include <stdlib.h>
#include <string.h>

#include "analytics/blocklist.h"
#include "analytics/engine.h"
#include "analytics/sink_memory.h"
#include "analytics/worm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REC 40

static struct fh_cidr_list home, scanners, mail;
static struct fh_blocklist_set *bl;
static struct fh_detect_override net;
static struct fh_worm_table *worms;

static void setup(void)
{
	char why[128];
	fh_cidr_list_add(&home, "198.51.100.0/24", why, sizeof(why));
	fh_cidr_list_add(&home, "2001:db8:1::/48", why, sizeof(why));
	fh_cidr_list_add(&scanners, "198.51.100.9", why, sizeof(why));
	fh_cidr_list_add(&mail, "198.51.100.25", why, sizeof(why));
	bl = fh_blocklist_set_new();
	struct fh_ip ip;
	fh_ip_parse("203.0.113.0", &ip);
	fh_blocklist_add(bl, "drop", &ip, 96 + 28, "SBL1");
	fh_ip_parse("198.51.100.7", &ip);
	fh_blocklist_add(bl, "tor", &ip, 128, "");
	fh_detect_defaults(&net.d);
	fh_ip_parse("198.51.100.64", &net.net);
	net.plen128 = 96 + 26;
	net.d.flood_pps = 10;
	net.d.scan_h_targets = 3;
	worms = fh_worm_table_new(); /* shared, as the daemon's shards share it */
}

/* an address from a pool of 8 inside and 24 outside ones, v4 or v6 */
static void addr(struct fh_ip *ip, uint8_t b)
{
	char s[48];
	unsigned k = b & 31, v6 = b >> 7;
	if (k < 8)
		snprintf(s, sizeof(s), v6 ? "2001:db8:1::%u" : "198.51.100.%u", k * 9 + 1);
	else
		snprintf(s, sizeof(s), v6 ? "2001:db8:%u::%u" : "203.0.%u.%u", 113 + k % 3, k);
	fh_ip_parse(s, ip);
}

static uint64_t u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t u32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!bl)
		setup();
	struct fh_analytics_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	fh_detect_defaults(&cfg.detect);
	cfg.detect.hosts = 64;
	cfg.home_net = &home;
	cfg.allow_scanners = &scanners;
	cfg.allow_mail = &mail;
	cfg.blocklists = bl;
	cfg.nets = &net;
	cfg.n_nets = 1;
	cfg.alerts.capacity = 64;
	cfg.worms = worms;
	struct fh_alert_sink *sink = fh_alert_sink_memory_new(64);
	struct fh_analytics *a = fh_analytics_new(&cfg, &sink, 1);
	if (!a) {
		sink->ops->close(sink);
		return 0;
	}
	static const uint8_t protos[] = {6, 17, 1, 58, 6, 17, 47, 0};
	const uint64_t base = 1764374400000ull;
	uint64_t hi = base, ticked = base;
	struct fh_flow_event ev[16];
	unsigned n = 0;
	for (size_t off = 0; off + REC <= size; off += REC) {
		const uint8_t *p = data + off;
		struct fh_flow_event *e = &ev[n];
		memset(e, 0, sizeof(*e));
		struct fh_flow_rec *r = &e->rec;
		addr(&r->src, p[0]);
		addr(&r->dst, p[1]);
		addr(&r->exporter, p[2] | 31);
		r->proto = p[3] & 8 ? p[3] : protos[p[3] & 7];
		r->tcp_flags = p[4];
		r->sport = (uint16_t)(p[5] << 8 | p[6]);
		r->dport = (uint16_t)(p[7] << 8 | p[8]);
		r->packets = p[9] & 1 ? u64(p + 10) : u64(p + 10) & 0xfffff;
		r->bytes = p[9] & 2 ? u64(p + 18) : u64(p + 18) & 0xffffff;
		uint32_t d = u32(p + 26), l = u32(p + 30);
		r->first_ms = p[9] >> 4 == 15 ? u64(p + 26) : base + (d & 0xfffffff);
		r->last_ms = p[9] >> 4 == 14 ? u64(p + 30) : r->first_ms + (l & 0xfffff);
		r->sampling = p[9] & 4 ? u32(p + 34) : p[9] & 8 ? p[34] : 1;
		r->af = fh_ip_is_v4(&r->src) ? 4 : 6;
		e->roles = (uint8_t)(1 + p[38] % 3);
		if (r->last_ms > hi && r->last_ms - hi < 0x10000000)
			hi = r->last_ms;
		if (p[39] & 1) {
			fh_analytics_event(a, e);
		} else if (++n == 16 || p[39] & 2) {
			fh_analytics_events(a, ev, n);
			n = 0;
		}
		if (hi - ticked >= 1000) {
			fh_analytics_tick(a, hi);
			ticked = hi;
		}
	}
	fh_analytics_events(a, ev, n);
	if (size && data[0] & 1)
		fh_analytics_reconfigure(a, &cfg); /* a reload: the windows' state kept or emptied */
	fh_analytics_tick(a, hi + 3600000);
	struct fh_analytics_stats st;
	fh_analytics_get_stats(a, &st);
	fh_analytics_free(a);
	sink->ops->close(sink);
	return 0;
}
