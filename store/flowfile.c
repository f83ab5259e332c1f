/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow files (see flowfile.h and docs/flowfile-format.md).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lz4.h>
#include <lz4hc.h>
#include <zstd.h>

#include "store/flowfile.h"

#define MAGIC "FHFLOWS1"
#define VERSION 2 /* 2: a codec per block (the header's former padding); 1: zstd only */
#define BLOCK_RECS 4096
#define BLOCK_MAGIC 0x464842u /* "FHB" */

/* On disk (little-endian, as written by the x86/ARM machines flowhound runs on). */
struct file_header {
	char magic[8];
	uint32_t version, rec_size;
	uint64_t start_ms;
};

struct block_header {
	uint32_t magic, count;
	uint32_t raw_size, comp_size;
	uint32_t crc; /* CRC-32C of the compressed bytes */
	uint32_t codec; /* enum fh_codec (version 1 files: 0, zstd) */
	uint64_t min_first_ms, max_last_ms;
	uint8_t protos[32]; /* bitmap of the protocols in the block */
};

/* ---- CRC-32C (Castagnoli): SSE4.2's crc32 instruction, or a byte table ----------------- */

static uint32_t crc_table[256];

/* filled before main, so threads writing flow files never race on it */
__attribute__((constructor)) static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0x82f63b78u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

uint32_t fh_crc32c_sw(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ b[i]) & 0xff] ^ (c >> 8);
	return ~c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t c = 0xffffffffu;
	for (; n >= 8; n -= 8, b += 8) {
		uint64_t w;
		memcpy(&w, b, 8);
		c = __builtin_ia32_crc32di(c, w);
	}
	uint32_t c32 = (uint32_t)c;
	for (; n; n--, b++)
		c32 = __builtin_ia32_crc32qi(c32, *b);
	return ~c32;
}
#endif

/* The block checksum: 37 % of a filtered scan's time with the table, a few % with SSE4.2
 * (bench/RESULTS.md, query). */
uint32_t fh_crc32c(const void *p, size_t n)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("sse4.2")) /* a load of what libgcc found at start-up */
		return crc32c_hw(p, n);
#endif
	return fh_crc32c_sw(p, n);
}

/* ---- codecs --------------------------------------------------------------------------- */

const char *const fh_codec_names[FH_CODEC_MAX] = {"zstd", "lz4", "lz4hc"};

int fh_codec_parse(const char *name)
{
	for (int i = 0; i < FH_CODEC_MAX; i++)
		if (!strcmp(name, fh_codec_names[i]))
			return i;
	return -1;
}

/* room for the largest compressed block, whatever the codec */
static size_t comp_bound(void)
{
	size_t z = ZSTD_compressBound(BLOCK_RECS * sizeof(struct fh_flow_rec));
	size_t l = (size_t)LZ4_compressBound((int)(BLOCK_RECS * sizeof(struct fh_flow_rec)));
	return z > l ? z : l;
}

static int decompress(uint32_t codec, void *dst, size_t dst_len, const void *src,
	size_t src_len, void *zctx)
{
	if (codec == FH_CODEC_ZSTD) {
		size_t got = ZSTD_decompressDCtx(zctx, dst, dst_len, src, src_len);
		return ZSTD_isError(got) ? -1 : (int)got;
	}
	if (codec == FH_CODEC_LZ4 || codec == FH_CODEC_LZ4HC)
		return LZ4_decompress_safe(src, dst, (int)src_len, (int)dst_len);
	return -1;
}

/* ---- writer --------------------------------------------------------------------------- */

struct fh_flowfile_writer {
	FILE *f;
	char path[1024], tmp[1100];
	uint64_t start_ms;
	struct fh_flow_rec *recs;
	unsigned n;
	void *comp;
	size_t comp_cap;
	int codec;
};

