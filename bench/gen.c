/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fh-gen: a generator of NetFlow v5, NetFlow v9, IPFIX and sFlow v5 export streams with a
 * controlled mix (exporters, flows, hosts, IPv4/IPv6, sampling) and injected activities
 * (scans, floods, tunnels) at known times, written to a pcap file (for DPDK net_pcap replay
 * and `flowhound analyze`) or sent over UDP to a loopback port with sendmmsg at a target rate.
 * The injected activities are written as labels (JSON lines) for detection-delay measurement.
 *
 *   fh-gen --format v9 --flows 100000 --pcap out.pcap [--labels out.labels]
 *   fh-gen --format ipfix --flows 1000000 --send 127.0.0.1:2055 --rate 50000
 *   fh-gen --format v9 --flows 1000000 --exporters 32 --exporter-addrs --send 127.0.0.1:2055
 *
 * --exporter-addrs (with --send): exporter e sends from its own loopback address
 * 127.0.0.(10 + e) (IP_PKTINFO on each datagram) instead of every exporter from 127.0.0.1,
 * as routers do, so that a collector's SO_REUSEPORT sockets (the kernel hashes the source
 * address and port) spread the exporters over its workers.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/gen_enc.h"

#define MAX_EXPORTERS 256

struct opts {
	enum fh_gen_format fmt;
	unsigned exporters, hosts, v6_pct, sampling;
	uint64_t flows;
	uint64_t start_ms, duration_ms;
	uint64_t seed;
	const char *pcap, *send, *labels, *inject;
	double rate; /* datagrams per second when sending; 0 = as fast as possible */
	int exporter_addrs; /* --send: exporter e from 127.0.0.(10 + e) */
	uint16_t dport;
};

/* ---- random numbers (xorshift64*: deterministic for a seed) --------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)((rnd() >> 32) * n >> 32);
}

/* ---- traffic model -------------------------------------------------------------------- */

static void inside_host(struct fh_ip *ip, unsigned hosts, unsigned v6_pct, uint32_t idx)
{
	if (rnd_below(100) < v6_pct) {
		uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00};
		a[12] = (uint8_t)(idx >> 24);
		a[13] = (uint8_t)(idx >> 16);
		a[14] = (uint8_t)(idx >> 8);
		a[15] = (uint8_t)idx;
		fh_ip_from_v6(ip, a);
	} else {
		uint32_t h = idx % (hosts ? hosts : 1);
		/* 198.18.0.0/15 (benchmarking range) holds 131072 inside hosts */
		uint8_t a[4] = {198, (uint8_t)(18 + ((h >> 16) & 1)), (uint8_t)(h >> 8), (uint8_t)h};
		fh_ip_from_v4(ip, a);
	}
}

static void outside_host(struct fh_ip *ip, int v6)
{
	uint32_t r = (uint32_t)rnd();
	if (v6) {
		uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0x02, 0x00};
		memcpy(a + 12, &r, 4);
		fh_ip_from_v6(ip, a);
	} else {
		/* outside peers: anywhere but the inside range (generated, never sent) */
		uint8_t a[4] = {(uint8_t)(1 + (r >> 24) % 223), (uint8_t)(r >> 16), (uint8_t)(r >> 8),
			(uint8_t)r};
		if (a[0] == 198 || a[0] == 127 || a[0] == 10)
			a[0] = 203;
		fh_ip_from_v4(ip, a);
	}
}

