/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Blocklists and their longest-prefix match (see blocklist.h).
 */
#include <ctype.h>
#include <endian.h>
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

/*
 * A multibit trie with the prefixes pushed to its leaves: a node is an array of 2^stride
 * slots indexed by the next stride bits of the address; a slot holds a child node
 * (TRIE_CHILD | its offset in slot[]) or the longest prefix that covers all of the slot's
 * addresses (entry index + 1; 0: none). A lookup reads one slot a level and stops at the
 * first that is not a child: that slot's prefix is the longest match. The first level takes
 * 16 bits (a table of 256 KB), so that an address in no listed network, nearly every one,
 * costs one read.
 */
#define TRIE_CHILD 0x80000000u
struct trie {
	uint32_t *slot;
	size_t n, cap; /* slots in use and allocated; the root is at 0 */
	const uint8_t *stride; /* bits a level, summing to the family's width */
	uint32_t def; /* the longest prefix covering every address of the family (index + 1) */
};
/* Below the first 16 bits, 4 bits a level (a node of 64 bytes, one cache line), so that a
 * long prefix takes little memory: an IPv4 /24 128 bytes, an IPv6 /48 512. */
static const uint8_t stride4[] = {16, 4, 4, 4, 4};
static const uint8_t stride6[] = {16, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4};
_Static_assert(sizeof(stride4) == 1 + 4 && sizeof(stride6) == 1 + 28, "16 bits, then 4 a level");

struct x4 { /* an IPv4 /32: its address, and its entry index + 1 (0: empty slot) */
	uint32_t addr, v;
};

