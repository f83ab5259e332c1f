/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Offline input (see capture.h): libpcap for pcap/pcapng, our own splitter for raw payload
 * files.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/rx/capture.h"

/* DLT values that are not in every libpcap's headers */
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* ---- raw payload files ---------------------------------------------------------------- */

size_t fh_capture_raw_next(const uint8_t *buf, size_t len)
{
	if (len < 4)
		return 0;
	uint32_t w0 = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 | (uint32_t)buf[2] << 8 |
		      buf[3];
	if (w0 == 5)
		return len; /* sFlow: no length field, one datagram */
	uint16_t v = rd16(buf), n = rd16(buf + 2);
	switch (v) {
	case 5: {
		size_t need = 24 + 48u * n;
		return n && need <= len ? need : 0;
	}
	case 10:
		return n >= 16 && n <= len ? n : 0;
	case 9: {
		if (len < 20)
			return 0;
		size_t off = 20;
		while (off + 4 <= len) {
			uint16_t id = rd16(buf + off), fl = rd16(buf + off + 2);
			/* flowset ids 2..255 are reserved: 9 here is the next datagram's header */
			if (id == 9 || fl < 4 || off + fl > len)
				break;
			off += fl;
		}
		return off;
	}
	default:
		return 0;
	}
}

static int read_raw(const char *path, const struct fh_capture_ops *ops, void *arg,
	struct fh_capture_stats *st, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	for (size_t n; buf && (n = fread(buf + len, 1, cap - len, f)) > 0;) {
		len += n;
		if (len == cap) {
			uint8_t *nb = cap < (256u << 20) ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory or larger than 256 MiB", path);
		return -ENOMEM;
	}
	struct fh_ip ex;
	fh_ip_parse(FH_CAPTURE_RAW_EXPORTER, &ex);
	size_t off = 0;
	uint64_t no = 0;
	while (off < len) {
		size_t d = fh_capture_raw_next(buf + off, len - off);
		if (d == 0)
			break;
		st->frames++;
		ops->datagram(arg, &ex, buf + off, d, 0, ++no);
		off += d;
	}
	st->trailing += len - off;
	free(buf);
	if (no == 0) {
		snprintf(err, errlen, "%s: not a capture and no export datagram at its start", path);
		return -EINVAL;
	}
	return 0;
}

/* ---- pcap / pcapng -------------------------------------------------------------------- */

/* Strip the link layer: returns the offset of the Ethernet (*eth = 1) or IP header, or -1. */
static long link_offset(int dlt, const uint8_t *p, size_t len, int *eth)
{
	*eth = 0;
	switch (dlt) {
	case DLT_EN10MB:
		*eth = 1;
		return 0;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return 0;
	case DLT_NULL:
	case DLT_LOOP:
		return len >= 4 ? 4 : -1;
	case DLT_LINUX_SLL:
		if (len < 16)
			return -1;
		return rd16(p + 14) == 0x0800 || rd16(p + 14) == 0x86dd ? 16 : -1;
	case DLT_LINUX_SLL2:
		if (len < 20)
			return -1;
		return rd16(p) == 0x0800 || rd16(p) == 0x86dd ? 20 : -1;
	default:
		return -1;
	}
}

int fh_capture_read(const char *path, const struct fh_capture_ops *ops, void *arg,
	struct fh_capture_stats *st, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	uint8_t magic[4] = {0};

	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	size_t got = fread(magic, 1, 4, f);
	fclose(f);
	uint32_t m = (uint32_t)magic[0] << 24 | (uint32_t)magic[1] << 16 |
		     (uint32_t)magic[2] << 8 | magic[3];
	int is_pcap = got == 4 && (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d ||
					  m == 0x4d3cb2a1 || m == 0x0a0d0d0a);
	if (!is_pcap)
		return read_raw(path, ops, arg, st, err, errlen);

	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO,
		perr);
	if (!pc) {
		snprintf(err, errlen, "%s: %s", path, perr);
		return -EINVAL;
	}
	int dlt = pcap_datalink(pc);
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t no = 0;
	int rc;
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		no++;
		st->frames++;
		int eth;
		long off = link_offset(dlt, data, h->caplen, &eth);
		if (off < 0) {
			st->skipped++;
			continue;
		}
		uint64_t ts = (uint64_t)h->ts.tv_sec * 1000 + (uint64_t)h->ts.tv_usec / 1000;
		ops->packet(arg, data + off, h->caplen - (size_t)off, eth, ts, no);
	}
	int ret = 0;
	if (rc == PCAP_ERROR) {
		snprintf(err, errlen, "%s: after frame %llu: %s", path, (unsigned long long)no,
			pcap_geterr(pc));
		ret = -EIO;
	}
	pcap_close(pc);
	return ret;
}
