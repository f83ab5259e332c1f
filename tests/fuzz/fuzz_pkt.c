/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer target: the packet parser, from Ethernet and from IP, and tap metering. */
#include <stdlib.h>
#include <string.h>

#include "dataplane/parse/pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fh_pkt p;
	struct fh_flow_rec r;
	/* an exact-size heap copy: any read past the end is caught */
	uint8_t *b = malloc(size ? size : 1);
	memcpy(b, data, size);
	if (fh_pkt_parse_eth(b, size, &p) == FH_PKT_OK) {
		memset(&r, 0, sizeof(r));
		fh_pkt_to_rec(&p, &r);
		if (p.payload && p.payload + p.payload_len > b + size)
			abort();
	}
	if (fh_pkt_parse_ip(b, size, &p) == FH_PKT_OK && p.payload &&
		p.payload + p.payload_len > b + size)
		abort();
	free(b);
	return 0;
}
