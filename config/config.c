/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Configuration parser and validation over the schema table (see config.h, schema.def).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/rx/socket.h"
#include "store/filter.h"
#include "store/flowfile.h"

enum type { T_BOOL, T_INT, T_SIZE, T_DURATION, T_STRING, T_LISTEN, T_CIDR, T_PORTS, T_PROFILE,
	T_NAMEPATH };

struct row {
	const char *key;
	int type;
	size_t off, size;
	const char *def;
	int64_t min, max;
	int reloadable;
	const char *help;
};

static const struct row rows[] = {
#define FH_CFG(k, t, f, d, mn, mx, r, h)                                                           \
	{k, T_##t, offsetof(struct fh_config, f), sizeof(((struct fh_config *)0)->f), d, mn, mx, r, h},
#include "config/schema.def"
#undef FH_CFG
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* ---- helpers -------------------------------------------------------------------------- */

static unsigned distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned d[64][64];
	if (la >= 64 || lb >= 64)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			unsigned c = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < c)
				c = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < c)
				c = d[i][j - 1] + 1;
			d[i][j] = c;
		}
	return d[la][lb];
}

static const struct row *find(const char *key)
{
	for (size_t i = 0; i < NROWS; i++)
		if (!strcmp(rows[i].key, key))
			return &rows[i];
	return NULL;
}

static int parse_num(const char *v, int64_t *out, int type)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || end == v || x < 0)
		return -1;
	while (*end == ' ')
		end++;
	double mul = 1;
	if (type == T_SIZE) {
		if (!strcasecmp(end, "k") || !strcasecmp(end, "kb"))
			mul = 1024;
		else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb"))
			mul = 1024.0 * 1024;
		else if (!strcasecmp(end, "g") || !strcasecmp(end, "gb"))
			mul = 1024.0 * 1024 * 1024;
		else if (*end)
			return -1;
	} else if (type == T_DURATION) {
		if (!strcmp(end, "ms"))
			mul = 1;
		else if (!strcmp(end, "s") || !*end)
			mul = 1000;
		else if (!strcmp(end, "m") || !strcmp(end, "min"))
			mul = 60000;
		else if (!strcmp(end, "h"))
			mul = 3600000;
		else if (!strcmp(end, "d"))
			mul = 86400000;
		else
			return -1;
	} else if (*end) {
		return -1;
	}
	x *= mul;
	if (!(x < 0x1p63)) /* too large for any key, or not a number ("nan", "inf") */
		return -1;
	if (type != T_SIZE && type != T_DURATION && x != (double)(int64_t)x)
		return -1; /* an integer key: no fraction */
	*out = (int64_t)x;
	return 0;
}

/* Set one value; fresh = the first time this list key is given (replace the default). */
int fh_cidr_list_add(struct fh_cidr_list *l, const char *text, char *why, size_t wl)
{
	unsigned plen;
	bool v4;
	struct fh_ip net;
	if (fh_cidr_parse(text, &net, &plen, &v4) < 0) {
		snprintf(why, wl, "'%s' is not an address or CIDR prefix", text);
		return -1;
	}
	if (l->n == FH_CFG_MAX_LIST) {
		snprintf(why, wl, "more than %d entries", FH_CFG_MAX_LIST);
		return -1;
	}
	struct fh_cidr *c = &l->v[l->n++];
	c->net = net;
	c->plen128 = v4 ? plen + 96 : plen;
	fh_prefix_mask(c->plen128, c->m);
	memcpy(c->w, net.a, sizeof(c->w));
	c->m[0] = htobe64(c->m[0]); /* as the address is stored: compared with no swap */
	c->m[1] = htobe64(c->m[1]);
	c->w[0] &= c->m[0];
	c->w[1] &= c->m[1];
	return 0;
}

