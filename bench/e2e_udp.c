/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * e2e-udp: the traffic of the end-to-end benchmark (bench/e2e.py).
 *
 *   e2e-udp send --iface c0 --src-mac M --dst-mac M --src A --dst A
 *                --dport P [--flows N] [--seconds S] [--batch B]
 *       Floods 64-byte UDP frames (60 bytes plus the FCS) from A to A:P,
 *       source ports 1024.. over N flows in turn, through a raw AF_PACKET
 *       socket that bypasses the qdisc: the cheapest way a kernel host
 *       can put frames on a veth (no UDP socket, no routing, no ARP), so
 *       the forwarder, not the source, should be what gives out first.
 *       Prints "sent=N errors=E seconds=S pps=R".
 *   e2e-udp sink --port P [--seconds S]
 *       Receives UDP datagrams on 0.0.0.0:P with recvmmsg until S seconds
 *       passed or SIGTERM/SIGINT; prints "received=N seconds=S pps=R".
 *
 * Exit status 0, or 1 with a message on stderr (bad arguments, socket
 * errors).  Not a packet path of dplbd: plain syscalls are fine here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_LEN 60	/* 64 on the wire with the FCS */
#define SPORT_BASE 1024
#define MAX_FLOWS (65536 - SPORT_BASE)
#define MAX_BATCH 256

struct opts {
	const char *mode, *iface;
	uint8_t src_mac[6], dst_mac[6];
	struct in_addr src, dst;
	unsigned int dport, flows, batch;
	double seconds;
	int have_src_mac, have_dst_mac, have_src, have_dst;
};

static volatile sig_atomic_t quit;

static void
on_signal(int sig)
{
	(void)sig;
	quit = 1;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
usage(const char *why)
{
	if (why != NULL)
		fprintf(stderr, "e2e-udp: %s\n", why);
	fprintf(stderr,
		"usage: e2e-udp send --iface IF --src-mac MAC --dst-mac MAC --src IP\n"
		"                    --dst IP --dport PORT [--flows N (1024)]\n"
		"                    [--seconds S (3)] [--batch B (64)]\n"
		"       e2e-udp sink --port PORT [--seconds S (until SIGTERM)]\n");
	return 1;
}

static int
parse_mac(const char *s, uint8_t *mac)
{
	unsigned int b[6];
	char end;
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (uint8_t)b[i];
	}
	return 0;
}

static int
parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || x < lo || x > hi)
		return -EINVAL;
	*v = (unsigned int)x;
	return 0;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "iface", required_argument, NULL, 'i' },
		{ "src-mac", required_argument, NULL, 'm' },
		{ "dst-mac", required_argument, NULL, 'M' },
		{ "src", required_argument, NULL, 's' },
		{ "dst", required_argument, NULL, 'd' },
		{ "dport", required_argument, NULL, 'p' },
		{ "port", required_argument, NULL, 'p' },
		{ "flows", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 't' },
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	char msg[160], *end;
	int c, li = 0;

	if (argc < 2)
		return usage(NULL);
	o->mode = argv[1];
	o->flows = 1024;
	o->batch = 64;
	o->seconds = -1;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, &li)) != -1) {
		int bad = 0;

		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'm': bad = parse_mac(optarg, o->src_mac); o->have_src_mac = 1; break;
		case 'M': bad = parse_mac(optarg, o->dst_mac); o->have_dst_mac = 1; break;
		case 's': bad = inet_pton(AF_INET, optarg, &o->src) != 1; o->have_src = 1; break;
		case 'd': bad = inet_pton(AF_INET, optarg, &o->dst) != 1; o->have_dst = 1; break;
		case 'p': bad = parse_uint(optarg, 1, 65535, &o->dport); break;
		case 'f': bad = parse_uint(optarg, 1, MAX_FLOWS, &o->flows); break;
		case 'b': bad = parse_uint(optarg, 1, MAX_BATCH, &o->batch); break;
		case 't':
			o->seconds = strtod(optarg, &end);
			bad = end == optarg || *end != '\0' || !(o->seconds > 0);
			break;
		default:
			return usage(NULL);
		}
		if (bad) {
			snprintf(msg, sizeof(msg), "bad value '%s' for --%s",
				 optarg, lo[li].name);
			return usage(msg);
		}
	}
	if (optind != argc)
		return usage("unexpected arguments");
	if (o->dport == 0)
		return usage("--dport (--port) is required");
	if (strcmp(o->mode, "send") == 0) {
		if (o->iface == NULL || !o->have_src_mac || !o->have_dst_mac ||
		    !o->have_src || !o->have_dst)
			return usage("send needs --iface, --src-mac, --dst-mac, --src and --dst");
		if (o->seconds < 0)
			o->seconds = 3;
	} else if (strcmp(o->mode, "sink") != 0) {
		return usage("the mode is send or sink");
	}
	return 0;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t
csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

/* One complete frame of flow f: Ethernet, IPv4, UDP, with checksums. */
static void
build_frame(const struct opts *o, unsigned int f, uint8_t *fr)
{
	uint8_t *ip = fr + 14, *udp = ip + 20;
	uint16_t ulen = FRAME_LEN - 14 - 20, sport = (uint16_t)(SPORT_BASE + f);
	uint32_t sum;

	memset(fr, 0, FRAME_LEN);
	memcpy(fr, o->dst_mac, 6);
	memcpy(fr + 6, o->src_mac, 6);
	fr[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = FRAME_LEN - 14;
	ip[6] = 0x40;	/* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &o->src, 4);
	memcpy(ip + 16, &o->dst, 4);
	sum = csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	udp[0] = (uint8_t)(sport >> 8);
	udp[1] = (uint8_t)sport;
	udp[2] = (uint8_t)(o->dport >> 8);
	udp[3] = (uint8_t)o->dport;
	udp[4] = (uint8_t)(ulen >> 8);
	udp[5] = (uint8_t)ulen;
	memcpy(udp + 8, "dplb-e2e-bench", 14);
	/* pseudo-header: addresses, protocol, length */
	sum = csum_add(0, ip + 12, 8) + IPPROTO_UDP + ulen;
	sum = csum_fold(csum_add(sum, udp, ulen));
	if (sum == 0)
		sum = 0xffff;
	udp[6] = (uint8_t)(sum >> 8);
	udp[7] = (uint8_t)sum;
}

static int
send_flood(const struct opts *o)
{
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	unsigned long long sent = 0, errors = 0;
	unsigned int f, next = 0, i;
	uint8_t *frames;
	double t0, t;
	int fd, one = 1;

	sll.sll_ifindex = (int)if_nametoindex(o->iface);
	if (sll.sll_ifindex == 0) {
		fprintf(stderr, "e2e-udp: no interface %s\n", o->iface);
		return 1;
	}
	/* protocol 0: this socket only sends, it receives nothing */
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one))) {
		fprintf(stderr, "e2e-udp: packet socket on %s: %s\n", o->iface,
			strerror(errno));
		return 1;
	}
	frames = malloc((size_t)o->flows * FRAME_LEN);
	if (frames == NULL) {
		fprintf(stderr, "e2e-udp: out of memory\n");
		return 1;
	}
	for (f = 0; f < o->flows; f++)
		build_frame(o, f, frames + (size_t)f * FRAME_LEN);
	for (i = 0; i < o->batch; i++) {
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		iov[i].iov_len = FRAME_LEN;
	}
	t0 = now();
	do {
		int n;

		for (i = 0; i < o->batch; i++) {
			iov[i].iov_base = frames + (size_t)next * FRAME_LEN;
			next = next + 1 == o->flows ? 0 : next + 1;
		}
		n = sendmmsg(fd, msgs, o->batch, 0);
		if (n > 0)
			sent += (unsigned int)n;
		/* a short batch: the next frame failed (ENOBUFS when the
		 * veth's peer backlog is full); it is lost, as on a wire */
		if (n < (int)o->batch)
			errors++;
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "e2e-udp: sendmmsg: %s\n", strerror(errno));
			return 1;
		}
		t = now();
	} while (!quit && t - t0 < o->seconds);
	printf("sent=%llu errors=%llu seconds=%.3f pps=%.0f\n", sent, errors,
	       t - t0, (double)sent / (t - t0));
	free(frames);
	close(fd);
	return 0;
}

static int
sink(const struct opts *o)
{
	static struct mmsghdr msgs[MAX_BATCH];
	static struct iovec iov[MAX_BATCH];
	static char bufs[MAX_BATCH][2048];
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((uint16_t)o->dport) };
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	unsigned long long received = 0;
	int fd, rcvbuf = 8 << 20, i;
	double t0, t;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0) {
		fprintf(stderr, "e2e-udp: udp socket on port %u: %s\n", o->dport,
			strerror(errno));
		return 1;
	}
	/* root may exceed rmem_max; without it the default is fine too */
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	for (i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("listening on port %u\n", o->dport);
	fflush(stdout);
	t0 = now();
	do {
		int n = recvmmsg(fd, msgs, MAX_BATCH, 0, NULL);

		if (n > 0)
			received += (unsigned int)n;
		else if (errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "e2e-udp: recvmmsg: %s\n", strerror(errno));
			return 1;
		}
		t = now();
	} while (!quit && (o->seconds < 0 || t - t0 < o->seconds));
	printf("received=%llu seconds=%.3f pps=%.0f\n", received, t - t0,
	       (double)received / (t - t0));
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };

	if (parse_opts(argc, argv, &o) != 0)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return strcmp(o.mode, "send") == 0 ? send_flood(&o) : sink(&o);
}
