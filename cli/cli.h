/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The `flowhound` command's subcommands. Each is a function over argc/argv (argv[0] is the
 * subcommand name) that returns the process exit status: 0 success, 1 runtime failure,
 * 2 usage or config error (DESIGN.md §4). Subcommands only call the core library.
 */
#ifndef FH_CLI_CLI_H
#define FH_CLI_CLI_H

#define FH_EXIT_OK 0
#define FH_EXIT_FAIL 1
#define FH_EXIT_USAGE 2

int fh_cmd_decode(int argc, char **argv);
int fh_cmd_run(int argc, char **argv);
int fh_cmd_analyze(int argc, char **argv);
int fh_cmd_alerts(int argc, char **argv);
int fh_cmd_query(int argc, char **argv);
int fh_cmd_config(int argc, char **argv);
int fh_cmd_stats(int argc, char **argv);
int fh_cmd_reload(int argc, char **argv);

#endif
