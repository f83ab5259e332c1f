/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The flow filter language (see filter.h).
 *
 * Sections: tokens; parsing into a small tree (recursive descent: or < and < not < primary,
 * as nfdump); code generation into jumping code (each test jumps to another test, ACCEPT or
 * REJECT, so and/or/not cost nothing at run time); evaluation.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "store/filter.h"

/* ---- program -------------------------------------------------------------------------- */

enum op {
	OP_TRUE,
	OP_AF, /* value: 4 or 6 */
	OP_PROTO,
	OP_ADDR, /* which: 0 src, 1 dst; net/plen */
	OP_ADDR_SET, /* which; set of nets */
	OP_PORT, /* which; cmp value */
	OP_PORT_SET, /* which; sorted ports */
	OP_FLAGS, /* all of value's bits set */
	OP_NUM, /* field; cmp value */
};

enum field {
	F_PACKETS, F_BYTES, F_DURATION, F_PPS, F_BPS, F_BPP, F_IN_IF, F_OUT_IF, F_SRC_AS,
	F_DST_AS, F_TOS,
};

enum cmp { C_EQ, C_GT, C_LT, C_GE, C_LE, C_NE };

#define ACCEPT (-1)
#define REJECT (-2)

struct net {
	struct fh_ip net;
	unsigned plen128;
};

struct insn {
	uint8_t op, which, cmp, field;
	uint64_t value;
	struct net net;
	void *set; /* struct net[] or uint16_t[] */
	uint32_t nset;
	int jt, jf;
};

struct fh_filter {
	struct insn *prog;
	unsigned n;
};

/* ---- tokens --------------------------------------------------------------------------- */

struct tok {
	char s[128];
	unsigned col;
};

struct parser {
	const char *src;
	size_t pos;
	struct tok t; /* current token; s[0] == 0 at the end */
	char *err;
	size_t errlen;
	int failed;
	unsigned depth; /* of '(' and 'not' being parsed: bounded, the parser recurses */
	const char *name;
	/* tree */
	struct node {
		int kind; /* 'T' test, '&', '|', '!' */
		int a, b;
		struct insn test;
	} *nodes;
	unsigned nn, cap;
};

__attribute__((format(printf, 3, 4))) static void fail(struct parser *p, unsigned col,
	const char *fmt, ...)
{
	if (p->failed)
		return;
	p->failed = 1;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* the line and column of col */
	unsigned line = 1, c = 1;
	for (size_t i = 0; i + 1 < col && p->src[i]; i++) {
		if (p->src[i] == '\n') {
			line++;
			c = 1;
		} else {
			c++;
		}
	}
	snprintf(p->err, p->errlen, "%s:%u:%u: %s", p->name, line, c, msg);
}

static void next(struct parser *p)
{
	const char *s = p->src;
	for (;;) {
		while (isspace((unsigned char)s[p->pos]))
			p->pos++;
		if (s[p->pos] == '#')
			while (s[p->pos] && s[p->pos] != '\n')
				p->pos++;
		else
			break;
	}
	p->t.col = (unsigned)p->pos + 1;
	size_t n = 0;
	char c = s[p->pos];
	if (!c) {
		p->t.s[0] = 0;
		return;
	}
	if (strchr("()[],", c)) {
		p->t.s[n++] = c;
		p->pos++;
	} else if (strchr("=<>!&|", c)) {
		p->t.s[n++] = c;
		p->pos++;
		char d = s[p->pos];
		if ((c == '&' && d == '&') || (c == '|' && d == '|') || (strchr("=<>!", c) && d == '='))
			p->t.s[n++] = s[p->pos++];
	} else {
		while (s[p->pos] && !isspace((unsigned char)s[p->pos]) &&
			!strchr("()[],=<>!&|#", s[p->pos]) && n < sizeof(p->t.s) - 1)
			p->t.s[n++] = s[p->pos++];
	}
	p->t.s[n] = 0;
}

static int is(struct parser *p, const char *w)
{
	return !strcasecmp(p->t.s, w);
}

static const char *shown(struct parser *p)
{
	return p->t.s[0] ? p->t.s : "the end of the filter";
}

/* ---- tree ----------------------------------------------------------------------------- */