static int set_value(struct fh_config *c, const struct row *r, const char *v, int fresh,
	char *why, size_t wl)
{
	void *field = (char *)c + r->off;
	switch (r->type) {
	case T_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
			*(bool *)field = true;
		else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") ||
			 !strcmp(v, "0"))
			*(bool *)field = false;
		else {
			snprintf(why, wl, "'%s' is not true or false", v);
			return -1;
		}
		return 0;
	case T_INT:
	case T_SIZE:
	case T_DURATION: {
		int64_t x;
		if (parse_num(v, &x, r->type) < 0) {
			snprintf(why, wl, "'%s' is not %s", v,
				r->type == T_INT	? "a whole number"
				: r->type == T_SIZE ? "a size (number with k, M or G)"
						    : "a duration (number with ms, s, m or h)");
			return -1;
		}
		if (x < r->min || x > r->max) {
			snprintf(why, wl, "%s is out of range %" PRId64 "..%" PRId64, v, r->min,
				r->max);
			return -1;
		}
		*(int64_t *)field = x;
		return 0;
	}
	case T_STRING:
		/* a quote inside could not be written back by the dump */
		if (strchr(v, '"')) {
			snprintf(why, wl, "a quote (\") inside the value");
			return -1;
		}
		if (strlen(v) >= r->size) {
			snprintf(why, wl, "longer than %zu characters", r->size - 1);
			return -1;
		}
		if (r->off == offsetof(struct fh_config, store_codec) && fh_codec_parse(v) < 0) {
			snprintf(why, wl, "'%s' is not zstd, lz4 or lz4hc", v);
			return -1;
		}
		strcpy(field, v);
		return 0;
	case T_LISTEN:
	case T_CIDR: {
		if (fresh) {
			if (r->type == T_LISTEN)
				((struct fh_listen_list *)field)->n = 0;
			else
				((struct fh_cidr_list *)field)->n = 0;
		}
		char buf[1024];
		snprintf(buf, sizeof(buf), "%s", v);
		for (char *save = NULL, *tok = strtok_r(buf, " \t,", &save); tok;
			tok = strtok_r(NULL, " \t,", &save)) {
			if (r->type == T_LISTEN) {
				struct fh_listen_list *l = field;
				struct sockaddr_storage ss;
				socklen_t sl;
				if (fh_sock_addr_parse(tok, &ss, &sl) < 0 || strlen(tok) >= 64) {
					snprintf(why, wl, "'%s' is not ADDR:PORT", tok);
					return -1;
				}
				if (l->n == FH_CFG_MAX_LIST) {
					snprintf(why, wl, "more than %d entries", FH_CFG_MAX_LIST);
					return -1;
				}
				strcpy(l->v[l->n++], tok);
			} else {
				if (fh_cidr_list_add(field, tok, why, wl) < 0)
					return -1;
			}
		}
		return 0;
	}
	case T_PORTS: {
		struct fh_port_list *l = field;
		if (fresh)
			l->n = 0;
		char buf[1024];
		snprintf(buf, sizeof(buf), "%s", v);
		for (char *save = NULL, *tok = strtok_r(buf, " \t,", &save); tok;
			tok = strtok_r(NULL, " \t,", &save)) {
			char *end;
			long p = strtol(tok, &end, 10);
			if (*end || p < 0 || p > 65535) {
				snprintf(why, wl, "'%s' is not a port number", tok);
				return -1;
			}
			if (l->n == FH_CFG_MAX_LIST) {
				snprintf(why, wl, "more than %d entries", FH_CFG_MAX_LIST);
				return -1;
			}
			l->v[l->n++] = (uint16_t)p;
		}
		return 0;
	}
	case T_PROFILE:
	case T_NAMEPATH: {
		/* NAME: FILTER (a profile) or NAME: PATH (a blocklist) */
		const char *what = r->type == T_PROFILE ? "profile" : "list";
		struct fh_named_list *l = field;
		if (fresh)
			l->n = 0;
		if (!*v)
			return 0; /* none */
		const char *colon = strchr(v, ':');
		size_t nl = colon ? (size_t)(colon - v) : 0;
		while (nl && v[nl - 1] == ' ')
			nl--;
		if (!colon || !nl || nl >= sizeof(l->v[0].name)) {
			snprintf(why, wl, "expected 'NAME: %s' (a name of 1..%zu letters)",
				r->type == T_PROFILE ? "FILTER" : "PATH", sizeof(l->v[0].name) - 1);
			return -1;
		}
		for (size_t i = 0; i < nl; i++)
			if (!isalnum((unsigned char)v[i]) && v[i] != '_' && v[i] != '-') {
				snprintf(why, wl, "%s name '%.*s': letters, digits, _ and - only", what,
					(int)nl, v);
				return -1;
			}
		const char *text = colon + 1;
		while (*text == ' ')
			text++;
		if (!*text || strlen(text) >= sizeof(l->v[0].value)) {
			snprintf(why, wl, "%s %.*s: empty, or longer than %zu characters", what,
				(int)nl, v, sizeof(l->v[0].value) - 1);
			return -1;
		}
		if (r->type == T_PROFILE) {
			char ferr[192];
			struct fh_filter *f = fh_filter_compile(text, ferr, sizeof(ferr));
			if (!f) {
				snprintf(why, wl, "profile %.*s: %.192s", (int)(nl > 31 ? 31 : nl), v,
					ferr);
				return -1;
			}
			fh_filter_free(f);
		}
		for (unsigned i = 0; i < l->n; i++)
			if (strlen(l->v[i].name) == nl && !strncmp(l->v[i].name, v, nl)) {
				snprintf(why, wl, "%s %.*s is given twice", what, (int)nl, v);
				return -1;
			}
		if (l->n == FH_CFG_MAX_NAMED) {
			snprintf(why, wl, "more than %d of them", FH_CFG_MAX_NAMED);
			return -1;
		}
		snprintf(l->v[l->n].name, sizeof(l->v[0].name), "%.*s", (int)nl, v);
		snprintf(l->v[l->n].value, sizeof(l->v[0].value), "%s", text);
		l->n++;
		return 0;
	}
	}
	return -1;
}

