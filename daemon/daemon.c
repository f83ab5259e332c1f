/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon (see daemon.h).
 *
 * Threads: W workers (the poll loop: receive a batch, decode, update the flow table; every
 * second expire flows, publish a stats snapshot and announce a quiescent state), S analytics
 * shards (drain the rings; the detectors of the analytics issue plug in there), and one
 * control thread (unix socket, reload). Workers and shards are liburcu-qsbr readers: the live
 * config (exporter ACL, home networks, timeouts) is an RCU-published pointer swapped by reload.
 * Workers are plain threads in both input modes; with DPDK each polls its own RX queue of
 * every port (RSS keeps an exporter on one queue).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "analytics/engine.h"
#include "analytics/sink_memory.h"
#include "analytics/sink_redis.h"
#include "analytics/worm.h"
#include "daemon/daemon.h"
#include "daemon/setup.h"
#include "dataplane/flowtable.h"
#include "dataplane/ring.h"
#include "dataplane/rx/dpdk.h"
#include "dataplane/rx/socket.h"
#include "dataplane/worker.h"
#include "store/flowfile.h"
#include "store/series.h"
#include "web/web.h"

#define MAX_THREADS 64
#define MAX_SNAP_EXPORTERS 256

/* ---- types ---------------------------------------------------------------------------- */

struct exporter_snap {
	struct fh_ip ip;
	struct fh_exporter_stats st;
};

/* What a worker publishes once a second for `stats` (under its mutex: once a second, never
 * per packet). */
struct snapshot {
	struct fh_worker_stats ws;
	struct fh_ft_stats fs;
	struct fh_sock_rx_stats ss;
	struct fh_decoder_stats ds;
	uint64_t ring_waits; /* worker_ctx.ring_waits */
	unsigned n_ex;
	struct exporter_snap ex[MAX_SNAP_EXPORTERS];
};

struct worker_ctx {
	unsigned id;
	struct fh_daemon *d;
	struct fh_worker *wk;
	struct fh_ft *ft;
	struct fh_sock_rx *sock;
	struct fh_ring *rings[MAX_THREADS]; /* to each shard */
	bool flushing; /* the final flush: wait for room in the rings (ring_wait) */
	uint64_t ring_waits; /* times it waited for room (this thread only; in snap) */
	pthread_t th;
	pthread_mutex_t mu;
	struct snapshot snap;
};

struct shard_ctx {
	unsigned id;
	struct fh_daemon *d;
	pthread_t th;
	struct fh_analytics *engine;
	struct fh_flowstore *store; /* store.dir: this shard's flow files */
	struct fh_series_acc *acc; /* the web view's time series (when on) */
	const struct fh_config *seen_cfg; /* what the engine was last configured from */
	struct fh_detect_override nets[FH_DETECT_MAX_NETS]; /* its detect.net, resolved */
	const struct fh_blocklist_set *seen_bl;
	_Atomic uint64_t events, flows, packets, bytes; /* scaled by sampling */
	/* the engine's, published each second: host states, evictions, records too late for
	 * the windows, the sets' memory */
	_Atomic uint64_t hosts, evictions, late, sketch_bytes, flood_first_dropped, worm_untracked;
	_Atomic uint64_t src_first_dropped;
};

struct fh_daemon {
	struct fh_config cfg; /* as started */
	struct fh_config *live; /* RCU: what reload may change */
	struct fh_blocklist_set *bl; /* RCU: the lists of live->blocklists (NULL: none) */
	struct fh_worm_table *worms; /* shared by the shards (analytics/worm.h) */
	char config_path[512];
	char *sets[64];
	unsigned n_sets;
	unsigned nw, ns;
	int dpdk;
	struct worker_ctx *w[MAX_THREADS];
	struct shard_ctx *s[MAX_THREADS];
	atomic_int quit;
	/* JSON lines on stdout, in memory (web, metrics), Redis when configured */
	struct fh_alert_sink *sinks[3];
	struct fh_alert_sink *memsink, *redis;
	unsigned n_sinks;
	struct fh_series *series;
	struct fh_filter *profile_filter[FH_CFG_MAX_NAMED];
	struct fh_web *web;
	int ctl_fd;
	pthread_t ctl;
	_Atomic uint64_t reloads;
	_Atomic uint64_t files_expired, store_bytes; /* retention */
	/* what the blocklists in use hold, for stats and metrics (bl_note): set by the thread
	 * that loads them, read by the control and web threads */
	pthread_mutex_t bl_mu;
	unsigned bl_n;
	char bl_name[64][32];
	uint32_t bl_entries[64];
	uint64_t bl_bytes;
	/* exporters whose clock offset was logged (clock_check), with its clock_steps then */
	struct {
		struct fh_ip ip;
		uint64_t steps;
	} clock_logged[MAX_SNAP_EXPORTERS];
	unsigned n_clock_logged;
};

/* Note what a set of blocklists (NULL: none) holds, before it is put in use. */
static void bl_note(struct fh_daemon *d, const struct fh_blocklist_set *bl)
{
	const char *names[64];
	uint32_t entries[64];
	unsigned n = bl ? fh_blocklist_lists(bl, names, entries, 64) : 0;
	pthread_mutex_lock(&d->bl_mu);
	for (unsigned i = 0; i < n; i++) {
		snprintf(d->bl_name[i], sizeof(d->bl_name[i]), "%s", names[i]);
		d->bl_entries[i] = entries[i];
	}
	d->bl_n = n;
	d->bl_bytes = bl ? fh_blocklist_bytes(bl) : 0;
	pthread_mutex_unlock(&d->bl_mu);
}

static struct fh_daemon *signal_target;
static atomic_int want_reload;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- workers -------------------------------------------------------------------------- */

/* Exporter ACL: called by the decoder on the worker thread (an online QSBR reader). */
static int allow_exporter(void *arg, const struct fh_ip *ip)
{
	struct fh_daemon *d = arg;
	const struct fh_config *c = rcu_dereference(d->live);
	return c->allow.n == 0 || fh_cidr_match(&c->allow, ip);
}

static void rec_to_table(void *arg, const struct fh_flow_rec *rec)
{
	struct worker_ctx *w = arg;
	fh_ft_upsert(w->ft, rec);
}

static void on_datagram(void *arg, const struct fh_ip *src, uint16_t sport, uint16_t dport,
	const uint8_t *buf, size_t len, uint64_t now)
{
	struct worker_ctx *w = arg;
	(void)sport;
	(void)dport;
	fh_worker_datagram(w->wk, src, buf, len, now);
}