static int node(struct parser *p, int kind, int a, int b, const struct insn *t)
{
	if (p->nn == p->cap) {
		unsigned nc = p->cap ? p->cap * 2 : 32;
		struct node *nn = realloc(p->nodes, nc * sizeof(*nn));
		if (!nn) {
			fail(p, p->t.col, "out of memory");
			return 0;
		}
		p->nodes = nn;
		p->cap = nc;
	}
	struct node *x = &p->nodes[p->nn];
	memset(x, 0, sizeof(*x));
	x->kind = kind;
	x->a = a;
	x->b = b;
	if (t)
		x->test = *t;
	return (int)p->nn++;
}

static int test(struct parser *p, struct insn t)
{
	return node(p, 'T', -1, -1, &t);
}

/* ---- primitives ----------------------------------------------------------------------- */

static int number(struct parser *p, uint64_t *v, const char *what)
{
	char *end;
	errno = 0;
	double x = strtod(p->t.s, &end);
	/* digits only (strtod would also take "nan", "inf", hex floats) */
	if (!isdigit((unsigned char)p->t.s[0]) || end == p->t.s || errno || x < 0 ||
		!(x == x)) {
		fail(p, p->t.col, "expected %s, got '%s'", what, shown(p));
		return -1;
	}
	double m = 1;
	if (!strcasecmp(end, "k"))
		m = 1e3;
	else if (!strcasecmp(end, "m"))
		m = 1e6;
	else if (!strcasecmp(end, "g"))
		m = 1e9;
	else if (*end) {
		fail(p, p->t.col, "expected %s, got '%s'", what, shown(p));
		return -1;
	}
	if (x * m >= 18446744073709551615.0) {
		fail(p, p->t.col, "'%s' is too large", p->t.s);
		return -1;
	}
	*v = (uint64_t)(x * m);
	next(p);
	return 0;
}

static int comparator(struct parser *p)
{
	static const struct {
		const char *w;
		int c;
	} ops[] = {{"=", C_EQ}, {"==", C_EQ}, {"eq", C_EQ}, {">", C_GT}, {"gt", C_GT},
		{"<", C_LT}, {"lt", C_LT}, {">=", C_GE}, {"ge", C_GE}, {"<=", C_LE}, {"le", C_LE},
		{"!=", C_NE}, {"ne", C_NE}};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (is(p, ops[i].w)) {
			next(p);
			return ops[i].c;
		}
	return C_EQ;
}

static int parse_net(struct parser *p, struct net *n, int allow_mask)
{
	unsigned plen;
	bool v4;
	unsigned col = p->t.col;
	if (fh_cidr_parse(p->t.s, &n->net, &plen, &v4) < 0) {
		fail(p, col, "expected an address or prefix, got '%s'", shown(p));
		return -1;
	}
	n->plen128 = v4 ? plen + 96 : plen;
	int had_slash = strchr(p->t.s, '/') != NULL;
	next(p);
	/* nfdump's `net 10.0.0.0 255.255.0.0` */
	if (allow_mask && v4 && !had_slash && strchr(p->t.s, '.')) {
		struct fh_ip m;
		if (fh_ip_parse(p->t.s, &m) < 0 || !fh_ip_is_v4(&m)) {
			fail(p, p->t.col, "expected a netmask, got '%s'", shown(p));
			return -1;
		}
		uint32_t mask = fh_ip_v4(&m), bits = 0;
		while (bits < 32 && (mask & (0x80000000u >> bits)))
			bits++;
		if (bits < 32 && (mask << bits)) {
			fail(p, p->t.col, "'%s' is not a contiguous netmask", p->t.s);
			return -1;
		}
		n->plen128 = 96 + bits;
		for (unsigned i = n->plen128; i < 128; i++)
			n->net.a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		next(p);
	}
	return 0;
}