struct fh_blocklist_set {
	struct entry *e;
	uint32_t n, cap;
	char names[64][32];
	uint32_t list_n[64]; /* each list's prefixes (a duplicate counts for the first) */
	unsigned n_names;
	struct level lv[129]; /* by length: each prefix once (duplicates) and the IPv6 /128s */
	struct trie t4, t6; /* the IPv4 prefixes shorter than /32, the IPv6 ones than /128 */
	struct x4 *x4; /* the IPv4 /32s, open addressing (most lists are single addresses) */
	uint32_t x4cap, x4n;
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

static inline uint32_t hash_v4(uint32_t addr, uint32_t cap)
{
	return (uint32_t)((addr * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static void mask(struct fh_ip *ip, unsigned plen)
{
	if (plen >= 128)
		return;
	unsigned byte = plen / 8;
	ip->a[byte] &= (uint8_t)(0xff00u >> (plen % 8));
	memset(ip->a + byte + 1, 0, 15 - byte);
}

/* An IPv4 address (v4-mapped) as a number. */
static inline uint32_t v4_of(const struct fh_ip *ip)
{
	uint32_t a;
	memcpy(&a, ip->a + 12, 4);
	return be32toh(a);
}

/* An address as one big-endian number: IPv4 in the top 32 bits. */
typedef unsigned __int128 u128;
static inline u128 key_of(const struct fh_ip *ip, int v4)
{
	if (v4)
		return (u128)v4_of(ip) << 96;
	uint64_t w[2];
	memcpy(w, ip->a, 16);
	return (u128)be64toh(w[0]) << 64 | be64toh(w[1]);
}

static inline uint32_t bits(u128 k, unsigned off, unsigned n)
{
	return (uint32_t)(k >> (128 - off - n)) & ((1u << n) - 1);
}

struct fh_blocklist_set *fh_blocklist_set_new(void)
{
	struct fh_blocklist_set *s = calloc(1, sizeof(struct fh_blocklist_set));
	if (s) {
		s->t4.stride = stride4;
		s->t6.stride = stride6;
	}
	return s;
}

void fh_blocklist_set_free(struct fh_blocklist_set *s)
{
	if (!s)
		return;
	for (int i = 0; i <= 128; i++)
		free(s->lv[i].slot);
	free(s->t4.slot);
	free(s->t6.slot);
	free(s->x4);
	free(s->e);
	free(s);
}

/* The entry (index + 1) of the level's prefix net, or 0. */
static uint32_t level_find(const struct fh_blocklist_set *s, const struct level *l,
	const struct fh_ip *net, unsigned plen)
{
	if (!l->n)
		return 0;
	for (uint32_t i = hash_ip(net, plen) & (l->cap - 1); l->slot[i]; i = (i + 1) & (l->cap - 1))
		if (fh_ip_eq(&s->e[l->slot[i] - 1].net, net))
			return l->slot[i];
	return 0;
}

/* 1 when the prefix is there already (the first list keeps it), 0 when added, or -ENOMEM */
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
	if (level_find(s, l, &e->net, e->plen))
		return 1;
	uint32_t k = hash_ip(&e->net, e->plen) & (l->cap - 1);
	while (l->slot[k])
		k = (k + 1) & (l->cap - 1);
	l->slot[k] = idx + 1;
	l->n++;
	return 0;
}

/* The entry (index + 1) of the IPv4 /32 addr, or 0. */
static uint32_t x4_find(const struct fh_blocklist_set *s, uint32_t addr)
{
	if (!s->x4n)
		return 0;
	for (uint32_t k = hash_v4(addr, s->x4cap); s->x4[k].v; k = (k + 1) & (s->x4cap - 1))
		if (s->x4[k].addr == addr)
			return s->x4[k].v;
	return 0;
}

static int x4_insert(struct fh_blocklist_set *s, uint32_t addr, uint32_t v)
{
	if ((s->x4n + 1) * 2 > s->x4cap) {
		uint32_t ncap = s->x4cap ? s->x4cap * 2 : 64;
		struct x4 *nx = calloc(ncap, sizeof(*nx));
		if (!nx)
			return -ENOMEM;
		for (uint32_t i = 0; i < s->x4cap; i++) {
			if (!s->x4[i].v)
				continue;
			uint32_t k = hash_v4(s->x4[i].addr, ncap);
			while (nx[k].v)
				k = (k + 1) & (ncap - 1);
			nx[k] = s->x4[i];
		}
		free(s->x4);
		s->x4 = nx;
		s->x4cap = ncap;
	}
	uint32_t k = hash_v4(addr, s->x4cap);
	while (s->x4[k].v)
		k = (k + 1) & (s->x4cap - 1);
	s->x4[k] = (struct x4){addr, v};
	s->x4n++;
	return 0;
}

/* A new node of level lev, every slot holding v; its offset, or -1 without memory. */
static long trie_node(struct trie *t, unsigned lev, uint32_t v)
{
	size_t sz = (size_t)1 << t->stride[lev];
	if (t->n + sz > t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : sz;
		while (ncap < t->n + sz)
			ncap *= 2;
		if (ncap >= TRIE_CHILD)
			return -1;
		uint32_t *ns = realloc(t->slot, ncap * sizeof(*ns));
		if (!ns)
			return -1;
		t->slot = ns;
		t->cap = ncap;
	}
	size_t o = t->n;
	for (size_t i = 0; i < sz; i++)
		t->slot[o + i] = v;
	t->n += sz;
	return (long)o;
}

/* Slot i of the node at o (level lev) gets entry v of length plen wherever the prefix
 * there is shorter, in its whole subtree when it is a child. */
static void trie_fill(struct trie *t, const struct entry *e, size_t o, unsigned lev, uint32_t i,
	uint32_t v, unsigned plen)
{
	uint32_t x = t->slot[o + i];
	if (x & TRIE_CHILD) {
		uint32_t sz = 1u << t->stride[lev + 1];
		for (uint32_t j = 0; j < sz; j++)
			trie_fill(t, e, x & ~TRIE_CHILD, lev + 1, j, v, plen);
	} else if (!x || e[x - 1].plen < plen) {
		t->slot[o + i] = v;
	}
}

/* Entry v (index + 1), a prefix of len bits of the family (1 .. width - 1) whose address is
 * k; plen is its length in 128-bit terms, which orders it against the others. */
static int trie_insert(struct trie *t, const struct entry *e, u128 k, unsigned len, uint32_t v,
	unsigned plen)
{
	if (!t->slot && trie_node(t, 0, 0) < 0)
		return -ENOMEM;
	size_t o = 0;
	unsigned off = 0, lev = 0;
	while (len > off + t->stride[lev]) {
		uint32_t i = bits(k, off, t->stride[lev]);
		uint32_t x = t->slot[o + i];
		if (!(x & TRIE_CHILD)) {
			long c = trie_node(t, lev + 1, x); /* the prefix here covers all of it */
			if (c < 0)
				return -ENOMEM;
			t->slot[o + i] = TRIE_CHILD | (uint32_t)c;
			x = t->slot[o + i];
		}
		o = x & ~TRIE_CHILD;
		off += t->stride[lev++];
	}
	unsigned span = 1u << (off + t->stride[lev] - len);
	uint32_t lo = bits(k, off, t->stride[lev]) & ~(span - 1);
	for (uint32_t i = lo; i < lo + span; i++)
		trie_fill(t, e, o, lev, i, v, plen);
	return 0;
}

static inline uint32_t trie_find(const struct trie *t, u128 k)
{
	if (!t->slot)
		return t->def;
	size_t o = 0;
	unsigned off = 0;
	for (unsigned lev = 0;; lev++) {
		uint32_t x = t->slot[o + bits(k, off, t->stride[lev])];
		if (!(x & TRIE_CHILD))
			return x ? x : t->def;
		o = x & ~TRIE_CHILD;
		off += t->stride[lev];
	}
}

static void set_def(const struct entry *e, uint32_t *def, uint32_t v)
{
	if (!*def || e[*def - 1].plen < e[v - 1].plen)
		*def = v;
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
	int r = level_insert(s, &s->lv[plen128], s->n);
	if (r)
		return r < 0 ? r : 0; /* a duplicate: nothing more to do */
	uint32_t v = ++s->n; /* its index + 1 */
	s->list_n[li]++;
	/* an IPv4 prefix (in ::ffff:0:0/96) goes to the IPv4 trie, any other to the IPv6 one,
	 * and one that covers ::ffff:0:0/96, hence every IPv4 address, is the IPv4 default
	 * unless a longer one is */
	static const uint8_t v4pfx[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	struct fh_ip v4net;
	memcpy(v4net.a, v4pfx, 16);
	if (plen128 >= 96 && fh_ip_in_prefix(&e->net, &v4net, 96)) {
		unsigned len = plen128 - 96;
		if (len == 32)
			return x4_insert(s, v4_of(&e->net), v);
		if (len == 0) {
			set_def(s->e, &s->t4.def, v);
			return 0;
		}
		return trie_insert(&s->t4, s->e, key_of(&e->net, 1), len, v, plen128);
	}
	if (plen128 <= 96 && fh_ip_in_prefix(&v4net, &e->net, plen128))
		set_def(s->e, &s->t4.def, v);
	if (plen128 == 128)
		return 0; /* found in its level, lv[128] */
	if (plen128 == 0) {
		set_def(s->e, &s->t6.def, v);
		return 0;
	}
	return trie_insert(&s->t6, s->e, key_of(&e->net, 0), plen128, v, plen128);
}

int fh_blocklist_lookup(const struct fh_blocklist_set *s, const struct fh_ip *ip,
	struct fh_blocklist_match *m)
{
	if (!s || !s->n)
		return 0;
	/* a single address first (the longest match there is), then the family's trie */
	uint32_t v;
	if (fh_ip_is_v4(ip)) {
		uint32_t addr = v4_of(ip);
		if (!(v = x4_find(s, addr)))
			v = trie_find(&s->t4, (u128)addr << 96);
	} else if (!(v = level_find(s, &s->lv[128], ip, 128))) {
		v = trie_find(&s->t6, key_of(ip, 0));
	}
	if (!v)
		return 0;
	const struct entry *e = &s->e[v - 1];
	m->list = s->names[e->list];
	m->net = e->net;
	m->plen128 = e->plen;
	m->note = e->note;
	return 1;
}

unsigned fh_blocklist_lists(const struct fh_blocklist_set *s, const char **names,
	uint32_t *entries, unsigned max)
{
	unsigned n = s->n_names < max ? s->n_names : max;
	for (unsigned i = 0; i < n; i++) {
		names[i] = s->names[i];
		entries[i] = s->list_n[i];
	}
	return n;
}

size_t fh_blocklist_bytes(const struct fh_blocklist_set *s)
{
	size_t b = sizeof(*s) + (size_t)s->cap * sizeof(*s->e) + (size_t)s->x4cap * sizeof(*s->x4) +
		   (s->t4.cap + s->t6.cap) * sizeof(uint32_t);
	for (int i = 0; i <= 128; i++)
		b += (size_t)s->lv[i].cap * sizeof(uint32_t);
	return b;
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
					int r = add_token(s, name, t, "");
					if (r == -ENOMEM)
						goto nomem;
					if (r == 0) {
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
			int r = add_token(s, name, tok, note);
			if (r == -ENOMEM)
				goto nomem;
			if (r == 0) {
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
nomem: /* not the line's fault: the whole list fails */
	fclose(f);
	snprintf(err, errlen, "%s:%u: out of memory", path, lineno);
	return -1;
}
