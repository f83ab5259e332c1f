/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What `run` and `analyze` both build from a configuration: the blocklists, the analytics
 * engine's settings and the Redis sink's settings, so that the two never differ.
 */
#ifndef FH_DAEMON_SETUP_H
#define FH_DAEMON_SETUP_H

#include <stddef.h>

#include "analytics/engine.h"
#include "analytics/sink_redis.h"
#include "config/config.h"

/* Every `blocklist = NAME: PATH` of c: NULL when there are none, or on an error (a message in
 * err; err[0] is 0 otherwise). Bad lines are skipped with a warning on stderr. */
struct fh_blocklist_set *fh_setup_blocklists(const struct fh_config *c, char *err,
	size_t errlen);

/* The engine's settings from c and its blocklists; the detect.net lines are resolved into nets
 * (FH_DETECT_MAX_NETS). a points into c, bl and nets. */
void fh_setup_analytics(const struct fh_config *c, const struct fh_blocklist_set *bl,
	struct fh_detect_override *nets, struct fh_analytics_cfg *a);

/* The Redis sink's settings from c (pointing into c). */
void fh_setup_redis(const struct fh_config *c, struct fh_redis_cfg *rc);

#endif
