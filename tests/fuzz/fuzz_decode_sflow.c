/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the sflow decoder (see fuzz_decode.h). */
#include "tests/fuzz/fuzz_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_decode_run(data, size, 50);
}
