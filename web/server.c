/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The HTTP server (see web.h): libmicrohttpd with a small pool of its own threads, GET only.
 * Routes: / and /static/... (built-in assets), /api/... (web/api.c), /metrics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "dataplane/rx/socket.h"
#include "web/web.h"

struct fh_web {
	struct MHD_Daemon *mhd;
	struct fh_web_source src;
	char token[128], basic_user[64], basic_pass[64];
	char *cert, *key;
	_Atomic uint64_t requests, e4, e5, auth_fail;
};

/* ---- text buffer ---------------------------------------------------------------------- */

static void sb_grow(struct fh_sb *b, size_t need)
{
	if (b->oom || b->n + need + 1 <= b->cap)
		return;
	size_t nc = b->cap ? b->cap : 4096;
	while (nc < b->n + need + 1)
		nc *= 2;
	char *np = realloc(b->p, nc);
	if (!np) {
		b->oom = 1;
		return;
	}
	b->p = np;
	b->cap = nc;
}

void fh_sb_printf(struct fh_sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sb_grow(b, (size_t)n);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

void fh_sb_puts(struct fh_sb *b, const char *s)
{
	size_t l = strlen(s);
	sb_grow(b, l);
	if (b->oom)
		return;
	memcpy(b->p + b->n, s, l + 1);
	b->n += l;
}

void fh_sb_json_str(struct fh_sb *b, const char *s)
{
	sb_grow(b, strlen(s) * 6 + 2);
	if (b->oom)
		return;
	char *o = b->p + b->n;
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20) {
			o += sprintf(o, "\\u%04x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*o = 0;
	b->n = (size_t)(o - b->p);
}

/* ---- helpers -------------------------------------------------------------------------- */

static enum MHD_Result reply(struct fh_web *w, struct MHD_Connection *c, unsigned status,
	const char *mime, void *body, size_t len, enum MHD_ResponseMemoryMode mode,
	const char *cache)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", mime);
	MHD_add_response_header(r, "Cache-Control", cache);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Content-Security-Policy",
		"default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:");
	if (status >= 500)
		atomic_fetch_add(&w->e5, 1);
	else if (status >= 400)
		atomic_fetch_add(&w->e4, 1);
	enum MHD_Result rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result send_error(struct fh_web *w, struct MHD_Connection *c, unsigned status,
	const char *msg)
{
	struct fh_sb b = {0};
	fh_sb_puts(&b, "{\"error\":");
	fh_sb_json_str(&b, msg);
	fh_sb_puts(&b, "}\n");
	if (b.oom) {
		free(b.p);
		return MHD_NO;
	}
	return reply(w, c, status, "application/json", b.p, b.n, MHD_RESPMEM_MUST_FREE, "no-store");
}

/* compare without an early exit, so timing does not tell how much of a secret matched */
static int secret_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = (unsigned char)(la != lb);
	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return d == 0;
}

static int authorized(struct fh_web *w, struct MHD_Connection *c)
{
	if (!w->token[0] && !w->basic_user[0])
		return 1;
	if (w->token[0]) {
		const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		if (h && !strncmp(h, "Bearer ", 7) && secret_eq(h + 7, w->token))
			return 1;
		const char *q = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
		if (q && secret_eq(q, w->token))
			return 1;
	}
	if (w->basic_user[0]) {
		char *pass = NULL;
		char *user = MHD_basic_auth_get_username_password(c, &pass);
		int ok = user && pass && secret_eq(user, w->basic_user) &&
			 secret_eq(pass, w->basic_pass);
		MHD_free(user);
		MHD_free(pass);
		if (ok)
			return 1;
	}
	return 0;
}

static enum MHD_Result deny(struct fh_web *w, struct MHD_Connection *c)
{
	atomic_fetch_add(&w->auth_fail, 1);
	atomic_fetch_add(&w->e4, 1);
	static const char msg[] = "{\"error\":\"authentication required\"}\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg,
		MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	enum MHD_Result rc;
	if (w->basic_user[0]) {
		rc = MHD_queue_basic_auth_fail_response(c, "flowhound", r);
	} else {
		MHD_add_response_header(r, "WWW-Authenticate", "Bearer realm=\"flowhound\"");
		rc = MHD_queue_response(c, MHD_HTTP_UNAUTHORIZED, r);
	}
	MHD_destroy_response(r);
	return rc;
}

