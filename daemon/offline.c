/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Offline pipeline (see offline.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/offline.h"
#include "dataplane/rx/capture.h"

struct off {
	struct fh_worker *w;
	struct fh_ft *ft;
	struct fh_ring *ring;
	void (*on_event)(void *arg, const struct fh_flow_event *ev);
	void (*tick)(void *arg, uint64_t watermark_ms);
	void *arg;
	struct fh_offline_result *res;
	uint64_t next_tick, clock;
};

static void to_table(void *arg, const struct fh_flow_rec *rec)
{
	struct off *o = arg;
	fh_ft_upsert(o->ft, rec);
}

static void drain(struct off *o)
{
	struct fh_flow_event ev[64];
	uint32_t n;
	while ((n = fh_ring_dequeue_burst(o->ring, ev, 64)) > 0)
		for (uint32_t i = 0; i < n; i++) {
			o->res->events++;
			if (o->on_event)
				o->on_event(o->arg, &ev[i]);
		}
}

/* The flow table found the ring full (an expiry or the flush at the end ending more flows
 * than it holds): the events so far go to the engine, nothing is dropped. */
static void ring_full(void *arg, unsigned ring)
{
	(void)ring;
	drain(arg);
}

static void advance(struct off *o, uint64_t ts)
{
	if (!ts)
		return;
	if (!o->res->first_ms || ts < o->res->first_ms)
		o->res->first_ms = ts;
	if (ts > o->res->last_ms)
		o->res->last_ms = ts;
	if (ts > o->clock)
		o->clock = ts;
	if (o->clock >= o->next_tick) {
		fh_worker_tick(o->w, o->clock);
		fh_ft_expire(o->ft, o->clock, 0);
		drain(o);
		if (o->tick)
			o->tick(o->arg, o->clock);
		o->next_tick = o->clock + 1000;
	}
}

/* ---- feeding a worker from files ------------------------------------------------------ */

struct feed {
	struct fh_worker *w;
	const char *file;
	void (*after)(void *arg, uint64_t ts);
	void *arg;
	struct fh_feed_result *res;
};

static void report(struct feed *f, int verdict, uint64_t frame_no)
{
	if (verdict != FH_WV_EXPORT_BAD)
		return;
	struct fh_ip ex;
	int rc;
	char b[FH_IP_STRLEN];
	fh_worker_last_export(f->w, &ex, &rc);
	f->res->malformed++;
	fprintf(stderr, "%s: frame %" PRIu64 ": exporter %s: %s\n", f->file, frame_no,
		fh_ip_fmt(&ex, b, sizeof(b)), fh_dec_strerror(rc));
}

static void on_packet(void *arg, const uint8_t *l2, size_t len, int eth, uint64_t ts,
	uint64_t frame_no)
{
	struct feed *f = arg;
	f->res->frames++;
	if (ts > f->res->last_ts)
		f->res->last_ts = ts;
	int v = eth ? fh_worker_frame(f->w, l2, len, ts) : fh_worker_ip(f->w, l2, len, ts);
	report(f, v, frame_no);
	if (f->after)
		f->after(f->arg, ts);
}

static void on_datagram(void *arg, const struct fh_ip *ex, const uint8_t *buf, size_t len,
	uint64_t ts, uint64_t frame_no)
{
	struct feed *f = arg;
	f->res->frames++;
	int rc = fh_worker_datagram(f->w, ex, buf, len, ts ? ts : f->res->last_ts);
	report(f, rc < 0 ? FH_WV_EXPORT_BAD : FH_WV_EXPORT, frame_no);
	if (f->after)
		f->after(f->arg, ts);
}

int fh_offline_feed(struct fh_worker *w, char *const *files, int n_files,
	void (*after)(void *arg, uint64_t ts), void *arg, struct fh_feed_result *res)
{
	static const struct fh_capture_ops ops = {.packet = on_packet, .datagram = on_datagram};
	struct feed f = {.w = w, .after = after, .arg = arg, .res = res};
	int ret = 0;
	for (int i = 0; i < n_files; i++) {
		char err[512];
		struct fh_capture_stats cst = {0};
		f.file = files[i];
		if (fh_capture_read(files[i], &ops, &f, &cst, err, sizeof(err)) < 0) {
			fprintf(stderr, "flowhound: %s\n", err);
			res->files_failed++;
			ret = -1;
		}
	}
	return ret;
}

/* ---- the analyze pipeline -------------------------------------------------------------- */

static void after_frame(void *arg, uint64_t ts)
{
	struct off *o = arg;
	drain(o);
	advance(o, ts);
}

int fh_offline_run(const struct fh_config *cfg, char *const *files, int n_files,
	void (*on_event)(void *arg, const struct fh_flow_event *ev),
	void (*tick)(void *arg, uint64_t watermark_ms), void *arg, struct fh_offline_result *res)
{
	struct off o = {.on_event = on_event, .tick = tick, .arg = arg, .res = res};
	memset(res, 0, sizeof(*res));
	o.ring = fh_ring_new(1u << 16, sizeof(struct fh_flow_event));
	struct fh_ft_cfg fc = {.capacity = (uint32_t)cfg->ft_capacity,
		.inactive_ms = (uint32_t)cfg->ft_inactive, .active_ms = (uint32_t)cfg->ft_active,
		.n_rings = 1, .rings = &o.ring, .ring_full = ring_full, .ring_full_arg = &o};
	o.ft = o.ring ? fh_ft_new(&fc) : NULL;
	struct fh_worker_cfg wc = {.sniff = true, .tap = true,
		.tap_sampling = (uint32_t)cfg->tap_sampling};
	memcpy(wc.ports, fh_default_collector_ports, sizeof(fh_default_collector_ports));
	wc.n_ports = 5;
	wc.dec.pending_bytes = (size_t)cfg->pending_bytes;
	wc.dec.pending_timeout_ms = (uint32_t)cfg->pending_timeout;
	wc.dec.clock_tolerance_ms = (uint32_t)cfg->clock_tolerance;
	struct fh_rec_sink sink = {.emit = to_table, .arg = &o};
	o.w = o.ft ? fh_worker_new(0, &wc, &sink) : NULL;
	if (!o.w) {
		fprintf(stderr, "flowhound: out of memory (flowtable.capacity?)\n");
		fh_ft_free(o.ft);
		fh_ring_free(o.ring);
		return -1;
	}
	fh_ft_no_readers(o.ft);
	struct fh_feed_result fr = {0};
	int ret = fh_offline_feed(o.w, files, n_files, after_frame, &o, &fr);
	res->frames = fr.frames;
	res->malformed = fr.malformed;
	res->files_failed = fr.files_failed;
	/* end of input: every flow ends, late data sets are given up */
	fh_ft_flush(o.ft);
	drain(&o);
	if (tick)
		tick(arg, o.clock + (uint64_t)cfg->ft_inactive + 1);
	res->ws = *fh_worker_stats(o.w);
	fh_ft_get_stats(o.ft, &res->fs);
	fh_worker_free(o.w);
	fh_ft_free(o.ft);
	fh_ring_free(o.ring);
	return ret;
}
