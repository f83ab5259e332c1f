/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The Redis alert sink and the `alerts` client (see sink_redis.h).
 *
 * Sections: URL parsing and connection; the Lua script; the event queue; the spool; the
 * sink thread; the client.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hiredis.h>

#include "analytics/sink_redis.h"

/* ---- connection ----------------------------------------------------------------------- */

struct url {
	char host[300], path[256], user[128], pass[256];
	int port, db, is_unix;
};

static int parse_url(const char *u, struct url *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->port = 6379;
	if (!strncmp(u, "unix://", 7)) {
		o->is_unix = 1;
		const char *q = strchr(u + 7, '?');
		size_t n = q ? (size_t)(q - u - 7) : strlen(u + 7);
		if (!n || n >= sizeof(o->path))
			goto bad;
		memcpy(o->path, u + 7, n);
		if (q && !strncmp(q, "?db=", 4))
			o->db = atoi(q + 4);
		return 0;
	}
	if (strncmp(u, "redis://", 8))
		goto bad;
	const char *p = u + 8, *at = strchr(p, '@');
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			snprintf(o->user, sizeof(o->user), "%.*s", (int)(colon - p), p);
			snprintf(o->pass, sizeof(o->pass), "%.*s", (int)(at - colon - 1), colon + 1);
		} else {
			snprintf(o->pass, sizeof(o->pass), "%.*s", (int)(at - p), p);
		}
		p = at + 1;
	}
	const char *slash = strchr(p, '/');
	size_t hl = slash ? (size_t)(slash - p) : strlen(p);
	char hp[300];
	if (!hl || hl >= sizeof(hp))
		goto bad;
	memcpy(hp, p, hl);
	hp[hl] = 0;
	char *colon = strrchr(hp, ':');
	if (colon && !strchr(hp, ']')) {
		*colon = 0;
		o->port = atoi(colon + 1);
	}
	snprintf(o->host, sizeof(o->host), "%s", hp);
	if (slash && slash[1])
		o->db = atoi(slash + 1);
	if (o->port <= 0 || o->port > 65535)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "bad Redis URL '%s' (redis://[user:pass@]host[:port][/db] or "
			      "unix:///path[?db=N])", u);
	return -1;
}

static redisContext *connect_url(const struct url *u, char *err, size_t errlen)
{
	struct timeval tv = {2, 0};
	redisContext *c = u->is_unix ? redisConnectUnixWithTimeout(u->path, tv)
				     : redisConnectWithTimeout(u->host, u->port, tv);
	if (!c || c->err) {
		snprintf(err, errlen, "Redis %s: %s", u->is_unix ? u->path : u->host,
			c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	redisReply *r = NULL;
	if (u->pass[0]) {
		r = u->user[0] ? redisCommand(c, "AUTH %s %s", u->user, u->pass)
			       : redisCommand(c, "AUTH %s", u->pass);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "Redis AUTH: %s", r ? r->str : c->errstr);
			goto fail;
		}
		freeReplyObject(r);
	}
	if (u->db) {
		r = redisCommand(c, "SELECT %d", u->db);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "Redis SELECT %d: %s", u->db, r ? r->str : c->errstr);
			goto fail;
		}
		freeReplyObject(r);
	}
	return c;
fail:
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return NULL;
}

/* ---- the Lua script ------------------------------------------------------------------- */

/*
 * KEYS: 1 alert hash, 2 active zset, 3 event stream, 4 seen_by set, 5 this instance's last
 * applied sequence number, 6 the instances that report the alert active (hash: instance ->
 * its last event's time). ARGV: 1 id, 2 event, 3 alert JSON, 4 instance, 5 sequence,
 * 6 update time (ms), 7 resolved TTL (s), 8 stream MAXLEN, 9 channel, 10 flows, 11 packets,
 * 12 bytes, 13 targets, 14 type, 15 severity, 16 src, 17 dst, 18 last_seen, 19 stale (ms).
 * Replayed events (same instance, sequence not newer) are skipped: delivery is exactly once.
 * An instance's `resolved` resolves the alert only when no other instance still reports it
 * (an instance silent on it for longer than `stale` no longer counts); until then it is an
 * update.
 */