static int parse_list(struct parser *p, int ports, struct insn *t)
{
	unsigned col = p->t.col;
	if (!is(p, "[")) {
		fail(p, col, "expected '[' after 'in', got '%s'", shown(p));
		return -1;
	}
	next(p);
	size_t cap = 16, n = 0, esz = ports ? sizeof(uint16_t) : sizeof(struct net);
	uint8_t *set = malloc(cap * esz);
	while (!p->failed && !is(p, "]")) {
		if (!p->t.s[0]) {
			fail(p, p->t.col, "expected ']' to close the list opened at column %u", col);
			break;
		}
		if (is(p, ",")) {
			next(p);
			continue;
		}
		if (n == cap) {
			cap *= 2;
			set = realloc(set, cap * esz);
		}
		if (ports) {
			uint64_t v;
			if (number(p, &v, "a port number") < 0)
				break;
			if (v > 65535) {
				fail(p, p->t.col, "port %" PRIu64 " is out of range", v);
				break;
			}
			((uint16_t *)set)[n++] = (uint16_t)v;
		} else {
			if (parse_net(p, &((struct net *)set)[n], 0) < 0)
				break;
			n++;
		}
	}
	if (p->failed) {
		free(set);
		return -1;
	}
	next(p);
	if (ports) {
		/* sorted for a binary search */
		uint16_t *ps = (uint16_t *)set;
		for (size_t i = 1; i < n; i++)
			for (size_t k = i; k > 0 && ps[k - 1] > ps[k]; k--) {
				uint16_t x = ps[k];
				ps[k] = ps[k - 1];
				ps[k - 1] = x;
			}
	}
	t->set = set;
	t->nset = (uint32_t)n;
	return 0;
}

static int either(struct parser *p, int dir, struct insn t)
{
	/* dir: 0 src, 1 dst, 2 src or dst, 3 src and dst */
	if (dir < 2) {
		t.which = (uint8_t)dir;
		return test(p, t);
	}
	struct insn u = t;
	t.which = 0;
	u.which = 1;
	if (t.set) { /* the second test gets its own copy of the set */
		size_t sz = t.op == OP_PORT_SET ? sizeof(uint16_t) : sizeof(struct net);
		u.set = malloc(t.nset * sz + 1);
		memcpy(u.set, t.set, t.nset * sz);
	}
	int a = test(p, t), b = test(p, u);
	return node(p, dir == 2 ? '|' : '&', a, b, NULL);
}

/* A numeric test on the source-side or destination-side field (in/out interface, src/dst AS)
 * as dir says (0, 1; 2 either, 3 both). */
static int either_field(struct parser *p, int dir, struct insn t, int field0, int field1)
{
	if (dir < 2) {
		t.field = (uint8_t)(dir ? field1 : field0);
		return test(p, t);
	}
	struct insn u = t;
	t.field = (uint8_t)field0;
	u.field = (uint8_t)field1;
	int a = test(p, t), b = test(p, u);
	return node(p, dir == 2 ? '|' : '&', a, b, NULL);
}

static int expr(struct parser *p);

