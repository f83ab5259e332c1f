/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `flowhound alerts list|tail|show ID|ack ID [--redis URL] [--prefix P] [--json]`: the alert
 * state in Redis. The URL defaults to $FLOWHOUND_REDIS_URL, then redis://127.0.0.1:6379.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analytics/sink_redis.h"
#include "cli/cli.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: flowhound alerts list [--json] | tail [--from-start] [--count N] |\n"
		   "                        show ID | ack ID [--by NAME]\n"
		   "                        [--redis URL] [--prefix PREFIX]\n");
}

int fh_cmd_alerts(int argc, char **argv)
{
	static const struct option lo[] = {{"redis", 1, NULL, 'r'}, {"prefix", 1, NULL, 'p'},
		{"json", 0, NULL, 'j'}, {"from-start", 0, NULL, 's'}, {"count", 1, NULL, 'n'},
		{"by", 1, NULL, 'b'}, {"help", 0, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *url = getenv("FLOWHOUND_REDIS_URL"), *prefix = "flowhound:", *by = NULL;
	int json = 0, from_start = 0, o;
	unsigned count = 0;
	char err[512];

	if (!url)
		url = "redis://127.0.0.1:6379";
	optind = 1;
	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (o) {
		case 'r': url = optarg; break;
		case 'p': prefix = optarg; break;
		case 'j': json = 1; break;
		case 's': from_start = 1; break;
		case 'n': count = (unsigned)atoi(optarg); break;
		case 'b': by = optarg; break;
		case 'h': usage(stdout); return FH_EXIT_OK;
		default: usage(stderr); return FH_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return FH_EXIT_USAGE;
	}
	const char *verb = argv[optind], *id = optind + 1 < argc ? argv[optind + 1] : NULL;
	int need_id = !strcmp(verb, "show") || !strcmp(verb, "ack");
	if ((need_id && !id) || (!need_id && strcmp(verb, "list") && strcmp(verb, "tail"))) {
		usage(stderr);
		return FH_EXIT_USAGE;
	}
	struct fh_redis_client *c = fh_redis_client_open(url, prefix, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "flowhound: %s\n", err);
		return FH_EXIT_FAIL;
	}
	int rc;
	if (!strcmp(verb, "list"))
		rc = fh_redis_alerts_list(c, json, stdout, err, sizeof(err));
	else if (!strcmp(verb, "tail"))
		rc = fh_redis_alerts_tail(c, from_start, count, stdout, err, sizeof(err));
	else if (!strcmp(verb, "show"))
		rc = fh_redis_alerts_show(c, id, stdout, err, sizeof(err));
	else {
		char who[128];
		if (!by) {
			const char *u = getenv("USER");
			char host[64] = "";
			gethostname(host, sizeof(host) - 1);
			snprintf(who, sizeof(who), "%s@%s", u ? u : "operator", host);
			by = who;
		}
		rc = fh_redis_alerts_ack(c, id, by, err, sizeof(err));
		if (rc == 0)
			printf("acknowledged %s\n", id);
	}
	fh_redis_client_close(c);
	if (rc < 0) {
		fprintf(stderr, "flowhound: %s\n", err);
		return FH_EXIT_FAIL;
	}
	return FH_EXIT_OK;
}
