/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Time series (see series.h).
 *
 * The file: a header (magic, version, the series' names, first/last data time, counters),
 * then for each series and each resolution a ring of slots {period + 1, six counters}. A
 * slot holds the period whose number it carries; a count for a newer period takes the slot
 * over (the ring turns), a count for an older one than the slot holds is too late for that
 * resolution and is counted as dropped. The file is sparse: rings cost disk only where
 * written.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/series.h"

#define MAGIC "FHSERIE1"
#define VERSION 1
#define ACC_WAYS 4 /* open minutes an accumulator holds per series */

const char *const fh_series_value_names[FH_SV_MAX] = {"flows_in", "flows_out", "packets_in",
	"packets_out", "bytes_in", "bytes_out"};
const uint32_t fh_series_level_step[FH_SERIES_LEVELS] = {60, 300, 3600};
const uint32_t fh_series_level_slots[FH_SERIES_LEVELS] = {2880, 4032, 8784};

struct slot {
	uint64_t tag; /* period + 1; 0 = never written */
	uint64_t v[FH_SV_MAX];
};

struct header {
	char magic[8];
	uint32_t version, n_series;
	uint32_t levels, slot_size;
	uint64_t first_ms, last_ms, added, late;
	uint64_t pad[2];
	char names[FH_SERIES_MAX][FH_SERIES_NAME_LEN];
};

#define HEADER_SIZE (((sizeof(struct header) + 4095) / 4096) * 4096)

struct fh_series {
	pthread_mutex_t mu;
	struct header *h;
	uint8_t *map;
	size_t map_len;
	int fd; /* -1: in memory */
	unsigned n;
	/* classification */
	uint16_t ports[FH_CFG_MAX_LIST];
	unsigned n_ports;
	struct fh_cidr_list nets; /* home networks (none: everything is "in") */
	struct fh_series_profile profiles[FH_CFG_MAX_LIST];
	unsigned n_profiles;
	unsigned i_proto, i_port, i_net, i_profile; /* first index of each group */
};

static size_t series_slots(void)
{
	size_t n = 0;
	for (int l = 0; l < FH_SERIES_LEVELS; l++)
		n += fh_series_level_slots[l];
	return n;
}

static size_t file_size(unsigned n_series)
{
	return HEADER_SIZE + (size_t)n_series * series_slots() * sizeof(struct slot);
}

static struct slot *ring(uint8_t *map, unsigned idx, int level)
{
	size_t off = HEADER_SIZE + (size_t)idx * series_slots() * sizeof(struct slot);
	for (int l = 0; l < level; l++)
		off += fh_series_level_slots[l] * sizeof(struct slot);
	return (struct slot *)(map + off);
}

static void add_at(struct fh_series *s, unsigned idx, uint64_t t_ms, const uint64_t *v)
{
	struct header *h = s->h;
	for (int l = 0; l < FH_SERIES_LEVELS; l++) {
		uint64_t p = t_ms / 1000 / fh_series_level_step[l];
		struct slot *sl = &ring(s->map, idx, l)[p % fh_series_level_slots[l]];
		if (sl->tag == p + 1) {
			for (int k = 0; k < FH_SV_MAX; k++)
				sl->v[k] += v[k];
		} else if (sl->tag < p + 1) {
			sl->tag = p + 1;
			memcpy(sl->v, v, sizeof(sl->v));
		} else {
			h->late++;
		}
	}
	h->added++;
	if (!h->first_ms || t_ms < h->first_ms)
		h->first_ms = t_ms;
	if (t_ms > h->last_ms)
		h->last_ms = t_ms;
}

/* ---- open ---------------------------------------------------------------------------- */

static int name_list(const struct fh_series_spec *sp, struct fh_series *s, char *err,
	size_t errlen)
{
	struct header *h = s->h;
	unsigned n = 0;
#define NAME(...) snprintf(h->names[n++], FH_SERIES_NAME_LEN, __VA_ARGS__)
	NAME("total");
	s->i_proto = n;
	NAME("proto.tcp");
	NAME("proto.udp");
	NAME("proto.icmp");
	NAME("proto.other");
	s->i_port = n;
	for (unsigned i = 0; i < sp->n_ports; i++)
		NAME("port.%u", sp->ports[i]);
	s->i_net = n;
	for (unsigned i = 0; sp->home_net && i < sp->home_net->n; i++) {
		char b[FH_IP_STRLEN];
		const struct fh_cidr *c = &sp->home_net->v[i];
		int v4 = fh_ip_is_v4(&c->net) && c->plen128 >= 96;
		NAME("net.%s/%u", fh_ip_fmt(&c->net, b, sizeof(b)),
			v4 ? c->plen128 - 96 : c->plen128);
	}
	s->i_profile = n;
	for (unsigned i = 0; i < sp->n_profiles; i++)
		NAME("profile.%s", sp->profiles[i].name);
#undef NAME
	if (n > FH_SERIES_MAX) {
		snprintf(err, errlen, "series: more than %d series", FH_SERIES_MAX);
		return -1;
	}
	s->n = n;
	h->n_series = n;
	return 0;
}

/* the directories above path (/var/lib/flowhound on a fresh machine) */
static void make_parents(const char *path)
{
	char b[1200];
	snprintf(b, sizeof(b), "%s", path);
	for (char *p = b + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(b, 0755); /* EEXIST is fine; open reports what matters */
			*p = '/';
		}
}

/* map a file of exactly len bytes (created, sparse, when absent) */
static uint8_t *map_file(const char *path, size_t len, int *fdp, char *err, size_t errlen)
{
	make_parents(path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, (off_t)len) < 0) {
		snprintf(err, errlen, "series file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		snprintf(err, errlen, "series file %s: mmap: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	*fdp = fd;
	return m;
}

/* Copy the rings of an older file whose series share names with ours. */
static void adopt(struct fh_series *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0)
		return;
	if (fstat(fd, &sb) < 0 || (size_t)sb.st_size < HEADER_SIZE) {
		close(fd);
		return;
	}
	uint8_t *old = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (old == MAP_FAILED)
		return;
	const struct header *oh = (const void *)old;
	if (!memcmp(oh->magic, MAGIC, 8) && oh->version == VERSION &&
		oh->slot_size == sizeof(struct slot) && oh->n_series <= FH_SERIES_MAX &&
		(size_t)sb.st_size >= file_size(oh->n_series)) {
		for (unsigned i = 0; i < s->n; i++)
			for (unsigned k = 0; k < oh->n_series; k++)
				if (!strncmp(s->h->names[i], oh->names[k], FH_SERIES_NAME_LEN)) {
					/* slot by slot: untouched slots stay holes in the file */
					struct slot *to = ring(s->map, i, 0);
					const struct slot *from = ring(old, k, 0);
					for (size_t j = 0; j < series_slots(); j++)
						if (from[j].tag)
							to[j] = from[j];
				}
		s->h->first_ms = oh->first_ms;
		s->h->last_ms = oh->last_ms;
		s->h->added = oh->added;
		s->h->late = oh->late;
	}
	munmap(old, (size_t)sb.st_size);
}

struct fh_series *fh_series_open(const struct fh_series_spec *sp, const char *path, char *err,
	size_t errlen)
{
	struct fh_series *s = calloc(1, sizeof(*s));
	struct header *want = calloc(1, sizeof(*want));
	if (!s || !want) {
		free(s);
		free(want);
		snprintf(err, errlen, "series: out of memory");
		return NULL;
	}
	s->fd = -1;
	s->h = want;
	if (name_list(sp, s, err, errlen) < 0)
		goto fail;
	for (unsigned i = 0; i < sp->n_ports && i < FH_CFG_MAX_LIST; i++)
		s->ports[s->n_ports++] = sp->ports[i];
	if (sp->home_net)
		s->nets = *sp->home_net;
	for (unsigned i = 0; i < sp->n_profiles && i < FH_CFG_MAX_LIST; i++)
		s->profiles[s->n_profiles++] = sp->profiles[i];

	s->map_len = file_size(s->n);
	int reuse = 0;
	if (path && path[0]) {
		/* the same series in the same order: use the file as it is */
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			struct header oh;
			struct stat sb;
			if (read(fd, &oh, sizeof(oh)) == (ssize_t)sizeof(oh) && fstat(fd, &sb) == 0 &&
				!memcmp(oh.magic, MAGIC, 8) && oh.version == VERSION &&
				oh.slot_size == sizeof(struct slot) && oh.n_series == s->n &&
				(size_t)sb.st_size == s->map_len &&
				!memcmp(oh.names, want->names, sizeof(want->names)))
				reuse = 1;
			close(fd);
		}
		char tmp[1100];
		snprintf(tmp, sizeof(tmp), "%s.new", path);
		s->map = map_file(reuse ? path : tmp, s->map_len, &s->fd, err, errlen);
		if (!s->map)
			goto fail;
		s->h = (struct header *)s->map;
		if (!reuse) {
			memset(s->map, 0, HEADER_SIZE);
			memcpy(s->h, want, sizeof(*want));
			adopt(s, path);
			if (rename(tmp, path) < 0) {
				snprintf(err, errlen, "series file %s: %s", path, strerror(errno));
				goto fail;
			}
		}
	} else {
		void *m = mmap(NULL, s->map_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m == MAP_FAILED) {
			snprintf(err, errlen, "series: out of memory");
			goto fail;
		}
		s->map = m;
		s->h = (struct header *)s->map;
		memcpy(s->h, want, sizeof(*want));
	}
	memcpy(s->h->magic, MAGIC, 8);
	s->h->version = VERSION;
	s->h->levels = FH_SERIES_LEVELS;
	s->h->slot_size = sizeof(struct slot);
	free(want);
	pthread_mutex_init(&s->mu, NULL);
	return s;
fail:
	if (s->map)
		munmap(s->map, s->map_len);
	if (s->fd >= 0)
		close(s->fd);
	free(want);
	free(s);
	return NULL;
}