static int primary(struct parser *p)
{
	struct insn t;
	memset(&t, 0, sizeof(t));
	unsigned col = p->t.col;
	if (is(p, "(")) {
		next(p);
		int e = expr(p);
		if (!is(p, ")"))
			fail(p, p->t.col, "expected ')' to close the '(' at column %u, got '%s'", col,
				shown(p));
		next(p);
		return e;
	}
	if (is(p, "any")) {
		next(p);
		t.op = OP_TRUE;
		return test(p, t);
	}
	if (is(p, "inet") || is(p, "ipv4") || is(p, "inet6") || is(p, "ipv6")) {
		t.op = OP_AF;
		t.value = strchr(p->t.s, '6') ? 6 : 4;
		next(p);
		return test(p, t);
	}
	static const struct {
		const char *n;
		uint8_t v;
	} protos[] = {{"tcp", 6}, {"udp", 17}, {"icmp", 1}, {"icmp6", 58}, {"gre", 47},
		{"esp", 50}, {"ah", 51}, {"sctp", 132}, {"ipv6-icmp", 58}};
	int saw_proto = is(p, "proto");
	if (saw_proto)
		next(p);
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (is(p, protos[i].n)) {
			next(p);
			t.op = OP_PROTO;
			t.value = protos[i].v;
			return test(p, t);
		}
	if (saw_proto) {
		uint64_t v;
		if (number(p, &v, "a protocol name or number") < 0 || v > 255) {
			fail(p, col, "protocol out of range");
			return 0;
		}
		t.op = OP_PROTO;
		t.value = v;
		return test(p, t);
	}
	if (is(p, "flags")) {
		next(p);
		static const char letters[] = "FSRPAUEC";
		unsigned fc = p->t.col;
		if (!p->t.s[0]) {
			fail(p, fc, "expected TCP flag letters after 'flags'");
			return 0;
		}
		for (const char *c = p->t.s; *c; c++) {
			const char *l = strchr(letters, toupper((unsigned char)*c));
			if (toupper((unsigned char)*c) == 'X')
				t.value |= 0x3f;
			else if (!l) {
				fail(p, fc, "'%c' is not a TCP flag (F S R P A U E C, X for all)", *c);
				return 0;
			} else
				t.value |= 1u << (l - letters);
		}
		next(p);
		t.op = OP_FLAGS;
		return test(p, t);
	}
	static const struct {
		const char *n;
		int f;
	} nums[] = {{"packets", F_PACKETS}, {"bytes", F_BYTES}, {"duration", F_DURATION},
		{"pps", F_PPS}, {"bps", F_BPS}, {"bpp", F_BPP}, {"tos", F_TOS}};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (is(p, nums[i].n)) {
			next(p);
			t.op = OP_NUM;
			t.field = (uint8_t)nums[i].f;
			t.cmp = (uint8_t)comparator(p);
			if (number(p, &t.value, "a number") < 0)
				return 0;
			return test(p, t);
		}
	/* interfaces: in if N, out if N, if N */
	if (is(p, "in") || is(p, "out") || is(p, "if")) {
		int which = is(p, "in") ? 0 : is(p, "out") ? 1 : 2;
		if (which < 2) {
			next(p);
			if (!is(p, "if")) {
				fail(p, p->t.col, "expected 'if' after '%s', got '%s'",
					which ? "out" : "in", shown(p));
				return 0;
			}
		}
		next(p);
		t.op = OP_NUM;
		t.cmp = (uint8_t)comparator(p);
		if (number(p, &t.value, "an interface number") < 0)
			return 0;
		return either_field(p, which, t, F_IN_IF, F_OUT_IF);
	}
	/* direction qualifiers */
	int dir = 2;
	if (is(p, "src") || is(p, "dst")) {
		dir = is(p, "src") ? 0 : 1;
		next(p);
		if ((is(p, "or") || is(p, "and")) && dir == 0) {
			int both = is(p, "and");
			next(p);
			if (!is(p, "dst")) {
				fail(p, p->t.col, "expected 'dst' after 'src %s', got '%s'",
					both ? "and" : "or", shown(p));
				return 0;
			}
			next(p);
			dir = both ? 3 : 2;
		}
	}
	if (is(p, "ip") || is(p, "host") || is(p, "net")) {
		int isnet = is(p, "net");
		next(p);
		if (!isnet && is(p, "in")) {
			next(p);
			t.op = OP_ADDR_SET;
			if (parse_list(p, 0, &t) < 0)
				return 0;
			return either(p, dir, t);
		}
		t.op = OP_ADDR;
		if (parse_net(p, &t.net, isnet) < 0)
			return 0;
		return either(p, dir, t);
	}
	if (is(p, "port")) {
		next(p);
		if (is(p, "in")) {
			next(p);
			t.op = OP_PORT_SET;
			if (parse_list(p, 1, &t) < 0)
				return 0;
			return either(p, dir, t);
		}
		t.op = OP_PORT;
		t.cmp = (uint8_t)comparator(p);
		unsigned pc = p->t.col;
		if (number(p, &t.value, "a port number after 'port'") < 0)
			return 0;
		if (t.value > 65535) {
			fail(p, pc, "port %" PRIu64 " is out of range", t.value);
			return 0;
		}
		return either(p, dir, t);
	}
	if (is(p, "as")) {
		next(p);
		t.op = OP_NUM;
		t.cmp = (uint8_t)comparator(p);
		if (number(p, &t.value, "an AS number") < 0)
			return 0;
		return either_field(p, dir, t, F_SRC_AS, F_DST_AS);
	}
	if (dir != 2 || col != p->t.col)
		fail(p, p->t.col, "expected ip, net, port or as after the direction, got '%s'",
			shown(p));
	else
		fail(p, col, "unexpected '%s'", shown(p));
	return 0;
}

#define MAX_NESTING 128