static int mkdirs(const char *path)
{
	char b[1024];
	snprintf(b, sizeof(b), "%s", path);
	for (char *p = b + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(b, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(b, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

struct fh_flowfile_writer *fh_flowfile_create(const char *dir, uint64_t start_ms, char *err,
	size_t errlen)
{
	return fh_flowfile_create_tagged(dir, start_ms, NULL, err, errlen);
}

struct fh_flowfile_writer *fh_flowfile_create_tagged(const char *dir, uint64_t start_ms,
	const char *tag, char *err, size_t errlen)
{
	struct fh_flowfile_writer *w = calloc(1, sizeof(*w));
	time_t t = (time_t)(start_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	char d[900];
	snprintf(d, sizeof(d), "%s/%04d/%02d/%02d", dir, tm.tm_year + 1900, tm.tm_mon + 1,
		tm.tm_mday);
	if (!w || mkdirs(d) < 0) {
		snprintf(err, errlen, "%s: %s", d, strerror(errno));
		free(w);
		return NULL;
	}
	snprintf(w->path, sizeof(w->path), "%s/flows-%04d%02d%02d%02d%02d%s%s.fhf", d,
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tag ? "-" : "",
		tag ? tag : "");
	snprintf(w->tmp, sizeof(w->tmp), "%s.tmp", w->path);
	w->f = fopen(w->tmp, "wb");
	w->recs = malloc(BLOCK_RECS * sizeof(*w->recs));
	w->comp_cap = comp_bound();
	w->codec = FH_CODEC_DEFAULT;
	w->comp = malloc(w->comp_cap);
	if (!w->f || !w->recs || !w->comp) {
		snprintf(err, errlen, "%s: %s", w->tmp, strerror(errno));
		if (w->f)
			fclose(w->f);
		free(w->recs);
		free(w->comp);
		free(w);
		return NULL;
	}
	w->start_ms = start_ms;
	struct file_header h = {.version = VERSION, .rec_size = sizeof(struct fh_flow_rec),
		.start_ms = start_ms};
	memcpy(h.magic, MAGIC, 8);
	fwrite(&h, sizeof(h), 1, w->f);
	return w;
}

void fh_flowfile_set_codec(struct fh_flowfile_writer *w, int codec)
{
	if (codec >= 0 && codec < FH_CODEC_MAX)
		w->codec = codec;
}

uint64_t fh_flowfile_start(const struct fh_flowfile_writer *w)
{
	return w->start_ms;
}

static int flush_block(struct fh_flowfile_writer *w)
{
	if (!w->n)
		return 0;
	struct block_header b = {.magic = BLOCK_MAGIC, .count = w->n,
		.raw_size = (uint32_t)(w->n * sizeof(*w->recs)), .min_first_ms = UINT64_MAX};
	for (unsigned i = 0; i < w->n; i++) {
		const struct fh_flow_rec *r = &w->recs[i];
		if (r->first_ms < b.min_first_ms)
			b.min_first_ms = r->first_ms;
		if (r->last_ms > b.max_last_ms)
			b.max_last_ms = r->last_ms;
		b.protos[r->proto / 8] |= (uint8_t)(1u << (r->proto % 8));
	}
	size_t c;
	b.codec = (uint32_t)w->codec;
	if (w->codec == FH_CODEC_ZSTD) {
		c = ZSTD_compress(w->comp, w->comp_cap, w->recs, b.raw_size, 3);
		if (ZSTD_isError(c))
			return -EIO;
	} else {
		int n = w->codec == FH_CODEC_LZ4HC
				? LZ4_compress_HC((const char *)w->recs, w->comp, (int)b.raw_size,
					  (int)w->comp_cap, 2)
				: LZ4_compress_default((const char *)w->recs, w->comp,
					  (int)b.raw_size, (int)w->comp_cap);
		if (n <= 0)
			return -EIO;
		c = (size_t)n;
	}
	b.comp_size = (uint32_t)c;
	b.crc = fh_crc32c(w->comp, c);
	if (fwrite(&b, sizeof(b), 1, w->f) != 1 || fwrite(w->comp, 1, c, w->f) != c)
		return -errno;
	w->n = 0;
	return 0;
}

int fh_flowfile_append(struct fh_flowfile_writer *w, const struct fh_flow_rec *r)
{
	w->recs[w->n++] = *r;
	return w->n == BLOCK_RECS ? flush_block(w) : 0;
}

int fh_flowfile_sync(struct fh_flowfile_writer *w)
{
	int rc = flush_block(w);
	if (!rc && fflush(w->f))
		rc = -errno;
	return rc;
}

int fh_flowfile_close(struct fh_flowfile_writer *w, char *err, size_t errlen)
{
	int rc = flush_block(w);
	if (!rc && (fflush(w->f) || fsync(fileno(w->f))))
		rc = -errno;
	if (fclose(w->f) && !rc)
		rc = -errno;
	if (!rc && rename(w->tmp, w->path) < 0)
		rc = -errno;
	if (rc)
		snprintf(err, errlen, "%s: %s", w->tmp, strerror(-rc));
	free(w->recs);
	free(w->comp);
	free(w);
	return rc;
}

/* ---- rotating store ------------------------------------------------------------------ */

struct fh_flowstore {
	char dir[1024], tag[32];
	int codec;
	struct fh_flowfile_writer *w;
	unsigned errors;
};

struct fh_flowstore *fh_flowstore_new(const char *dir, const char *tag)
{
	struct fh_flowstore *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	snprintf(s->dir, sizeof(s->dir), "%s", dir);
	s->codec = FH_CODEC_DEFAULT;
	if (tag)
		snprintf(s->tag, sizeof(s->tag), "%s", tag);
	return s;
}

static void store_error(struct fh_flowstore *s, const char *err)
{
	if (!s->errors++)
		fprintf(stderr, "flowhound: flow files: %s\n", err);
}

void fh_flowstore_add(struct fh_flowstore *s, const struct fh_flow_rec *r)
{
	char err[1200];
	uint64_t bucket = r->last_ms / FH_FLOWSTORE_ROTATE_MS * FH_FLOWSTORE_ROTATE_MS;
	if (s->w && bucket > fh_flowfile_start(s->w)) {
		if (fh_flowfile_close(s->w, err, sizeof(err)) < 0)
			store_error(s, err);
		s->w = NULL;
	}
	if (!s->w) {
		s->w = fh_flowfile_create_tagged(s->dir, bucket, s->tag[0] ? s->tag : NULL, err,
			sizeof(err));
		if (!s->w) {
			store_error(s, err);
			return;
		}
		fh_flowfile_set_codec(s->w, s->codec);
	}
	if (fh_flowfile_append(s->w, r) < 0)
		store_error(s, "write failed");
}

void fh_flowstore_set_codec(struct fh_flowstore *s, int codec)
{
	if (s && codec >= 0 && codec < FH_CODEC_MAX)
		s->codec = codec;
}

void fh_flowstore_sync(struct fh_flowstore *s)
{
	if (s && s->w && fh_flowfile_sync(s->w) < 0)
		store_error(s, "write failed");
}

unsigned fh_flowstore_close(struct fh_flowstore *s)
{
	char err[1200];
	if (!s)
		return 0;
	if (s->w && fh_flowfile_close(s->w, err, sizeof(err)) < 0)
		store_error(s, err);
	unsigned e = s->errors;
	free(s);
	return e;
}

/* ---- reader --------------------------------------------------------------------------- */

/* Open a flow file and check its header. NULL with errno set (0 for an open file whose
 * header is not written yet: nothing to read), reporting a foreign or newer file. */
static FILE *ff_open(const char *path, int *open_file)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct file_header h;
	size_t pl = strlen(path);
	/* a file still being written (.tmp) may end inside a block: that is not damage */
	*open_file = pl > 4 && !strcmp(path + pl - 4, ".tmp");
	if (fread(&h, sizeof(h), 1, f) != 1 || memcmp(h.magic, MAGIC, 8)) {
		fclose(f);
		if (*open_file) {
			errno = 0;
			return NULL;
		}
		fprintf(stderr, "%s: not a flowhound flow file\n", path);
		errno = EINVAL;
		return NULL;
	}
	if (h.version < 1 || h.version > VERSION || h.rec_size != sizeof(struct fh_flow_rec)) {
		fclose(f);
		fprintf(stderr, "%s: flow file version %u (record size %u) is not readable here\n",
			path, h.version, h.rec_size);
		errno = EPROTO;
		return NULL;
	}
	return f;
}

int fh_flowfile_index(const char *path, struct fh_flowfile_block **out,
	struct fh_flowfile_read_stats *st)
{
	int open_file;
	*out = NULL;
	FILE *f = ff_open(path, &open_file);
	if (!f)
		return errno ? -errno : 0;
	size_t cap = comp_bound();
	struct fh_flowfile_block *v = NULL;
	size_t n = 0, vcap = 0;
	struct block_header b;
	long off = (long)sizeof(struct file_header);
	struct stat sb;
	long size = fstat(fileno(f), &sb) == 0 ? (long)sb.st_size : 0;
	while (fread(&b, sizeof(b), 1, f) == 1) {
		if (b.magic != BLOCK_MAGIC || b.count > BLOCK_RECS || b.comp_size > cap ||
			b.raw_size != b.count * sizeof(struct fh_flow_rec)) {
			if (!open_file) {
				fprintf(stderr, "%s: block %zu: bad block header; the rest of the file "
						"is unreadable\n", path, n + 1);
				st->blocks_damaged++;
			}
			break;
		}
		/* the block's bytes must all be there (a file cut short, or being written) */
		if (fseek(f, b.comp_size, SEEK_CUR) < 0)
			break;
		if (size < off + (long)sizeof(b) + (long)b.comp_size) {
			if (!open_file) {
				fprintf(stderr, "%s: block %zu: cut short\n", path, n + 1);
				st->blocks_damaged++;
			}
			break;
		}
		if (n == vcap) {
			vcap = vcap ? vcap * 2 : 64;
			struct fh_flowfile_block *nv = realloc(v, vcap * sizeof(*nv));
			if (!nv)
				break;
			v = nv;
		}
		v[n] = (struct fh_flowfile_block){.offset = (uint64_t)off, .count = b.count,
			.comp_size = b.comp_size, .min_first_ms = b.min_first_ms,
			.max_last_ms = b.max_last_ms, .no = (uint32_t)(n + 1)};
		n++;
		off += (long)sizeof(b) + (long)b.comp_size;
	}
	fclose(f);
	*out = v;
	return (int)n;
}

int fh_flowfile_read_blocks(const char *path, const struct fh_flowfile_block *blk, size_t nb,
	uint64_t from_ms, uint64_t to_ms, void (*fn)(void *arg, const struct fh_flow_rec *r),
	void *arg, struct fh_flowfile_read_stats *st)
{
	int open_file;
	FILE *f = ff_open(path, &open_file);
	if (!f)
		return errno ? -errno : 0;
	size_t cap = comp_bound();
	uint8_t *comp = malloc(cap);
	struct fh_flow_rec *recs = malloc(BLOCK_RECS * sizeof(*recs));
	ZSTD_DCtx *zctx = ZSTD_createDCtx(); /* one per read: no allocation per block */
	for (size_t k = 0; comp && recs && zctx && k < nb; k++) {
		const struct fh_flowfile_block *bk = &blk[k];
		st->blocks++;
		if (bk->max_last_ms < from_ms || bk->min_first_ms >= to_ms) {
			st->blocks_skipped++; /* not read at all */
			continue;
		}
		struct block_header b;
		if (fseek(f, (long)bk->offset, SEEK_SET) < 0 || fread(&b, sizeof(b), 1, f) != 1 ||
			fread(comp, 1, bk->comp_size, f) != bk->comp_size) {
			fprintf(stderr, "%s: block %u: cut short\n", path, bk->no);
			st->blocks_damaged++;
			break;
		}
		if (fh_crc32c(comp, b.comp_size) != b.crc) {
			fprintf(stderr, "%s: block %u: checksum mismatch, %u records skipped\n", path,
				bk->no, b.count);
			st->blocks_damaged++;
			continue;
		}
		int got = decompress(b.codec, recs, BLOCK_RECS * sizeof(*recs), comp, b.comp_size,
			zctx);
		if (got < 0 || (size_t)got != b.raw_size) {
			fprintf(stderr, "%s: block %u: does not decompress, %u records skipped\n",
				path, bk->no, b.count);
			st->blocks_damaged++;
			continue;
		}
		for (uint32_t i = 0; i < b.count; i++)
			if (recs[i].last_ms >= from_ms && recs[i].first_ms < to_ms) {
				st->records++;
				fn(arg, &recs[i]);
			}
	}
	ZSTD_freeDCtx(zctx);
	free(comp);
	free(recs);
	fclose(f);
	return 0;
}

int fh_flowfile_read(const char *path, uint64_t from_ms, uint64_t to_ms,
	void (*fn)(void *arg, const struct fh_flow_rec *r), void *arg,
	struct fh_flowfile_read_stats *st)
{
	struct fh_flowfile_block *blk;
	int n = fh_flowfile_index(path, &blk, st);
	if (n < 0)
		return n;
	int rc = fh_flowfile_read_blocks(path, blk, (size_t)n, from_ms, to_ms, fn, arg, st);
	free(blk);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *dir, char ***v, size_t *n, size_t *cap, int with_open)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[2048];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		struct stat sb;
		if (stat(p, &sb) < 0)
			continue;
		if (S_ISDIR(sb.st_mode)) {
			walk(p, v, n, cap, with_open);
		} else {
			size_t l = strlen(p);
			/* .tmp files are not complete: only when asked for (with_open) */
			if (!(l > 4 && !strcmp(p + l - 4, ".fhf")) &&
				!(with_open && l > 8 && !strcmp(p + l - 8, ".fhf.tmp")))
				continue;
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 64;
				*v = realloc(*v, *cap * sizeof(char *));
			}
			(*v)[(*n)++] = strdup(p);
		}
	}
	if (d)
		closedir(d);
}

static int list(const char *dir, void (*fn)(void *arg, const char *path), void *arg,
	int with_open)
{
	char **v = NULL;
	size_t n = 0, cap = 0;
	struct stat sb;
	if (stat(dir, &sb) < 0)
		return -errno;
	walk(dir, &v, &n, &cap, with_open);
	if (n)
		qsort(v, n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < n; i++) {
		fn(arg, v[i]);
		free(v[i]);
	}
	free(v);
	return (int)n;
}

int fh_flowfile_list(const char *dir, void (*fn)(void *arg, const char *path), void *arg)
{
	return list(dir, fn, arg, 0);
}

int fh_flowfile_list_open(const char *dir, void (*fn)(void *arg, const char *path), void *arg)
{
	return list(dir, fn, arg, 1);
}

/* ---- retention ------------------------------------------------------------------------ */

struct expire_list {
	char **path;
	uint64_t *size, *end_ms;
	size_t n, cap;
};

static void expire_collect(void *arg, const char *path)
{
	struct expire_list *l = arg;
	struct stat sb;
	const char *b = strrchr(path, '/');
	struct tm tm = {0};
	b = b ? b + 1 : path;
	if (stat(path, &sb) < 0 || strncmp(b, "flows-", 6) || !strptime(b + 6, "%Y%m%d%H%M", &tm))
		return; /* not a name we gave: left alone */
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		char **np = realloc(l->path, nc * sizeof(*np));
		uint64_t *ns = np ? realloc(l->size, nc * sizeof(*ns)) : NULL;
		uint64_t *ne = ns ? realloc(l->end_ms, nc * sizeof(*ne)) : NULL;
		if (np)
			l->path = np;
		if (ns)
			l->size = ns;
		if (!ne)
			return;
		l->end_ms = ne;
		l->cap = nc;
	}
	l->path[l->n] = strdup(path);
	if (!l->path[l->n])
		return;
	l->size[l->n] = (uint64_t)sb.st_size;
	l->end_ms[l->n] = (uint64_t)timegm(&tm) * 1000 + FH_FLOWSTORE_ROTATE_MS;
	l->n++;
}