static void on_frame(void *arg, const uint8_t *frame, size_t len, uint64_t ts)
{
	struct worker_ctx *w = arg;
	fh_worker_frame(w->wk, frame, len, ts);
}

static void collect_exporter(void *arg, const struct fh_ip *ip, const struct fh_exporter_stats *st)
{
	struct snapshot *s = arg;
	if (s->n_ex < MAX_SNAP_EXPORTERS) {
		s->ex[s->n_ex].ip = *ip;
		s->ex[s->n_ex].st = *st;
		s->n_ex++;
	}
}

static void publish(struct worker_ctx *w)
{
	pthread_mutex_lock(&w->mu);
	w->snap.ws = *fh_worker_stats(w->wk);
	fh_ft_get_stats(w->ft, &w->snap.fs);
	if (w->sock)
		fh_sock_rx_get_stats(w->sock, &w->snap.ss);
	w->snap.ds = *fh_decoder_stats(fh_worker_decoder(w->wk));
	w->snap.ring_waits = w->ring_waits;
	w->snap.n_ex = 0;
	fh_decoder_foreach_exporter(fh_worker_decoder(w->wk), collect_exporter, &w->snap);
	pthread_mutex_unlock(&w->mu);
}

/* The flow table found a shard's ring full: the shard is behind (a burst, or another job
 * took its core). The worker waits for room, up to flowtable.ring_wait (1 s), rather than
 * drop a record it has accepted: meanwhile the input waits where it is (the socket's
 * receive buffer, the NIC's RX ring), and if that overflows the loss is counted there
 * (kernel_drops, the port's missed packets), before anything was accepted. After the wait,
 * or with ring_wait 0, the event is dropped and counted (ring_drops). In the final flush
 * (SIGTERM), every flow still in the table ends at once, far more events than a ring holds,
 * while the shards are still running (they stop when the workers have and the rings are
 * empty): the wait is a second then too. */
static void ring_wait(void *arg, unsigned ring)
{
	struct worker_ctx *w = arg;
	uint64_t limit = w->flushing ? 1000 : (uint64_t)w->d->cfg.ring_wait;
	if (!limit)
		return;
	w->ring_waits++;
	rcu_thread_offline();
	/* until the ring is half empty, not until one slot is free: else the worker would wake
	 * for each burst the shard takes (64 events), refill it and sleep again */
	struct fh_ring *r = w->rings[ring];
	uint64_t until = now_ms() + limit;
	while (fh_ring_count(r) > r->mask / 2 && now_ms() < until)
		usleep(50);
	rcu_thread_online();
}

static void *worker_main(void *arg)
{
	struct worker_ctx *w = arg;
	struct fh_daemon *d = w->d;
	uint64_t next_tick = 0;

	rcu_register_thread();
	while (!atomic_load_explicit(&d->quit, memory_order_relaxed)) {
		if (d->dpdk) {
			unsigned got = 0;
			for (uint16_t p = 0; p < fh_dpdk_nb_ports(); p++)
				got += fh_dpdk_rx_burst(p, (uint16_t)w->id, on_frame, w);
			if (!got) {
				rcu_thread_offline();
				usleep(100); /* idle: a real poll-mode NIC spins; vdevs need not */
				rcu_thread_online();
			}
		} else {
			rcu_thread_offline(); /* epoll may block: not a reader meanwhile */
			int n = fh_sock_rx_poll(w->sock, 100, 4096, on_datagram, w);
			rcu_thread_online();
			(void)n;
		}
		uint64_t now = now_ms();
		if (now >= next_tick) {
			const struct fh_config *c = rcu_dereference(d->live);
			(void)c;
			fh_worker_tick(w->wk, now);
			fh_ft_expire(w->ft, now, 65536);
			publish(w);
			next_tick = now + 1000;
		}
		rcu_quiescent_state();
	}
	w->flushing = true;
	fh_ft_flush(w->ft);
	publish(w);
	rcu_unregister_thread();
	return NULL;
}

/* ---- analytics shards ----------------------------------------------------------------- */

static void *shard_main(void *arg)
{
	struct shard_ctx *s = arg;
	struct fh_daemon *d = s->d;
	struct fh_flow_event ev[64];
	int idle_rounds = 0;
	uint64_t next_tick = 0, next_sync = 0;

	rcu_register_thread();
	for (;;) {
		unsigned got = 0;
		/* a reload: take the new settings before this thread's next quiescent state, after
		 * which the old ones may be freed */
		const struct fh_config *lc = rcu_dereference(d->live);
		const struct fh_blocklist_set *lb = rcu_dereference(d->bl);
		if (lc != s->seen_cfg || lb != s->seen_bl) {
			struct fh_analytics_cfg ac;
			fh_setup_analytics(lc, lb, s->nets, &ac);
			fh_analytics_reconfigure(s->engine, &ac);
			s->seen_cfg = lc;
			s->seen_bl = lb;
		}
		for (unsigned i = 0; i < d->nw; i++) {
			uint32_t n = fh_ring_dequeue_burst(d->w[i]->rings[s->id], ev, 64);
			if (!n)
				continue;
			fh_analytics_events(s->engine, ev, n);
			/* the counters once a burst: an atomic add an event cost as much as a
			 * detector */
			uint64_t flows = 0, packets = 0, bytes = 0;
			for (uint32_t k = 0; k < n; k++) {
				if (!(ev[k].roles & FH_ROLE_SRC)) /* each flow once */
					continue;
				uint64_t m = ev[k].rec.sampling ? ev[k].rec.sampling : 1;
				if (s->store)
					fh_flowstore_add(s->store, &ev[k].rec);
				if (s->acc)
					fh_series_acc_add(s->acc, &ev[k].rec);
				flows++;
				packets += ev[k].rec.packets * m;
				bytes += ev[k].rec.bytes * m;
			}
			atomic_fetch_add_explicit(&s->events, n, memory_order_relaxed);
			atomic_fetch_add_explicit(&s->flows, flows, memory_order_relaxed);
			atomic_fetch_add_explicit(&s->packets, packets, memory_order_relaxed);
			atomic_fetch_add_explicit(&s->bytes, bytes, memory_order_relaxed);
			got += n;
		}
		uint64_t now = now_ms();
		if (now >= next_tick) {
			/* live: the wall clock is the watermark (exporters' clocks are NTP-synced) */
			fh_analytics_tick(s->engine, now);
			struct fh_analytics_stats as;
			fh_analytics_get_stats(s->engine, &as);
			atomic_store(&s->hosts, as.hosts);
			atomic_store(&s->evictions, as.evictions);
			atomic_store(&s->late, as.late);
			atomic_store(&s->flood_first_dropped, as.flood_first_dropped);
			atomic_store(&s->src_first_dropped, as.src_first_dropped);
			atomic_store(&s->worm_untracked, as.worm_untracked);
			atomic_store(&s->sketch_bytes, as.sketch_bytes);
			if (s->acc)
				fh_series_acc_flush(s->acc);
			if (s->store && now >= next_sync) { /* the web view reads open files */
				fh_flowstore_sync(s->store);
				next_sync = now + 5000;
			}
			next_tick = now + 1000;
		}
		if (!got) {
			/* quit once the workers have stopped and every ring is empty */
			if (atomic_load(&d->quit) && ++idle_rounds > 200)
				break;
			rcu_thread_offline();
			usleep(1000);
			rcu_thread_online();
		} else {
			idle_rounds = 0;
		}
		rcu_quiescent_state();
	}
	fh_alert_table_flush(fh_analytics_alerts(s->engine));
	fh_flowstore_close(s->store); /* the last file is completed (renamed) */
	s->store = NULL;
	if (s->acc)
		fh_series_acc_flush(s->acc);
	rcu_unregister_thread();
	return NULL;
}

