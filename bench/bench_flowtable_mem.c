/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory of the flow table: resident set size before and after a table of N flows is
 * created and filled with N distinct flows (sampled packets, so they stay in the table).
 *
 *   bench_flowtable_mem [N]        (default 1000000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/flowtable.h"
#include "benchlib.h"

int main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)atol(argv[1]) : 1000000;
	long before = rss_kb();
	struct fh_ft_cfg fc = {.capacity = n};
	struct fh_ft *t = fh_ft_new(&fc);
	if (!t) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	fh_ft_no_readers(t);
	struct fh_flow_rec r;
	memset(&r, 0, sizeof(r));
	r.version = FH_VER_TAP;
	r.proto = 6;
	r.packets = 1;
	r.bytes = 100;
	r.sampling = 1;
	r.first_ms = r.last_ms = 1000;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t s[4] = {(uint8_t)(10 + (i >> 24)), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
			(uint8_t)i};
		uint8_t d[4] = {203, 0, 113, 1};
		fh_ip_from_v4(&r.src, s);
		fh_ip_from_v4(&r.dst, d);
		r.sport = (uint16_t)i;
		fh_ft_upsert(t, &r);
	}
	struct fh_ft_stats st;
	fh_ft_get_stats(t, &st);
	long after = rss_kb();
	printf("flows %lu, RSS %.1f MiB for the table, %.1f bytes per flow\n",
		(unsigned long)st.entries, (after - before) / 1024.0,
		(after - before) * 1024.0 / (double)st.entries);
	fh_ft_free(t);
	return 0;
}
