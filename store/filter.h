/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The flow filter language, compatible with nfdump's (`man nfdump`, "Filter"): compiled once
 * into a flat program of tests with true/false jump targets (short-circuit and/or/not need no
 * tree at run time), evaluated per record by a tight loop with no allocation.
 *
 *   proto tcp and dst port in [ 22 80 443 ] and not src net 198.51.100.0/24
 *   duration > 3600000 and bytes < 100k
 */
#ifndef FH_STORE_FILTER_H
#define FH_STORE_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dataplane/flow.h"

struct fh_filter;

/*
 * Compile text. Returns the filter, or NULL with a message in err such as
 * `filter:1:17: expected a port number after 'port', got 'foo'`. An empty text (or only
 * comments) matches everything. Lines may be joined; `#` starts a comment to the line's end.
 */
struct fh_filter *fh_filter_compile(const char *text, char *err, size_t errlen);

/* Compile the contents of a file (nfdump -f). Messages name the file. */
struct fh_filter *fh_filter_compile_file(const char *path, char *err, size_t errlen);

/* Whether rec matches. Any thread; the filter is read-only after compilation. */
bool fh_filter_match(const struct fh_filter *f, const struct fh_flow_rec *rec);

/* The compiled program, one instruction a line (for tests and debugging). */
void fh_filter_dump(const struct fh_filter *f, FILE *out);

void fh_filter_free(struct fh_filter *f);

#endif