static int apply(struct fh_config *c, const char *where, const char *key, const char *val,
	char *err, size_t errlen)
{
	char why[256];
	const struct row *r = find(key);
	if (!r && !strcmp(key, "detect.net")) { /* thresholds for one network */
		struct fh_detect_override o;
		if (fh_detect_override_parse(val, &c->detect, &o, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: %s", where, why);
			return -1;
		}
		if (c->detect_nets.n == FH_DETECT_MAX_NETS || strlen(val) >= 256) {
			snprintf(err, errlen, "%s: detect.net: at most %d lines of 255 characters",
				where, FH_DETECT_MAX_NETS);
			return -1;
		}
		snprintf(c->detect_nets.v[c->detect_nets.n++], 256, "%s", val);
		return 0;
	}
	if (!r && !strncmp(key, "detect.", 7)) { /* the detectors' own table */
		char kv[1200];
		snprintf(kv, sizeof(kv), "%s=%s", key + 7, val);
		if (fh_detect_cfg_set(&c->detect, kv, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s: %s", where, why);
			return -1;
		}
		return 0;
	}
	if (!r) {
		const char *best = NULL;
		unsigned bd = 4;
		for (size_t i = 0; i < NROWS; i++) {
			unsigned d = distance(key, rows[i].key);
			if (d < bd) {
				bd = d;
				best = rows[i].key;
			}
		}
		if (best)
			snprintf(err, errlen, "%s: %s: unknown key (did you mean %s?)", where, key,
				best);
		else
			snprintf(err, errlen, "%s: %s: unknown key", where, key);
		return -1;
	}
	uint64_t bit = 1ull << (r - rows);
	int fresh = !(c->set_mask & bit);
	c->set_mask |= bit;
	if (set_value(c, r, val, fresh, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s: %s: %s", where, key, why);
		return -1;
	}
	return 0;
}

/* ---- API ------------------------------------------------------------------------------ */

void fh_config_defaults(struct fh_config *c)
{
	char why[256];
	memset(c, 0, sizeof(*c));
	fh_detect_defaults(&c->detect);
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].def[0] || rows[i].type == T_STRING)
			set_value(c, &rows[i], rows[i].def, 1, why, sizeof(why));
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = 0;
	return s;
}

int fh_config_parse_buf(struct fh_config *c, const char *name, const char *buf, size_t len,
	char *err, size_t errlen)
{
	size_t pos = 0;
	unsigned lineno = 0;
	char line[2048];
	while (pos < len) {
		size_t n = 0;
		while (pos < len && buf[pos] != '\n') {
			if (n < sizeof(line) - 1)
				line[n++] = buf[pos];
			pos++;
		}
		pos++;
		line[n] = 0;
		lineno++;
		char where[300];
		snprintf(where, sizeof(where), "%s:%u", name, lineno);
		/* strip comments outside quotes */
		int inq = 0;
		for (char *p = line; *p; p++) {
			if (*p == '"')
				inq = !inq;
			else if (*p == '#' && !inq) {
				*p = 0;
				break;
			}
		}
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s: expected 'key = value', got '%.60s'", where, s);
			return -1;
		}
		*eq = 0;
		char *key = trim(s), *val = trim(eq + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val[vl - 1] = 0;
			val++;
		} else if (val[0] == '"') {
			snprintf(err, errlen, "%s: %s: unterminated quoted string", where, key);
			return -1;
		}
		if (apply(c, where, key, val, err, errlen) < 0)
			return -1;
	}
	return 0;
}

int fh_config_load(struct fh_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = NULL;
	size_t cap = 0, len = 0, n;
	char chunk[4096];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "%s: out of memory", path);
				return -1;
			}
			buf = nb;
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(f);
	int rc = fh_config_parse_buf(c, path, buf ? buf : "", len, err, errlen);
	free(buf);
	return rc;
}

void fh_config_take_reloadable(struct fh_config *dst, const struct fh_config *src)
{
	for (size_t i = 0; i < NROWS; i++)
		if (rows[i].reloadable)
			memcpy((char *)dst + rows[i].off, (const char *)src + rows[i].off,
				rows[i].size);
	/* the detectors' table: all of it but the host pools, sized at start */
	uint32_t hosts = dst->detect.hosts;
	dst->detect = src->detect;
	dst->detect.hosts = hosts;
	dst->detect_nets = src->detect_nets;
}