/* ---- stats ---------------------------------------------------------------------------- */

/* An exporter's clock offset as JSON: ms, or null before a datagram with a header time. */
static const char *clock_str(const struct fh_exporter_stats *e, char *buf, size_t len)
{
	if (!e->clock_steps)
		return "null";
	snprintf(buf, len, "%" PRId64, e->clock_offset_ms);
	return buf;
}

static size_t stats_json(struct fh_daemon *d, char *out, size_t len)
{
	size_t o = 0;
	uint64_t datagrams = 0, records = 0, drops = 0, errors = 0;
#define P(...) o += (size_t)snprintf(out + o, o < len ? len - o : 0, __VA_ARGS__)
	char workers[16384];
	size_t wo = 0;
	char exps[32768];
	size_t eo = 0;
	for (unsigned i = 0; i < d->nw; i++) {
		struct worker_ctx *w = d->w[i];
		pthread_mutex_lock(&w->mu);
		struct snapshot *s = &w->snap;
		uint64_t wd = s->ss.kernel_drops + s->fs.ring_drops + s->fs.full_drops;
		datagrams += s->ws.datagrams;
		records += s->ws.records;
		errors += s->ws.decode_errors;
		drops += wd;
		wo += (size_t)snprintf(workers + wo, sizeof(workers) - wo,
			"%s{\"id\":%u,\"frames\":%" PRIu64 ",\"datagrams\":%" PRIu64
			",\"records\":%" PRIu64 ",\"decode_errors\":%" PRIu64
			",\"kernel_drops\":%" PRIu64 ",\"ring_drops\":%" PRIu64
			",\"ring_waits\":%" PRIu64 ",\"table_full_drops\":%" PRIu64 ",\"flows\":%" PRIu64
			",\"flow_inserts\":%" PRIu64 ",\"expired\":{\"inactive\":%" PRIu64
			",\"active\":%" PRIu64 ",\"fin\":%" PRIu64 ",\"rst\":%" PRIu64
			",\"evict\":%" PRIu64 ",\"flush\":%" PRIu64 "},\"denied\":%" PRIu64
			",\"not_ip\":%" PRIu64 ",\"fragments\":%" PRIu64 ",\"tap_packets\":%" PRIu64 "}",
			i ? "," : "", i, s->ws.frames, s->ws.datagrams, s->ws.records,
			s->ws.decode_errors, s->ss.kernel_drops, s->fs.ring_drops, s->ring_waits,
			s->fs.full_drops,
			s->fs.entries, s->fs.inserts, s->fs.expired[FH_FT_INACTIVE],
			s->fs.expired[FH_FT_ACTIVE], s->fs.expired[FH_FT_FIN],
			s->fs.expired[FH_FT_RST], s->fs.expired[FH_FT_EVICT],
			s->fs.expired[FH_FT_FLUSH], s->ds.denied, s->ws.not_ip, s->ws.fragments,
			s->ws.tap_packets);
		if (wo >= sizeof(workers))
			wo = sizeof(workers) - 1;
		for (unsigned k = 0; k < s->n_ex; k++) {
			char ip[FH_IP_STRLEN], off[24];
			const struct fh_exporter_stats *e = &s->ex[k].st;
			eo += (size_t)snprintf(exps + eo, sizeof(exps) - eo,
				"%s{\"exporter\":\"%s\",\"worker\":%u,\"datagrams\":%" PRIu64
				",\"records\":%" PRIu64 ",\"malformed\":%" PRIu64 ",\"seq_lost\":%" PRIu64
				",\"seq_resets\":%" PRIu64 ",\"templates\":%" PRIu64
				",\"opt_templates\":%" PRIu64 ",\"pending\":%" PRIu64
				",\"pending_decoded\":%" PRIu64 ",\"pending_dropped\":%" PRIu64
				",\"sflow_samples\":%" PRIu64 ",\"sflow_samples_lost\":%" PRIu64
				",\"sflow_sample_pool\":%" PRIu64 ",\"sflow_agent_drops\":%" PRIu64
				",\"clock_offset_ms\":%s,\"clock_corrected\":%" PRIu64 "}",
				eo ? "," : "", fh_ip_fmt(&s->ex[k].ip, ip, sizeof(ip)), i, e->datagrams,
				e->records, e->malformed, e->seq_lost, e->seq_resets, e->templates,
				e->opt_templates, e->pending, e->pending_decoded, e->pending_dropped,
				e->flow_samples, e->sample_seq_lost, e->sample_pool, e->agent_drops,
				clock_str(e, off, sizeof(off)), e->clock_corrected);
			if (eo >= sizeof(exps))
				eo = sizeof(exps) - 1;
		}
		pthread_mutex_unlock(&w->mu);
	}
	workers[wo] = 0;
	exps[eo] = 0;
	char ports[2048] = "";
	size_t po = 0;
	if (d->dpdk) {
		for (uint16_t p = 0; p < fh_dpdk_nb_ports(); p++) {
			struct fh_dpdk_port_stats ps = {0};
			fh_dpdk_port_get_stats(p, &ps);
			drops += ps.imissed + ps.rx_nombuf;
			po += (size_t)snprintf(ports + po, sizeof(ports) - po,
				"%s{\"port\":%u,\"ipackets\":%" PRIu64 ",\"imissed\":%" PRIu64
				",\"ierrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64 "}",
				p ? "," : "", p, ps.ipackets, ps.imissed, ps.ierrors, ps.rx_nombuf);
		}
	}
	char shards[4096] = "";
	size_t so = 0;
	for (unsigned i = 0; i < d->ns; i++)
		so += (size_t)snprintf(shards + so, sizeof(shards) - so,
			"%s{\"id\":%u,\"events\":%" PRIu64 ",\"flows\":%" PRIu64
			",\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"hosts\":%" PRIu64
			",\"evictions\":%" PRIu64 ",\"late\":%" PRIu64 ",\"sketch_bytes\":%" PRIu64
			",\"flood_first_dropped\":%" PRIu64 ",\"src_first_dropped\":%" PRIu64
			",\"worm_untracked\":%" PRIu64 "}",
			i ? "," : "", i, atomic_load(&d->s[i]->events), atomic_load(&d->s[i]->flows),
			atomic_load(&d->s[i]->packets), atomic_load(&d->s[i]->bytes),
			atomic_load(&d->s[i]->hosts), atomic_load(&d->s[i]->evictions),
			atomic_load(&d->s[i]->late), atomic_load(&d->s[i]->sketch_bytes),
			atomic_load(&d->s[i]->flood_first_dropped),
			atomic_load(&d->s[i]->src_first_dropped),
			atomic_load(&d->s[i]->worm_untracked));
	char lists[64 * 96] = "";
	size_t lo = 0;
	pthread_mutex_lock(&d->bl_mu);
	uint64_t bl_bytes = d->bl_bytes;
	for (unsigned i = 0; i < d->bl_n; i++) /* list names are config names: no quoting */
		lo += (size_t)snprintf(lists + lo, sizeof(lists) - lo,
			"%s{\"name\":\"%s\",\"entries\":%u}", i ? "," : "", d->bl_name[i],
			d->bl_entries[i]);
	pthread_mutex_unlock(&d->bl_mu);
	P("{\"datagrams\":%" PRIu64 ",\"records\":%" PRIu64 ",\"drops\":%" PRIu64
	  ",\"decode_errors\":%" PRIu64 ",\"reloads\":%" PRIu64 ",\"input\":\"%s\","
	  "\"workers\":[%s],\"exporters\":[%s],\"dpdk_ports\":[%s],\"analytics\":[%s],"
	  "\"blocklists\":[%s],\"blocklist_bytes\":%" PRIu64 "}\n",
		datagrams, records, drops, errors, atomic_load(&d->reloads),
		d->dpdk ? "dpdk" : "socket", workers, exps, ports, shards, lists, bl_bytes);
