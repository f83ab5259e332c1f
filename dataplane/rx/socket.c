/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * UDP-socket input (see socket.h): epoll over the worker's sockets, recvmmsg batches into
 * preallocated buffers (no allocation per datagram), SO_RXQ_OVFL for the kernel's drop count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/rx/socket.h"

#define SLOT 65536 /* largest UDP payload */

struct listener {
	int fd;
	uint16_t port;
	uint32_t last_ovfl; /* last SO_RXQ_OVFL value: the kernel's counter is cumulative */
	int have_ovfl;
};

struct fh_sock_rx {
	int ep;
	unsigned n;
	struct listener l[FH_SOCK_MAX_LISTEN];
	struct fh_sock_rx_stats st;
	/* recvmmsg batch */
	struct mmsghdr msgs[FH_SOCK_BATCH];
	struct iovec iov[FH_SOCK_BATCH];
	struct sockaddr_storage from[FH_SOCK_BATCH];
	char ctrl[FH_SOCK_BATCH][64];
	uint8_t *bufs; /* FH_SOCK_BATCH * SLOT */
};

int fh_sock_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[64];
	const char *port_s;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = 0;
		port_s = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (!colon) {
			strcpy(host, "0.0.0.0");
			port_s = s;
		} else {
			if ((size_t)(colon - s) >= sizeof(host))
				return -EINVAL;
			memcpy(host, s, (size_t)(colon - s));
			host[colon - s] = 0;
			if (!host[0])
				strcpy(host, "0.0.0.0");
			port_s = colon + 1;
		}
	}
	errno = 0;
	unsigned long port = strtoul(port_s, &end, 10);
	if (errno || !*port_s || *end || port > 65535)
		return -EINVAL;
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
		return 0;
	}
	return -EINVAL;
}

static int open_one(const struct sockaddr_storage *ss, socklen_t len, int rcvbuf, char *err,
	size_t errlen, struct listener *l)
{
	int one = 1;
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -errno;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	l->have_ovfl = setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) == 0;
	if (bind(fd, (const struct sockaddr *)ss, len) < 0) {
		int e = errno;
		char host[INET6_ADDRSTRLEN] = "?";
		uint16_t port;
		if (ss->ss_family == AF_INET) {
			const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
			port = ntohs(a->sin_port);
		} else {
			const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
			port = ntohs(a->sin6_port);
		}
		snprintf(err, errlen, "bind %s port %u: %s", host, port, strerror(e));
		close(fd);
		return -e;
	}
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	getsockname(fd, (struct sockaddr *)&bound, &bl);
	l->port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
						   : ((struct sockaddr_in6 *)&bound)->sin6_port);
	l->fd = fd;
	return 0;
}

struct fh_sock_rx *fh_sock_rx_open(const struct sockaddr_storage *addrs, const socklen_t *lens,
	unsigned n, int rcvbuf, char *err, size_t errlen)
{
	if (n == 0 || n > FH_SOCK_MAX_LISTEN) {
		snprintf(err, errlen, "between 1 and %d listen addresses", FH_SOCK_MAX_LISTEN);
		return NULL;
	}
	struct fh_sock_rx *s = calloc(1, sizeof(*s));
	if (!s)
		goto err_alloc;
	s->bufs = malloc((size_t)FH_SOCK_BATCH * SLOT);
	if (!s->bufs)
		goto err_bufs;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0)
		goto err_ep;
	for (unsigned i = 0; i < n; i++) {
		if (open_one(&addrs[i], lens[i], rcvbuf, err, errlen, &s->l[i]) < 0)
			goto err_open;
		s->n++;
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		epoll_ctl(s->ep, EPOLL_CTL_ADD, s->l[i].fd, &ev);
	}
	for (unsigned i = 0; i < FH_SOCK_BATCH; i++) {
		s->iov[i].iov_base = s->bufs + (size_t)i * SLOT;
		s->iov[i].iov_len = SLOT;
	}
	return s;

err_open:
	for (unsigned i = 0; i < s->n; i++)
		close(s->l[i].fd);
	close(s->ep);
err_ep:
	free(s->bufs);
err_bufs:
	free(s);
	return NULL;
err_alloc:
	snprintf(err, errlen, "out of memory");
	return NULL;
}

void fh_sock_rx_close(struct fh_sock_rx *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++)
		close(s->l[i].fd);
	close(s->ep);
	free(s->bufs);
	free(s);
}

uint16_t fh_sock_rx_port(const struct fh_sock_rx *s, unsigned i)
{
	return i < s->n ? s->l[i].port : 0;
}

static void sa_to_ip(const struct sockaddr_storage *ss, struct fh_ip *ip, uint16_t *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
		fh_ip_from_v4(ip, (const uint8_t *)&a->sin_addr);
		*port = ntohs(a->sin_port);
	} else {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
		fh_ip_from_v6(ip, a->sin6_addr.s6_addr);
		*port = ntohs(a->sin6_port);
	}
}

/* Read what is queued on one listener, up to max datagrams. */
static int drain(struct fh_sock_rx *s, struct listener *l, unsigned max, fh_sock_rx_fn fn,
	void *arg)
{
	int total = 0;
	while ((unsigned)total < max) {
		unsigned want = max - (unsigned)total;
		if (want > FH_SOCK_BATCH)
			want = FH_SOCK_BATCH;
		for (unsigned i = 0; i < want; i++) {
			struct msghdr *h = &s->msgs[i].msg_hdr;
			h->msg_name = &s->from[i];
			h->msg_namelen = sizeof(s->from[i]);
			h->msg_iov = &s->iov[i];
			h->msg_iovlen = 1;
			h->msg_control = s->ctrl[i];
			h->msg_controllen = sizeof(s->ctrl[i]);
			h->msg_flags = 0;
		}
		int got = recvmmsg(l->fd, s->msgs, want, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			s->st.errors++;
			return total ? total : -errno;
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME_COARSE, &ts); /* once per batch, not per datagram */
		uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
		for (int i = 0; i < got; i++) {
			struct msghdr *h = &s->msgs[i].msg_hdr;
			size_t len = s->msgs[i].msg_len;
			if (h->msg_flags & MSG_TRUNC)
				s->st.truncated++;
			for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
				if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
					uint32_t ovfl;
					memcpy(&ovfl, CMSG_DATA(c), sizeof(ovfl));
					s->st.kernel_drops += (uint32_t)(ovfl - l->last_ovfl);
					l->last_ovfl = ovfl;
				}
			}
			struct fh_ip src;
			uint16_t sport;
			sa_to_ip(&s->from[i], &src, &sport);
			s->st.datagrams++;
			s->st.bytes += len;
			fn(arg, &src, sport, l->port, s->iov[i].iov_base, len, now);
		}
		total += got;
		if ((unsigned)got < want)
			break;
	}
	return total;
}

int fh_sock_rx_poll(struct fh_sock_rx *s, int timeout_ms, unsigned max, fh_sock_rx_fn fn,
	void *arg)
{
	struct epoll_event evs[FH_SOCK_MAX_LISTEN];
	int n = epoll_wait(s->ep, evs, FH_SOCK_MAX_LISTEN, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	int total = 0;
	for (int i = 0; i < n && (unsigned)total < max; i++) {
		int r = drain(s, &s->l[evs[i].data.u32], max - (unsigned)total, fn, arg);
		if (r < 0)
			return r;
		total += r;
	}
	return total;
}

void fh_sock_rx_get_stats(const struct fh_sock_rx *s, struct fh_sock_rx_stats *st)
{
	*st = s->st;
}
