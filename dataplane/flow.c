/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Helpers over the normalized flow record: address and time formatting and parsing.
 * Nothing here is on the packet path except the inline helpers in flow.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "dataplane/flow.h"

char *fh_ip_fmt(const struct fh_ip *ip, char *buf, size_t len)
{
	if (fh_ip_is_v4(ip)) {
		snprintf(buf, len, "%u.%u.%u.%u", ip->a[12], ip->a[13], ip->a[14], ip->a[15]);
	} else if (!inet_ntop(AF_INET6, ip->a, buf, (socklen_t)len)) {
		snprintf(buf, len, "?");
	}
	return buf;
}

int fh_ip_parse(const char *s, struct fh_ip *ip)
{
	char tmp[FH_IP_STRLEN + 2];
	size_t n = strlen(s);
	uint8_t v4[4];

	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (inet_pton(AF_INET, tmp, v4) == 1) {
		fh_ip_from_v4(ip, v4);
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, ip->a) == 1)
		return 0;
	return -EINVAL;
}

int fh_cidr_parse(const char *s, struct fh_ip *net, unsigned *plen, bool *v4)
{
	char tmp[FH_IP_STRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned max, len;
	char *end;

	if (n == 0 || n >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	if (fh_ip_parse(tmp, net) < 0)
		return -EINVAL;
	*v4 = fh_ip_is_v4(net) && !strchr(tmp, ':');
	max = *v4 ? 32 : 128;
	len = max;
	if (slash) {
		errno = 0;
		unsigned long l = strtoul(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || l > max)
			return -EINVAL;
		len = (unsigned)l;
	}
	*plen = len;
	/* clear host bits so that net is canonical */
	unsigned bits = *v4 ? len + 96 : len;
	for (unsigned i = bits; i < 128; i++)
		net->a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return 0;
}

char *fh_time_fmt(uint64_t ms, char *buf, size_t len)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ", tm.tm_year + 1900,
		tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		(unsigned)(ms % 1000));
	return buf;
}

const char *fh_proto_name(uint8_t proto)
{
	switch (proto) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 41: return "ipv6";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "icmp6";
	case 89: return "ospf";
	case 132: return "sctp";
	default: return NULL;
	}
}

const char *fh_version_name(uint8_t version)
{
	switch (version) {
	case FH_VER_NF5: return "5";
	case FH_VER_NF9: return "9";
	case FH_VER_IPFIX: return "10";
	case FH_VER_SFLOW5: return "sflow5";
	case FH_VER_TAP: return "tap";
	default: return "?";
	}
}