static int unary(struct parser *p)
{
	if (p->depth == MAX_NESTING) {
		fail(p, p->t.col, "'(' and 'not' nested deeper than %d", MAX_NESTING);
		return 0;
	}
	p->depth++;
	int r;
	if (is(p, "not") || is(p, "!")) {
		next(p);
		int a = unary(p);
		r = node(p, '!', a, -1, NULL);
	} else {
		r = primary(p);
	}
	p->depth--;
	return r;
}

static int and_expr(struct parser *p)
{
	int a = unary(p);
	while (!p->failed && (is(p, "and") || is(p, "&&"))) {
		next(p);
		int b = unary(p);
		a = node(p, '&', a, b, NULL);
	}
	return a;
}

static int expr(struct parser *p)
{
	int a = and_expr(p);
	while (!p->failed && (is(p, "or") || is(p, "||"))) {
		next(p);
		int b = and_expr(p);
		a = node(p, '|', a, b, NULL);
	}
	return a;
}

/* ---- code generation ------------------------------------------------------------------ */

struct gen {
	struct insn *prog;
	unsigned n, cap;
	int *label_at; /* label -> instruction index */
	unsigned nlabels;
};

static void emit_tree(struct parser *p, struct gen *g, int n, int jt, int jf)
{
	struct node *x = &p->nodes[n];
	switch (x->kind) {
	case 'T': {
		if (g->n == g->cap) {
			g->cap = g->cap ? g->cap * 2 : 16;
			g->prog = realloc(g->prog, g->cap * sizeof(*g->prog));
		}
		struct insn *i = &g->prog[g->n++];
		*i = x->test;
		i->jt = jt;
		i->jf = jf;
		break;
	}
	case '!':
		emit_tree(p, g, x->a, jf, jt);
		break;
	case '&':
	case '|': {
		int label = (int)g->nlabels++;
		g->label_at = realloc(g->label_at, g->nlabels * sizeof(int));
		/* labels are encoded as -3 - label until resolved */
		if (x->kind == '&')
			emit_tree(p, g, x->a, -3 - label, jf);
		else
			emit_tree(p, g, x->a, jt, -3 - label);
		g->label_at[label] = (int)g->n;
		emit_tree(p, g, x->b, jt, jf);
		break;
	}
	}
}

static void free_nodes(struct parser *p, int keep_sets)
{
	if (!keep_sets)
		for (unsigned i = 0; i < p->nn; i++)
			if (p->nodes[i].kind == 'T')
				free(p->nodes[i].test.set);
	free(p->nodes);
}

static struct fh_filter *compile_named(const char *name, const char *text, char *err,
	size_t errlen)
{
	struct parser p = {.src = text, .err = err, .errlen = errlen, .name = name};
	struct insn any = {.op = OP_TRUE};
	next(&p);
	int root = p.t.s[0] ? expr(&p) : test(&p, any);
	if (!p.failed && p.t.s[0])
		fail(&p, p.t.col, "expected 'and', 'or' or the end of the filter, got '%s'",
			p.t.s);
	if (p.failed) {
		free_nodes(&p, 0);
		return NULL;
	}
	struct gen g = {0};
	emit_tree(&p, &g, root, ACCEPT, REJECT);
	for (unsigned i = 0; i < g.n; i++) {
		if (g.prog[i].jt <= -3)
			g.prog[i].jt = g.label_at[-3 - g.prog[i].jt];
		if (g.prog[i].jf <= -3)
			g.prog[i].jf = g.label_at[-3 - g.prog[i].jf];
	}
	free(g.label_at);
	free_nodes(&p, 1); /* the sets now belong to the program */
	struct fh_filter *f = calloc(1, sizeof(*f));
	if (!f) {
		free(g.prog);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->prog = g.prog;
	f->n = g.n;
	return f;
}

struct fh_filter *fh_filter_compile(const char *text, char *err, size_t errlen)
{
	return compile_named("filter", text, err, errlen);
}

struct fh_filter *fh_filter_compile_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return compile_named(path, buf, err, errlen);
}

void fh_filter_free(struct fh_filter *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->n; i++)
		free(f->prog[i].set);
	free(f->prog);
	free(f);
}

/* ---- evaluation ----------------------------------------------------------------------- */

