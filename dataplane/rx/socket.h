/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UDP-socket input for small sites and non-root use: one set of listening sockets per worker,
 * bound with SO_REUSEPORT so that the kernel spreads exporters over workers by the UDP
 * 4-tuple (an exporter always reaches the same worker, so template caches need no locks).
 * Datagrams are read in batches with recvmmsg; kernel drops are read back through
 * SO_RXQ_OVFL. IPv4 and IPv6 (an IPv6 socket is v6-only; listen on both for both).
 */
#ifndef FH_DATAPLANE_RX_SOCKET_H
#define FH_DATAPLANE_RX_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dataplane/flow.h"

#define FH_SOCK_BATCH 64
#define FH_SOCK_MAX_LISTEN 16

struct fh_sock_rx;

struct fh_sock_rx_stats {
	uint64_t datagrams, bytes;
	uint64_t kernel_drops; /* SO_RXQ_OVFL: datagrams the kernel dropped (socket buffer full) */
	uint64_t truncated; /* datagrams larger than the receive buffer slot */
	uint64_t errors; /* recvmmsg errors other than EAGAIN */
};

/* Called once per datagram. src is the exporter; dport the local port it arrived on; now_ms
 * the wall clock in ms, read once per recvmmsg batch (as the DPDK path reads it per burst). */
typedef void (*fh_sock_rx_fn)(void *arg, const struct fh_ip *src, uint16_t sport,
	uint16_t dport, const uint8_t *buf, size_t len, uint64_t now_ms);

/*
 * Parse a listen address: "ADDR:PORT", "[V6ADDR]:PORT", or "PORT" / ":PORT" (IPv4 any).
 * Returns 0 or -EINVAL.
 */
int fh_sock_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/*
 * Open one worker's listening sockets on the n addresses (SO_REUSEPORT, non-blocking,
 * SO_RCVBUF of rcvbuf bytes when non-zero — SO_RCVBUFFORCE is tried first for root).
 * Returns NULL with a message in err on failure (address in use without SO_REUSEPORT
 * peers, permission, ...). Calling context: any thread; the result belongs to one worker.
 */
struct fh_sock_rx *fh_sock_rx_open(const struct sockaddr_storage *addrs, const socklen_t *lens,
	unsigned n, int rcvbuf, char *err, size_t errlen);
void fh_sock_rx_close(struct fh_sock_rx *s);

/*
 * Wait up to timeout_ms (0 = do not wait) for datagrams, then read what is queued on every
 * socket, up to max datagrams in all (batches of FH_SOCK_BATCH per recvmmsg), calling fn
 * for each. Returns the number of datagrams, or a negative errno on a fatal error.
 * Calling context: the owning worker only.
 */
int fh_sock_rx_poll(struct fh_sock_rx *s, int timeout_ms, unsigned max, fh_sock_rx_fn fn,
	void *arg);

/* The local port of listener i (useful when bound to port 0). 0 when out of range. */
uint16_t fh_sock_rx_port(const struct fh_sock_rx *s, unsigned i);

void fh_sock_rx_get_stats(const struct fh_sock_rx *s, struct fh_sock_rx_stats *st);

#endif
