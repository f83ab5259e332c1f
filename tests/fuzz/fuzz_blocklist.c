/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: a blocklist file (Emerging Threats rules, Spamhaus DROP or plain) loaded
 * from the input, then longest-prefix lookups of addresses taken from the input, each of
 * whose matches must contain the address.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analytics/blocklist.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("blocklist", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64], err[512];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct fh_blocklist_set *s = fh_blocklist_set_new();
	unsigned bad;
	fh_blocklist_load(s, "fuzz", path, &bad, err, sizeof(err));
	close(fd);
	/* every 16 bytes of the input as an IPv6 address, and its last 4 as an IPv4 one */
	for (size_t o = 0; o + 16 <= size && o < 4096; o += 16) {
		struct fh_ip ip[2];
		fh_ip_from_v6(&ip[0], data + o);
		fh_ip_from_v4(&ip[1], data + o + 12);
		for (int i = 0; i < 2; i++) {
			struct fh_blocklist_match m;
			if (fh_blocklist_lookup(s, &ip[i], &m) &&
				!fh_ip_in_prefix(&ip[i], &m.net, m.plen128)) {
				fprintf(stderr, "a match that does not hold the address\n");
				abort();
			}
		}
	}
	fh_blocklist_set_free(s);
	return 0;
}
