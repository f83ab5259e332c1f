/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * `flowhound`: dispatch to a subcommand (one table row each, see cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
};

static const struct command commands[] = {
	{"run", fh_cmd_run, "[-c FILE] [--set K=V] [--listen A:P] [--dpdk ARGS]  the daemon"},
	{"analyze", fh_cmd_analyze, "[--home-net CIDR] [--blocklist N=PATH] CAPTURE...  alerts"},
	{"decode", fh_cmd_decode, "[--format json|csv|text] CAPTURE...  print every flow record"},
	{"query", fh_cmd_query, "-R DIR [-t T0[-T1]] [-s STAT[/ORDER]|-A FIELDS] [-o csv] [FILTER]  search"},
	{"alerts", fh_cmd_alerts, "list|tail|show ID|ack ID [--redis URL]  alert state in Redis"},
	{"stats", fh_cmd_stats, "[--json]  counters of a running daemon"},
	{"reload", fh_cmd_reload, "reload a running daemon's config"},
	{"config", fh_cmd_config, "[-c FILE] [--set K=V]  print the configuration"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: flowhound COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].usage);
	fprintf(f, "\n`flowhound COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return FH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return FH_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("flowhound 0.1.0\n");
		return FH_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "flowhound: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return FH_EXIT_USAGE;
}