#undef P
	return o < len ? o : len - 1;
}

/* ---- the web view: metrics and live flows ---------------------------------------------- */

/* Prometheus text format: counters end in _total; labels name the worker, shard, exporter,
 * cause or alert type (docs/web.md lists them). */
static size_t metrics_text(void *arg, char *out, size_t len)
{
	struct fh_daemon *d = arg;
	size_t o = 0;
#define P(...) o += (size_t)snprintf(out + o, o < len ? len - o : 0, __VA_ARGS__)
#define HDR(name, type, help) P("# HELP flowhound_" name " " help "\n# TYPE flowhound_" name " " type "\n")
	static const char *const causes[FH_FT_CAUSE_MAX] = {"inactive", "active", "fin", "rst",
		"evict", "flush", "exported"};
	struct snapshot *snaps = malloc(d->nw * sizeof(*snaps));
	if (!snaps)
		return 0;
	for (unsigned i = 0; i < d->nw; i++) {
		pthread_mutex_lock(&d->w[i]->mu);
		snaps[i] = d->w[i]->snap;
		pthread_mutex_unlock(&d->w[i]->mu);
	}
#define PER_WORKER(name, type, help, expr)                                                    \
	HDR(name, type, help);                                                                 \
	for (unsigned i = 0; i < d->nw; i++) {                                                 \
		const struct snapshot *sn = &snaps[i];                                         \
		P("flowhound_" name "{worker=\"%u\"} %" PRIu64 "\n", i, (uint64_t)(expr));     \
	}
	PER_WORKER("frames_total", "counter", "Frames or datagrams received.", sn->ws.frames)
	PER_WORKER("datagrams_total", "counter", "Export datagrams decoded.", sn->ws.datagrams)
	PER_WORKER("records_total", "counter", "Flow records decoded.", sn->ws.records)
	PER_WORKER("decode_errors_total", "counter", "Malformed export datagrams (dropped).",
		sn->ws.decode_errors)
	PER_WORKER("flows_active", "gauge", "Flows in the worker's flow table.", sn->fs.entries)
	PER_WORKER("flow_inserts_total", "counter", "Flows created in the flow table.",
		sn->fs.inserts)
	PER_WORKER("ring_waits_total", "counter",
		"Times the worker waited for room in a full ring to a shard (flowtable.ring_wait).",
		sn->ring_waits)
	HDR("drops_total", "counter", "Records or datagrams lost, by where.");
	for (unsigned i = 0; i < d->nw; i++) {
		P("flowhound_drops_total{worker=\"%u\",where=\"kernel\"} %" PRIu64 "\n", i,
			snaps[i].ss.kernel_drops);
		P("flowhound_drops_total{worker=\"%u\",where=\"ring\"} %" PRIu64 "\n", i,
			snaps[i].fs.ring_drops);
		P("flowhound_drops_total{worker=\"%u\",where=\"table_full\"} %" PRIu64 "\n", i,
			snaps[i].fs.full_drops);
	}
	HDR("flows_expired_total", "counter", "Flow events by cause.");
	for (unsigned i = 0; i < d->nw; i++)
		for (int c = 0; c < FH_FT_CAUSE_MAX; c++)
			P("flowhound_flows_expired_total{worker=\"%u\",cause=\"%s\"} %" PRIu64 "\n",
				i, causes[c], snaps[i].fs.expired[c]);
	/* per exporter: one family per counter of struct fh_exporter_stats */
	static const struct {
		const char *name, *help;
		size_t off;
	} exf[] = {
		{"exporter_records_total", "Flow records by exporter.",
			offsetof(struct fh_exporter_stats, records)},
		{"exporter_sequence_lost_total",
			"Records or datagrams the exporter's sequence numbers say were lost on the way.",
			offsetof(struct fh_exporter_stats, seq_lost)},
		{"exporter_sflow_samples_lost_total",
			"sFlow flow samples lost on the way (gaps in each data source's sample sequence).",
			offsetof(struct fh_exporter_stats, sample_seq_lost)},
		{"exporter_sflow_agent_drops_total",
			"sFlow samples the agent dropped itself (its drops counter).",
			offsetof(struct fh_exporter_stats, agent_drops)},
		{"exporter_clock_corrected_total",
			"Records whose times were moved onto our clock (decoder.clock_tolerance).",
			offsetof(struct fh_exporter_stats, clock_corrected)},
	};
	for (size_t f = 0; f < sizeof(exf) / sizeof(exf[0]); f++) {
		P("# HELP flowhound_%s %s\n# TYPE flowhound_%s counter\n", exf[f].name, exf[f].help,
			exf[f].name);
		for (unsigned i = 0; i < d->nw; i++)
			for (unsigned k = 0; k < snaps[i].n_ex; k++) {
				char ip[FH_IP_STRLEN];
				uint64_t v;
				memcpy(&v, (const char *)&snaps[i].ex[k].st + exf[f].off, sizeof(v));
				P("flowhound_%s{exporter=\"%s\"} %" PRIu64 "\n", exf[f].name,
					fh_ip_fmt(&snaps[i].ex[k].ip, ip, sizeof(ip)), v);
			}
	}
	HDR("exporter_clock_offset_seconds", "gauge",
		"Arrival time less the export headers' time (NetFlow, IPFIX): positive, the "
		"exporter's clock is behind ours.");
	for (unsigned i = 0; i < d->nw; i++)
		for (unsigned k = 0; k < snaps[i].n_ex; k++) {
			char ip[FH_IP_STRLEN];
			if (snaps[i].ex[k].st.clock_steps)
				P("flowhound_exporter_clock_offset_seconds{exporter=\"%s\"} %.3f\n",
					fh_ip_fmt(&snaps[i].ex[k].ip, ip, sizeof(ip)),
					snaps[i].ex[k].st.clock_offset_ms / 1000.0);
		}
	free(snaps);
	/* per shard: HELP/TYPE once, then a line a shard */
	static const struct {
		const char *name, *type, *help;
		size_t off;
	} shf[] = {
		{"analytics_events_total", "counter", "Flow events handled by each analytics shard.",
			offsetof(struct shard_ctx, events)},
		{"analytics_hosts", "gauge", "Host states held by each analytics shard.",
			offsetof(struct shard_ctx, hosts)},
		{"analytics_evictions_total", "counter",
			"Host states evicted (the idlest) because the shard's pool was full.",
			offsetof(struct shard_ctx, evictions)},
		{"analytics_late_total", "counter",
			"Flow records too late for a host's counting windows (left out of them).",
			offsetof(struct shard_ctx, late)},
		{"analytics_sketch_bytes", "gauge", "Memory of the distinct-count sets' blocks.",
			offsetof(struct shard_ctx, sketch_bytes)},
		{"analytics_flood_first_dropped_total", "counter",
			"A destination's first flood-kind record, held until its second, whose place "
			"another destination's took: not counted for its victim.",
			offsetof(struct shard_ctx, flood_first_dropped)},
		{"analytics_src_first_dropped_total", "counter",
			"An outside source's first record, held while the host pool was full, "
			"whose place another source's took: not judged for its source.",
			offsetof(struct shard_ctx, src_first_dropped)},
		{"analytics_worm_untracked_total", "counter",
			"Scanning flows of inside hosts that the shared worm table had no slot for (more "
			"ports scanned at once than it holds): not counted for a worm.",
			offsetof(struct shard_ctx, worm_untracked)},
	};
	for (size_t f = 0; f < sizeof(shf) / sizeof(shf[0]); f++) {
		P("# HELP flowhound_%s %s\n# TYPE flowhound_%s %s\n", shf[f].name, shf[f].help,
			shf[f].name, shf[f].type);
		for (unsigned i = 0; i < d->ns; i++)
			P("flowhound_%s{shard=\"%u\"} %" PRIu64 "\n", shf[f].name, i,
				atomic_load((_Atomic uint64_t *)((char *)d->s[i] + shf[f].off)));
	}
	if (d->memsink) {
		uint64_t created[FH_ALERT_TYPE_MAX], active[FH_ALERT_TYPE_MAX];
		fh_alert_sink_memory_counts(d->memsink, created, active);
		static const char *const tn[] = {
#define X(e, str) str,
			FH_ALERT_TYPES(X)
#undef X
		};
		HDR("alerts_total", "counter", "Alerts raised (one per activity), by type.");
		for (int t = 0; t < FH_ALERT_TYPE_MAX; t++)
			P("flowhound_alerts_total{type=\"%s\"} %" PRIu64 "\n", tn[t], created[t]);
		HDR("alerts_active", "gauge", "Alerts active now, by type.");
		for (int t = 0; t < FH_ALERT_TYPE_MAX; t++)
			P("flowhound_alerts_active{type=\"%s\"} %" PRIu64 "\n", tn[t], active[t]);
	}
	if (d->redis) {
		struct fh_redis_stats rs;
		fh_alert_sink_redis_stats(d->redis, &rs);
		HDR("redis_connected", "gauge", "1 while Redis answers.");
		P("flowhound_redis_connected %d\n", rs.connected);
		HDR("redis_events_total", "counter", "Alert events by what became of them.");
		P("flowhound_redis_events_total{state=\"written\"} %" PRIu64 "\n", rs.written);
		P("flowhound_redis_events_total{state=\"spooled\"} %" PRIu64 "\n", rs.spooled);
		P("flowhound_redis_events_total{state=\"dropped\"} %" PRIu64 "\n", rs.dropped);
	}
	if (d->series) {
		struct fh_series_stats ss;
		fh_series_get_stats(d->series, &ss);
		HDR("series_late_dropped_total", "counter",
			"Counts older than a time-series ring holds (not graphed).");
		P("flowhound_series_late_dropped_total %" PRIu64 "\n", ss.late_dropped);
	}
	HDR("store_files_expired_total", "counter", "Flow files deleted by retention.");
	P("flowhound_store_files_expired_total %" PRIu64 "\n", atomic_load(&d->files_expired));
	HDR("store_bytes", "gauge", "Bytes the complete flow files take (at the last retention check).");
	P("flowhound_store_bytes %" PRIu64 "\n", atomic_load(&d->store_bytes));
	HDR("reloads_total", "counter", "Configuration reloads.");
	P("flowhound_reloads_total %" PRIu64 "\n", atomic_load(&d->reloads));
	pthread_mutex_lock(&d->bl_mu);
	HDR("blocklist_entries", "gauge", "Prefixes of each blocklist in use.");
	for (unsigned i = 0; i < d->bl_n; i++)
		P("flowhound_blocklist_entries{list=\"%s\"} %u\n", d->bl_name[i], d->bl_entries[i]);
	HDR("blocklist_bytes", "gauge", "Memory of the blocklists in use and their lookup.");
	P("flowhound_blocklist_bytes %" PRIu64 "\n", d->bl_bytes);
	pthread_mutex_unlock(&d->bl_mu);
#undef PER_WORKER
#undef HDR
#undef P
	return o < len ? o : len - 1;
}

