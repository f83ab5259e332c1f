/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The detectors' settings (see detect_cfg.h): one table of names drives setting and dumping.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/alert.h"
#include "analytics/detect_cfg.h"

void fh_detect_defaults(struct fh_detect_cfg *c)
{
	*c = (struct fh_detect_cfg){
		.window_ms = 60000,
		.scan_h_targets = 50,
		.scan_v_ports = 100,
		.scan_fail_ratio = 0.6,
		.scan_slow_targets = 50,
		.scan_slow_window_ms = 3600000,
		.worm_sources = 3,
		.flood_pps = 1000,
		.flood_sources = 100,
		.flood_vs_baseline = 4,
		.resolver_clients = 20,
		.dns_tunnel_queries = 60,
		.dns_tunnel_avg_bytes = 90,
		.dns_tunnel_vs_hosts = 20,
		.tunnel_http_ms = 3600000,
		.tunnel_http_bps = 100,
		.tunnel_http_popular = 5,
		.tunnel_ssh_ms = 1800000,
		.tunnel_ssh_bytes = 100u << 20,
		.spam_targets = 20,
		.mail_jump = 5,
		.mail_warmup = 5,
		.p2p_peers = 3,
		.hosts = 262144,
	};
}

static const struct {
	const char *name;
	size_t off;
	int kind; /* 4: uint32, 8: uint64, 0: double */
} keys[] = {
#define K(f, k) {#f, offsetof(struct fh_detect_cfg, f), k}
	K(window_ms, 8), K(scan_h_targets, 4), K(scan_v_ports, 4), K(scan_fail_ratio, 0),
	K(scan_slow_targets, 4), K(scan_slow_window_ms, 8), K(worm_sources, 4), K(flood_pps, 8),
	K(flood_sources, 4), K(flood_vs_baseline, 0), K(resolver_clients, 4), K(dns_tunnel_queries, 4),
	K(dns_tunnel_avg_bytes, 4), K(dns_tunnel_vs_hosts, 0), K(tunnel_http_ms, 8),
	K(tunnel_http_bps, 4), K(tunnel_http_popular, 4), K(tunnel_ssh_ms, 8), K(tunnel_ssh_bytes, 8), K(spam_targets, 4),
	K(mail_jump, 0), K(mail_warmup, 4), K(p2p_peers, 4),
	K(hosts, 4),
#undef K
};

static int set_suppress(struct fh_detect_cfg *c, const char *v, char *err, size_t errlen)
{
	char b[512];
	uint32_t mask = 0;
	if (strlen(v) >= sizeof(b)) {
		snprintf(err, errlen, "detect.suppress: too long");
		return -1;
	}
	snprintf(b, sizeof(b), "%s", v);
	for (char *save = NULL, *t = strtok_r(b, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
		int ty = !strcmp(t, "blocklist") ? FH_ALERT_BLOCKLIST : fh_alert_type_parse(t);
		if (ty < 0) {
			snprintf(err, errlen, "detect.suppress: '%.60s' is not an alert type (or "
					      "'blocklist' for every list)", t);
			return -1;
		}
		mask |= 1u << ty;
	}
	c->suppress = mask;
	return 0;
}

int fh_detect_cfg_set(struct fh_detect_cfg *c, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	size_t kl = eq ? (size_t)(eq - kv) : strlen(kv);
	if (kl == 8 && !strncmp(kv, "suppress", 8) && eq)
		return set_suppress(c, eq + 1, err, errlen);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].name) != kl || strncmp(keys[i].name, kv, kl))
			continue;
		char *end;
		double v = eq ? strtod(eq + 1, &end) : -1;
		if (!eq || end == eq + 1 || *end || v < 0 || v > 1e15) {
			snprintf(err, errlen, "detect.%.*s: expected a non-negative number", (int)kl,
				kv);
			return -1;
		}
		if (keys[i].kind && v != (double)(uint64_t)v) {
			snprintf(err, errlen, "detect.%.*s: expected a whole number", (int)kl, kv);
			return -1;
		}
		if (keys[i].kind == 4 && v > UINT32_MAX) {
			snprintf(err, errlen, "detect.%.*s: at most %u", (int)kl, kv, UINT32_MAX);
			return -1;
		}
		void *f = (char *)c + keys[i].off;
		if (keys[i].kind == 4)
			*(uint32_t *)f = (uint32_t)v;
		else if (keys[i].kind == 8)
			*(uint64_t *)f = (uint64_t)v;
		else
			*(double *)f = v;
		return 0;
	}
	snprintf(err, errlen, "detect.%.*s: unknown detector setting", (int)kl, kv);
	return -1;
}

void fh_detect_cfg_dump(const struct fh_detect_cfg *c, FILE *f)
{
	fprintf(f, "# detector thresholds (docs/detectors.md; durations in ms) (reloadable, but for\n"
		   "# detect.hosts, the host states per analytics shard, sized at start)\n");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const void *p = (const char *)c + keys[i].off;
		if (keys[i].kind == 4)
			fprintf(f, "detect.%s = %" PRIu32 "\n", keys[i].name, *(const uint32_t *)p);
		else if (keys[i].kind == 8)
			fprintf(f, "detect.%s = %" PRIu64 "\n", keys[i].name, *(const uint64_t *)p);
		else
			fprintf(f, "detect.%s = %g\n", keys[i].name, *(const double *)p);
	}
	fprintf(f, "\n# alert types never raised, e.g. scan.slow p2p.bittorrent (reloadable)\n"
		   "detect.suppress = \"");
	int first = 1;
	for (int t = 0; t < FH_ALERT_TYPE_MAX; t++)
		if (c->suppress & (1u << t)) {
			struct fh_alert a = {.type = (uint8_t)t};
			char b[64];
			const char *n = t == FH_ALERT_BLOCKLIST ? "blocklist" : fh_alert_type_name(&a, b, sizeof(b));
			fprintf(f, "%s%s", first ? "" : " ", n);
			first = 0;
		}
	fprintf(f, "\"\n\n");
}

int fh_detect_override_parse(const char *text, const struct fh_detect_cfg *base,
	struct fh_detect_override *o, char *err, size_t errlen)
{
	char b[512];
	if (strlen(text) >= sizeof(b)) {
		snprintf(err, errlen, "detect.net: too long");
		return -1;
	}
	snprintf(b, sizeof(b), "%s", text);
	char *save = NULL, *tok = strtok_r(b, " \t", &save);
	unsigned plen;
	bool v4;
	if (!tok || fh_cidr_parse(tok, &o->net, &plen, &v4) < 0) {
		snprintf(err, errlen, "detect.net: expected 'CIDR NAME=VALUE ...', got '%.60s'",
			tok ? tok : "");
		return -1;
	}
	o->plen128 = v4 ? plen + 96 : plen;
	o->d = *base;
	int n = 0;
	for (tok = strtok_r(NULL, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save), n++) {
		static const char *const global[] = {"window_ms=", "scan_slow_window_ms=", "hosts=",
			"suppress="};
		for (unsigned i = 0; i < 4; i++)
			if (!strncmp(tok, global[i], strlen(global[i]))) {
				snprintf(err, errlen, "detect.net: %.*s is global, not per network",
					(int)strlen(global[i]) - 1, global[i]);
				return -1;
			}
		if (fh_detect_cfg_set(&o->d, tok, err, errlen) < 0)
			return -1;
	}
	if (!n) {
		snprintf(err, errlen, "detect.net: %s: no NAME=VALUE to change", b);
		return -1;
	}
	return 0;
}