static const char lua[] =
	"local last = tonumber(redis.call('GET', KEYS[5]) or '0')\n"
	"if tonumber(ARGV[5]) <= last then return 'dup' end\n"
	"redis.call('SET', KEYS[5], ARGV[5])\n"
	"local ev = ARGV[2]\n"
	"if ev ~= 'resolved' then\n"
	"  if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HGET', KEYS[1], 'status') == "
	"'resolved' then ev = 'new' else ev = 'update' end\n"
	"  redis.call('HSET', KEYS[6], ARGV[4], ARGV[6])\n"
	"else\n"
	"  redis.call('HDEL', KEYS[6], ARGV[4])\n"
	"  local others, live = redis.call('HGETALL', KEYS[6]), 0\n"
	"  for i = 1, #others, 2 do\n"
	"    if tonumber(ARGV[6]) - tonumber(others[i + 1]) > tonumber(ARGV[19]) then\n"
	"      redis.call('HDEL', KEYS[6], others[i])\n"
	"    else live = live + 1 end\n"
	"  end\n"
	"  if live > 0 then ev = 'update' end\n"
	"end\n"
	"redis.call('SADD', KEYS[4], ARGV[4])\n"
	"redis.call('HSET', KEYS[1], 'id', ARGV[1], 'json', ARGV[3], 'type', ARGV[14], "
	"'severity', ARGV[15], 'src', ARGV[16], 'dst', ARGV[17], 'last_seen', ARGV[18], "
	"'flows:'..ARGV[4], ARGV[10], 'packets:'..ARGV[4], ARGV[11], 'bytes:'..ARGV[4], ARGV[12], "
	"'targets:'..ARGV[4], ARGV[13])\n"
	"local f, p, b, t = 0, 0, 0, 0\n"
	"local all = redis.call('HGETALL', KEYS[1])\n"
	"for i = 1, #all, 2 do\n"
	"  local k, v = all[i], tonumber(all[i + 1]) or 0\n"
	"  if k:sub(1, 6) == 'flows:' then f = f + v\n"
	"  elseif k:sub(1, 8) == 'packets:' then p = p + v\n"
	"  elseif k:sub(1, 6) == 'bytes:' then b = b + v\n"
	"  elseif k:sub(1, 8) == 'targets:' then t = t + v end\n"
	"end\n"
	"redis.call('HSET', KEYS[1], 'flows', f, 'packets', p, 'bytes', b, 'targets', t, "
	"'seen_by', cjson.encode(redis.call('SMEMBERS', KEYS[4])))\n"
	"if ev == 'resolved' then\n"
	"  redis.call('HSET', KEYS[1], 'status', 'resolved')\n"
	"  redis.call('ZREM', KEYS[2], ARGV[1])\n"
	"  redis.call('EXPIRE', KEYS[1], ARGV[7])\n"
	"  redis.call('EXPIRE', KEYS[4], ARGV[7])\n"
	"  redis.call('DEL', KEYS[6])\n"
	"else\n"
	"  redis.call('HSET', KEYS[1], 'status', 'active')\n"
	"  redis.call('PERSIST', KEYS[1])\n"
	"  redis.call('PERSIST', KEYS[4])\n"
	"  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])\n"
	"end\n"
	"redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', 'event', ev, 'id', ARGV[1], "
	"'instance', ARGV[4], 'json', ARGV[3])\n"
	"if redis.call('HGET', KEYS[1], 'acked') ~= '1' or ev == 'new' then\n"
	"  redis.call('PUBLISH', ARGV[9], '{\"event\":\"' .. ev .. '\",\"instance\":' .. "
	"cjson.encode(ARGV[4]) .. ',\"alert\":' .. ARGV[3] .. '}')\n"
	"end\n"
	"return ev\n";

/* ---- the queue ------------------------------------------------------------------------ */

/* One event as the thread needs it: fixed-size, copied in by emit(). */
struct msg {
	uint64_t seq, now_ms;
	char id[FH_ALERT_ID_LEN];
	char event[12];
	char type[48], severity[12], src[FH_IP_STRLEN], dst[FH_IP_STRLEN], last_seen[FH_TIME_STRLEN];
	uint64_t flows, packets, bytes, targets;
	char json[FH_ALERT_JSON_MAX];
};

