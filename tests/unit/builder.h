/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test helper: build export datagrams byte by byte (big-endian), and a sink that keeps the
 * decoded records. Header-only, for the decoder unit tests.
 */
#ifndef FH_TESTS_UNIT_BUILDER_H
#define FH_TESTS_UNIT_BUILDER_H

#include <stdint.h>
#include <string.h>

#include "dataplane/decode/decoder.h"

struct bld {
	uint8_t b[4096];
	size_t n;
};

static inline void b8(struct bld *d, uint8_t v)
{
	d->b[d->n++] = v;
}

static inline void b16(struct bld *d, uint16_t v)
{
	b8(d, (uint8_t)(v >> 8));
	b8(d, (uint8_t)v);
}

static inline void b32(struct bld *d, uint32_t v)
{
	b16(d, (uint16_t)(v >> 16));
	b16(d, (uint16_t)v);
}

static inline void b64(struct bld *d, uint64_t v)
{
	b32(d, (uint32_t)(v >> 32));
	b32(d, (uint32_t)v);
}

static inline void bip4(struct bld *d, uint8_t a, uint8_t b, uint8_t c, uint8_t e)
{
	b8(d, a);
	b8(d, b);
	b8(d, c);
	b8(d, e);
}

static inline void bbytes(struct bld *d, const void *p, size_t n)
{
	memcpy(d->b + d->n, p, n);
	d->n += n;
}

/* Patch a 16-bit length at offset at (e.g. a set length once its body is written). */
static inline void bpatch16(struct bld *d, size_t at, uint16_t v)
{
	d->b[at] = (uint8_t)(v >> 8);
	d->b[at + 1] = (uint8_t)v;
}

#define KEEP_MAX 256

struct keep {
	int n;
	struct fh_flow_rec r[KEEP_MAX];
	int ncounters;
	struct fh_if_counters c;
};

static inline void keep_emit(void *arg, const struct fh_flow_rec *r)
{
	struct keep *k = arg;
	if (k->n < KEEP_MAX)
		k->r[k->n] = *r;
	k->n++;
}

static inline void keep_counters(void *arg, const struct fh_if_counters *c)
{
	struct keep *k = arg;
	k->ncounters++;
	k->c = *c;
}

static inline struct fh_ip test_ip(const char *s)
{
	struct fh_ip ip;
	fh_ip_parse(s, &ip);
	return ip;
}

static inline const char *ipstr(const struct fh_ip *ip)
{
	static char buf[4][FH_IP_STRLEN];
	static int i;
	i = (i + 1) % 4;
	return fh_ip_fmt(ip, buf[i], sizeof(buf[i]));
}

/* The stats of one exporter. */
struct find_ex {
	struct fh_ip ip;
	struct fh_exporter_stats st;
	int found;
};

static inline void find_ex_fn(void *arg, const struct fh_ip *ip, const struct fh_exporter_stats *st)
{
	struct find_ex *f = arg;
	if (fh_ip_eq(ip, &f->ip)) {
		f->st = *st;
		f->found = 1;
	}
}

static inline struct fh_exporter_stats exporter_stats(struct fh_decoder *d, const char *ip)
{
	struct find_ex f = {.ip = test_ip(ip)};
	fh_decoder_foreach_exporter(d, find_ex_fn, &f);
	return f.st;
}

#endif
