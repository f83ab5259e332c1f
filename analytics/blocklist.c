/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Blocklists and their longest-prefix match (see blocklist.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analytics/blocklist.h"

struct entry {
	struct fh_ip net;
	uint16_t plen;
	uint16_t list;
	char note[24];
};

struct level { /* the prefixes of one length: open addressing over entry indices */
	uint32_t *slot; /* index + 1; 0 = empty */
	uint32_t cap, n;
};

struct fh_blocklist_set {
	struct entry *e;
	uint32_t n, cap;
	char names[64][32];
	unsigned n_names;
	struct level lv[129];
	/* the lengths to probe, by the address's first byte (IPv4: its first octet): bit L of
	 * by4[b] for an IPv4 prefix of length L whose first octet can be b; bit L of by6[b]
	 * (three words) for an IPv6 prefix of length L. IPv6 prefixes that cover
	 * ::ffff:0:0/96 (hence every IPv4 address) are probed for IPv4 addresses too:
	 * cover4, longest first. */
	uint64_t by4[256];
	uint64_t by6[256][3];
	uint8_t cover4[97];
	unsigned n_cover4;
};

static uint32_t hash_ip(const struct fh_ip *ip, unsigned plen)
{
	uint64_t a, b;
	memcpy(&a, ip->a, 8);
	memcpy(&b, ip->a + 8, 8);
	uint64_t h = (a * 0x9e3779b97f4a7c15ull) ^ (b + plen) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 31;
	return (uint32_t)(h * 0x94d049bb133111ebull >> 32);
}

static void mask(struct fh_ip *ip, unsigned plen)
{
	if (plen >= 128)
		return;
	unsigned byte = plen / 8;
	ip->a[byte] &= (uint8_t)(0xff00u >> (plen % 8));
	memset(ip->a + byte + 1, 0, 15 - byte);
}

/* the first-byte values a prefix of len bits starting with byte b can have */
static void byte_range(uint8_t b, unsigned len, unsigned *lo, unsigned *hi)
{
	unsigned span = len >= 8 ? 1 : 1u << (8 - len);
	*lo = b & ~(span - 1);
	*hi = *lo + span - 1;
}

/* add plen to a descending list of lengths, once */
static void add_len(uint8_t *v, unsigned *n, unsigned plen)
{
	unsigned i = 0;
	while (i < *n && v[i] > plen)
		i++;
	if (i < *n && v[i] == plen)
		return;
	memmove(v + i + 1, v + i, *n - i);
	v[i] = (uint8_t)plen;
	(*n)++;
}

struct fh_blocklist_set *fh_blocklist_set_new(void)
{
	return calloc(1, sizeof(struct fh_blocklist_set));
}

void fh_blocklist_set_free(struct fh_blocklist_set *s)
{
	if (!s)
		return;
	for (int i = 0; i <= 128; i++)
		free(s->lv[i].slot);
	free(s->e);
	free(s);
}

static int level_insert(struct fh_blocklist_set *s, struct level *l, uint32_t idx)
{
	if ((l->n + 1) * 2 > l->cap) {
		uint32_t ncap = l->cap ? l->cap * 2 : 16;
		uint32_t *ns = calloc(ncap, sizeof(*ns));
		if (!ns)
			return -ENOMEM;
		for (uint32_t i = 0; i < l->cap; i++) {
			if (!l->slot[i])
				continue;
			const struct entry *e = &s->e[l->slot[i] - 1];
			uint32_t k = hash_ip(&e->net, e->plen) & (ncap - 1);
			while (ns[k])
				k = (k + 1) & (ncap - 1);
			ns[k] = l->slot[i];
		}
		free(l->slot);
		l->slot = ns;
		l->cap = ncap;
	}
	const struct entry *e = &s->e[idx];
	uint32_t k = hash_ip(&e->net, e->plen) & (l->cap - 1);
	while (l->slot[k]) {
		const struct entry *o = &s->e[l->slot[k] - 1];
		if (fh_ip_eq(&o->net, &e->net))
			return 0; /* duplicate prefix: the first list keeps it */
		k = (k + 1) & (l->cap - 1);
	}
	l->slot[k] = idx + 1;
	l->n++;
	return 0;
}

int fh_blocklist_add(struct fh_blocklist_set *s, const char *name, const struct fh_ip *net,
	unsigned plen128, const char *note)
{
	unsigned li;
	for (li = 0; li < s->n_names; li++)
		if (!strcmp(s->names[li], name))
			break;
	if (li == s->n_names) {
		if (s->n_names == 64)
			return -ENOSPC;
		snprintf(s->names[s->n_names++], sizeof(s->names[0]), "%s", name);
	}
	if (s->n == s->cap) {
		uint32_t ncap = s->cap ? s->cap * 2 : 256;
		struct entry *ne = realloc(s->e, ncap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		s->e = ne;
		s->cap = ncap;
	}
	struct entry *e = &s->e[s->n];
	e->net = *net;
	mask(&e->net, plen128);
	e->plen = (uint16_t)plen128;
	e->list = (uint16_t)li;
	snprintf(e->note, sizeof(e->note), "%s", note ? note : "");
	if (level_insert(s, &s->lv[plen128], s->n) < 0)
		return -ENOMEM;
	/* which addresses can fall in it: v4-mapped ones when the prefix is an IPv4 one or
	 * covers ::ffff:0:0/96 */
	static const uint8_t v4pfx[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct fh_ip v4net;
	memcpy(v4net.a, v4pfx, 16);
	int v4 = fh_ip_in_prefix(&e->net, &v4net, 96) && plen128 >= 96;
	int covers_v4 = plen128 <= 96 && fh_ip_in_prefix(&v4net, &e->net, plen128);
	unsigned lo, hi;
	if (v4) {
		byte_range(e->net.a[12], plen128 - 96, &lo, &hi);
		for (unsigned b = lo; b <= hi; b++)
			s->by4[b] |= 1ull << (plen128 - 96);
	} else {
		byte_range(e->net.a[0], plen128, &lo, &hi);
		for (unsigned b = lo; b <= hi; b++)
			s->by6[b][plen128 / 64] |= 1ull << (plen128 % 64);
		if (covers_v4)
			add_len(s->cover4, &s->n_cover4, plen128);
	}
	s->n++;
	return 0;
}

/* probe one length; 1 with m filled on a match */
static int probe(const struct fh_blocklist_set *s, const struct fh_ip *ip, unsigned plen,
	struct fh_blocklist_match *m)
{
	const struct level *l = &s->lv[plen];
	if (!l->n)
		return 0;
	struct fh_ip k = *ip;
	mask(&k, plen);
	for (uint32_t i = hash_ip(&k, plen) & (l->cap - 1); l->slot[i]; i = (i + 1) & (l->cap - 1)) {
		const struct entry *e = &s->e[l->slot[i] - 1];
		if (fh_ip_eq(&e->net, &k)) {
			m->list = s->names[e->list];
			m->net = e->net;
			m->plen128 = e->plen;
			m->note = e->note;
			return 1;
		}
	}
	return 0;
}

int fh_blocklist_lookup(const struct fh_blocklist_set *s, const struct fh_ip *ip,
	struct fh_blocklist_match *m)
{
	if (!s)
		return 0;
	if (fh_ip_is_v4(ip)) {
		for (uint64_t b = s->by4[ip->a[12]]; b; b &= ~(1ull << (63 - __builtin_clzll(b))))
			if (probe(s, ip, 96 + (unsigned)(63 - __builtin_clzll(b)), m))
				return 1;
		for (unsigned i = 0; i < s->n_cover4; i++)
			if (probe(s, ip, s->cover4[i], m))
				return 1;
		return 0;
	}
	const uint64_t *w = s->by6[ip->a[0]];
	for (int word = 2; word >= 0; word--)
		for (uint64_t b = w[word]; b; b &= ~(1ull << (63 - __builtin_clzll(b))))
			if (probe(s, ip, (unsigned)word * 64 + (unsigned)(63 - __builtin_clzll(b)), m))
				return 1;
	return 0;
}

/* ---- parsing -------------------------------------------------------------------------- */

static int add_token(struct fh_blocklist_set *s, const char *name, const char *tok,
	const char *note)
{
	struct fh_ip net;
	unsigned plen;
	bool v4;
	if (fh_cidr_parse(tok, &net, &plen, &v4) < 0)
		return -EINVAL;
	return fh_blocklist_add(s, name, &net, v4 ? plen + 96 : plen, note);
}

int fh_blocklist_load(struct fh_blocklist_set *s, const char *name, const char *path,
	unsigned *bad, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char line[65536];
	unsigned lineno = 0;
	int loaded = 0;
	*bad = 0;
	err[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *p = line;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p || *p == '#' || *p == ';')
			continue;
		int ok = 0, any = 0;
		char *lb = strchr(p, '[');
		if (lb && (!strncmp(p, "alert", 5) || !strncmp(p, "drop", 4) ||
				  !strncmp(p, "reject", 6) || !strncmp(p, "pass", 4))) {
			/* Emerging Threats: every bracketed address list in the rule header */
			char *hdr_end = strchr(p, '(');
			for (char *q = lb; q && (!hdr_end || q < hdr_end); q = strchr(q + 1, '[')) {
				char *rb = strchr(q, ']');
				if (!rb)
					break;
				*rb = 0;
				for (char *save = NULL, *t = strtok_r(q + 1, ",", &save); t;
					t = strtok_r(NULL, ",", &save)) {
					while (isspace((unsigned char)*t))
						t++;
					if (*t == '!' || *t == '$')
						continue; /* negations and variables are not addresses */
					any = 1;
					if (add_token(s, name, t, "") == 0) {
						ok = 1;
						loaded++;
					}
				}
				q = rb;
			}
		} else {
			/* Spamhaus "CIDR ; SBL123" or a plain address/CIDR */
			char note[64] = "";
			char *semi = strchr(p, ';');
			if (semi) {
				*semi = 0;
				char *n = semi + 1;
				while (isspace((unsigned char)*n))
					n++;
				snprintf(note, sizeof(note), "%s", n);
				note[strcspn(note, " \t\r\n")] = 0;
			}
			char *tok = p;
			tok[strcspn(tok, " \t\r\n#")] = 0;
			any = 1;
			if (add_token(s, name, tok, note) == 0) {
				ok = 1;
				loaded++;
			}
		}
		if (any && !ok) {
			if (!*bad)
				snprintf(err, errlen, "%s:%u: not an address or prefix list", path,
					lineno);
			(*bad)++;
		}
	}
	fclose(f);
	if (loaded == 0) {
		if (!err[0])
			snprintf(err, errlen, "%s: no address or prefix in the file", path);
		return -1;
	}
	return loaded;
}