#define QCAP 8192

struct redis_sink {
	struct fh_alert_sink base;
	struct fh_redis_cfg cfg;
	char prefix[128], instance[128], spool[512];
	struct url url;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv, idle;
	struct msg *q;
	unsigned head, n;
	int stop, busy;
	uint64_t seq;
	redisContext *c;
	char sha[48];
	struct fh_redis_stats st;
	unsigned backoff_ms;
	uint64_t next_try_ms, next_log_ms;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void redis_emit(struct fh_alert_sink *s, const struct fh_alert *a, enum fh_alert_event ev)
{
	struct redis_sink *rs = (struct redis_sink *)s;
	pthread_mutex_lock(&rs->mu);
	if (rs->n == QCAP) {
		/* full (Redis down and the spool slow?): updates give way, new/resolved never */
		if (ev == FH_AEV_UPDATE) {
			rs->st.dropped++;
			pthread_mutex_unlock(&rs->mu);
			return;
		}
		/* drop the oldest queued update to make room, if there is one */
		unsigned k;
		for (k = 0; k < rs->n; k++)
			if (!strcmp(rs->q[(rs->head + k) % QCAP].event, "update"))
				break;
		if (k == rs->n) {
			rs->st.dropped++;
			pthread_mutex_unlock(&rs->mu);
			return;
		}
		for (; k + 1 < rs->n; k++)
			rs->q[(rs->head + k) % QCAP] = rs->q[(rs->head + k + 1) % QCAP];
		rs->n--;
		rs->st.dropped++;
	}
	struct msg *m = &rs->q[(rs->head + rs->n) % QCAP];
	/* sequence: time-based so it keeps growing across restarts */
	uint64_t now = wall_ms();
	rs->seq = rs->seq >= now * 1000 ? rs->seq + 1 : now * 1000;
	m->seq = rs->seq;
	m->now_ms = now;
	snprintf(m->id, sizeof(m->id), "%s", a->id);
	snprintf(m->event, sizeof(m->event), "%s", fh_alert_event_name(ev));
	char tn[64];
	snprintf(m->type, sizeof(m->type), "%s", fh_alert_type_name(a, tn, sizeof(tn)));
	snprintf(m->severity, sizeof(m->severity), "%s", fh_severity_name(a->severity));
	fh_ip_fmt(&a->src, m->src, sizeof(m->src));
	if (a->has_dst)
		fh_ip_fmt(&a->dst, m->dst, sizeof(m->dst));
	else
		m->dst[0] = 0;
	fh_time_fmt(a->last_seen, m->last_seen, sizeof(m->last_seen));
	m->flows = a->flows;
	m->packets = a->packets;
	m->bytes = a->bytes;
	m->targets = a->targets;
	if (fh_alert_to_json(a, m->json, sizeof(m->json)) >= (int)sizeof(m->json))
		snprintf(m->json, sizeof(m->json), "{\"id\":\"%s\"}", a->id);
	rs->n++;
	rs->st.queued++;
	pthread_cond_signal(&rs->cv);
	pthread_mutex_unlock(&rs->mu);
}

/* ---- spool: one event a line, fields tab-separated, in order -------------------------- */

/* The spool is over its size: drop the oldest update events (never a new or resolved one)
 * until it is under 90 % of the limit, rewriting it atomically. Returns how many went. */
static unsigned spool_shed(struct redis_sink *rs)
{
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", rs->spool);
	FILE *in = fopen(rs->spool, "r"), *out = in ? fopen(tmp, "w") : NULL;
	if (!out) {
		if (in)
			fclose(in);
		return 0;
	}
	struct stat sb;
	fstat(fileno(in), &sb);
	size_t excess = (size_t)sb.st_size - rs->cfg.spool_max * 9 / 10, shed = 0;
	unsigned n = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, in)) > 0) {
		/* the fourth field is the event kind */
		const char *p = line;
		for (int k = 0; k < 3 && p; k++)
			p = strchr(p, '\t') ? strchr(p, '\t') + 1 : NULL;
		if (shed < excess && p && !strncmp(p, "update\t", 7)) {
			shed += (size_t)len;
			n++;
			continue;
		}
		fwrite(line, 1, (size_t)len, out);
	}
	free(line);
	fclose(in);
	fflush(out);
	fsync(fileno(out));
	fclose(out);
	rename(tmp, rs->spool);
	return n;
}