static void background_flow(const struct opts *o, struct fh_flow_rec *r, uint64_t t)
{
	static const struct {
		uint16_t port;
		uint8_t proto;
		unsigned weight;
	} svc[] = {{443, 6, 45}, {80, 6, 15}, {53, 17, 15}, {443, 17, 8}, {22, 6, 3},
		{25, 6, 2}, {123, 17, 2}, {993, 6, 2}, {8080, 6, 2}, {0, 1, 2}, {3478, 17, 4}};
	unsigned total = 0, pick;
	for (size_t i = 0; i < sizeof(svc) / sizeof(svc[0]); i++)
		total += svc[i].weight;
	pick = rnd_below(total);
	size_t s = 0;
	while (pick >= svc[s].weight)
		pick -= svc[s++].weight;

	memset(r, 0, sizeof(*r));
	inside_host(&r->src, o->hosts, o->v6_pct, rnd_below(o->hosts));
	outside_host(&r->dst, !fh_ip_is_v4(&r->src));
	r->af = fh_ip_is_v4(&r->src) ? 4 : 6;
	if (rnd_below(2)) { /* half the records are the reply direction */
		struct fh_ip t2 = r->src;
		r->src = r->dst;
		r->dst = t2;
		r->sport = svc[s].port;
		r->dport = (uint16_t)(1024 + rnd_below(64000));
	} else {
		r->sport = (uint16_t)(1024 + rnd_below(64000));
		r->dport = svc[s].port;
	}
	r->proto = svc[s].proto;
	if (r->proto == 1) {
		r->sport = 0;
		r->dport = 0x0800;
	}
	if (r->proto == 17 && (r->sport == 53 || r->dport == 53)) {
		r->packets = 1 + rnd_below(2); /* a query or an answer */
		r->bytes = r->packets * (60 + rnd_below(r->sport == 53 ? 400 : 40));
	} else if (r->proto == 1) {
		r->packets = 1 + rnd_below(10);
		r->bytes = r->packets * 84;
	} else {
		r->packets = 1 + rnd_below(rnd_below(8) ? 20 : 2000);
		r->bytes = r->packets * (40 + rnd_below(1400));
	}
	r->tcp_flags = r->proto == 6 ? 0x1b : 0;
	r->first_ms = t;
	r->last_ms = t + rnd_below(30000);
	r->in_if = 1 + rnd_below(4);
	r->out_if = 5 + rnd_below(4);
	r->sampling = o->sampling;
}

/* ---- injected activities -------------------------------------------------------------- */

struct activity {
	char type[32];
	uint64_t at_ms, len_ms;
	uint32_t n; /* flows */
	struct fh_ip src, dst;
	uint64_t emitted;
};

static int parse_inject(const struct opts *o, struct activity *acts, int max)
{
	int n = 0;
	if (!o->inject)
		return 0;
	char *spec = strdup(o->inject), *save = NULL;
	for (char *tok = strtok_r(spec, ",", &save); tok && n < max;
		tok = strtok_r(NULL, ",", &save)) {
		struct activity *a = &acts[n];
		memset(a, 0, sizeof(*a));
		char *at = strchr(tok, '@');
		double when = at ? atof(at + 1) : 10;
		if (at)
			*at = 0;
		snprintf(a->type, sizeof(a->type), "%s", tok);
		a->at_ms = o->start_ms + (uint64_t)(when * 1000);
		a->len_ms = 60000;
		a->n = 2000;
		uint8_t s[4] = {203, 0, 113, (uint8_t)(10 + n)};
		uint8_t d[4] = {198, 18, 0, (uint8_t)(200 + n)};
		fh_ip_from_v4(&a->src, s);
		fh_ip_from_v4(&a->dst, d);
		if (!strcmp(tok, "flood.syn") || !strcmp(tok, "flood.udp")) {
			a->n = 20000;
			a->len_ms = 20000;
		}
		n++;
	}
	free(spec);
	return n;
}

static void activity_flow(struct activity *a, struct fh_flow_rec *r, uint32_t sampling)
{
	uint64_t i = a->emitted++;
	memset(r, 0, sizeof(*r));
	r->src = a->src;
	r->dst = a->dst;
	r->af = 4;
	r->first_ms = r->last_ms = a->at_ms + i * a->len_ms / a->n;
	r->packets = 1;
	r->bytes = 44;
	r->sampling = sampling;
	r->in_if = 1;
	r->out_if = 5;
	r->sport = (uint16_t)(40000 + i % 20000);
	if (!strcmp(a->type, "scan.horizontal")) {
		r->proto = 6;
		r->tcp_flags = 0x02;
		r->dport = 22;
		uint8_t d[4] = {198, 18, (uint8_t)(i >> 8), (uint8_t)i};
		fh_ip_from_v4(&r->dst, d);
	} else if (!strcmp(a->type, "scan.vertical")) {
		r->proto = 6;
		r->tcp_flags = 0x02;
		r->dport = (uint16_t)(1 + i);
	} else if (!strcmp(a->type, "flood.syn") || !strcmp(a->type, "flood.udp")) {
		int syn = !strcmp(a->type, "flood.syn");
		outside_host(&r->src, 0); /* spoofed sources */
		r->proto = syn ? 6 : 17;
		r->tcp_flags = syn ? 0x02 : 0;
		r->dport = 80;
		r->packets = 50;
		r->bytes = syn ? 50 * 40 : 50 * 1200;
	} else { /* dns.tunnel: many large queries to one resolver, from one socket */
		r->proto = 17;
		r->sport = 41053;
		r->dport = 53;
		r->packets = 2;
		r->bytes = 2 * 250;
	}
}

