/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: splitting raw payload files into datagrams (capture.c). */
#include <stdlib.h>
#include <string.h>

#include "dataplane/rx/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = malloc(size ? size : 1);
	memcpy(b, data, size);
	size_t off = 0;
	while (off < size) {
		size_t n = fh_capture_raw_next(b + off, size - off);
		if (n == 0)
			break;
		if (n > size - off)
			abort();
		off += n;
	}
	free(b);
	return 0;
}
