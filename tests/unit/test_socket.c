/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Unit tests for dataplane/rx/socket: address parsing, IPv4/IPv6 receive over loopback,
 * SO_REUSEPORT keeping one exporter on one socket, kernel drop counting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "dataplane/rx/socket.h"

struct seen {
	int n;
	size_t bytes;
	struct fh_ip last_src;
	uint16_t last_sport, last_dport;
};

static void on_dgram(void *arg, const struct fh_ip *src, uint16_t sport, uint16_t dport,
	const uint8_t *buf, size_t len, uint64_t now_ms)
{
	struct seen *s = arg;
	(void)buf;
	/* the batch's wall clock: within a second of now (CLOCK_REALTIME_COARSE) */
	uint64_t t = (uint64_t)time(NULL) * 1000;
	assert_true(now_ms + 2000 > t && now_ms < t + 2000);
	s->n++;
	s->bytes += len;
	s->last_src = *src;
	s->last_sport = sport;
	s->last_dport = dport;
}

static void test_parse(void **state)
{
	(void)state;
	struct sockaddr_storage ss;
	socklen_t len;
	assert_int_equal(fh_sock_addr_parse("127.0.0.1:2055", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 2055);
	assert_int_equal(fh_sock_addr_parse("[::1]:4739", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(fh_sock_addr_parse("6343", &ss, &len), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(fh_sock_addr_parse(":9995", &ss, &len), 0);
	assert_int_equal(fh_sock_addr_parse("1.2.3.4:70000", &ss, &len), -EINVAL);
	assert_int_equal(fh_sock_addr_parse("[::1:2055", &ss, &len), -EINVAL);
	assert_int_equal(fh_sock_addr_parse("host:x", &ss, &len), -EINVAL);
}

static struct fh_sock_rx *open_on(const char *addr, int rcvbuf)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];
	assert_int_equal(fh_sock_addr_parse(addr, &ss, &len), 0);
	struct fh_sock_rx *s = fh_sock_rx_open(&ss, &len, 1, rcvbuf, err, sizeof(err));
	if (!s)
		fail_msg("open %s: %s", addr, err);
	return s;
}

static int sender(int family, const char *bind_addr)
{
	int fd = socket(family, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	if (family == AF_INET) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		inet_pton(AF_INET, bind_addr, &a.sin_addr);
		assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	}
	return fd;
}

static void send_to(int fd, int family, const char *addr, uint16_t port, size_t len)
{
	static uint8_t buf[2000];
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		sl = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		sl = sizeof(*a);
	}
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl), (ssize_t)len);
}

static int poll_all(struct fh_sock_rx *s, struct seen *seen, int want)
{
	for (int tries = 0; tries < 50 && seen->n < want; tries++)
		fh_sock_rx_poll(s, 20, 1000, on_dgram, seen);
	return seen->n;
}

static void test_v4_v6(void **state)
{
	(void)state;
	struct fh_sock_rx *s4 = open_on("127.0.0.1:0", 0);
	struct fh_sock_rx *s6 = open_on("[::1]:0", 0);
	uint16_t p4 = fh_sock_rx_port(s4, 0), p6 = fh_sock_rx_port(s6, 0);
	assert_true(p4 && p6);

	int fd = sender(AF_INET, "127.0.0.2");
	for (int i = 0; i < 100; i++)
		send_to(fd, AF_INET, "127.0.0.1", p4, 100 + (size_t)i);
	struct seen seen = {0};
	assert_int_equal(poll_all(s4, &seen, 100), 100);
	char buf[FH_IP_STRLEN];
	assert_string_equal(fh_ip_fmt(&seen.last_src, buf, sizeof(buf)), "127.0.0.2");
	assert_int_equal(seen.last_dport, p4);
	assert_int_equal(seen.bytes, 100 * 100 + 99 * 100 / 2);
	struct fh_sock_rx_stats st;
	fh_sock_rx_get_stats(s4, &st);
	assert_int_equal(st.datagrams, 100);
	close(fd);

	fd = socket(AF_INET6, SOCK_DGRAM, 0);
	send_to(fd, AF_INET6, "::1", p6, 1400);
	struct seen seen6 = {0};
	assert_int_equal(poll_all(s6, &seen6, 1), 1);
	assert_string_equal(fh_ip_fmt(&seen6.last_src, buf, sizeof(buf)), "::1");
	assert_int_equal(seen6.bytes, 1400);
	close(fd);
	fh_sock_rx_close(s4);
	fh_sock_rx_close(s6);
}

static void test_reuseport_affinity(void **state)
{
	(void)state;
	struct fh_sock_rx *a = open_on("127.0.0.1:0", 0);
	char spec[32];
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", fh_sock_rx_port(a, 0));
	struct fh_sock_rx *b = open_on(spec, 0);
	/* each exporter (distinct source address) must land on exactly one of the two */
	int total = 0;
	for (int e = 0; e < 8; e++) {
		char src[32];
		snprintf(src, sizeof(src), "127.0.1.%d", e + 1);
		int fd = sender(AF_INET, src);
		for (int i = 0; i < 20; i++)
			send_to(fd, AF_INET, "127.0.0.1", fh_sock_rx_port(a, 0), 64);
		close(fd);
		struct seen sa = {0}, sb = {0};
		for (int t = 0; t < 20 && sa.n + sb.n < 20; t++) {
			fh_sock_rx_poll(a, 10, 1000, on_dgram, &sa);
			fh_sock_rx_poll(b, 10, 1000, on_dgram, &sb);
		}
		assert_int_equal(sa.n + sb.n, 20);
		assert_true(sa.n == 0 || sb.n == 0);
		total += sa.n + sb.n;
	}
	assert_int_equal(total, 160);
	fh_sock_rx_close(a);
	fh_sock_rx_close(b);
}

static void test_kernel_drops(void **state)
{
	(void)state;
	struct fh_sock_rx *s = open_on("127.0.0.1:0", 4096); /* a tiny buffer */
	int fd = sender(AF_INET, "127.0.0.1");
	for (int i = 0; i < 500; i++)
		send_to(fd, AF_INET, "127.0.0.1", fh_sock_rx_port(s, 0), 1000);
	struct seen seen = {0};
	for (int t = 0; t < 5; t++)
		fh_sock_rx_poll(s, 20, 1000, on_dgram, &seen);
	assert_true(seen.n < 500);
	/* the kernel reports its drop counter on the next datagram it queues: send one more */
	send_to(fd, AF_INET, "127.0.0.1", fh_sock_rx_port(s, 0), 10);
	for (int t = 0; t < 5; t++)
		fh_sock_rx_poll(s, 20, 1000, on_dgram, &seen);
	struct fh_sock_rx_stats st;
	fh_sock_rx_get_stats(s, &st);
	/* every datagram is either received or counted as dropped by the kernel */
	assert_true(st.kernel_drops > 0);
	assert_int_equal(st.datagrams + st.kernel_drops, 501);
	close(fd);
	fh_sock_rx_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_v4_v6),
		cmocka_unit_test(test_reuseport_affinity),
		cmocka_unit_test(test_kernel_drops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