static int spool_append(struct redis_sink *rs, const struct msg *m)
{
	struct stat sb;
	if (stat(rs->spool, &sb) == 0 && (size_t)sb.st_size > rs->cfg.spool_max) {
		/* full: the oldest updates go first; new and resolved events always stay, and an
		 * alert's final state still arrives with its resolved event */
		unsigned n = spool_shed(rs);
		rs->st.dropped += n;
		uint64_t now = wall_ms();
		if (n && now >= rs->next_log_ms) {
			fprintf(stderr, "flowhound: Redis spool %s full: dropped the %u oldest alert "
					"updates (%" PRIu64 " so far)\n", rs->spool, n, rs->st.dropped);
			rs->next_log_ms = now + 60000;
		}
	}
	FILE *f = fopen(rs->spool, "a");
	if (!f)
		return -1;
	fprintf(f, "%" PRIu64 "\t%" PRIu64 "\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%" PRIu64 "\t%" PRIu64
		   "\t%" PRIu64 "\t%" PRIu64 "\t%s\n",
		m->seq, m->now_ms, m->id, m->event, m->type, m->severity, m->src,
		m->dst[0] ? m->dst : "-", m->last_seen, m->flows, m->packets, m->bytes, m->targets,
		m->json);
	fflush(f);
	fsync(fileno(f));
	fclose(f);
	rs->st.spooled++;
	return 0;
}

static int spool_parse(char *line, struct msg *m)
{
	char *f[14];
	int n = 0;
	for (char *save = NULL, *t = strtok_r(line, "\t\n", &save); t && n < 14;
		t = strtok_r(NULL, n == 13 ? "\n" : "\t\n", &save))
		f[n++] = t;
	if (n != 14)
		return -1;
	m->seq = strtoull(f[0], NULL, 10);
	m->now_ms = strtoull(f[1], NULL, 10);
	snprintf(m->id, sizeof(m->id), "%s", f[2]);
	snprintf(m->event, sizeof(m->event), "%s", f[3]);
	snprintf(m->type, sizeof(m->type), "%s", f[4]);
	snprintf(m->severity, sizeof(m->severity), "%s", f[5]);
	snprintf(m->src, sizeof(m->src), "%s", f[6]);
	snprintf(m->dst, sizeof(m->dst), "%s", strcmp(f[7], "-") ? f[7] : "");
	snprintf(m->last_seen, sizeof(m->last_seen), "%s", f[8]);
	m->flows = strtoull(f[9], NULL, 10);
	m->packets = strtoull(f[10], NULL, 10);
	m->bytes = strtoull(f[11], NULL, 10);
	m->targets = strtoull(f[12], NULL, 10);
	snprintf(m->json, sizeof(m->json), "%s", f[13]);
	return 0;
}

/* ---- the sink thread ------------------------------------------------------------------ */

static void disconnect(struct redis_sink *rs)
{
	if (rs->c)
		redisFree(rs->c);
	rs->c = NULL;
	rs->st.connected = 0;
	rs->backoff_ms = rs->backoff_ms ? (rs->backoff_ms * 2 > 5000 ? 5000 : rs->backoff_ms * 2)
					: 100;
	rs->next_try_ms = wall_ms() + rs->backoff_ms;
}

static int try_connect(struct redis_sink *rs)
{
	char err[1024];
	if (rs->c)
		return 0;
	if (wall_ms() < rs->next_try_ms)
		return -1;
	rs->c = connect_url(&rs->url, err, sizeof(err));
	if (!rs->c) {
		disconnect(rs);
		return -1;
	}
	redisReply *r = redisCommand(rs->c, "SCRIPT LOAD %s", lua);
	if (!r || r->type != REDIS_REPLY_STRING) {
		if (r)
			freeReplyObject(r);
		disconnect(rs);
		return -1;
	}
	snprintf(rs->sha, sizeof(rs->sha), "%s", r->str);
	freeReplyObject(r);
	rs->st.connected = 1;
	rs->st.reconnects++;
	rs->backoff_ms = 0;
	return 0;
}