void fh_series_sync(struct fh_series *s)
{
	if (s && s->fd >= 0) {
		pthread_mutex_lock(&s->mu);
		msync(s->map, s->map_len, MS_ASYNC);
		pthread_mutex_unlock(&s->mu);
	}
}

void fh_series_close(struct fh_series *s)
{
	if (!s)
		return;
	if (s->fd >= 0) {
		msync(s->map, s->map_len, MS_SYNC);
		close(s->fd);
	}
	munmap(s->map, s->map_len);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

unsigned fh_series_count(const struct fh_series *s)
{
	return s->n;
}

const char *fh_series_name(const struct fh_series *s, unsigned i)
{
	return i < s->n ? s->h->names[i] : NULL;
}

int fh_series_find(const struct fh_series *s, const char *name)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strncmp(s->h->names[i], name, FH_SERIES_NAME_LEN))
			return (int)i;
	return -1;
}

/* ---- accumulators -------------------------------------------------------------------- */

struct acc_ent {
	uint64_t minute; /* + 1; 0 = free */
	uint64_t v[FH_SV_MAX];
};

struct fh_series_acc {
	struct fh_series *s;
	struct acc_ent *e; /* [n][ACC_WAYS] */
};

struct fh_series_acc *fh_series_acc_new(struct fh_series *s)
{
	struct fh_series_acc *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->s = s;
	a->e = calloc((size_t)s->n * ACC_WAYS, sizeof(*a->e));
	if (!a->e) {
		free(a);
		return NULL;
	}
	return a;
}