int fh_config_set(struct fh_config *c, const char *kv, char *err, size_t errlen)
{
	char buf[1100];
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv || strlen(kv) >= sizeof(buf)) {
		snprintf(err, errlen, "--set: expected KEY=VALUE, got '%.60s'", kv);
		return -1;
	}
	memcpy(buf, kv, (size_t)(eq - kv));
	buf[eq - kv] = 0;
	return apply(c, "--set", trim(buf), eq + 1, err, errlen);
}

void fh_config_dump(const struct fh_config *c, FILE *f)
{
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		const void *field = (const char *)c + r->off;
		fprintf(f, "# %s%s\n", r->help, r->reloadable ? " (reloadable)" : "");
		fprintf(f, "%s = ", r->key);
		switch (r->type) {
		case T_BOOL:
			fprintf(f, "%s", *(const bool *)field ? "true" : "false");
			break;
		case T_INT:
		case T_SIZE:
			fprintf(f, "%" PRId64, *(const int64_t *)field);
			break;
		case T_DURATION:
			fprintf(f, "%" PRId64 "ms", *(const int64_t *)field);
			break;
		case T_STRING:
			fprintf(f, "\"%s\"", (const char *)field);
			break;
		case T_LISTEN: {
			const struct fh_listen_list *l = field;
			for (unsigned k = 0; k < l->n; k++)
				fprintf(f, "%s%s", k ? " " : "", l->v[k]);
			break;
		}
		case T_PORTS: {
			const struct fh_port_list *l = field;
			for (unsigned k = 0; k < l->n; k++)
				fprintf(f, "%s%u", k ? " " : "", l->v[k]);
			break;
		}
		case T_PROFILE:
		case T_NAMEPATH: {
			const struct fh_named_list *l = field;
			if (!l->n)
				fprintf(f, "\"\"");
			for (unsigned k = 0; k < l->n; k++)
				fprintf(f, "%s%s%s%s: %s", k ? "\n" : "", k ? r->key : "",
					k ? " = " : "", l->v[k].name, l->v[k].value);
			break;
		}
		case T_CIDR: {
			const struct fh_cidr_list *l = field;
			for (unsigned k = 0; k < l->n; k++) {
				char b[FH_IP_STRLEN];
				int v4 = fh_ip_is_v4(&l->v[k].net) && l->v[k].plen128 >= 96;
				fprintf(f, "%s%s/%u", k ? " " : "", fh_ip_fmt(&l->v[k].net, b, sizeof(b)),
					v4 ? l->v[k].plen128 - 96 : l->v[k].plen128);
			}
			break;
		}
		}
		fprintf(f, "\n\n");
	}
	fh_detect_cfg_dump(&c->detect, f);
	fprintf(f, "# thresholds for one network: detect.net = CIDR NAME=VALUE ... (repeatable)\n");
	for (unsigned i = 0; i < c->detect_nets.n; i++)
		fprintf(f, "detect.net = %s\n", c->detect_nets.v[i]);
	fprintf(f, "\n");
}

unsigned fh_config_detect_nets(const struct fh_config *c, struct fh_detect_override *out)
{
	unsigned n = 0;
	char err[256];
	for (unsigned i = 0; i < c->detect_nets.n; i++) /* checked when parsed: cannot fail */
		if (fh_detect_override_parse(c->detect_nets.v[i], &c->detect, &out[n], err,
			    sizeof(err)) == 0)
			n++;
	return n;
}

static const char *type_name(int type)
{
	static const char *const names[] = {"bool", "int", "size (k/M/G)", "duration (ms/s/m/h)",
		"string", "ADDR:PORT list", "CIDR list", "port list", "NAME: FILTER (repeatable)",
		"NAME: PATH (repeatable)"};
	return names[type];
}

void fh_config_dump_markdown(FILE *f)
{
	fprintf(f, "| key | type | default | range | reloadable | meaning |\n");
	fprintf(f, "|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < NROWS; i++) {
		const struct row *r = &rows[i];
		if (*r->def)
			fprintf(f, "| `%s` | %s | `%s` | ", r->key, type_name(r->type), r->def);
		else
			fprintf(f, "| `%s` | %s | (none) | ", r->key, type_name(r->type));
		if (r->type == T_INT || r->type == T_SIZE || r->type == T_DURATION)
			fprintf(f, "%" PRId64 "..%" PRId64 "%s", r->min, r->max,
				r->type == T_DURATION ? " ms" : "");
		fprintf(f, " | %s | %s |\n", r->reloadable ? "yes" : "no", r->help);
	}
}
