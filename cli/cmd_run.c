/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `flowhound run [-c FILE] [--set KEY=VALUE]... [--listen ADDR:PORT]... [--dpdk 'EAL ARGS']
 *  [--home-net CIDR]... [--redis URL] [--web ADDR:PORT] [--blocklist NAME=PATH]...`: the
 * daemon. Command-line options override the config file; --set
 * reaches any key. `flowhound stats [--json]` and `flowhound reload` talk to it;
 * `flowhound config` prints the configuration (the defaults, or -c FILE with overrides).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "daemon/daemon.h"

#define MAX_SETS 64

struct run_opts {
	int markdown;
	const char *config;
	char *sets[MAX_SETS];
	unsigned n_sets;
};

static void run_usage(FILE *f)
{
	fprintf(f, "usage: flowhound run [-c FILE] [--set KEY=VALUE]... [--listen ADDR:PORT]...\n"
		   "                     [--dpdk 'EAL ARGS'] [--home-net CIDR]... [--redis URL]\n"
		   "                     [--web ADDR:PORT] [--blocklist NAME=PATH]...\n"
		   "       flowhound config [-c FILE] [--set KEY=VALUE]... [--markdown]\n");
}

/* Options shared by run and config: they all become --set lines, applied after the file. */
static int parse(int argc, char **argv, struct run_opts *o, char *bufs, size_t bl)
{
	static const struct option lo[] = {{"config", 1, NULL, 'c'}, {"set", 1, NULL, 's'},
		{"listen", 1, NULL, 'l'}, {"dpdk", 1, NULL, 'd'}, {"home-net", 1, NULL, 'H'},
		{"redis", 1, NULL, 'r'}, {"web", 1, NULL, 'w'}, {"blocklist", 1, NULL, 'b'},
		{"markdown", 0, NULL, 'm'},
		{"help", 0, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	int c;
	size_t used = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", lo, NULL)) != -1) {
		const char *key = NULL;
		switch (c) {
		case 'c':
			o->config = optarg;
			continue;
		case 's':
			key = "";
			break;
		case 'l':
			key = "collector.listen=";
			break;
		case 'd':
			key = "dpdk.eal_args=";
			break;
		case 'H':
			key = "home_net=";
			break;
		case 'r':
			key = "redis.url=";
			break;
		case 'w':
			key = "web.listen=";
			break;
		case 'b':
			key = "blocklist=";
			break;
		case 'm':
			o->markdown = 1;
			continue;
		case 'h':
			run_usage(stdout);
			exit(FH_EXIT_OK);
		default:
			run_usage(stderr);
			return -1;
		}
		char nb[600];
		const char *val = optarg;
		if (c == 'b') { /* NAME=PATH on the command line, NAME: PATH in the config */
			const char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg) {
				fprintf(stderr, "flowhound: --blocklist takes NAME=PATH\n");
				return -1;
			}
			snprintf(nb, sizeof(nb), "%.*s: %s", (int)(eq - optarg), optarg, eq + 1);
			val = nb;
		}
		size_t need = strlen(key) + strlen(val) + 1;
		if (o->n_sets == MAX_SETS || used + need > bl) {
			fprintf(stderr, "flowhound: too many options\n");
			return -1;
		}
		char *s = bufs + used;
		snprintf(s, need, "%s%s", key, val);
		used += need;
		o->sets[o->n_sets++] = s;
	}
	if (optind < argc) {
		fprintf(stderr, "flowhound: unexpected argument '%s'\n", argv[optind]);
		run_usage(stderr);
		return -1;
	}
	return 0;
}

