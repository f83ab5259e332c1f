/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the configuration parser from a buffer (fh_config_parse_buf), then the
 * dump of whatever it accepted, which must parse back without error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fh_config c, d;
	char err[512];
	/* an exact-size heap copy: any read past the end is caught */
	char *b = malloc(size ? size : 1);
	memcpy(b, data, size);
	fh_config_defaults(&c);
	int rc = fh_config_parse_buf(&c, "fuzz", b, size, err, sizeof(err));
	free(b);
	if (rc == 0) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		if (!f)
			return 0;
		fh_config_dump(&c, f);
		fclose(f);
		fh_config_defaults(&d);
		if (fh_config_parse_buf(&d, "dump", out, len, err, sizeof(err)) != 0) {
			fprintf(stderr, "dump does not parse back: %s\n", err);
			abort();
		}
		free(out);
	}
	return 0;
}