struct live_walk {
	void (*fn)(void *fa, const struct fh_flow_rec *r);
	void *fa;
};

/* Flows that exporters built (NetFlow, IPFIX) were passed on when they arrived (and are in
 * the flow files): only the flows built here from samples hold counts not passed on yet. */
static void live_one(void *arg, const struct fh_flow_rec *r)
{
	const struct live_walk *lw = arg;
	if (r->version > FH_VER_IPFIX && (r->packets || r->bytes))
		lw->fn(lw->fa, r);
}

/* The flows still in the worker tables. Called by web server threads, which are not RCU
 * readers otherwise: register for the walk only. */
static void live_flows(void *arg, void (*fn)(void *fa, const struct fh_flow_rec *r), void *fa)
{
	struct fh_daemon *d = arg;
	struct live_walk lw = {fn, fa};
	rcu_register_thread();
	for (unsigned i = 0; i < d->nw; i++)
		if (d->w[i] && d->w[i]->ft)
			fh_ft_foreach(d->w[i]->ft, live_one, &lw);
	rcu_unregister_thread();
}

static int web_start(struct fh_daemon *d, char *err, size_t errlen)
{
	const struct fh_config *c = &d->cfg;
	struct fh_series_profile prof[FH_CFG_MAX_NAMED];
	for (unsigned i = 0; i < c->profiles.n; i++) {
		d->profile_filter[i] = fh_filter_compile(c->profiles.v[i].value, err, errlen);
		if (!d->profile_filter[i])
			return -1;
		snprintf(prof[i].name, sizeof(prof[i].name), "%s", c->profiles.v[i].name);
		prof[i].filter = d->profile_filter[i];
	}
	struct fh_series_spec sp = {.ports = c->web_ports.v, .n_ports = c->web_ports.n,
		.home_net = &c->home_net, .profiles = prof, .n_profiles = c->profiles.n};
	d->series = fh_series_open(&sp, c->series_file[0] ? c->series_file : NULL, err, errlen);
	if (!d->series)
		return -1;
	for (unsigned i = 0; i < d->ns; i++)
		if (!(d->s[i]->acc = fh_series_acc_new(d->series))) {
			snprintf(err, errlen, "out of memory for the time series");
			return -1;
		}
	struct fh_web_source src = {.series = d->series, .store_dir = c->store_dir,
		.alerts = d->memsink, .redis_url = c->redis_url, .redis_prefix = c->redis_prefix,
		.profiles = &d->cfg.profiles, .home_net = &d->cfg.home_net,
		.live_flows = live_flows, .metrics = metrics_text, .arg = d};
	struct fh_web_cfg wc = {.listen = c->web_listen, .token = c->web_token,
		.basic = c->web_basic, .tls_cert = c->web_cert, .tls_key = c->web_key};
	d->web = fh_web_start(&wc, &src, err, errlen);
	return d->web ? 0 : -1;
}