unsigned fh_flowstore_expire(const char *dir, uint64_t max_age_ms, uint64_t max_bytes,
	uint64_t now_ms, uint64_t *bytes_left)
{
	struct expire_list l = {0};
	unsigned deleted = 0;
	uint64_t total = 0;
	if (list(dir, expire_collect, &l, 0) < 0) {
		if (bytes_left)
			*bytes_left = 0;
		return 0;
	}
	/* names sort by interval: oldest first (shards' files of one interval side by side) */
	for (size_t i = 0; i < l.n; i++)
		total += l.size[i];
	for (size_t i = 0; i < l.n; i++) {
		int old = max_age_ms && l.end_ms[i] + max_age_ms < now_ms;
		int big = max_bytes && total > max_bytes;
		if ((old || big) && unlink(l.path[i]) == 0) {
			deleted++;
			total -= l.size[i];
			char *slash = strrchr(l.path[i], '/'); /* DIR/YYYY/MM/DD: drop emptied days */
			for (int up = 0; up < 3 && slash && slash > l.path[i]; up++) {
				*slash = 0;
				if (strlen(l.path[i]) <= strlen(dir) || rmdir(l.path[i]) < 0)
					break;
				slash = strrchr(l.path[i], '/');
			}
		}
		free(l.path[i]);
	}
	free(l.path);
	free(l.size);
	free(l.end_ms);
	if (bytes_left)
		*bytes_left = total;
	return deleted;
}
