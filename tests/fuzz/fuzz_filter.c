/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the filter compiler on any text; what compiles is run on records. */
#include <stdlib.h>
#include <string.h>

#include "store/filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];
	memcpy(text, data, size);
	text[size] = 0;
	struct fh_filter *f = fh_filter_compile(text, err, sizeof(err));
	if (f) {
		struct fh_flow_rec r;
		memset(&r, 0, sizeof(r));
		for (int i = 0; i < 4; i++) {
			r.proto = (uint8_t)(i * 6);
			r.dport = (uint16_t)(i * 443);
			r.packets = (uint64_t)i;
			r.last_ms = (uint64_t)i * 1000;
			(void)fh_filter_match(f, &r);
		}
		fh_filter_free(f);
	}
	free(text);
	return 0;
}