static void append_cmd(struct redis_sink *rs, const struct msg *m)
{
	char k1[256], k2[256], k3[256], k4[256], k5[384], k6[256], seq[24], now[24], ttl[16],
		ml[16], ch[256], fl[24], pk[24], by[24], tg[24], stale[24];
	snprintf(k1, sizeof(k1), "%salert:%s", rs->prefix, m->id);
	snprintf(k2, sizeof(k2), "%salerts:active", rs->prefix);
	snprintf(k3, sizeof(k3), "%salerts:events", rs->prefix);
	snprintf(k4, sizeof(k4), "%salert:%s:seen_by", rs->prefix, m->id);
	snprintf(k5, sizeof(k5), "%sinstance:%s:seq", rs->prefix, rs->instance);
	snprintf(k6, sizeof(k6), "%salert:%s:active_in", rs->prefix, m->id);
	snprintf(stale, sizeof(stale), "%" PRIu64, rs->cfg.stale_ms);
	snprintf(seq, sizeof(seq), "%" PRIu64, m->seq);
	snprintf(now, sizeof(now), "%" PRIu64, m->now_ms);
	snprintf(ttl, sizeof(ttl), "%u", rs->cfg.resolved_ttl_s);
	snprintf(ml, sizeof(ml), "%u", rs->cfg.stream_maxlen);
	snprintf(ch, sizeof(ch), "%salerts", rs->prefix);
	snprintf(fl, sizeof(fl), "%" PRIu64, m->flows);
	snprintf(pk, sizeof(pk), "%" PRIu64, m->packets);
	snprintf(by, sizeof(by), "%" PRIu64, m->bytes);
	snprintf(tg, sizeof(tg), "%" PRIu64, m->targets);
	const char *argv[] = {"EVALSHA", rs->sha, "6", k1, k2, k3, k4, k5, k6, m->id, m->event,
		m->json, rs->instance, seq, now, ttl, ml, ch, fl, pk, by, tg, m->type, m->severity,
		m->src, m->dst, m->last_seen, stale};
	redisAppendCommandArgv(rs->c, (int)(sizeof(argv) / sizeof(argv[0])), argv, NULL);
}

/* Send n events pipelined. Returns how many were acknowledged (all, unless the connection
 * broke: the rest must be spooled by the caller). */
static unsigned send_batch(struct redis_sink *rs, const struct msg *ms, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		append_cmd(rs, &ms[i]);
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++) {
		redisReply *r;
		if (redisGetReply(rs->c, (void **)&r) != REDIS_OK || !r) {
			disconnect(rs);
			return ok;
		}
		if (r->type == REDIS_REPLY_STRING && !strcmp(r->str, "dup")) {
			rs->st.duplicates++;
		} else if (r->type == REDIS_REPLY_ERROR) {
			/* refused by the script (a bug, never a transient state): counted, logged
			 * once a minute, not retried forever */
			rs->st.dropped++;
			uint64_t now = wall_ms();
			if (now >= rs->next_log_ms) {
				fprintf(stderr, "flowhound: Redis refused an alert event: %s\n", r->str);
				rs->next_log_ms = now + 60000;
			}
		} else {
			rs->st.written++;
		}
		freeReplyObject(r);
		ok++;
	}
	return ok;
}

/* Deliver the spool, in order, then remove it. Returns 0 when it is empty afterwards. */
static int replay_spool(struct redis_sink *rs)
{
	FILE *f = fopen(rs->spool, "r");
	if (!f)
		return 0;
	static struct msg batch[64];
	char *line = NULL;
	size_t cap = 0;
	unsigned n = 0;
	int rc = 0;
	while (getline(&line, &cap, f) > 0) {
		if (spool_parse(line, &batch[n]) == 0)
			n++;
		if (n == 64) {
			unsigned ok = send_batch(rs, batch, n);
			rs->st.replayed += ok;
			if (ok < n) {
				rc = -1;
				break;
			}
			n = 0;
		}
	}
	if (!rc && n) {
		unsigned ok = send_batch(rs, batch, n);
		rs->st.replayed += ok;
		rc = ok < n ? -1 : 0;
	}
	free(line);
	fclose(f);
	/* delivered events are idempotent (sequence numbers): on failure keep the whole file */
	if (!rc)
		unlink(rs->spool);
	return rc;
}

