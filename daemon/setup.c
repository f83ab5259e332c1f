/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What `run` and `analyze` build from a configuration (see setup.h).
 */
#include <stdio.h>

#include "daemon/setup.h"

void fh_setup_analytics(const struct fh_config *c, const struct fh_blocklist_set *bl,
	struct fh_detect_override *nets, struct fh_analytics_cfg *a)
{
	*a = (struct fh_analytics_cfg){.detect = c->detect, .home_net = &c->home_net,
		.allow_scanners = &c->allow_scanners, .allow_resolvers = &c->allow_resolvers,
		.allow_mail = &c->allow_mail, .blocklists = bl, .nets = nets,
		.n_nets = fh_config_detect_nets(c, nets),
		.alerts = {.resolve_after_ms = (uint64_t)c->resolve_after}};
}

struct fh_blocklist_set *fh_setup_blocklists(const struct fh_config *c, char *err,
	size_t errlen)
{
	err[0] = 0;
	if (!c->blocklists.n)
		return NULL;
	struct fh_blocklist_set *bl = fh_blocklist_set_new();
	if (!bl) {
		snprintf(err, errlen, "blocklists: out of memory");
		return NULL;
	}
	for (unsigned i = 0; i < c->blocklists.n; i++) {
		char e[400];
		unsigned bad = 0;
		if (fh_blocklist_load(bl, c->blocklists.v[i].name, c->blocklists.v[i].value, &bad,
			    e, sizeof(e)) < 0) {
			snprintf(err, errlen, "blocklist %s: %s", c->blocklists.v[i].name, e);
			fh_blocklist_set_free(bl);
			return NULL;
		}
		if (bad)
			fprintf(stderr, "flowhound: blocklist %s: %u bad lines skipped, the first: %s\n",
				c->blocklists.v[i].name, bad, e);
	}
	return bl;
}

void fh_setup_redis(const struct fh_config *c, struct fh_redis_cfg *rc)
{
	*rc = (struct fh_redis_cfg){.url = c->redis_url, .prefix = c->redis_prefix,
		.instance = c->redis_instance[0] ? c->redis_instance : NULL, .spool = c->redis_spool,
		.spool_max = (size_t)c->redis_spool_max,
		.resolved_ttl_s = (uint32_t)(c->redis_ttl / 1000),
		.stale_ms = (uint64_t)c->redis_stale};
}