/* ---- output --------------------------------------------------------------------------- */

struct out {
	struct fh_gen_pcap *pcap;
	int fd;
	struct sockaddr_storage to;
	socklen_t tolen;
	double rate;
	struct timespec t0;
	uint64_t sent, records;
	uint8_t exporter[4];
	unsigned exporter_i; /* the exporter of the datagram being emitted */
	int exporter_addrs;
	double t_start;
	/* a sendmmsg batch: up to 64 datagrams a system call (1 when pacing a slow rate) */
	struct mmsghdr msgs[64];
	struct iovec iov[64];
	union { /* the source address (IP_PKTINFO), with --exporter-addrs */
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl[64];
	uint8_t bufs[64][FH_GEN_MTU + 256];
	unsigned nb, batch;
};

static int flush_batch(struct out *o)
{
	unsigned done = 0;
	while (done < o->nb) {
		int n = sendmmsg(o->fd, o->msgs + done, o->nb - done, 0);
		if (n < 0)
			return -errno;
		done += (unsigned)n;
	}
	o->nb = 0;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int emit_dgram(struct out *o, const struct opts *op, const uint8_t *buf, size_t len,
	uint64_t ts_ms)
{
	static double start;
	if (!len)
		return 0;
	if (o->pcap) {
		uint8_t dst[4] = {192, 0, 2, 1};
		if (fh_gen_pcap_write(o->pcap, o->exporter, 50000, dst, op->dport, buf, len,
			    ts_ms * 1000) < 0)
			return -EIO;
	} else {
		if (o->sent == 0)
			o->t_start = start = now_s();
		memcpy(o->bufs[o->nb], buf, len);
		o->iov[o->nb] = (struct iovec){.iov_base = o->bufs[o->nb], .iov_len = len};
		o->msgs[o->nb].msg_hdr = (struct msghdr){.msg_name = &o->to, .msg_namelen = o->tolen,
			.msg_iov = &o->iov[o->nb], .msg_iovlen = 1};
		if (o->exporter_addrs) {
			struct msghdr *h = &o->msgs[o->nb].msg_hdr;
			h->msg_control = o->ctl[o->nb].b;
			h->msg_controllen = sizeof(o->ctl[o->nb].b);
			struct cmsghdr *c = CMSG_FIRSTHDR(h);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
			struct in_pktinfo pi = {.ipi_spec_dst.s_addr =
							htonl(0x7f000000u + 10 + o->exporter_i)};
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
		o->nb++;
		if (o->nb == o->batch) {
			/* pace: datagram n goes out at start + n / rate */
			if (o->rate > 0)
				while (now_s() < start + (double)(o->sent + 1) / o->rate)
					;
			int rc = flush_batch(o);
			if (rc < 0)
				return rc;
		}
	}
	o->sent++;
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: fh-gen --format v5|v9|ipfix|sflow [--flows N] [--exporters N] [--hosts N]\n"
		"              [--v6 PCT] [--sampling N] [--start EPOCH_S] [--duration S]\n"
		"              [--seed N] [--inject TYPE@SECONDS,...] [--labels FILE]\n"
		"              (--pcap FILE | --send ADDR:PORT [--rate DGRAMS_PER_S] [--exporter-addrs])\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {{"format", 1, 0, 'f'}, {"flows", 1, 0, 'n'},
		{"exporters", 1, 0, 'e'}, {"hosts", 1, 0, 'h'}, {"v6", 1, 0, '6'},
		{"sampling", 1, 0, 's'}, {"start", 1, 0, 'S'}, {"duration", 1, 0, 'd'},
		{"seed", 1, 0, 'r'}, {"inject", 1, 0, 'i'}, {"labels", 1, 0, 'l'},
		{"pcap", 1, 0, 'p'}, {"send", 1, 0, 'o'}, {"rate", 1, 0, 'R'},
		{"exporter-addrs", 0, 0, 'E'}, {0, 0, 0, 0}};
	int c;
	*o = (struct opts){.fmt = FH_GEN_V9, .exporters = 1, .hosts = 10000, .flows = 100000,
		.sampling = 1, .start_ms = 1764374400000ull, .duration_ms = 300000, .seed = 1};
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (!strcmp(optarg, "v5"))
				o->fmt = FH_GEN_V5;
			else if (!strcmp(optarg, "v9"))
				o->fmt = FH_GEN_V9;
			else if (!strcmp(optarg, "ipfix"))
				o->fmt = FH_GEN_IPFIX;
			else if (!strcmp(optarg, "sflow"))
				o->fmt = FH_GEN_SFLOW;
			else
				return -1;
			break;
		case 'n': o->flows = strtoull(optarg, NULL, 0); break;
		case 'e': o->exporters = (unsigned)atoi(optarg); break;
		case 'h': o->hosts = (unsigned)atoi(optarg); break;
		case '6': o->v6_pct = (unsigned)atoi(optarg); break;
		case 's': o->sampling = (unsigned)atoi(optarg); break;
		case 'S': o->start_ms = strtoull(optarg, NULL, 0) * 1000; break;
		case 'd': o->duration_ms = (uint64_t)(atof(optarg) * 1000); break;
		case 'r': o->seed = strtoull(optarg, NULL, 0); break;
		case 'i': o->inject = optarg; break;
		case 'l': o->labels = optarg; break;
		case 'p': o->pcap = optarg; break;
		case 'o': o->send = optarg; break;
		case 'R': o->rate = atof(optarg); break;
		case 'E': o->exporter_addrs = 1; break;
		default: return -1;
		}
	}
	if (!o->pcap == !o->send || !o->exporters || o->exporters > MAX_EXPORTERS || !o->hosts ||
		(o->exporter_addrs && !o->send))
		return -1;
	o->dport = o->fmt == FH_GEN_SFLOW ? 6343 : o->fmt == FH_GEN_IPFIX ? 4739 : 2055;
	return 0;
}

