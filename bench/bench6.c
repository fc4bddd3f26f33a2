/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench6: what the IPv6 scenarios (fnat6, nat64, cps6, cps64) add to
 * bench.c: their dplbd.conf (bench.h's IPv6 topology; NAT64: the IPv6
 * VIP with the IPv4 servers and LIPs) and the measure of the IPv6
 * connection table's memory.
 *
 * Bytes per IPv6 connection are counted as IPv4's: the table's memory
 * over its capacity, measured on the DPDK heap as build/unit/test_conn6
 * does (when the keys were in an rte_hash, conn6_table_memory() could
 * not count it): one more table of the same capacity made and freed at
 * start-up, the heap's allocated bytes before and after.
 * The RSS+hugetlb growth between 1k and 1M connections checks it
 * (bench/run.sh).
 */
#include <stdio.h>

#include <rte_lcore.h>
#include <rte_malloc.h>

#include "bench.h"
#include "harness.h"
#include "conn/conn6.h"

static void
addr6(FILE *f, const char *sep, uint16_t net, uint32_t host)
{
	fprintf(f, "%s\"2001:2:%x::%x\"", sep, net, host);
}

static void
addr4(FILE *f, const char *sep, uint32_t a)
{
	fprintf(f, "%s\"%u.%u.%u.%u\"", sep, a >> 24, (a >> 16) & 0xff,
		(a >> 8) & 0xff, a & 0xff);
}

static void
conf6_neighs(FILE *f, const struct opts *o, enum gen_family fam)
{
	uint32_t i;

	fprintf(f, "neigh = { static = (\n  { ip = ");
	addr6(f, "", BENCH6_NET_EXT, BENCH6_HOST_GW);
	fprintf(f, "; mac = \"02:00:00:00:00:fe\"; dev = \"ext\"; }");
	for (i = 0; i < o->dests; i++) {
		fprintf(f, ",\n  { ip = ");
		if (fam == GEN_NAT64)
			addr4(f, "", BENCH_RS_BASE + i);
		else
			addr6(f, "", BENCH6_NET_INT, BENCH6_HOST_RS + i);
		fprintf(f, "; mac = \"02:00:00:00:02:%02x\"; dev = \"int\"; }", i);
	}
	fprintf(f, " ); };\n");
}

/* The local addresses: IPv6 ones (fnat6), IPv4 ones (nat64). */
static void
conf6_lips(FILE *f, const char *sep, enum gen_family fam)
{
	unsigned int i;

	for (i = 0; i < BENCH_LIPS; i++) {
		if (fam == GEN_NAT64)
			addr4(f, i ? ", " : sep, BENCH_LIP_BASE + i);
		else
			addr6(f, i ? ", " : sep, BENCH6_NET_INT,
			      BENCH6_HOST_LIP + i);
	}
}

static void
conf6_ports(FILE *f, bool replies, enum gen_family fam)
{
	fprintf(f, "ports = (\n"
		   "  { name = \"ext\"; device = \"net_null0\"; mac = \"02:00:00:00:00:01\";\n"
		   "    addresses = [ \"2001:2:0::1/64\", \"2001:2:0::100\" ]; },\n"
		   "  { name = \"int\"; device = \"net_null1%s\"; mac = \"02:00:00:00:01:01\";\n"
		   "    addresses = [ %s",
		replies ? "" : ",no-rx=1",
		fam == GEN_NAT64 ? "\"198.18.1.1/24\"" : "\"2001:2:1::1/64\"");
	conf6_lips(f, ", ", fam);
	fprintf(f, " ]; }\n);\n"
		   "routes = ( { dst = \"2001:2:c::/64\"; via = \"2001:2:0::fe\"; } );\n"
		   "laddr_groups = ( { name = \"lips\"; addresses = [ ");
	conf6_lips(f, "", fam);
	fprintf(f, " ]; } );\n");
}

void
conf6(FILE *f, const struct opts *o, enum gen_family fam, bool replies)
{
	uint32_t i;

	conf6_neighs(f, o, fam);
	conf6_ports(f, replies, fam);
	fprintf(f, "services = ( { proto = \"tcp\"; vip = \"2001:2:0::100\"; port = %u;\n"
		   "  sched = \"%s\"; laddr_group = \"lips\"; dests = (",
		BENCH_VPORT, o->sched);
	for (i = 0; i < o->dests; i++) {
		fprintf(f, "%s\n    { addr = ", i ? "," : "");
		if (fam == GEN_NAT64)
			addr4(f, "", BENCH_RS_BASE + i);
		else
			addr6(f, "", BENCH6_NET_INT, BENCH6_HOST_RS + i);
		/* as IPv4's: unequal weights for wrr and wlc */
		fprintf(f, "; port = %u; weight = %u; fwd = \"fnat\"; }",
			BENCH_VPORT, 1 + i % 4);
	}
	fprintf(f, " ); } );\n");
}

size_t
table6_bytes(uint32_t capacity)
{
	struct rte_malloc_socket_stats before, after;
	struct conn6_table *t;
	int socket = (int)rte_socket_id();

	rte_malloc_get_socket_stats(socket, &before);
	if (conn6_table_create(&t, "bench_probe", capacity, socket) != 0)
		return 0;
	rte_malloc_get_socket_stats(socket, &after);
	conn6_table_free(t);
	return after.heap_allocsz_bytes - before.heap_allocsz_bytes;
}
