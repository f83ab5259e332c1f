/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow files (format version 2, docs/flowfile-format.md): a header, then blocks of up to
 * 4,096 records, each compressed (zstd, lz4 or lz4hc, said per block) and described by a block header (record count,
 * sizes, a CRC-32C of the compressed bytes, the time range and the protocol set) so a query
 * can skip a block without decompressing it. A file is written as NAME.tmp and renamed to
 * NAME when closed (after fsync): a crash never leaves a half file that looks whole. A reader
 * refuses a damaged block with a clear message and goes on with the next one.
 */
#ifndef FH_STORE_FLOWFILE_H
#define FH_STORE_FLOWFILE_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/flow.h"

struct fh_flowfile_writer;

/* Block codecs (store.codec): zstd (smallest files), lz4 (fastest to write), lz4hc (fastest
 * to read: about 4x zstd's decompression speed, files a third bigger; the default). */
enum fh_codec { FH_CODEC_ZSTD, FH_CODEC_LZ4, FH_CODEC_LZ4HC, FH_CODEC_MAX };
#define FH_CODEC_DEFAULT FH_CODEC_LZ4HC
extern const char *const fh_codec_names[FH_CODEC_MAX];
int fh_codec_parse(const char *name); /* -1 if unknown */

/* Create DIR/YYYY/MM/DD/flows-YYYYMMDDhhmm.fhf for the interval starting at start_ms (UTC),
 * writing to its .tmp name. NULL with a message in err. */
struct fh_flowfile_writer *fh_flowfile_create(const char *dir, uint64_t start_ms, char *err,
	size_t errlen);
/* The same with a tag in the name: flows-YYYYMMDDhhmm-TAG.fhf. */
struct fh_flowfile_writer *fh_flowfile_create_tagged(const char *dir, uint64_t start_ms,
	const char *tag, char *err, size_t errlen);
/* The codec of the blocks written from now on (default FH_CODEC_DEFAULT). */
void fh_flowfile_set_codec(struct fh_flowfile_writer *w, int codec);
/* Append a record (buffered; a block is compressed and written when full). 0 or -errno. */
int fh_flowfile_append(struct fh_flowfile_writer *w, const struct fh_flow_rec *r);
/* Write the records buffered so far as a (short) block and hand it to the kernel, so that
 * readers of open files see them. 0 or -errno. */
int fh_flowfile_sync(struct fh_flowfile_writer *w);
/* Write the last block, fsync, rename to the final name. 0 or -errno; frees w either way. */
int fh_flowfile_close(struct fh_flowfile_writer *w, char *err, size_t errlen);
/* The interval a writer covers (files rotate on its boundary). */
uint64_t fh_flowfile_start(const struct fh_flowfile_writer *w);

struct fh_flowfile_read_stats {
	uint64_t blocks, blocks_skipped, blocks_damaged, records;
};

/*
 * Read one file: for each block whose time range meets [from_ms, to_ms) (0, UINT64_MAX for
 * all), every record goes to fn. Damaged blocks are reported on stderr (`FILE: block N: …`)
 * and skipped. Returns 0, or -errno when the file cannot be read at all (not a flow file, a
 * newer version).
 */
int fh_flowfile_read(const char *path, uint64_t from_ms, uint64_t to_ms,
	void (*fn)(void *arg, const struct fh_flow_rec *r), void *arg,
	struct fh_flowfile_read_stats *st);

/* Reading in parts (several threads over one file): the blocks of a file, in order. */
struct fh_flowfile_block {
	uint64_t offset; /* of its block header */
	uint64_t min_first_ms, max_last_ms;
	uint32_t count, comp_size;
	uint32_t no; /* 1-based, for messages */
};
/* Index a file's blocks (headers only; *out is malloc'd, free it). Returns the number of
 * blocks, or -errno (damage at a block header ends the index, reported as above). */
int fh_flowfile_index(const char *path, struct fh_flowfile_block **out,
	struct fh_flowfile_read_stats *st);
/* Read nb blocks of an index as fh_flowfile_read does. 0 or -errno. */
int fh_flowfile_read_blocks(const char *path, const struct fh_flowfile_block *blk, size_t nb,
	uint64_t from_ms, uint64_t to_ms, void (*fn)(void *arg, const struct fh_flow_rec *r),
	void *arg, struct fh_flowfile_read_stats *st);

/*
 * A rotating store: records go to the file of their last-seen time's 5-minute interval
 * (a late record goes to the current file; block headers keep the true time range). tag,
 * when not NULL, is added to the file names (one writer per analytics shard). Errors are
 * reported on stderr once and counted.
 */
#define FH_FLOWSTORE_ROTATE_MS 300000
struct fh_flowstore;
struct fh_flowstore *fh_flowstore_new(const char *dir, const char *tag);
void fh_flowstore_add(struct fh_flowstore *s, const struct fh_flow_rec *r);
void fh_flowstore_set_codec(struct fh_flowstore *s, int codec);
/* Write what the current file buffers (fh_flowfile_sync): the daemon calls it every few
 * seconds so that the web view sees recent flows before the file is complete. */
void fh_flowstore_sync(struct fh_flowstore *s);
/* Close the current file; returns the number of write errors seen (0 = all written). */
unsigned fh_flowstore_close(struct fh_flowstore *s);

/*
 * Retention: delete the complete flow files below dir whose interval ended more than
 * max_age_ms before now_ms, then the oldest ones until the files take at most max_bytes
 * (0: no limit of that kind). Files still open (.tmp) are never touched; emptied day
 * directories are removed. Returns the number of files deleted; bytes_left (may be NULL)
 * gets what the complete files take afterwards.
 */
unsigned fh_flowstore_expire(const char *dir, uint64_t max_age_ms, uint64_t max_bytes,
	uint64_t now_ms, uint64_t *bytes_left);

/* CRC-32C (Castagnoli) of a block, as the block header stores it; _sw is the portable
 * table version that fh_crc32c must agree with where it uses the CPU's instruction. */
uint32_t fh_crc32c(const void *p, size_t n);
uint32_t fh_crc32c_sw(const void *p, size_t n);

/* Every complete flow file below dir (not .tmp), sorted by name, through fn. */
int fh_flowfile_list(const char *dir, void (*fn)(void *arg, const char *path), void *arg);
/* The same, with the files still being written (NAME.fhf.tmp) too: their complete blocks
 * are readable (a block cut short at their end is not reported as damage). */
int fh_flowfile_list_open(const char *dir, void (*fn)(void *arg, const char *path), void *arg);

#endif