static int open_out(const struct opts *op, struct out *o)
{
	memset(o, 0, sizeof(*o));
	o->rate = op->rate;
	o->exporter_addrs = op->exporter_addrs;
	if (op->pcap) {
		o->pcap = fh_gen_pcap_open(op->pcap);
		if (!o->pcap) {
			fprintf(stderr, "fh-gen: %s: %s\n", op->pcap, strerror(errno));
			return -1;
		}
		return 0;
	}
	char host[64];
	const char *colon = strrchr(op->send, ':');
	if (!colon || (size_t)(colon - op->send) >= sizeof(host))
		return -1;
	memcpy(host, op->send, (size_t)(colon - op->send));
	host[colon - op->send] = 0;
	struct sockaddr_in *a = (struct sockaddr_in *)&o->to;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(colon + 1));
	/* loopback only: this tool never sends anywhere else */
	if (inet_pton(AF_INET, host, &a->sin_addr) != 1 || host[0] != '1' ||
		strncmp(host, "127.", 4) != 0) {
		fprintf(stderr, "fh-gen: --send takes a 127.0.0.0/8 address and a port\n");
		return -1;
	}
	o->tolen = sizeof(*a);
	o->batch = o->rate > 0 && o->rate < 50000 ? 1 : 64;
	o->fd = socket(AF_INET, SOCK_DGRAM, 0);
	int sz = 8 << 20;
	setsockopt(o->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return o->fd < 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct opts op;
	static struct out out; /* large: the sendmmsg buffers */
	static struct fh_gen_enc enc[MAX_EXPORTERS];
	struct activity acts[16];

	if (parse_opts(argc, argv, &op) < 0) {
		usage();
		return 2;
	}
	if (open_out(&op, &out) < 0)
		return 1;
	rng_state = op.seed * 0x9e3779b97f4a7c15ull + 1;
	uint64_t boot = op.start_ms - 3600000;
	for (unsigned e = 0; e < op.exporters; e++)
		fh_gen_enc_init(&enc[e], op.fmt, e, op.sampling, boot);
	int nact = parse_inject(&op, acts, 16);
	uint64_t act_total = 0;
	for (int i = 0; i < nact; i++)
		act_total += acts[i].n;

	/* flows in time order: background spread evenly, activities interleaved by time */
	uint64_t total = op.flows + act_total;
	uint64_t bg = 0;
	for (uint64_t k = 0; k < total; k++) {
		struct fh_flow_rec r;
		uint64_t t_bg = op.start_ms + (op.flows ? bg * op.duration_ms / op.flows : 0);
		int pick = -1;
		for (int i = 0; i < nact; i++) {
			if (acts[i].emitted >= acts[i].n)
				continue;
			uint64_t t = acts[i].at_ms + acts[i].emitted * acts[i].len_ms / acts[i].n;
			if ((bg >= op.flows || t <= t_bg) &&
				(pick < 0 || t < acts[pick].at_ms + acts[pick].emitted *
							     acts[pick].len_ms / acts[pick].n))
				pick = i;
		}
		if (pick >= 0)
			activity_flow(&acts[pick], &r, op.sampling);
		else {
			background_flow(&op, &r, t_bg);
			bg++;
		}
		unsigned e = op.exporters > 1 ? rnd_below(op.exporters) : 0;
		uint64_t now = r.last_ms + 1000;
		out.exporter[0] = 192;
		out.exporter[1] = 0;
		out.exporter[2] = 2;
		out.exporter[3] = (uint8_t)(10 + e);
		out.exporter_i = e;
		while (!fh_gen_enc_add(&enc[e], &r, now)) {
			size_t len = fh_gen_enc_finish(&enc[e], now);
			if (emit_dgram(&out, &op, enc[e].buf, len, now) < 0) {
				fprintf(stderr, "fh-gen: write: %s\n", strerror(errno));
				return 1;
			}
		}
		out.records++;
	}
	for (unsigned e = 0; e < op.exporters; e++) {
		uint64_t now = op.start_ms + op.duration_ms + 2000;
		out.exporter[3] = (uint8_t)(10 + e);
		out.exporter_i = e;
		size_t len = fh_gen_enc_finish(&enc[e], now);
		emit_dgram(&out, &op, enc[e].buf, len, now);
	}
	if (out.pcap && fh_gen_pcap_close(out.pcap) < 0)
		return 1;
	if (!out.pcap && out.nb && flush_batch(&out) < 0)
		return 1;
	if (op.labels) {
		FILE *lf = fopen(op.labels, "w");
		for (int i = 0; lf && i < nact; i++) {
			char s[FH_IP_STRLEN], d[FH_IP_STRLEN];
			fprintf(lf, "{\"type\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\",\"start_ms\":%llu}\n",
				acts[i].type, fh_ip_fmt(&acts[i].src, s, sizeof(s)),
				fh_ip_fmt(&acts[i].dst, d, sizeof(d)),
				(unsigned long long)acts[i].at_ms);
		}
		if (lf)
			fclose(lf);
	}
	if (!out.pcap) {
		double el = now_s() - out.t_start;
		fprintf(stderr, "fh-gen: %llu records in %llu datagrams in %.2f s (%.0f datagrams/s)\n",
			(unsigned long long)out.records, (unsigned long long)out.sent, el,
			el > 0 ? out.sent / el : 0);
	} else {
		fprintf(stderr, "fh-gen: %llu records in %llu datagrams\n",
			(unsigned long long)out.records, (unsigned long long)out.sent);
	}
	return 0;
}
