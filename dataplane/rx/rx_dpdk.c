/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DPDK input (see dpdk.h), in the shape of DPDK's skeleton and l3fwd examples: a short,
 * checked sequence of calls to set a port up; the poll loop is a burst receive with a
 * prefetch one packet ahead. Built only when DPDK is found (file name *_dpdk.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_launch.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>

#include "dataplane/rx/dpdk.h"

#define MAX_EAL_ARGS 64

static struct rte_mempool *pool;
static unsigned nb_queues_cfg;
static int eal_up;

int fh_dpdk_init(const char *eal_args, char *err, size_t errlen)
{
	static char buf[4096];
	static char *argv[MAX_EAL_ARGS + 2];
	int argc = 0;

	if (strlen(eal_args) >= sizeof(buf)) {
		snprintf(err, errlen, "EAL arguments too long");
		return -EINVAL;
	}
	strcpy(buf, eal_args);
	argv[argc++] = "flowhound";
	for (char *save = NULL, *tok = strtok_r(buf, " \t\n", &save); tok;
		tok = strtok_r(NULL, " \t\n", &save)) {
		if (argc >= MAX_EAL_ARGS) {
			snprintf(err, errlen, "more than %d EAL arguments", MAX_EAL_ARGS);
			return -E2BIG;
		}
		argv[argc++] = tok;
	}
	argv[argc] = NULL;
	int rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		snprintf(err, errlen, "EAL init failed: %s", rte_strerror(rte_errno));
		return -rte_errno;
	}
	eal_up = 1;
	return (int)rte_eth_dev_count_avail();
}

static int port_start(uint16_t port, uint16_t nq, uint16_t ring, char *err, size_t errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: info: %s", port, rte_strerror(-rc));
		return rc;
	}
	if (nq > info.max_rx_queues)
		nq = info.max_rx_queues;
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		if (!conf.rx_adv_conf.rss_conf.rss_hf)
			conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
	}
	rc = rte_eth_dev_configure(port, nq, 1, &conf);
	if (rc != 0) {
		snprintf(err, errlen, "port %u: configure: %s", port, rte_strerror(-rc));
		return rc;
	}
	uint16_t nb_rxd = ring, nb_txd = 64;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
	for (uint16_t q = 0; q < nq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nb_rxd, rte_eth_dev_socket_id(port), NULL,
			pool);
		if (rc < 0) {
			snprintf(err, errlen, "port %u: rx queue %u: %s", port, q,
				rte_strerror(-rc));
			return rc;
		}
	}
	/* a TX queue: some PMDs refuse to start without one; nothing is sent */
	rc = rte_eth_tx_queue_setup(port, 0, nb_txd, rte_eth_dev_socket_id(port), NULL);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: tx queue: %s", port, rte_strerror(-rc));
		return rc;
	}
	rc = rte_eth_dev_start(port);
	if (rc < 0) {
		snprintf(err, errlen, "port %u: start: %s", port, rte_strerror(-rc));
		return rc;
	}
	rte_eth_promiscuous_enable(port); /* a tap/SPAN feed is not addressed to us */
	if (nb_queues_cfg == 0 || nq < nb_queues_cfg)
		nb_queues_cfg = nq;
	return 0;
}

int fh_dpdk_ports_start(uint16_t nb_queues, uint16_t ring_size, unsigned nb_mbufs, char *err,
	size_t errlen)
{
	uint16_t port;

	if (!eal_up) {
		snprintf(err, errlen, "EAL not initialised");
		return -EINVAL;
	}
	pool = rte_pktmbuf_pool_create("fh_rx", nb_mbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		(int)rte_socket_id());
	if (!pool) {
		snprintf(err, errlen, "mbuf pool of %u: %s", nb_mbufs, rte_strerror(rte_errno));
		return -rte_errno;
	}
	RTE_ETH_FOREACH_DEV(port)
	{
		int rc = port_start(port, nb_queues ? nb_queues : 1, ring_size, err, errlen);
		if (rc < 0)
			return rc;
	}
	return 0;
}

unsigned fh_dpdk_nb_ports(void)
{
	return eal_up ? rte_eth_dev_count_avail() : 0;
}

unsigned fh_dpdk_nb_queues(void)
{
	return nb_queues_cfg;
}

unsigned fh_dpdk_rx_burst(uint16_t port, uint16_t queue, fh_frame_fn fn, void *arg)
{
	struct rte_mbuf *m[FH_DPDK_BURST];
	uint16_t n = rte_eth_rx_burst(port, queue, m, FH_DPDK_BURST);
	if (n == 0)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts); /* once per burst, not per packet */
	uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(m[i + 1], void *));
		/* export datagrams fit one segment; a chained mbuf gives its first segment */
		fn(arg, rte_pktmbuf_mtod(m[i], const uint8_t *), rte_pktmbuf_data_len(m[i]), now);
	}
	rte_pktmbuf_free_bulk(m, n);
	return n;
}

int fh_dpdk_port_get_stats(uint16_t port, struct fh_dpdk_port_stats *st)
{
	struct rte_eth_stats s;
	int rc = rte_eth_stats_get(port, &s);
	if (rc != 0)
		return rc;
	st->ipackets = s.ipackets;
	st->ibytes = s.ibytes;
	st->imissed = s.imissed;
	st->ierrors = s.ierrors;
	st->rx_nombuf = s.rx_nombuf;
	return 0;
}

void fh_dpdk_cleanup(void)
{
	uint16_t port;
	if (!eal_up)
		return;
	RTE_ETH_FOREACH_DEV(port)
	{
		rte_eth_dev_stop(port);
		rte_eth_dev_close(port);
	}
	rte_eal_cleanup();
	eal_up = 0;
}

static unsigned worker_lcore(unsigned i)
{
	unsigned lc, k = 0;
	RTE_LCORE_FOREACH_WORKER(lc)
	{
		if (k++ == i)
			return lc;
	}
	return RTE_MAX_LCORE;
}

unsigned fh_dpdk_nb_worker_lcores(void)
{
	return eal_up ? rte_lcore_count() - 1 : 0;
}

int fh_dpdk_launch(unsigned i, int (*fn)(void *arg), void *arg)
{
	unsigned lc = worker_lcore(i);
	if (lc == RTE_MAX_LCORE)
		return -ENOENT;
	return rte_eal_remote_launch(fn, arg, lc);
}

void fh_dpdk_wait(void)
{
	rte_eal_mp_wait_lcore();
}