/* ---- reload --------------------------------------------------------------------------- */

static int reload(struct fh_daemon *d, char *msg, size_t mlen)
{
	struct fh_config *n = malloc(sizeof(*n));
	if (!n) {
		snprintf(msg, mlen, "reload: out of memory");
		return -1;
	}
	fh_config_defaults(n);
	if ((d->config_path[0] && fh_config_load(n, d->config_path, msg, mlen) < 0)) {
		free(n);
		return -1;
	}
	for (unsigned i = 0; i < d->n_sets; i++)
		if (fh_config_set(n, d->sets[i], msg, mlen) < 0) {
			free(n);
			return -1;
		}
	char blerr[512];
	struct fh_blocklist_set *nbl = fh_setup_blocklists(n, blerr, sizeof(blerr));
	if (blerr[0]) {
		snprintf(msg, mlen, "reload: %s", blerr);
		free(n);
		return -1;
	}
	/* only reloadable keys change (the schema says which); the rest stay as started */
	struct fh_config *old = d->live;
	struct fh_config next = *old;
	fh_config_take_reloadable(&next, n);
	*n = next;
	old = rcu_xchg_pointer(&d->live, n);
	bl_note(d, nbl);
	struct fh_blocklist_set *obl = rcu_xchg_pointer(&d->bl, nbl);
	synchronize_rcu(); /* the control thread may wait; no poll loop does */
	free(old);
	fh_blocklist_set_free(obl);
	atomic_fetch_add(&d->reloads, 1);
	snprintf(msg, mlen, "reloaded\n");
	return 0;
}

/* ---- control socket ------------------------------------------------------------------- */

/*
 * Say once in the log when an exporter's clock is off ours by more than CLOCK_WARN_MS (and
 * again when its offset changes): with times as exported, a clock far behind makes its
 * alerts resolve while the activity goes on (the live watermark is our clock), and its
 * records late for the windows of hosts that other exporters also report. Control thread.
 */
#define CLOCK_WARN_MS 30000
static void clock_check(struct fh_daemon *d)
{
	for (unsigned i = 0; i < d->nw; i++) {
		struct worker_ctx *w = d->w[i];
		pthread_mutex_lock(&w->mu);
		for (unsigned k = 0; k < w->snap.n_ex; k++) {
			const struct exporter_snap *e = &w->snap.ex[k];
			int64_t off = e->st.clock_offset_ms;
			if (!e->st.clock_steps || !fh_clock_beyond(off, CLOCK_WARN_MS))
				continue;
			unsigned j = 0;
			while (j < d->n_clock_logged && !fh_ip_eq(&d->clock_logged[j].ip, &e->ip))
				j++;
			if (j < d->n_clock_logged && d->clock_logged[j].steps == e->st.clock_steps)
				continue;
			if (j == d->n_clock_logged) {
				if (j == MAX_SNAP_EXPORTERS)
					continue;
				d->n_clock_logged++;
				d->clock_logged[j].ip = e->ip;
			}
			d->clock_logged[j].steps = e->st.clock_steps;
			char ip[FH_IP_STRLEN];
			fprintf(stderr,
				"flowhound: exporter %s: its clock is %.1f s %s ours "
				"(export header time against arrival); %s\n",
				fh_ip_fmt(&e->ip, ip, sizeof(ip)), (off < 0 ? -off : off) / 1000.0,
				off > 0 ? "behind" : "ahead of",
				fh_clock_moved(off, (uint32_t)d->cfg.clock_tolerance)
					? "its flows' times are moved onto ours "
					  "(decoder.clock_tolerance)"
					: "its flows keep their times: set decoder.clock_tolerance "
					  "to move them onto ours (docs/decoders.md)");
		}
		pthread_mutex_unlock(&w->mu);
	}
}