static int build_config(struct run_opts *o, struct fh_config *cfg)
{
	char err[512];
	fh_config_defaults(cfg);
	if (o->config && fh_config_load(cfg, o->config, err, sizeof(err)) < 0) {
		fprintf(stderr, "flowhound: %s\n", err);
		return -1;
	}
	for (unsigned i = 0; i < o->n_sets; i++)
		if (fh_config_set(cfg, o->sets[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "flowhound: %s\n", err);
			return -1;
		}
	return 0;
}

int fh_cmd_run(int argc, char **argv)
{
	static char bufs[65536];
	static struct fh_config cfg;
	struct run_opts o = {0};
	char err[512];

	if (parse(argc, argv, &o, bufs, sizeof(bufs)) < 0 || build_config(&o, &cfg) < 0)
		return FH_EXIT_USAGE;
	struct fh_daemon *d = fh_daemon_start(&cfg, o.config, o.sets, o.n_sets, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "flowhound: %s\n", err);
		return FH_EXIT_FAIL;
	}
	fprintf(stderr, "flowhound: running (%s input, %lld worker(s)); control socket %s\n",
		cfg.eal_args[0] ? "DPDK" : "socket", (long long)cfg.workers, cfg.control_socket);
	if (cfg.web_listen[0])
		fprintf(stderr, "flowhound: web view at %s://%s/\n", cfg.web_cert[0] ? "https" : "http",
			cfg.web_listen);
	int rc = fh_daemon_wait(d);
	fh_daemon_free(d);
	return rc;
}

int fh_cmd_config(int argc, char **argv)
{
	static char bufs[65536];
	static struct fh_config cfg;
	struct run_opts o = {0};
	if (parse(argc, argv, &o, bufs, sizeof(bufs)) < 0 || build_config(&o, &cfg) < 0)
		return FH_EXIT_USAGE;
	if (o.markdown)
		fh_config_dump_markdown(stdout);
	else
		fh_config_dump(&cfg, stdout);
	return FH_EXIT_OK;
}

/* `flowhound stats [--json] [--control PATH]` and `flowhound reload [--control PATH]` */
static int control(int argc, char **argv, const char *cmd)
{
	static const struct option lo[] = {{"json", 0, NULL, 'j'}, {"control", 1, NULL, 'C'},
		{NULL, 0, NULL, 0}};
	static char out[262144];
	const char *path = NULL;
	int json = 0, c;
	char err[512];
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 'j')
			json = 1;
		else if (c == 'C')
			path = optarg;
		else {
			fprintf(stderr, "usage: flowhound %s%s [--control PATH]\n", cmd,
				strcmp(cmd, "stats") ? "" : " [--json]");
			return FH_EXIT_USAGE;
		}
	}
	if (!path) {
		static struct fh_config def;
		fh_config_defaults(&def);
		path = getenv("FLOWHOUND_CONTROL") ? getenv("FLOWHOUND_CONTROL")
						   : def.control_socket;
	}
	if (fh_control_request(path, cmd, out, sizeof(out), err, sizeof(err)) < 0) {
		fprintf(stderr, "flowhound: %s\n", err);
		return FH_EXIT_FAIL;
	}
	if (strcmp(cmd, "stats") || json) {
		fputs(out, stdout);
		return strncmp(out, "error", 5) ? FH_EXIT_OK : FH_EXIT_FAIL;
	}
	/* people: the headline numbers, then the JSON for the rest */
	unsigned long long dg = 0, rec = 0, dr = 0, de = 0;
	const char *p;
	if ((p = strstr(out, "\"datagrams\":")))
		dg = strtoull(p + 12, NULL, 10);
	if ((p = strstr(out, "\"records\":")))
		rec = strtoull(p + 10, NULL, 10);
	if ((p = strstr(out, "\"drops\":")))
		dr = strtoull(p + 8, NULL, 10);
	if ((p = strstr(out, "\"decode_errors\":")))
		de = strtoull(p + 16, NULL, 10);
	printf("datagrams %llu  records %llu  drops %llu  decode errors %llu\n%s", dg, rec, dr, de,
		out);
	return FH_EXIT_OK;
}

int fh_cmd_stats(int argc, char **argv)
{
	return control(argc, argv, "stats");
}

int fh_cmd_reload(int argc, char **argv)
{
	return control(argc, argv, "reload");
}
