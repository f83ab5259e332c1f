/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration: `key = value` lines (# comments, quoted strings, repeated keys for lists),
 * validated against the schema (config/schema.def) into a struct fh_config in two steps:
 * parse into a new struct, then the caller applies it (reload swaps it whole). Errors are
 * `file:line: key: reason` (or `--set: key: reason`).
 */
#ifndef FH_CONFIG_CONFIG_H
#define FH_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "analytics/detect_cfg.h"
#include "dataplane/flow.h"

#define FH_CFG_MAX_LIST 64

struct fh_cidr {
	struct fh_ip net;
	unsigned plen128; /* in 128-bit terms (IPv4: + 96) */
	uint64_t w[2], m[2]; /* the address's two words as stored, masked, and the mask: set by
			      * fh_cidr_list_add, read by fh_cidr_match */
};

struct fh_listen_list {
	char v[FH_CFG_MAX_LIST][64];
	unsigned n;
};

struct fh_cidr_list {
	struct fh_cidr v[FH_CFG_MAX_LIST];
	unsigned n;
};

struct fh_port_list {
	uint16_t v[FH_CFG_MAX_LIST];
	unsigned n;
};

#define FH_CFG_MAX_NAMED 32
/* NAME: VALUE lines: web.profile (NAME: FILTER), blocklist (NAME: PATH) */
struct fh_named_list {
	struct {
		char name[32];
		char value[512];
	} v[FH_CFG_MAX_NAMED];
	unsigned n;
};

struct fh_config {
	struct fh_listen_list listen;
	int64_t rcvbuf;
	char eal_args[1024];
	int64_t rx_ring, mbufs, workers, shards;
	int64_t ft_capacity, ft_inactive, ft_active, ring_size, ring_wait;
	int64_t pending_bytes, pending_timeout, clock_tolerance;
	struct fh_cidr_list allow;
	bool tap;
	int64_t tap_sampling;
	struct fh_cidr_list home_net;
	char control_socket[256];
	char redis_url[512], redis_prefix[64], redis_instance[128], redis_spool[512];
	int64_t redis_spool_max, redis_ttl, redis_stale;
	char store_dir[512], store_codec[16];
	int64_t store_max_age, store_max_size;
	char web_listen[64], web_token[128], web_basic[128], web_cert[512], web_key[512];
	char series_file[512];
	struct fh_port_list web_ports;
	struct fh_named_list profiles;
	struct fh_cidr_list allow_scanners, allow_resolvers, allow_mail;
	struct fh_named_list blocklists;
	int64_t resolve_after;
	struct fh_detect_cfg detect; /* detect.NAME keys (analytics/detect_cfg.h) */
	struct { /* detect.net = CIDR NAME=VALUE ... lines, as given (resolved over detect) */
		char v[FH_DETECT_MAX_NETS][256];
		unsigned n;
	} detect_nets;
	/* which list keys the file or --set gave (a given list replaces the default) */
	uint64_t set_mask;
};

/* Defaults (every row's default). */
void fh_config_defaults(struct fh_config *c);

/* Parse a file over c. Returns 0, or -1 with "file:line: key: reason" in err. */
int fh_config_load(struct fh_config *c, const char *path, char *err, size_t errlen);

/* Parse a buffer (what a file holds); name is used in messages. */
int fh_config_parse_buf(struct fh_config *c, const char *name, const char *buf, size_t len,
	char *err, size_t errlen);

/* One `KEY=VALUE` (for --set). A list key given by --set replaces the list the first time. */
int fh_config_set(struct fh_config *c, const char *kv, char *err, size_t errlen);

/* Copy into dst what a reload may change: the keys the schema marks reloadable, and the
 * detect.* settings but detect.hosts. */
void fh_config_take_reloadable(struct fh_config *dst, const struct fh_config *src);

/* Print every key with its value, one `key = value` line each, with its help as a comment. */
void fh_config_dump(const struct fh_config *c, FILE *f);

/* The schema as a Markdown table (key, type, default, range, reloadable, help): the
 * reference in docs/config.md, kept equal to this output by a unit test. */
void fh_config_dump_markdown(FILE *f);

/* The detect.net lines of c resolved over c->detect into out (FH_DETECT_MAX_NETS). Returns
 * how many. */
unsigned fh_config_detect_nets(const struct fh_config *c, struct fh_detect_override *out);

/* Append a prefix ("198.51.100.0/24", "2001:db8::/32", or one address) to l. 0, or -1
 * when it is not one (why says so) or l is full. */
int fh_cidr_list_add(struct fh_cidr_list *l, const char *text, char *why, size_t wl);

/* Whether ip is in one of the prefixes (l made by fh_cidr_list_add). The analytics ask it for
 * home_net once or twice an event: the words are compared as stored, with masks made once,
 * no byte swaps. */
static inline bool fh_cidr_match(const struct fh_cidr_list *l, const struct fh_ip *ip)
{
	uint64_t a[2];
	memcpy(a, ip->a, sizeof(a));
	for (unsigned i = 0; i < l->n; i++) {
		const struct fh_cidr *c = &l->v[i];
		if (!(((a[0] & c->m[0]) ^ c->w[0]) | ((a[1] & c->m[1]) ^ c->w[1])))
			return true;
	}
	return false;
}

#endif