static void *control_main(void *arg)
{
	struct fh_daemon *d = arg;
	static char out[131072];
	while (!atomic_load(&d->quit)) {
		if (atomic_exchange(&want_reload, 0)) {
			char msg[512];
			if (reload(d, msg, sizeof(msg)) < 0)
				fprintf(stderr, "flowhound: %s\n", msg);
		}
		static uint64_t next_expire;
		if (d->cfg.store_dir[0] && now_ms() >= next_expire) {
			const struct fh_config *c = d->live; /* written only by this thread */
			if (c->store_max_age || c->store_max_size) {
				uint64_t left;
				unsigned n = fh_flowstore_expire(d->cfg.store_dir,
					(uint64_t)c->store_max_age, (uint64_t)c->store_max_size,
					now_ms(), &left);
				atomic_fetch_add(&d->files_expired, n);
				atomic_store(&d->store_bytes, left);
			}
			next_expire = now_ms() + 60000;
		}
		static uint64_t next_clock;
		if (now_ms() >= next_clock) {
			clock_check(d);
			next_clock = now_ms() + 5000;
		}
		static uint64_t next_msync;
		if (d->series && now_ms() >= next_msync) { /* the graphs survive a crash, too */
			fh_series_sync(d->series);
			next_msync = now_ms() + 60000;
		}
		fd_set rf;
		FD_ZERO(&rf);
		FD_SET(d->ctl_fd, &rf);
		struct timeval tv = {0, 200000};
		if (select(d->ctl_fd + 1, &rf, NULL, NULL, &tv) <= 0)
			continue;
		int c = accept(d->ctl_fd, NULL, NULL);
		if (c < 0)
			continue;
		char cmd[64] = {0};
		ssize_t n = read(c, cmd, sizeof(cmd) - 1);
		size_t olen;
		if (n > 0 && !strncmp(cmd, "stats", 5)) {
			olen = stats_json(d, out, sizeof(out));
		} else if (n > 0 && !strncmp(cmd, "reload", 6)) {
			char msg[1024];
			if (reload(d, msg, sizeof(msg)) < 0) { /* `flowhound reload` exits 1 */
				snprintf(out, sizeof(out), "error: %s\n", msg);
				fprintf(stderr, "flowhound: %s\n", msg);
			} else {
				snprintf(out, sizeof(out), "%s", msg);
			}
			olen = strlen(out);
		} else {
			olen = (size_t)snprintf(out, sizeof(out), "error: unknown command\n");
		}
		for (size_t off = 0; off < olen;) {
			ssize_t w = write(c, out + off, olen - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
		close(c);
	}
	return NULL;
}

static int control_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(a.sun_path)) {
		snprintf(err, errlen, "control.socket: path too long");
		return -1;
	}
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

int fh_control_request(const char *socket_path, const char *cmd, char *out, size_t outlen,
	char *err, size_t errlen)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", socket_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		snprintf(err, errlen, "no flowhound daemon at %s: %s", socket_path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (write(fd, cmd, strlen(cmd)) < 0) {
		snprintf(err, errlen, "%s: %s", socket_path, strerror(errno));
		close(fd);
		return -1;
	}
	shutdown(fd, SHUT_WR);
	size_t o = 0;
	ssize_t n;
	while (o + 1 < outlen && (n = read(fd, out + o, outlen - o - 1)) > 0)
		o += (size_t)n;
	out[o] = 0;
	close(fd);
	return 0;
}

/* ---- start / stop --------------------------------------------------------------------- */

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		atomic_store(&want_reload, 1);
	else if (signal_target)
		atomic_store(&signal_target->quit, 1);
}