static void *sink_main(void *arg)
{
	struct redis_sink *rs = arg;
	static struct msg batch[64];
	for (;;) {
		pthread_mutex_lock(&rs->mu);
		while (!rs->n && !rs->stop && (rs->c || access(rs->spool, F_OK) != 0)) {
			rs->busy = 0;
			pthread_cond_broadcast(&rs->idle);
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 200000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&rs->cv, &rs->mu, &ts);
		}
		unsigned n = rs->n < 64 ? rs->n : 64;
		rs->busy = n > 0; /* holding events that are neither in Redis nor in the spool */
		for (unsigned i = 0; i < n; i++)
			batch[i] = rs->q[(rs->head + i) % QCAP];
		rs->head = (rs->head + n) % QCAP;
		rs->n -= n;
		int stop = rs->stop;
		pthread_mutex_unlock(&rs->mu);

		unsigned done = 0;
		if (try_connect(rs) == 0 && replay_spool(rs) == 0)
			done = send_batch(rs, batch, n);
		for (unsigned i = done; i < n; i++)
			spool_append(rs, &batch[i]); /* in order, behind what is spooled already */
		pthread_mutex_lock(&rs->mu);
		rs->busy = 0;
		pthread_mutex_unlock(&rs->mu);
		if (!rs->c && !n) {
			if (stop)
				break;
			usleep(50000);
		}
		if (stop && !n && (rs->c || access(rs->spool, F_OK) != 0))
			break;
	}
	pthread_mutex_lock(&rs->mu);
	rs->busy = 0;
	pthread_cond_broadcast(&rs->idle);
	pthread_mutex_unlock(&rs->mu);
	return NULL;
}

static void redis_flush(struct fh_alert_sink *s)
{
	fh_alert_sink_redis_drain(s, 5000);
}

static void redis_close(struct fh_alert_sink *s)
{
	struct redis_sink *rs = (struct redis_sink *)s;
	fh_alert_sink_redis_drain(s, 3000);
	pthread_mutex_lock(&rs->mu);
	rs->stop = 1;
	pthread_cond_signal(&rs->cv);
	pthread_mutex_unlock(&rs->mu);
	pthread_join(rs->th, NULL);
	if (rs->c)
		redisFree(rs->c);
	free(rs->q);
	free(rs);
}

static const struct fh_alert_sink_ops redis_ops = {
	.emit = redis_emit,
	.flush = redis_flush,
	.close = redis_close,
};

struct fh_alert_sink *fh_alert_sink_redis_new(const struct fh_redis_cfg *cfg, char *err,
	size_t errlen)
{
	struct redis_sink *rs = calloc(1, sizeof(*rs));
	if (!rs) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rs->cfg = *cfg;
	if (parse_url(cfg->url, &rs->url, err, errlen) < 0)
		goto err;
	snprintf(rs->prefix, sizeof(rs->prefix), "%s", cfg->prefix ? cfg->prefix : "flowhound:");
	if (cfg->instance)
		snprintf(rs->instance, sizeof(rs->instance), "%s", cfg->instance);
	else {
		char host[64] = "flowhound";
		gethostname(host, sizeof(host) - 1);
		snprintf(rs->instance, sizeof(rs->instance), "%s:%d", host, (int)getpid());
	}
	snprintf(rs->spool, sizeof(rs->spool), "%s",
		cfg->spool ? cfg->spool : "/var/lib/flowhound/redis.spool");
	if (!rs->cfg.spool_max)
		rs->cfg.spool_max = 64u << 20;
	if (!rs->cfg.resolved_ttl_s)
		rs->cfg.resolved_ttl_s = 7 * 86400;
	if (!rs->cfg.stale_ms)
		rs->cfg.stale_ms = 30 * 60000;
	if (!rs->cfg.stream_maxlen)
		rs->cfg.stream_maxlen = 100000;
	FILE *probe = fopen(rs->spool, "a");
	if (!probe) {
		snprintf(err, errlen, "Redis spool %s: %s", rs->spool, strerror(errno));
		goto err;
	}
	fclose(probe);
	struct stat sb;
	if (stat(rs->spool, &sb) == 0 && sb.st_size == 0)
		unlink(rs->spool);
	rs->q = calloc(QCAP, sizeof(*rs->q));
	if (!rs->q) {
		snprintf(err, errlen, "out of memory");
		goto err;
	}
	rs->base.ops = &redis_ops;
	pthread_mutex_init(&rs->mu, NULL);
	pthread_cond_init(&rs->cv, NULL);
	pthread_cond_init(&rs->idle, NULL);
	rs->busy = 1;
	pthread_create(&rs->th, NULL, sink_main, rs);
	return &rs->base;
err:
	free(rs);
	return NULL;
}

