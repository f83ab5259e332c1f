/* SPDX-License-Identifier: BSD-2-Clause */
/* Small helpers shared by the benchmarks: a monotonic clock and the resident set size. */
#ifndef FH_BENCHLIB_H
#define FH_BENCHLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* VmRSS of this process in KiB, -1 if /proc is unreadable. */
static inline long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			kb = atol(line + 6);
	if (f)
		fclose(f);
	return kb;
}

#endif