struct fh_daemon *fh_daemon_start(const struct fh_config *cfg, const char *config_path,
	char *const *sets, unsigned n_sets, char *err, size_t errlen)
{
	struct fh_daemon *d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	d->cfg = *cfg;
	d->live = malloc(sizeof(*d->live));
	if (!d->live) {
		free(d);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*d->live = *cfg;
	pthread_mutex_init(&d->bl_mu, NULL);
	if (config_path)
		snprintf(d->config_path, sizeof(d->config_path), "%s", config_path);
	for (unsigned i = 0; i < n_sets && i < 64; i++)
		d->sets[d->n_sets++] = sets[i];
	d->nw = (unsigned)cfg->workers;
	d->ns = (unsigned)cfg->shards;
	d->ctl_fd = -1;

	if (cfg->eal_args[0]) {
		int np = fh_dpdk_init(cfg->eal_args, err, errlen);
		if (np < 0)
			goto err;
		if (np == 0) {
			snprintf(err, errlen, "DPDK: the EAL arguments create no port");
			goto err;
		}
		if (fh_dpdk_ports_start((uint16_t)d->nw, (uint16_t)cfg->rx_ring,
			    (unsigned)cfg->mbufs, err, errlen) < 0)
			goto err;
		if (fh_dpdk_nb_queues() < d->nw)
			d->nw = fh_dpdk_nb_queues(); /* the device has fewer queues */
		d->dpdk = 1;
	}

	rcu_register_thread(); /* the main thread publishes and waits for grace periods */
	d->sinks[d->n_sinks] = fh_alert_sink_json_new(stdout, false);
	if (d->sinks[d->n_sinks])
		d->n_sinks++;
	d->memsink = fh_alert_sink_memory_new(4096);
	if (d->memsink)
		d->sinks[d->n_sinks++] = d->memsink;
	if (cfg->redis_url[0]) {
		struct fh_redis_cfg rc;
		fh_setup_redis(cfg, &rc);
		d->sinks[d->n_sinks] = fh_alert_sink_redis_new(&rc, err, errlen);
		if (!d->sinks[d->n_sinks])
			goto err;
		d->redis = d->sinks[d->n_sinks++];
	}
	d->bl = fh_setup_blocklists(cfg, err, errlen);
	if (err[0])
		goto err;
	bl_note(d, d->bl);
	struct fh_analytics_cfg acfg;
	static struct fh_detect_override start_nets[FH_DETECT_MAX_NETS];
	fh_setup_analytics(d->live, d->bl, start_nets, &acfg); /* each shard re-reads the live config */
	acfg.worms = d->worms = fh_worm_table_new();
	if (!d->worms) {
		snprintf(err, errlen, "out of memory for the worm table");
		goto err;
	}
	for (unsigned i = 0; i < d->ns; i++) {
		d->s[i] = calloc(1, sizeof(*d->s[i]));
		d->s[i]->id = i;
		d->s[i]->d = d;
		d->s[i]->engine = fh_analytics_new(&acfg, d->sinks, d->n_sinks);
		if (cfg->store_dir[0]) {
			char tag[16];
			snprintf(tag, sizeof(tag), "s%u", i);
			d->s[i]->store = fh_flowstore_new(cfg->store_dir, tag);
			fh_flowstore_set_codec(d->s[i]->store, fh_codec_parse(cfg->store_codec));
		}
		if (!d->s[i]->engine) {
			snprintf(err, errlen, "out of memory for the analytics shards");
			goto err;
		}
	}
	struct sockaddr_storage addrs[FH_CFG_MAX_LIST];
	socklen_t lens[FH_CFG_MAX_LIST];
	for (unsigned k = 0; k < cfg->listen.n; k++)
		fh_sock_addr_parse(cfg->listen.v[k], &addrs[k], &lens[k]);
	for (unsigned i = 0; i < d->nw; i++) {
		struct worker_ctx *w = calloc(1, sizeof(*w));
		d->w[i] = w;
		w->id = i;
		w->d = d;
		pthread_mutex_init(&w->mu, NULL);
		for (unsigned s = 0; s < d->ns; s++) {
			w->rings[s] = fh_ring_new((uint32_t)cfg->ring_size, sizeof(struct fh_flow_event));
			if (!w->rings[s]) {
				snprintf(err, errlen, "out of memory for the event rings");
				goto err;
			}
		}
		struct fh_ft_cfg fc = {.capacity = (uint32_t)cfg->ft_capacity,
			.inactive_ms = (uint32_t)cfg->ft_inactive,
			.active_ms = (uint32_t)cfg->ft_active, .n_rings = d->ns, .rings = w->rings,
			.ring_full = ring_wait, .ring_full_arg = w};
		w->ft = fh_ft_new(&fc);
		struct fh_worker_cfg wc = {.sniff = true, .tap = cfg->tap,
			.tap_sampling = (uint32_t)cfg->tap_sampling};
		memcpy(wc.ports, fh_default_collector_ports, sizeof(fh_default_collector_ports));
		wc.n_ports = 5;
		wc.dec.pending_bytes = (size_t)cfg->pending_bytes;
		wc.dec.pending_timeout_ms = (uint32_t)cfg->pending_timeout;
		wc.dec.clock_tolerance_ms = (uint32_t)cfg->clock_tolerance;
		wc.dec.allow = allow_exporter;
		wc.dec.allow_arg = d;
		struct fh_rec_sink sink = {.emit = rec_to_table, .arg = w};
		w->wk = fh_worker_new(i, &wc, &sink);
		if (!w->ft || !w->wk) {
			snprintf(err, errlen, "out of memory for worker %u (flowtable.capacity?)", i);
			goto err;
		}
		if (!d->dpdk) {
			w->sock = fh_sock_rx_open(addrs, lens, cfg->listen.n, (int)cfg->rcvbuf, err,
				errlen);
			if (!w->sock)
				goto err;
		}
	}
	d->ctl_fd = control_open(cfg->control_socket, err, errlen);
	if (d->ctl_fd < 0)
		goto err;
	if (cfg->web_listen[0] && web_start(d, err, errlen) < 0)
		goto err;

	signal_target = d;
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* named for top -H, perf and the benchmarks: fh-worker-N, fh-shard-N, fh-control
	 * (N < 64: within the 15 characters a thread's name may have) */
	char tn[24];
	for (unsigned i = 0; i < d->ns; i++) {
		pthread_create(&d->s[i]->th, NULL, shard_main, d->s[i]);
		snprintf(tn, sizeof(tn), "fh-shard-%u", i);
		pthread_setname_np(d->s[i]->th, tn);
	}
	for (unsigned i = 0; i < d->nw; i++) {
		pthread_create(&d->w[i]->th, NULL, worker_main, d->w[i]);
		snprintf(tn, sizeof(tn), "fh-worker-%u", i);
		pthread_setname_np(d->w[i]->th, tn);
	}
	pthread_create(&d->ctl, NULL, control_main, d);
	pthread_setname_np(d->ctl, "fh-control");
	rcu_thread_offline(); /* main waits in fh_daemon_wait */
	return d;
err:
	fh_daemon_free(d);
	return NULL;
}

void fh_daemon_stop(struct fh_daemon *d)
{
	atomic_store(&d->quit, 1);
}

int fh_daemon_wait(struct fh_daemon *d)
{
	while (!atomic_load(&d->quit))
		usleep(100000);
	fh_web_stop(d->web); /* no request may read the tables while they go */
	d->web = NULL;
	for (unsigned i = 0; i < d->nw; i++)
		pthread_join(d->w[i]->th, NULL);
	for (unsigned i = 0; i < d->ns; i++)
		pthread_join(d->s[i]->th, NULL);
	pthread_join(d->ctl, NULL);
	char out[131072];
	stats_json(d, out, sizeof(out));
	fprintf(stderr, "flowhound: stopped; final counters: %s", out);
	return 0;
}

void fh_daemon_free(struct fh_daemon *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < MAX_THREADS; i++) {
		struct worker_ctx *w = d->w[i];
		if (!w)
			continue;
		fh_sock_rx_close(w->sock);
		fh_worker_free(w->wk);
		fh_ft_free(w->ft);
		for (unsigned s = 0; s < d->ns; s++)
			fh_ring_free(w->rings[s]);
		free(w);
	}
	fh_web_stop(d->web);
	for (unsigned i = 0; i < MAX_THREADS; i++) {
		if (d->s[i]) {
			fh_analytics_free(d->s[i]->engine);
			fh_series_acc_free(d->s[i]->acc);
		}
		free(d->s[i]);
	}
	fh_series_close(d->series);
	for (unsigned i = 0; i < FH_CFG_MAX_NAMED; i++)
		fh_filter_free(d->profile_filter[i]);
	for (unsigned i = 0; i < d->n_sinks; i++)
		d->sinks[i]->ops->close(d->sinks[i]);
	if (d->ctl_fd >= 0) {
		close(d->ctl_fd);
		unlink(d->cfg.control_socket);
	}
	if (d->dpdk)
		fh_dpdk_cleanup();
	free(d->live);
	fh_blocklist_set_free(d->bl);
	fh_worm_table_free(d->worms);
	pthread_mutex_destroy(&d->bl_mu);
	free(d);
}