int fh_alert_sink_redis_drain(struct fh_alert_sink *s, unsigned timeout_ms)
{
	struct redis_sink *rs = (struct redis_sink *)s;
	uint64_t start = wall_ms(), end = start + timeout_ms;
	for (;;) {
		pthread_mutex_lock(&rs->mu);
		int settled = rs->n == 0 && !rs->busy;
		int connected = rs->st.connected;
		pthread_cond_signal(&rs->cv);
		pthread_mutex_unlock(&rs->mu);
		int spooled = access(rs->spool, F_OK) == 0;
		if (settled && !spooled)
			return 0;
		uint64_t now = wall_ms();
		/* Redis down (tried for a second) and everything safe in the spool: stop waiting */
		if ((settled && !connected && now >= start + 1000) || now >= end)
			return -1;
		usleep(20000);
	}
}

void fh_alert_sink_redis_stats(struct fh_alert_sink *s, struct fh_redis_stats *st)
{
	struct redis_sink *rs = (struct redis_sink *)s;
	pthread_mutex_lock(&rs->mu);
	*st = rs->st;
	pthread_mutex_unlock(&rs->mu);
}

/* ---- the client (flowhound alerts) ---------------------------------------------------- */

struct fh_redis_client {
	redisContext *c;
	char prefix[128];
};

struct fh_redis_client *fh_redis_client_open(const char *url, const char *prefix, char *err,
	size_t errlen)
{
	struct url u;
	if (parse_url(url, &u, err, errlen) < 0)
		return NULL;
	struct fh_redis_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->c = connect_url(&u, err, errlen);
	if (!c->c) {
		free(c);
		return NULL;
	}
	snprintf(c->prefix, sizeof(c->prefix), "%s", prefix ? prefix : "flowhound:");
	return c;
}

void fh_redis_client_close(struct fh_redis_client *c)
{
	if (!c)
		return;
	redisFree(c->c);
	free(c);
}

static redisReply *cmd_err(struct fh_redis_client *c, redisReply *r, char *err, size_t errlen)
{
	if (!r || r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "Redis: %s", r ? r->str : c->c->errstr);
		if (r)
			freeReplyObject(r);
		return NULL;
	}
	return r;
}

static const char *hget(redisReply *h, const char *field)
{
	for (size_t i = 0; i + 1 < h->elements; i += 2)
		if (h->element[i]->str && !strcmp(h->element[i]->str, field))
			return h->element[i + 1]->str ? h->element[i + 1]->str : "";
	return "";
}

int fh_redis_alerts_list(struct fh_redis_client *c, int json, FILE *out, char *err, size_t errlen)
{
	redisReply *ids = cmd_err(c, redisCommand(c->c, "ZREVRANGE %salerts:active 0 -1",
						     c->prefix),
		err, errlen);
	if (!ids)
		return -EIO;
	if (!json)
		fprintf(out, "%-16s  %-18s %-8s %-39s %-39s %8s %s\n", "ID", "TYPE", "SEVERITY",
			"SRC", "DST", "TARGETS", "SEEN BY");
	for (size_t i = 0; i < ids->elements; i++) {
		redisReply *h = redisCommand(c->c, "HGETALL %salert:%s", c->prefix,
			ids->element[i]->str);
		if (!h || h->type != REDIS_REPLY_ARRAY) {
			if (h)
				freeReplyObject(h);
			continue;
		}
		if (json)
			fprintf(out, "%s\n", hget(h, "json"));
		else
			fprintf(out, "%-16s  %-18s %-8s %-39s %-39s %8s %s%s\n", ids->element[i]->str,
				hget(h, "type"), hget(h, "severity"), hget(h, "src"),
				*hget(h, "dst") ? hget(h, "dst") : "-", hget(h, "targets"),
				hget(h, "seen_by"), !strcmp(hget(h, "acked"), "1") ? " (acked)" : "");
		freeReplyObject(h);
	}
	freeReplyObject(ids);
	return 0;
}