void fh_series_acc_flush(struct fh_series_acc *a)
{
	struct fh_series *s = a->s;
	pthread_mutex_lock(&s->mu);
	for (unsigned i = 0; i < s->n * ACC_WAYS; i++) {
		struct acc_ent *e = &a->e[i];
		if (!e->minute)
			continue;
		add_at(s, i / ACC_WAYS, (e->minute - 1) * 60000, e->v);
		memset(e, 0, sizeof(*e));
	}
	pthread_mutex_unlock(&s->mu);
}

void fh_series_acc_free(struct fh_series_acc *a)
{
	if (!a)
		return;
	fh_series_acc_flush(a);
	free(a->e);
	free(a);
}

static void acc_put(struct fh_series_acc *a, unsigned idx, uint64_t minute, const uint64_t *v)
{
	struct acc_ent *w = &a->e[(size_t)idx * ACC_WAYS];
	for (;;) {
		for (int k = 0; k < ACC_WAYS; k++) {
			if (w[k].minute == minute + 1 || !w[k].minute) {
				w[k].minute = minute + 1;
				for (int j = 0; j < FH_SV_MAX; j++)
					w[k].v[j] += v[j];
				return;
			}
		}
		fh_series_acc_flush(a); /* more open minutes than ways: rare (late records) */
	}
}

void fh_series_acc_add(struct fh_series_acc *a, const struct fh_flow_rec *r)
{
	struct fh_series *s = a->s;
	uint64_t m = r->sampling ? r->sampling : 1;
	int out = fh_cidr_match(&s->nets, &r->src);
	uint64_t v[FH_SV_MAX] = {0};
	v[FH_SV_FLOWS_IN + out] = 1;
	v[FH_SV_PACKETS_IN + out] = r->packets * m;
	v[FH_SV_BYTES_IN + out] = r->bytes * m;
	uint64_t minute = r->last_ms / 60000;

	acc_put(a, 0, minute, v);
	unsigned p = r->proto == 6 ? 0 : r->proto == 17 ? 1 : (r->proto == 1 || r->proto == 58) ? 2 : 3;
	acc_put(a, s->i_proto + p, minute, v);
	for (unsigned i = 0; i < s->n_ports; i++)
		if (r->sport == s->ports[i] || r->dport == s->ports[i])
			acc_put(a, s->i_port + i, minute, v);
	for (unsigned i = 0; i < s->nets.n; i++)
		if (fh_ip_in_prefix(&r->src, &s->nets.v[i].net, s->nets.v[i].plen128) ||
			fh_ip_in_prefix(&r->dst, &s->nets.v[i].net, s->nets.v[i].plen128))
			acc_put(a, s->i_net + i, minute, v);
	for (unsigned i = 0; i < s->n_profiles; i++)
		if (fh_filter_match(s->profiles[i].filter, r))
			acc_put(a, s->i_profile + i, minute, v);
}

