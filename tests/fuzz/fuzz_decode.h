/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared body of the decoder fuzz targets: the input is split into datagrams (2-byte length
 * prefixes) decoded in order by one decoder that lives across inputs (so templates learned
 * from one input meet data in the next, as in a long-running collector); the first bytes of
 * each datagram are forced to the target's format so the fuzzer explores that decoder; the
 * exporters' clocks are moved onto the arrival times (clock_tolerance_ms).
 */
#ifndef FH_TESTS_FUZZ_DECODE_H
#define FH_TESTS_FUZZ_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/decode/decoder.h"

static volatile uint8_t fuzz_sum;

static void fuzz_emit(void *arg, const struct fh_flow_rec *r)
{
	/* read every byte of the record, so a bad pointer behind it trips the sanitizer */
	const uint8_t *p = (const uint8_t *)r;
	for (size_t i = 0; i < sizeof(*r); i++)
		fuzz_sum ^= p[i];
	(void)arg;
}

static void fuzz_counters(void *arg, const struct fh_if_counters *c)
{
	(void)arg;
	(void)c;
}

static int fuzz_decode_run(const uint8_t *data, size_t size, int format)
{
	static struct fh_decoder *d;
	static unsigned n;
	static uint8_t buf[65536];
	struct fh_rec_sink sink = {.emit = fuzz_emit, .counters = fuzz_counters};
	struct fh_ip ex;
	uint8_t a[4] = {192, 0, 2, 1};

	if (!d || ++n % 1000 == 0) { /* start afresh now and then: bounded state */
		fh_decoder_free(d);
		struct fh_decoder_cfg cfg = {.pending_bytes = 64 * 1024, .max_exporters = 16,
			.clock_tolerance_ms = 30000};
		d = fh_decoder_new(&cfg);
	}
	while (size >= 3) {
		size_t len = (size_t)(data[0] << 8 | data[1]);
		a[3] = data[2] & 3; /* a few exporters */
		/* arrival times either side of the header times: their clocks behind and ahead */
		uint64_t now = (uint64_t)(data[2] >> 2) << 36;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		memcpy(buf, data, len);
		if (format == 5 && len >= 2) {
			buf[0] = 0;
			buf[1] = 5;
		} else if ((format == 9 || format == 10) && len >= 2) {
			buf[0] = 0;
			buf[1] = (uint8_t)format;
		} else if (format == 50 && len >= 4) {
			buf[0] = buf[1] = buf[2] = 0;
			buf[3] = 5;
		}
		fh_ip_from_v4(&ex, a);
		fh_decode(d, &ex, buf, len, now, &sink);
		data += len;
		size -= len;
	}
	fh_decoder_expire(d, 1000000);
	return 0;
}

#endif
