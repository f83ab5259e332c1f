/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Flow records as text: one JSON object (DESIGN.md §4 field names), a CSV row, or a line for
 * people. Used by `flowhound decode`, `flowhound query` and the web API, so all three agree.
 */
#ifndef FH_DATAPLANE_FLOW_FMT_H
#define FH_DATAPLANE_FLOW_FMT_H

#include <stddef.h>

#include "dataplane/flow.h"

enum fh_flow_fmt { FH_FMT_JSON, FH_FMT_CSV, FH_FMT_TEXT };

/* Parse "json", "csv", "text". Returns the enum, or -1. */
int fh_flow_fmt_parse(const char *name);

/*
 * Format rec into buf (no trailing newline). Returns the length written; when buf is too
 * small the output is cut (always NUL-terminated) and the length needed is returned, as
 * snprintf does. FH_FLOW_FMT_MAX is always enough.
 */
#define FH_FLOW_FMT_MAX 1024
int fh_flow_fmt(enum fh_flow_fmt fmt, const struct fh_flow_rec *rec, char *buf, size_t len);

/* The CSV header line (no newline) matching fh_flow_fmt(FH_FMT_CSV). */
const char *fh_flow_fmt_csv_header(void);

/* TCP flags as nfdump prints them: 8 characters "CEUAPRSF" with '.' for unset bits. */
void fh_tcp_flags_str(uint8_t flags, char out[9]);

#endif
