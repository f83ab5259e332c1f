/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DPDK input: EAL initialisation from an argument string, port setup with N RX queues and
 * RSS on the IP/UDP 5-tuple (so that one exporter's datagrams always reach the same queue,
 * hence the same worker), and the burst receive a poll-mode worker runs. This header carries
 * no DPDK types, so the rest of flowhound builds and runs without DPDK (FH_WITH_DPDK unset:
 * every function returns -ENOTSUP).
 */
#ifndef FH_DATAPLANE_RX_DPDK_H
#define FH_DATAPLANE_RX_DPDK_H

#include <stddef.h>
#include <stdint.h>

#define FH_DPDK_BURST 32

struct fh_dpdk_port_stats {
	uint64_t ipackets, ibytes;
	uint64_t imissed; /* dropped by the NIC: RX queues full */
	uint64_t ierrors, rx_nombuf;
};

/* Called once per received frame (an Ethernet frame; the mbuf is freed after the call). */
typedef void (*fh_frame_fn)(void *arg, const uint8_t *frame, size_t len, uint64_t now_ms);

/*
 * Initialise the EAL with the whitespace-separated arguments (e.g. "--no-huge --no-pci -m 512
 * --vdev=net_pcap0,rx_pcap=F"); "--" is not needed. Returns the number of ports the EAL
 * created (>= 0) or a negative errno with a message in err.
 * Calling context: main thread, once, before any other call here.
 */
int fh_dpdk_init(const char *eal_args, char *err, size_t errlen);

/*
 * Configure and start every port with nb_queues RX queues (RSS on IP/UDP when more than one
 * and the device supports it; otherwise one queue and a warning in err), each with
 * ring_size descriptors, from one mbuf pool of nb_mbufs. Returns 0 or a negative errno
 * with a message in err. Calling context: main thread, after fh_dpdk_init.
 */
int fh_dpdk_ports_start(uint16_t nb_queues, uint16_t ring_size, unsigned nb_mbufs, char *err,
	size_t errlen);

/* Number of ports, and the number of RX queues actually configured per port. */
unsigned fh_dpdk_nb_ports(void);
unsigned fh_dpdk_nb_queues(void);

/*
 * Receive one burst from (port, queue), call fn for each frame (prefetching the next), free
 * the mbufs. Returns the number of frames. Calling context: the worker owning that queue.
 */
unsigned fh_dpdk_rx_burst(uint16_t port, uint16_t queue, fh_frame_fn fn, void *arg);

int fh_dpdk_port_get_stats(uint16_t port, struct fh_dpdk_port_stats *st);

/* Stop and close every port, release the EAL. Main thread, after the workers stopped. */
void fh_dpdk_cleanup(void);

/* Launch fn(arg) on the worker lcore with index i (0-based among worker lcores: the EAL's
 * lcores other than the main one); returns 0 or -errno. fh_dpdk_wait waits for all. */
int fh_dpdk_launch(unsigned i, int (*fn)(void *arg), void *arg);
unsigned fh_dpdk_nb_worker_lcores(void);
void fh_dpdk_wait(void);

#endif