/* ---- reading ------------------------------------------------------------------------- */

int fh_series_plan(const struct fh_series *s, uint64_t from, uint64_t to, uint32_t min_step_s,
	size_t max_points, struct fh_series_range *r, char *err, size_t errlen)
{
	if (to <= from) {
		snprintf(err, errlen, "the range is empty (to must be after from)");
		return -1;
	}
	if (to - from > 100ull * 366 * 86400000) {
		snprintf(err, errlen, "the range is longer than 100 years");
		return -1;
	}
	if (!max_points)
		max_points = 10000;
	uint64_t last = s->h->last_ms > to ? s->h->last_ms : to;
	int l = 0;
	for (; l < FH_SERIES_LEVELS - 1; l++) {
		uint64_t span = (uint64_t)fh_series_level_step[l] * fh_series_level_slots[l] * 1000;
		if (from + span > last)
			break; /* this ring still holds from */
	}
	uint64_t base = fh_series_level_step[l];
	uint64_t step = min_step_s > base ? min_step_s : base;
	uint64_t span_s = (to - from + 999) / 1000;
	if (span_s / step + 1 > max_points)
		step = span_s / max_points + 1;
	step = (step + base - 1) / base * base; /* a whole number of slots */
	r->step = (uint32_t)step;
	r->from = from / 1000 / step * step * 1000;
	r->to = (to / 1000 + step - 1) / step * step * 1000;
	r->n = (size_t)((r->to - r->from) / 1000 / step);
	if (r->n > max_points) {
		snprintf(err, errlen, "the range is too long for %zu points", max_points);
		return -1;
	}
	return 0;
}

void fh_series_read(struct fh_series *s, unsigned idx, const struct fh_series_range *r,
	uint64_t *const out[FH_SV_MAX])
{
	int l = FH_SERIES_LEVELS - 1;
	for (int k = 0; k < FH_SERIES_LEVELS; k++)
		if (r->step % fh_series_level_step[k] == 0) {
			/* the finest resolution the step is made of that still holds the start */
			uint64_t last = s->h->last_ms > r->to ? s->h->last_ms : r->to;
			uint64_t span = (uint64_t)fh_series_level_step[k] * fh_series_level_slots[k] *
					1000;
			if (r->from + span > last) {
				l = k;
				break;
			}
		}
	uint64_t ls = fh_series_level_step[l], per = r->step / ls;
	pthread_mutex_lock(&s->mu);
	const struct slot *rg = ring(s->map, idx, l);
	uint64_t slots = fh_series_level_slots[l], base = r->from / 1000 / ls;
	for (size_t i = 0; i < r->n; i++)
		for (int k = 0; k < FH_SV_MAX; k++)
			out[k][i] = 0;
	if ((uint64_t)r->n * per > slots) {
		/* more periods than the ring holds: one pass over the ring, each slot into its point
		 * (the work stays bounded however long the range) */
		for (uint64_t j = 0; j < slots; j++) {
			const struct slot *sl = &rg[j];
			if (!sl->tag || sl->tag - 1 < base || (sl->tag - 1 - base) / per >= r->n)
				continue;
			size_t i = (size_t)((sl->tag - 1 - base) / per);
			for (int k = 0; k < FH_SV_MAX; k++)
				out[k][i] += sl->v[k];
		}
	} else {
		for (size_t i = 0; i < r->n; i++) {
			uint64_t p0 = base + i * per;
			for (uint64_t p = p0; p < p0 + per; p++) {
				const struct slot *sl = &rg[p % slots];
				if (sl->tag == p + 1)
					for (int k = 0; k < FH_SV_MAX; k++)
						out[k][i] += sl->v[k];
			}
		}
	}
	pthread_mutex_unlock(&s->mu);
}

void fh_series_get_stats(struct fh_series *s, struct fh_series_stats *st)
{
	pthread_mutex_lock(&s->mu);
	st->first_ms = s->h->first_ms;
	st->last_ms = s->h->last_ms;
	st->added = s->h->added;
	st->late_dropped = s->h->late;
	pthread_mutex_unlock(&s->mu);
}