static const char *get_arg(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- the handler ---------------------------------------------------------------------- */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *upload, size_t *upload_len,
	void **state)
{
	struct fh_web *w = cls;
	(void)version;
	(void)upload;
	if (!*state) { /* the first call of a request only sees its headers */
		*state = (void *)1;
		return MHD_YES;
	}
	if (*upload_len)
		return send_error(w, c, 413, "no request body is accepted");
	atomic_fetch_add(&w->requests, 1);
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return send_error(w, c, 405, "only GET");

	/* the page and its assets hold no data: open, unless basic auth guards everything */
	int is_asset = !strcmp(url, "/") || !strncmp(url, "/static/", 8) ||
		       !strcmp(url, "/favicon.ico");
	if ((!is_asset || w->basic_user[0]) && !authorized(w, c))
		return deny(w, c);

	if (is_asset) {
		const char *path = !strcmp(url, "/") ? "/static/index.html" : url;
		for (unsigned i = 0; i < fh_web_n_assets; i++)
			if (!strcmp(fh_web_assets[i].path, path))
				return reply(w, c, 200, fh_web_assets[i].mime,
					(void *)fh_web_assets[i].data, fh_web_assets[i].len,
					MHD_RESPMEM_PERSISTENT,
					strstr(path, ".html") ? "no-cache" : "max-age=300");
		return send_error(w, c, 404, "no such file");
	}
	if (!strcmp(url, "/metrics")) {
		size_t cap = 1 << 20;
		char *out = malloc(cap);
		if (!out)
			return send_error(w, c, 503, "out of memory");
		size_t n = w->src.metrics ? w->src.metrics(w->src.arg, out, cap) : 0;
		struct fh_web_stats ws;
		fh_web_get_stats(w, &ws);
		n += (size_t)snprintf(out + n, cap - n,
			"# HELP flowhound_web_requests_total HTTP requests served.\n"
			"# TYPE flowhound_web_requests_total counter\n"
			"flowhound_web_requests_total %llu\n"
			"# HELP flowhound_web_errors_total HTTP error replies by class.\n"
			"# TYPE flowhound_web_errors_total counter\n"
			"flowhound_web_errors_total{class=\"4xx\"} %llu\n"
			"flowhound_web_errors_total{class=\"5xx\"} %llu\n",
			(unsigned long long)ws.requests, (unsigned long long)ws.errors_4xx,
			(unsigned long long)ws.errors_5xx);
		if (n >= cap)
			n = cap - 1;
		return reply(w, c, 200, "text/plain; version=0.0.4; charset=utf-8", out, n,
			MHD_RESPMEM_MUST_FREE, "no-store");
	}
	if (!strncmp(url, "/api/", 5)) {
		struct fh_api_reply r = {.status = 200};
		fh_api_handle(&w->src, url + 5, get_arg, c, &r);
		if (r.body.oom) {
			free(r.body.p);
			return send_error(w, c, 503, "out of memory");
		}
		if (!r.body.p)
			fh_sb_puts(&r.body, "{}");
		return reply(w, c, r.status, "application/json", r.body.p, r.body.n,
			MHD_RESPMEM_MUST_FREE, "no-store");
	}
	return send_error(w, c, 404, "no such page");
}

/* ---- start / stop --------------------------------------------------------------------- */

static char *slurp(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = malloc(1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (!buf || !n) {
		free(buf);
		snprintf(err, errlen, "%s: empty or unreadable", path);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

struct fh_web *fh_web_start(const struct fh_web_cfg *cfg, const struct fh_web_source *src,
	char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (!cfg->listen || fh_sock_addr_parse(cfg->listen, &ss, &sl) < 0) {
		snprintf(err, errlen, "web.listen: '%s' is not ADDR:PORT", cfg->listen ? cfg->listen : "");
		return NULL;
	}
	int have_token = cfg->token && cfg->token[0];
	int have_basic = cfg->basic && cfg->basic[0];
	if (!is_loopback(&ss) && !have_token && !have_basic) {
		snprintf(err, errlen, "web.listen %s is not a loopback address: set web.token or "
				      "web.basic_auth", cfg->listen);
		return NULL;
	}
	struct fh_web *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	w->src = *src;
	if (have_token)
		snprintf(w->token, sizeof(w->token), "%s", cfg->token);
	if (have_basic) {
		const char *colon = strchr(cfg->basic, ':');
		if (!colon || colon == cfg->basic || !colon[1] ||
			(size_t)(colon - cfg->basic) >= sizeof(w->basic_user) ||
			strlen(colon + 1) >= sizeof(w->basic_pass)) {
			snprintf(err, errlen, "web.basic_auth: expected USER:PASSWORD");
			free(w);
			return NULL;
		}
		snprintf(w->basic_user, sizeof(w->basic_user), "%.*s", (int)(colon - cfg->basic),
			cfg->basic);
		snprintf(w->basic_pass, sizeof(w->basic_pass), "%s", colon + 1);
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	int tls = cfg->tls_cert && cfg->tls_cert[0];
	if (tls != (cfg->tls_key && cfg->tls_key[0])) {
		snprintf(err, errlen, "web.tls_cert and web.tls_key go together");
		free(w);
		return NULL;
	}
	if (tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen, "this libmicrohttpd has no TLS");
			free(w);
			return NULL;
		}
		if (!(w->cert = slurp(cfg->tls_cert, err, errlen)) ||
			!(w->key = slurp(cfg->tls_key, err, errlen))) {
			free(w->cert);
			free(w);
			return NULL;
		}
		flags |= MHD_USE_TLS;
	}
	uint16_t port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
						      : ((struct sockaddr_in6 *)&ss)->sin6_port);
	if (tls)
		w->mhd = MHD_start_daemon(flags, port, NULL, NULL, handle, w, MHD_OPTION_SOCK_ADDR,
			(struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, 4u,
			MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 256u,
			MHD_OPTION_HTTPS_MEM_KEY, w->key, MHD_OPTION_HTTPS_MEM_CERT, w->cert,
			MHD_OPTION_END);
	else
		w->mhd = MHD_start_daemon(flags, port, NULL, NULL, handle, w, MHD_OPTION_SOCK_ADDR,
			(struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE, 4u,
			MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 256u,
			MHD_OPTION_END);
	if (!w->mhd) {
		snprintf(err, errlen, "web: cannot serve on %s (address in use, or a bad TLS "
				      "certificate or key)", cfg->listen);
		free(w->cert);
		free(w->key);
		free(w);
		return NULL;
	}
	return w;
}

void fh_web_stop(struct fh_web *w)
{
	if (!w)
		return;
	MHD_stop_daemon(w->mhd);
	free(w->cert);
	free(w->key);
	free(w);
}

void fh_web_get_stats(const struct fh_web *w, struct fh_web_stats *st)
{
	st->requests = atomic_load(&w->requests);
	st->errors_4xx = atomic_load(&w->e4);
	st->errors_5xx = atomic_load(&w->e5);
	st->auth_failures = atomic_load(&w->auth_fail);
}