int fh_redis_alerts_show(struct fh_redis_client *c, const char *id, FILE *out, char *err,
	size_t errlen)
{
	redisReply *h = cmd_err(c, redisCommand(c->c, "HGETALL %salert:%s", c->prefix, id), err,
		errlen);
	if (!h)
		return -EIO;
	if (h->elements == 0) {
		snprintf(err, errlen, "no alert %s", id);
		freeReplyObject(h);
		return -ENOENT;
	}
	for (size_t i = 0; i + 1 < h->elements; i += 2) {
		const char *k = h->element[i]->str, *v = h->element[i + 1]->str;
		if (strcmp(k, "json"))
			fprintf(out, "%-20s %s\n", k, v);
	}
	/* the alert itself, one field a line, evidence last */
	fprintf(out, "alert:\n");
	const char *j = hget(h, "json");
	int depth = 0;
	for (const char *p = j; *p; p++) {
		if (*p == '{' || *p == '[')
			depth++;
		if (*p == '}' || *p == ']')
			depth--;
		fputc(*p, out);
		if (*p == ',' && depth == 1)
			fputs("\n  ", out);
	}
	fputc('\n', out);
	freeReplyObject(h);
	return 0;
}

int fh_redis_alerts_ack(struct fh_redis_client *c, const char *id, const char *who, char *err,
	size_t errlen)
{
	redisReply *r = cmd_err(c, redisCommand(c->c, "EXISTS %salert:%s", c->prefix, id), err,
		errlen);
	if (!r)
		return -EIO;
	int exists = r->integer == 1;
	freeReplyObject(r);
	if (!exists) {
		snprintf(err, errlen, "no alert %s", id);
		return -ENOENT;
	}
	char now[24];
	snprintf(now, sizeof(now), "%" PRIu64, wall_ms());
	r = cmd_err(c, redisCommand(c->c, "HSET %salert:%s acked 1 acked_by %s acked_at %s",
			       c->prefix, id, who, now),
		err, errlen);
	if (!r)
		return -EIO;
	freeReplyObject(r);
	return 0;
}

int fh_redis_alerts_tail(struct fh_redis_client *c, int from_start, unsigned count, FILE *out,
	char *err, size_t errlen)
{
	char last[64];
	snprintf(last, sizeof(last), "%s", from_start ? "0" : "$");
	unsigned seen = 0;
	while (!count || seen < count) {
		redisReply *r = redisCommand(c->c, "XREAD COUNT 100 BLOCK 1000 STREAMS %salerts:events %s",
			c->prefix, last);
		if (!r && c->c->err == REDIS_ERR_IO && errno == EAGAIN) {
			redisReconnect(c->c); /* our own read timeout: BLOCK 1000 came back empty */
			continue;
		}
		if (!(r = cmd_err(c, r, err, errlen)))
			return -EIO;
		if (r->type == REDIS_REPLY_ARRAY && r->elements) {
			redisReply *entries = r->element[0]->element[1];
			for (size_t i = 0; i < entries->elements && (!count || seen < count); i++) {
				redisReply *e = entries->element[i];
				snprintf(last, sizeof(last), "%s", e->element[0]->str);
				redisReply *kv = e->element[1];
				const char *ev = "", *json = "{}";
				for (size_t k = 0; k + 1 < kv->elements; k += 2) {
					if (!strcmp(kv->element[k]->str, "event"))
						ev = kv->element[k + 1]->str;
					else if (!strcmp(kv->element[k]->str, "json"))
						json = kv->element[k + 1]->str;
				}
				fprintf(out, "{\"event\":\"%s\",\"alert\":%s}\n", ev, json);
				fflush(out);
				seen++;
			}
		}
		freeReplyObject(r);
	}
	return 0;
}
