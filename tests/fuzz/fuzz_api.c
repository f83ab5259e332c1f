/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target: the web API's request handling (web/api.c) on any endpoint and query
 * arguments, over an in-memory time series with a few flows and an in-memory alert sink.
 * Input: the endpoint on the first line ("series", "top", ...), then NAME=VALUE lines.
 */
#include <stdlib.h>
#include <string.h>

#include "analytics/sink_memory.h"
#include "web/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 16

struct args {
	char *name[MAX_ARGS], *value[MAX_ARGS];
	unsigned n;
};

static const char *get(void *conn, const char *name)
{
	const struct args *a = conn;
	for (unsigned i = 0; i < a->n; i++)
		if (!strcmp(a->name[i], name))
			return a->value[i];
	return NULL;
}

static struct fh_web_source src;

static void setup(void)
{
	static const uint16_t ports[] = {53, 443};
	static struct fh_named_list prof = {.n = 1};
	char err[256];
	snprintf(prof.v[0].name, sizeof(prof.v[0].name), "dns");
	snprintf(prof.v[0].value, sizeof(prof.v[0].value), "port 53");
	struct fh_series_profile sp = {.name = "dns",
		.filter = fh_filter_compile("port 53", err, sizeof(err))};
	struct fh_series_spec spec = {.ports = ports, .n_ports = 2, .profiles = &sp,
		.n_profiles = 1};
	src.series = fh_series_open(&spec, NULL, err, sizeof(err));
	src.alerts = fh_alert_sink_memory_new(16);
	src.profiles = &prof;
	struct fh_series_acc *acc = fh_series_acc_new(src.series);
	for (unsigned i = 0; i < 100; i++) {
		struct fh_flow_rec r;
		memset(&r, 0, sizeof(r));
		r.proto = (uint8_t)(i % 3 ? 6 : 17);
		r.dport = (uint16_t)(i % 2 ? 53 : 443);
		r.packets = i;
		r.bytes = i * 100;
		r.first_ms = 1767225600000ull + i * 60000;
		r.last_ms = r.first_ms + 1000;
		fh_series_acc_add(acc, &r);
	}
	fh_series_acc_free(acc);
	struct fh_alert al;
	memset(&al, 0, sizeof(al));
	strcpy(al.evidence, "{}");
	fh_alert_make_id(&al);
	src.alerts->ops->emit(src.alerts, &al, FH_AEV_NEW);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!src.series)
		setup();
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	struct args a = {0};
	char *save = NULL;
	char *path = strtok_r(text, "\n", &save);
	for (char *l = strtok_r(NULL, "\n", &save); l && a.n < MAX_ARGS;
		l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');
		if (!eq)
			continue;
		*eq = 0;
		a.name[a.n] = l;
		a.value[a.n++] = eq + 1;
	}
	struct fh_api_reply r = {0};
	fh_api_handle(&src, path ? path : "", get, &a, &r);
	free(r.body.p);
	free(text);
	return 0;
}