static inline int cmp(uint64_t a, int c, uint64_t b)
{
	switch (c) {
	case C_EQ: return a == b;
	case C_GT: return a > b;
	case C_LT: return a < b;
	case C_GE: return a >= b;
	case C_LE: return a <= b;
	default: return a != b;
	}
}

static uint64_t num(const struct fh_flow_rec *r, int field)
{
	uint64_t dur = r->last_ms > r->first_ms ? r->last_ms - r->first_ms : 0;
	switch (field) {
	case F_PACKETS: return r->packets;
	case F_BYTES: return r->bytes;
	case F_DURATION: return dur;
	case F_PPS: return dur ? r->packets * 1000 / dur : 0;
	case F_BPS: return dur ? r->bytes * 8000 / dur : 0;
	case F_BPP: return r->packets ? r->bytes / r->packets : 0;
	case F_IN_IF: return r->in_if;
	case F_OUT_IF: return r->out_if;
	case F_SRC_AS: return r->src_as;
	case F_DST_AS: return r->dst_as;
	default: return r->tos;
	}
}

static int in_ports(const uint16_t *set, uint32_t n, uint16_t port)
{
	uint32_t lo = 0, hi = n;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (set[mid] < port)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && set[lo] == port;
}

static int run(const struct insn *i, const struct fh_flow_rec *r)
{
	const struct fh_ip *ip = i->which ? &r->dst : &r->src;
	uint16_t port = i->which ? r->dport : r->sport;
	switch (i->op) {
	case OP_TRUE: return 1;
	case OP_AF: return (fh_ip_is_v4(&r->src) ? 4 : 6) == (int)i->value;
	case OP_PROTO: return r->proto == i->value;
	case OP_ADDR: return fh_ip_in_prefix(ip, &i->net.net, i->net.plen128);
	case OP_ADDR_SET: {
		const struct net *s = i->set;
		for (uint32_t k = 0; k < i->nset; k++)
			if (fh_ip_in_prefix(ip, &s[k].net, s[k].plen128))
				return 1;
		return 0;
	}
	case OP_PORT: return cmp(port, i->cmp, i->value);
	case OP_PORT_SET: return in_ports(i->set, i->nset, port);
	case OP_FLAGS: return (r->tcp_flags & i->value) == i->value;
	default: return cmp(num(r, i->field), i->cmp, i->value);
	}
}

bool fh_filter_match(const struct fh_filter *f, const struct fh_flow_rec *rec)
{
	int pc = 0;
	for (;;) {
		const struct insn *i = &f->prog[pc];
		pc = run(i, rec) ? i->jt : i->jf;
		if (pc < 0)
			return pc == ACCEPT;
	}
}

void fh_filter_dump(const struct fh_filter *f, FILE *out)
{
	static const char *ops[] = {"true", "af", "proto", "addr", "addr-set", "port", "port-set",
		"flags", "num"};
	static const char *cmps[] = {"==", ">", "<", ">=", "<=", "!="};
	static const char *fields[] = {"packets", "bytes", "duration", "pps", "bps", "bpp",
		"in_if", "out_if", "src_as", "dst_as", "tos"};
	for (unsigned k = 0; k < f->n; k++) {
		const struct insn *i = &f->prog[k];
		char jt[16], jf[16];
		snprintf(jt, sizeof(jt), "%d", i->jt);
		snprintf(jf, sizeof(jf), "%d", i->jf);
		fprintf(out, "%3u %-8s %s%s%s %" PRIu64 " -> %s / %s\n", k, ops[i->op],
			i->op == OP_NUM ? fields[i->field] : (i->which ? "dst" : "src"),
			i->op == OP_PORT || i->op == OP_NUM ? " " : "",
			i->op == OP_PORT || i->op == OP_NUM ? cmps[i->cmp] : "",
			i->op == OP_ADDR ? (uint64_t)i->net.plen128 : i->op == OP_ADDR_SET ||
					i->op == OP_PORT_SET ? (uint64_t)i->nset : i->value,
			i->jt == ACCEPT ? "accept" : i->jt == REJECT ? "reject" : jt,
			i->jf == ACCEPT ? "accept" : i->jf == REJECT ? "reject" : jf);
	}
}
