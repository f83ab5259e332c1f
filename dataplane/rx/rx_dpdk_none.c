/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The DPDK input's API when flowhound is built without DPDK: every call says "not supported",
 * so `run --dpdk` fails with a clear message instead of a link error.
 */
#ifndef FH_WITH_DPDK
#include <errno.h>
#include <stdio.h>

#include "dataplane/rx/dpdk.h"

int fh_dpdk_init(const char *eal_args, char *err, size_t errlen)
{
	(void)eal_args;
	snprintf(err, errlen, "this flowhound was built without DPDK");
	return -ENOTSUP;
}

int fh_dpdk_ports_start(uint16_t nb_queues, uint16_t ring_size, unsigned nb_mbufs, char *err,
	size_t errlen)
{
	(void)nb_queues;
	(void)ring_size;
	(void)nb_mbufs;
	snprintf(err, errlen, "this flowhound was built without DPDK");
	return -ENOTSUP;
}

unsigned fh_dpdk_nb_ports(void)
{
	return 0;
}

unsigned fh_dpdk_nb_queues(void)
{
	return 0;
}

unsigned fh_dpdk_rx_burst(uint16_t port, uint16_t queue, fh_frame_fn fn, void *arg)
{
	(void)port;
	(void)queue;
	(void)fn;
	(void)arg;
	return 0;
}

int fh_dpdk_port_get_stats(uint16_t port, struct fh_dpdk_port_stats *st)
{
	(void)port;
	(void)st;
	return -ENOTSUP;
}

void fh_dpdk_cleanup(void)
{
}

int fh_dpdk_launch(unsigned i, int (*fn)(void *arg), void *arg)
{
	(void)i;
	(void)fn;
	(void)arg;
	return -ENOTSUP;
}

unsigned fh_dpdk_nb_worker_lcores(void)
{
	return 0;
}

void fh_dpdk_wait(void)
{
}
#else
/* ISO C forbids an empty translation unit */
typedef int fh_rx_dpdk_none_unused;
#endif
