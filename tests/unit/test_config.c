/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit tests of config/ (config.h): defaults, a full config, every class
 * of error with its exact "file:line: key.path: message" text, the JSON
 * view, loading files and @include, and every config shipped under
 * config/.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "config/config.h"
#include "log.h"

static struct dplb_config cfg;
static char err[CFG_ERR_LEN];

static int
parse(const char *text)
{
	err[0] = '\0';
	return config_parse_string(text, "t.conf", &cfg, err, sizeof(err));
}

/* text must fail with exactly msg. */
#define ASSERT_ERR(text, msg)                                                \
	do {                                                                 \
		assert_int_equal(parse(text), -EINVAL);                      \
		assert_string_equal(err, msg);                               \
	} while (0)

#define ASSERT_OK(text)                                                      \
	do {                                                                 \
		int rc_ = parse(text);                                       \
		if (rc_ != 0)                                                \
			fail_msg("unexpected error: %s", err);               \
	} while (0)

/* Two ports on lines 1-2, for the route and neighbour tests (line 3+). */
#define TWO_PORTS                                                            \
	"ports = ( { name = \"dp0\"; device = \"net_null0\"; "               \
	"addresses = [ \"198.18.0.1/24\" ]; },\n"                            \
	"  { name = \"dp1\"; device = \"net_null1\"; "                       \
	"addresses = [ \"198.18.1.1/24\" ]; } );\n"

static const char full_conf[] =
	"global = {\n"
	"  log_level = \"debug\";\n"
	"  control_socket = \"/tmp/dplb-test.sock\";\n"
	"  socket_mode = \"0640\";\n"
	"  socket_group = \"dplb\";\n"
	"};\n"
	"eal = {\n"
	"  hugepages = false;\n"
	"  memory_mb = 512;\n"
	"  cpus = \"0-1,3\";\n"
	"  args = [ \"--log-level=lib.eal:debug\", \"--vdev=net_null9\" ];\n"
	"};\n"
	"dataplane = { workers = 2; idle_sleep_max_us = 100; burst = 64;\n"
	"  mbufs = 32767; max_routes = 2048; };\n"
	"ip = { forward = true; };\n"
	"neigh = {\n"
	"  max = 8192; reachable_ms = 60000; retrans_ms = 500; probes = 5;\n"
	"  queue_len = 16;\n"
	"  static = ( { ip = \"198.18.1.2\"; mac = \"02:00:00:00:01:02\";\n"
	"               dev = \"dp1\"; } );\n"
	"};\n"
	"ports = (\n"
	"  { name = \"dp0\"; device = \"0000:03:00.0\"; twin = \"lb0\";\n"
	"    mtu = 9000; rx_desc = 2048; tx_desc = 512; promisc = true;\n"
	"    addresses = [ \"198.18.0.1/24\", \"198.18.10.1/32\" ]; },\n"
	"  { name = \"dp1\"; device = \"net_af_packet0,iface=lb1c\";\n"
	"    addresses = [ \"198.18.1.1/24\" ]; }\n"
	");\n"
	"routes = (\n"
	"  { dst = \"198.19.0.0/24\"; via = \"198.18.1.2\"; },\n"
	"  { dst = \"0.0.0.0/0\"; via = \"198.18.0.254\"; dev = \"dp0\"; },\n"
	"  { dst = \"198.20.0.0/16\"; dev = \"dp1\"; }\n"
	");\n";

static void
test_defaults(void **state)
{
	config_defaults(&cfg);
	assert_int_equal(cfg.log_level, LOG_LVL_INFO);
	assert_string_equal(cfg.control_socket, CFG_DEFAULT_SOCKET);
	assert_int_equal(cfg.socket_mode, 0660);
	assert_string_equal(cfg.socket_group, "");
	assert_true(cfg.hugepages);
	assert_int_equal(cfg.memory_mb, 0);
	assert_string_equal(cfg.cpus, "");
	assert_int_equal(cfg.n_eal_args, 0);
	assert_int_equal(cfg.workers, 1);
	assert_int_equal(cfg.idle_sleep_max_us, 0);
	assert_int_equal(cfg.burst, 32);
	assert_int_equal(cfg.mbufs, 16383);
	assert_int_equal(cfg.max_routes, 1024);
	assert_int_equal(cfg.max_conns6, 0);
	assert_false(cfg.ip_forward);
	assert_int_equal(cfg.neigh_max, 4096);
	assert_int_equal(cfg.neigh_reachable_ms, 30000);
	assert_int_equal(cfg.neigh_retrans_ms, 1000);
	assert_int_equal(cfg.neigh_probes, 3);
	assert_int_equal(cfg.neigh_queue_len, 8);
	assert_int_equal(cfg.n_ports, 0);
	assert_int_equal(cfg.n_routes, 0);
	assert_int_equal(cfg.n_neighs, 0);
}

/* An empty file and empty groups are the defaults, not errors. */
static void
test_empty_is_defaults(void **state)
{
	struct dplb_config def;

	config_defaults(&def);
	ASSERT_OK("");
	assert_int_equal(cfg.workers, def.workers);
	assert_int_equal(cfg.mbufs, def.mbufs);
	ASSERT_OK("global = { }; eal = { args = [ ]; }; dataplane = { };\n"
		  "ip = { }; neigh = { static = ( ); }; ports = ( );\n"
		  "routes = [ ];\n");
	assert_int_equal(cfg.n_ports, 0);
	assert_true(cfg.hugepages);
}

static void
test_full_config(void **state)
{
	const struct cfg_port *p0 = &cfg.ports[0], *p1 = &cfg.ports[1];
	char buf[INET_PREFIX_STRLEN];

	ASSERT_OK(full_conf);
	assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
	assert_string_equal(cfg.control_socket, "/tmp/dplb-test.sock");
	assert_int_equal(cfg.socket_mode, 0640);
	assert_string_equal(cfg.socket_group, "dplb");
	assert_false(cfg.hugepages);
	assert_int_equal(cfg.memory_mb, 512);
	assert_string_equal(cfg.cpus, "0-1,3");
	assert_int_equal(cfg.n_eal_args, 2);
	assert_string_equal(cfg.eal_args[0], "--log-level=lib.eal:debug");
	assert_string_equal(cfg.eal_args[1], "--vdev=net_null9");
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.idle_sleep_max_us, 100);
	assert_int_equal(cfg.burst, 64);
	assert_int_equal(cfg.mbufs, 32767);
	assert_int_equal(cfg.max_routes, 2048);
	assert_true(cfg.ip_forward);
	assert_int_equal(cfg.neigh_max, 8192);
	assert_int_equal(cfg.neigh_reachable_ms, 60000);
	assert_int_equal(cfg.neigh_retrans_ms, 500);
	assert_int_equal(cfg.neigh_probes, 5);
	assert_int_equal(cfg.neigh_queue_len, 16);

	assert_int_equal(cfg.n_ports, 2);
	assert_string_equal(p0->name, "dp0");
	assert_string_equal(p0->device, "0000:03:00.0");
	assert_string_equal(p0->twin, "lb0");
	assert_int_equal(p0->mtu, 9000);
	assert_int_equal(p0->rx_desc, 2048);
	assert_int_equal(p0->tx_desc, 512);
	assert_true(p0->promisc);
	assert_int_equal(p0->n_addrs, 2);
	assert_string_equal(inet_prefix_fmt(&p0->addrs[0], buf, sizeof(buf)),
			    "198.18.0.1/24");
	assert_string_equal(inet_prefix_fmt(&p0->addrs[1], buf, sizeof(buf)),
			    "198.18.10.1/32");
	/* Port defaults. */
	assert_string_equal(p1->twin, "");
	assert_int_equal(p1->mtu, 1500);
	assert_int_equal(p1->rx_desc, 1024);
	assert_int_equal(p1->tx_desc, 1024);
	assert_false(p1->promisc);

	assert_int_equal(cfg.n_routes, 3);
	assert_string_equal(inet_prefix_fmt(&cfg.routes[0].dst, buf,
					    sizeof(buf)), "198.19.0.0/24");
	assert_string_equal(inet_addr_fmt(&cfg.routes[0].via, buf,
					  sizeof(buf)), "198.18.1.2");
	assert_string_equal(cfg.routes[0].dev, "");
	assert_string_equal(cfg.routes[1].dev, "dp0");
	assert_int_equal(cfg.routes[1].dst.len, 0);
	assert_int_equal(cfg.routes[2].via.family, 0);
	assert_string_equal(cfg.routes[2].dev, "dp1");

	assert_int_equal(cfg.n_neighs, 1);
	assert_string_equal(inet_addr_fmt(&cfg.neighs[0].ip, buf, sizeof(buf)),
			    "198.18.1.2");
	assert_memory_equal(cfg.neighs[0].mac,
			    ((uint8_t[]){ 2, 0, 0, 0, 1, 2 }), 6);
	assert_string_equal(cfg.neighs[0].dev, "dp1");

	assert_int_equal(config_port_index(&cfg, "dp1"), 1);
	assert_int_equal(config_port_index(&cfg, "dp9"), -1);
}

/* A failed parse must leave the running configuration untouched. */
static void
test_error_keeps_cfg(void **state)
{
	ASSERT_OK(full_conf);
	ASSERT_ERR("dataplane = { workers = 3; burst = 0; };",
		   "t.conf:1: dataplane.burst: must be between 1 and 512");
	assert_int_equal(cfg.workers, 2);
	assert_int_equal(cfg.n_ports, 2);
}

static void
test_syntax_error(void **state)
{
	ASSERT_ERR("global = {\n  log_level = \"info\"\n  = 3;\n};\n",
		   "t.conf:3: syntax error");
	ASSERT_ERR("ip = { forward = true; };\nip = { };\n",
		   "t.conf:2: syntax error: duplicate setting name");
	ASSERT_ERR("eal = { args = [ \"a\", 1 ]; };",
		   "t.conf:1: syntax error: mismatched element type in array");
}

static void
test_unknown_key_top(void **state)
{
	ASSERT_ERR("ip = { forward = true; };\nrouting = { };\n",
		   "t.conf:2: routing: unknown key");
}

static void
test_unknown_key_nested(void **state)
{
	ASSERT_ERR("ports = (\n { name = \"dp0\"; device = \"net_null0\"; },\n"
		   " { name = \"dp1\";\n   device = \"net_null1\";\n"
		   "   mtus = 1500; }\n);\n",
		   "t.conf:5: ports.[1].mtus: unknown key");
	ASSERT_ERR("global = { loglevel = \"info\"; };",
		   "t.conf:1: global.loglevel: unknown key");
	ASSERT_ERR(TWO_PORTS "neigh = { static = ( { ip = \"198.18.0.2\";\n"
		   " mac = \"02:00:00:00:00:02\"; dev = \"dp0\"; if = 1; } ); };",
		   "t.conf:4: neigh.static.[0].if: unknown key");
}

static void
test_wrong_types(void **state)
{
	ASSERT_ERR("global = { log_level = 7; };",
		   "t.conf:1: global.log_level: must be a string");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\"; mtu = \"1500\"; } );",
		   "t.conf:1: ports.[0].mtu: must be an integer");
	ASSERT_ERR("dataplane = { burst = 32.0; };",
		   "t.conf:1: dataplane.burst: must be an integer");
	ASSERT_ERR("eal = { hugepages = 1; };",
		   "t.conf:1: eal.hugepages: must be a boolean");
	ASSERT_ERR("eal = { args = \"--no-pci\"; };",
		   "t.conf:1: eal.args: must be a list of strings");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\"; "
		   "addresses = ( \"198.18.0.1/24\", 5 ); } );",
		   "t.conf:1: ports.[0].addresses: must be a list of strings");
	ASSERT_ERR("ip = true;", "t.conf:1: ip: must be a group { ... }");
	ASSERT_ERR("ports = { name = \"dp0\"; };",
		   "t.conf:1: ports: must be a list ( ... )");
	ASSERT_ERR("routes = ( \"198.19.0.0/24\" );",
		   "t.conf:1: routes.[0]: must be a group { ... }");
	ASSERT_ERR("global = { socket_mode = 0660; };",
		   "t.conf:1: global.socket_mode: must be a string");
}

static void
test_range_low(void **state)
{
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\";\n mtu = 67; } );",
		   "t.conf:2: ports.[0].mtu: must be between 68 and 9600");
	ASSERT_ERR("dataplane = { mbufs = 1022; };",
		   "t.conf:1: dataplane.mbufs: must be between 1023 and 16777215");
	ASSERT_ERR("neigh = { probes = -1; };",
		   "t.conf:1: neigh.probes: must be between 1 and 10");
}

static void
test_range_high(void **state)
{
	ASSERT_ERR("dataplane = { workers = 65; };",
		   "t.conf:1: dataplane.workers: must be between 1 and 64");
	ASSERT_ERR("eal = { memory_mb = 1048577; };",
		   "t.conf:1: eal.memory_mb: must be between 0 and 1048576");
	ASSERT_ERR("neigh = { reachable_ms = 3600001; };",
		   "t.conf:1: neigh.reachable_ms: must be between 1000 and 3600000");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\"; tx_desc = 16385; } );",
		   "t.conf:1: ports.[0].tx_desc: must be between 64 and 16384");
}

/* Both ends of every range are accepted. */
static void
test_range_edges(void **state)
{
	ASSERT_OK("eal = { memory_mb = 0; };\n"
		  "dataplane = { workers = 1; idle_sleep_max_us = 0; burst = 1;\n"
		  "  mbufs = 1023; max_routes = 16; };\n"
		  "neigh = { max = 16; reachable_ms = 1000; retrans_ms = 100;\n"
		  "  probes = 1; queue_len = 0; };\n"
		  "ports = ( { name = \"a\"; device = \"x\"; mtu = 68;\n"
		  "  rx_desc = 64; tx_desc = 64; } );\n");
	assert_int_equal(cfg.ports[0].mtu, 68);
	ASSERT_OK("eal = { memory_mb = 1048576; };\n"
		  "dataplane = { workers = 64; idle_sleep_max_us = 100000;\n"
		  "  burst = 512; mbufs = 16777215; max_routes = 1048576; };\n"
		  "neigh = { max = 1048576; reachable_ms = 3600000;\n"
		  "  retrans_ms = 60000; probes = 10; queue_len = 256; };\n"
		  "ports = ( { name = \"abcdefghijklmno\"; device = \"x\";\n"
		  "  mtu = 9600; rx_desc = 16384; tx_desc = 16384; } );\n");
	assert_int_equal(cfg.mbufs, 16777215);
	assert_int_equal(cfg.ports[0].rx_desc, 16384);
	ASSERT_OK("dataplane = { max_conns6 = 67108864; };\n");
	assert_int_equal(cfg.max_conns6, 67108864);
	ASSERT_ERR("dataplane = { max_conns6 = 67108865; };",
		   "t.conf:1: dataplane.max_conns6: must be between 0 and 67108864");
}

/* libconfig 1.5 wraps 32-bit overflow: 4294983679 would read as 16383. */
static void
test_big_integers(void **state)
{
	ASSERT_ERR("dataplane = { mbufs = 4294983679; };",
		   "t.conf:1: dataplane.mbufs: must be between 1023 and 16777215");
	ASSERT_ERR("# mbufs = 4294983679\ndataplane = { mbufs = 0x100003fff; };",
		   "t.conf:2: dataplane.mbufs: must be between 1023 and 16777215");
	ASSERT_ERR("eal = { memory_mb = -4294967295; };",
		   "t.conf:1: eal.memory_mb: must be between 0 and 1048576");
	/* Strings and comments are left alone; L suffixes work. */
	ASSERT_OK("/* 99999999999 */ eal = { args = [ \"-m99999999999\" ];\n"
		  "  memory_mb = 1024L; };  // 99999999999\n");
	assert_string_equal(cfg.eal_args[0], "-m99999999999");
	assert_int_equal(cfg.memory_mb, 1024);
}

static void
test_port_names(void **state)
{
	ASSERT_ERR("ports = ( { name = \"dp 0\"; device = \"x\"; } );",
		   "t.conf:1: ports.[0].name: invalid port name 'dp 0': use 1 "
		   "to 15 characters of A-Z a-z 0-9 _ . -");
	ASSERT_ERR("ports = ( { name = \"abcdefghijklmnop\"; device = \"x\"; } );",
		   "t.conf:1: ports.[0].name: invalid port name "
		   "'abcdefghijklmnop': use 1 to 15 characters of A-Z a-z 0-9 "
		   "_ . -");
	ASSERT_ERR("ports = (\n { device = \"net_null0\"; }\n);",
		   "t.conf:2: ports.[0].name: is required");
	ASSERT_ERR("ports = ( { name = \"dp0\"; } );",
		   "t.conf:1: ports.[0].device: is required");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"\"; } );",
		   "t.conf:1: ports.[0].device: must not be empty");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\"; twin = \"a/b\"; } );",
		   "t.conf:1: ports.[0].twin: invalid twin name 'a/b': use 1 "
		   "to 15 characters of A-Z a-z 0-9 _ . -");
}

static void
test_duplicate_port_name(void **state)
{
	ASSERT_ERR("ports = (\n { name = \"dp0\"; device = \"net_null0\"; },\n"
		   " { name = \"dp0\"; device = \"net_null1\"; }\n);",
		   "t.conf:3: ports.[1].name: duplicate port name 'dp0' "
		   "(see ports.[0])");
}

/* Devices compare by what DPDK identifies them with. */
static void
test_duplicate_device(void **state)
{
	ASSERT_ERR("ports = (\n { name = \"dp0\"; device = \"net_tap0,iface=a\"; },\n"
		   " { name = \"dp1\"; device = \"net_tap0,iface=b\"; }\n);",
		   "t.conf:3: ports.[1].device: device 'net_tap0' is already "
		   "used by ports.[0]");
	ASSERT_ERR("ports = (\n { name = \"dp0\"; device = \"0000:03:00.0\"; },\n"
		   " { name = \"dp1\"; device = \"03:00.0,rxq_pkt_pad_en=1\"; }\n);",
		   "t.conf:3: ports.[1].device: device '0000:03:00.0' is "
		   "already used by ports.[0]");
	ASSERT_OK("ports = ( { name = \"dp0\"; device = \"0000:03:00.0\"; },\n"
		  " { name = \"dp1\"; device = \"0000:03:00.1\"; } );");
}

static void
test_duplicate_twin(void **state)
{
	ASSERT_ERR("ports = (\n { name = \"dp0\"; device = \"a\"; twin = \"t0\"; },\n"
		   " { name = \"dp1\"; device = \"b\"; twin = \"t0\"; }\n);",
		   "t.conf:3: ports.[1].twin: duplicate twin name 't0' (see "
		   "ports.[0])");
	/* A twin may carry its own port's name; "" twins never clash. */
	ASSERT_OK("ports = ( { name = \"dp0\"; device = \"a\"; twin = \"dp0\"; },\n"
		  " { name = \"dp1\"; device = \"b\"; twin = \"\"; },\n"
		  " { name = \"dp2\"; device = \"c\"; twin = \"\"; } );");
	assert_string_equal(cfg.ports[0].twin, "dp0");
}

static void
test_bad_address(void **state)
{
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\";\n"
		   "  addresses = [ \"198.18.0.1/24\",\n \"198.18.0.300/24\" ]; } );",
		   "t.conf:3: ports.[0].addresses.[1]: invalid prefix "
		   "'198.18.0.300/24' (expected a.b.c.d/len or x:x::x/len)");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\"; "
		   "addresses = [ \"198.18.0.1/33\" ]; } );",
		   "t.conf:1: ports.[0].addresses.[0]: invalid prefix "
		   "'198.18.0.1/33' (expected a.b.c.d/len or x:x::x/len)");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\"; "
		   "addresses = [ \"224.0.0.1/24\" ]; } );",
		   "t.conf:1: ports.[0].addresses.[0]: '224.0.0.1/24' is not "
		   "a unicast address");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\"; "
		   "addresses = [ \"198.18.0.1/0\" ]; } );",
		   "t.conf:1: ports.[0].addresses.[0]: prefix length of "
		   "'198.18.0.1/0' must be 1 to 32");
	/* Without /len an address is a host address. */
	ASSERT_OK("ports = ( { name = \"dp0\"; device = \"x\"; "
		  "addresses = [ \"198.18.0.1\" ]; } );");
	assert_int_equal(cfg.ports[0].addrs[0].len, 32);
}

static void
test_duplicate_address(void **state)
{
	ASSERT_ERR("ports = (\n { name = \"dp0\"; device = \"a\";\n"
		   "   addresses = [ \"198.18.0.1/24\" ]; },\n"
		   " { name = \"dp1\"; device = \"b\";\n"
		   "   addresses = [ \"198.18.0.1/16\" ]; }\n);",
		   "t.conf:5: ports.[1].addresses.[0]: duplicate address "
		   "'198.18.0.1/16' (see ports.[0])");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"a\"; addresses = "
		   "[ \"198.18.0.1/24\", \"198.18.0.1/32\" ]; } );",
		   "t.conf:1: ports.[0].addresses.[1]: duplicate address "
		   "'198.18.0.1/32' (see ports.[0])");
}

static void
test_ipv6_taken(void **state)
{
	ASSERT_OK(TWO_PORTS);
	ASSERT_OK("ports = ( { name = \"dp0\"; device = \"x\"; "
		  "addresses = [ \"198.18.0.1/24\", \"2001:db8::1/64\", "
		  "\"2001:db8:1::1\" ]; } );\n"
		  "routes = ( { dst = \"2001:db8:5::/48\"; via = \"2001:db8::fe\"; },\n"
		  " { dst = \"::/0\"; via = \"fe80::1\"; dev = \"dp0\"; } );\n"
		  "neigh = { static = ( { ip = \"fe80::1\"; "
		  "mac = \"02:00:00:00:00:01\"; dev = \"dp0\"; } ); };");
	assert_int_equal(cfg.ports[0].addrs[1].addr.family, AF_INET6);
	assert_int_equal(cfg.ports[0].addrs[1].len, 64);
	assert_int_equal(cfg.ports[0].addrs[2].len, 128);
	assert_int_equal(cfg.routes[1].dst.len, 0);
	assert_int_equal(cfg.neighs[0].ip.family, AF_INET6);
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\"; "
		   "addresses = [ \"ff02::1/64\" ]; } );",
		   "t.conf:1: ports.[0].addresses.[0]: 'ff02::1/64' is not a "
		   "unicast address");
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"x\"; "
		   "addresses = [ \"2001:db8::1/0\" ]; } );",
		   "t.conf:1: ports.[0].addresses.[0]: prefix length of "
		   "'2001:db8::1/0' must be 1 to 128");
	ASSERT_ERR(TWO_PORTS "routes = ( { dst = \"198.19.0.0/24\"; "
		   "via = \"2001:db8::1\"; dev = \"dp0\"; } );",
		   "t.conf:3: routes.[0].via: must be of the same family as "
		   "dst");
	ASSERT_ERR(TWO_PORTS "routes = ( { dst = \"2001:db8:5::1/48\"; "
		   "dev = \"dp0\"; } );",
		   "t.conf:3: routes.[0].dst: host bits set in 2001:db8:5::1/48");
}

static void
test_route_host_bits(void **state)
{
	ASSERT_ERR(TWO_PORTS "routes = (\n { dst = \"198.19.0.1/24\"; dev = \"dp0\"; }\n);",
		   "t.conf:4: routes.[0].dst: host bits set in 198.19.0.1/24");
}

static void
test_route_unknown_dev(void **state)
{
	ASSERT_ERR(TWO_PORTS "routes = ( { dst = \"198.19.0.0/24\"; dev = \"dp0\"; },\n"
		   " { dst = \"198.20.0.0/24\"; dev = \"dp7\"; } );",
		   "t.conf:4: routes.[1].dev: no port named 'dp7'");
}

/* Routes are checked after ports, whatever the order in the file. */
static void
test_routes_before_ports(void **state)
{
	ASSERT_OK("routes = ( { dst = \"198.19.0.0/24\"; via = \"198.18.1.2\"; } );\n"
		  TWO_PORTS);
	assert_int_equal(cfg.n_routes, 1);
}

static void
test_route_needs_via_or_dev(void **state)
{
	ASSERT_ERR(TWO_PORTS "routes = (\n { dst = \"198.19.0.0/24\"; }\n);",
		   "t.conf:4: routes.[0]: needs via or dev");
	ASSERT_ERR(TWO_PORTS "routes = ( { dst = \"198.19.0.0/24\"; via = \"\";"
		   " dev = \"\"; } );",
		   "t.conf:3: routes.[0]: needs via or dev");
	ASSERT_ERR(TWO_PORTS "routes = ( { via = \"198.18.0.2\"; } );",
		   "t.conf:3: routes.[0].dst: is required");
}

static void
test_route_gateway(void **state)
{
	ASSERT_ERR(TWO_PORTS "routes = ( { dst = \"198.19.0.0/24\"; "
		   "via = \"198.18.9.1\"; } );",
		   "t.conf:3: routes.[0].via: no port address covers "
		   "198.18.9.1; set dev");
	ASSERT_ERR(TWO_PORTS "routes = ( { dst = \"198.19.0.0/24\"; "
		   "via = \"198.18.0\"; } );",
		   "t.conf:3: routes.[0].via: invalid address '198.18.0'");
	/* With dev the gateway's subnet is not needed. */
	ASSERT_OK(TWO_PORTS "routes = ( { dst = \"198.19.0.0/24\"; "
		  "via = \"198.18.9.1\"; dev = \"dp1\"; } );");
}

static void
test_route_duplicate(void **state)
{
	ASSERT_ERR(TWO_PORTS "routes = ( { dst = \"198.19.0.0/24\"; dev = \"dp0\"; },\n"
		   " { dst = \"198.19.0.0/24\"; via = \"198.18.1.2\"; } );",
		   "t.conf:4: routes.[1].dst: duplicate route 198.19.0.0/24 "
		   "(see routes.[0])");
	/* Same network, other length: a different route. */
	ASSERT_OK(TWO_PORTS "routes = ( { dst = \"198.19.0.0/24\"; dev = \"dp0\"; },\n"
		  " { dst = \"198.19.0.0/16\"; dev = \"dp0\"; } );");
}

static void
test_bad_mac(void **state)
{
	ASSERT_ERR(TWO_PORTS "neigh = { static = ( { ip = \"198.18.0.2\";\n"
		   "  mac = \"02:00:00:00:00\"; dev = \"dp0\"; } ); };",
		   "t.conf:4: neigh.static.[0].mac: invalid MAC address "
		   "'02:00:00:00:00' (expected 02:00:00:00:00:01)");
	ASSERT_ERR(TWO_PORTS "neigh = { static = ( { ip = \"198.18.0.2\";\n"
		   "  mac = \"01:00:5e:00:00:01\"; dev = \"dp0\"; } ); };",
		   "t.conf:4: neigh.static.[0].mac: '01:00:5e:00:00:01' is not "
		   "a unicast MAC address");
}

static void
test_port_mac(void **state)
{
	(void)state;
	ASSERT_OK("ports = ( { name = \"dp0\"; device = \"net_null0\";\n"
		  "  mac = \"02:00:00:00:00:07\"; } );");
	assert_true(cfg.ports[0].has_mac);
	assert_int_equal(cfg.ports[0].mac[5], 7);
	ASSERT_OK("ports = ( { name = \"dp0\"; device = \"net_null0\"; } );");
	assert_false(cfg.ports[0].has_mac);
	ASSERT_ERR("ports = ( { name = \"dp0\"; device = \"net_null0\";\n"
		   "  mac = \"ff:ff:ff:ff:ff:ff\"; } );",
		   "t.conf:2: ports.[0].mac: 'ff:ff:ff:ff:ff:ff' is not a "
		   "unicast MAC address");
}

static void
test_timeouts(void **state)
{
	(void)state;
	ASSERT_OK("");
	assert_int_equal(cfg.timeouts.tcp[TCP_S_ESTABLISHED], 90);
	assert_int_equal(cfg.timeouts.tcp[TCP_S_SYN_RECV], 30);
	assert_int_equal(cfg.timeouts.udp[UDP_NORMAL], 300);
	ASSERT_OK("timeouts = { tcp = { established = 900; time_wait = 2; };\n"
		  "  udp = { oneway = 10; }; };");
	assert_int_equal(cfg.timeouts.tcp[TCP_S_ESTABLISHED], 900);
	assert_int_equal(cfg.timeouts.tcp[TCP_S_TIME_WAIT], 2);
	assert_int_equal(cfg.timeouts.tcp[TCP_S_CLOSE], 3);
	assert_int_equal(cfg.timeouts.udp[UDP_ONEWAY], 10);
	assert_int_equal(cfg.timeouts.udp[UDP_NORMAL], 300);
	ASSERT_ERR("timeouts = { tcp = {\n established = 0; }; };",
		   "t.conf:2: timeouts.tcp.established: must be between 1 and "
		   "864000");
	ASSERT_ERR("timeouts = { tcp = { estab = 5; }; };",
		   "t.conf:1: timeouts.tcp.estab: unknown key");
	ASSERT_ERR("timeouts = { sctp = { }; };",
		   "t.conf:1: timeouts.sctp: unknown key");
}

static void
test_sync(void **state)
{
	(void)state;
	ASSERT_OK("");		/* IPVS's defaults */
	assert_int_equal(cfg.sync_threshold, 3);
	assert_int_equal(cfg.sync_period, 50);
	assert_int_equal(cfg.sync_refresh_period, 0);
	assert_int_equal(cfg.sync_retries, 0);
	assert_int_equal(cfg.sync_full_refresh, 0);
	assert_int_equal(cfg.sync_dump_rate, 500000);
	ASSERT_OK("sync = { threshold = 1; period = 10; refresh_period = 30;\n"
		  "  retries = 3; full_refresh = 600; dump_rate = 2000; };");
	assert_int_equal(cfg.sync_dump_rate, 2000);
	assert_int_equal(cfg.sync_threshold, 1);
	assert_int_equal(cfg.sync_period, 10);
	assert_int_equal(cfg.sync_refresh_period, 30);
	assert_int_equal(cfg.sync_retries, 3);
	assert_int_equal(cfg.sync_full_refresh, 600);
	ASSERT_OK("sync = { threshold = 7; period = 0; };");	/* once */
	ASSERT_ERR("sync = {\n threshold = 10; period = 10; };",
		   "t.conf:2: sync.threshold: 10 must be below period (10)");
	ASSERT_ERR("sync = { period = 2; };",
		   "t.conf:1: sync.threshold: 3 must be below period (2)");
	ASSERT_ERR("sync = { retries = 4; };",
		   "t.conf:1: sync.retries: must be between 0 and 3");
	ASSERT_ERR("sync = { dump_rate = 999; };",
		   "t.conf:1: sync.dump_rate: must be between 1000 and "
		   "100000000");
	ASSERT_ERR("sync = { thresold = 4; };",
		   "t.conf:1: sync.thresold: unknown key");
}

static void
test_ha_lease_grace(void **state)
{
	(void)state;
	ASSERT_OK("");
	assert_int_equal(cfg.lease_grace_ms, 500);
	ASSERT_OK("ha = { lease_grace_ms = 0; };");
	assert_int_equal(cfg.lease_grace_ms, 0);
	ASSERT_OK("ha = { lease_grace_ms = 60000; };");
	assert_int_equal(cfg.lease_grace_ms, 60000);
	ASSERT_ERR("ha = {\n lease_grace_ms = 60001; };",
		   "t.conf:2: ha.lease_grace_ms: must be between 0 and 60000");
	ASSERT_ERR("ha = { grace = 5; };", "t.conf:1: ha.grace: unknown key");
}

static void
test_static_neigh(void **state)
{
	ASSERT_ERR(TWO_PORTS "neigh = { static = (\n { ip = \"198.18.0.2\"; "
		   "dev = \"dp0\"; } ); };",
		   "t.conf:4: neigh.static.[0].mac: is required");
	ASSERT_ERR(TWO_PORTS "neigh = { static = (\n { ip = \"198.18.0.2\"; "
		   "mac = \"02:00:00:00:00:02\"; } ); };",
		   "t.conf:4: neigh.static.[0].dev: is required");
	ASSERT_ERR(TWO_PORTS "neigh = { static = (\n { mac = \"02:00:00:00:00:02\";"
		   " dev = \"dp0\"; } ); };",
		   "t.conf:4: neigh.static.[0].ip: is required");
	ASSERT_ERR(TWO_PORTS "neigh = { static = ( { ip = \"198.18.0.2\"; "
		   "mac = \"02:00:00:00:00:02\"; dev = \"dp9\"; } ); };",
		   "t.conf:3: neigh.static.[0].dev: no port named 'dp9'");
	ASSERT_ERR(TWO_PORTS "neigh = { static = (\n"
		   " { ip = \"198.18.0.2\"; mac = \"02:00:00:00:00:02\"; dev = \"dp0\"; },\n"
		   " { ip = \"198.18.0.2\"; mac = \"02:00:00:00:00:03\"; dev = \"dp0\"; }\n"
		   "); };",
		   "t.conf:5: neigh.static.[1].ip: duplicate neighbour "
		   "198.18.0.2 on dp0 (see neigh.static.[0])");
	/* The same address behind two ports is two neighbours. */
	ASSERT_OK(TWO_PORTS "neigh = { static = (\n"
		  " { ip = \"198.18.0.2\"; mac = \"02:00:00:00:00:02\"; dev = \"dp0\"; },\n"
		  " { ip = \"198.18.0.2\"; mac = \"02:00:00:00:00:03\"; dev = \"dp1\"; }\n"
		  "); };");
	assert_int_equal(cfg.n_neighs, 2);
}

static void
test_bad_socket_mode(void **state)
{
	ASSERT_ERR("global = { socket_mode = \"0698\"; };",
		   "t.conf:1: global.socket_mode: must be an octal mode like "
		   "\"0660\"");
	ASSERT_ERR("global = { socket_mode = \"\"; };",
		   "t.conf:1: global.socket_mode: must be an octal mode like "
		   "\"0660\"");
	ASSERT_ERR("global = { socket_mode = \"1777\"; };",
		   "t.conf:1: global.socket_mode: must be at most 0777");
	ASSERT_ERR("global = { socket_mode = \"77777777777777777777\"; };",
		   "t.conf:1: global.socket_mode: must be at most 0777");
	ASSERT_OK("global = { socket_mode = \"600\"; };");
	assert_int_equal(cfg.socket_mode, 0600);
}

static void
test_bad_cpus(void **state)
{
	static const char *const bad[] = {
		"0-", "-1", "1,", ",1", "3-1", "a", "0 1", "1;2", "0-1-2",
		"99999999999999999999", "1024",
	};
	static const char *const good[] = { "", "0", "0-3,5", "1,3,5-7",
					     "1023" };
	char text[128], msg[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "eal = { cpus = \"%s\"; };",
			 bad[i]);
		snprintf(msg, sizeof(msg), "t.conf:1: eal.cpus: invalid cpu "
			 "list '%s' (expected e.g. \"0-3,5\")", bad[i]);
		ASSERT_ERR(text, msg);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "eal = { cpus = \"%s\"; };",
			 good[i]);
		ASSERT_OK(text);
		assert_string_equal(cfg.cpus, good[i]);
	}
	ASSERT_ERR("eal = { cpus = \"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,"
		   "17,18,19,20,21,22,23,24,25\"; };",
		   "t.conf:1: eal.cpus: must be at most 63 characters");
}

static void
test_global_strings(void **state)
{
	ASSERT_ERR("global = { log_level = \"verbose\"; };",
		   "t.conf:1: global.log_level: must be one of err, warning, "
		   "notice, info, debug");
	ASSERT_ERR("global = { control_socket = \"dplbd.sock\"; };",
		   "t.conf:1: global.control_socket: must be an absolute path");
	ASSERT_ERR("global = { socket_group = \"a b\"; };",
		   "t.conf:1: global.socket_group: invalid group name 'a b'");
	/* Escaped control characters cannot split the message line. */
	ASSERT_ERR("global = { log_level = \"x\\ny\"; };",
		   "t.conf:1: global.log_level: must be one of err, warning, "
		   "notice, info, debug");
	ASSERT_ERR("global = { socket_group = \"a\\nb\"; };",
		   "t.conf:1: global.socket_group: invalid group name 'a?b'");
}

static void
test_limits(void **state)
{
	char text[8192];
	size_t n = 0;
	int i;

	n += (size_t)snprintf(text + n, sizeof(text) - n, "ports = (");
	for (i = 0; i <= CFG_MAX_PORTS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "%s{ name = \"p%d\"; device = \"d%d\"; }",
				      i ? "," : "", i, i);
	snprintf(text + n, sizeof(text) - n, ");");
	ASSERT_ERR(text, "t.conf:1: ports: at most 16 ports");

	n = (size_t)snprintf(text, sizeof(text), "eal = { args = [");
	for (i = 0; i <= CFG_MAX_EAL_ARGS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"-v\"",
				      i ? "," : "");
	snprintf(text + n, sizeof(text) - n, "]; };");
	ASSERT_ERR(text, "t.conf:1: eal.args: at most 32 arguments");

	snprintf(text, sizeof(text), "eal = { args = [ \"%0128d\" ]; };", 0);
	ASSERT_ERR(text, "t.conf:1: eal.args.[0]: must be at most 127 "
		   "characters");
	ASSERT_ERR("eal = { args = [ \"\" ]; };",
		   "t.conf:1: eal.args.[0]: must not be empty");

	n = (size_t)snprintf(text, sizeof(text), TWO_PORTS
			     "dataplane = { max_routes = 16; };\nroutes = (");
	for (i = 0; i < 17; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "%s{ dst = \"10.%d.0.0/16\"; dev = \"dp0\"; }",
				      i ? "," : "", i);
	snprintf(text + n, sizeof(text) - n, ");");
	ASSERT_ERR(text, "t.conf:4: routes: more routes than "
		   "dataplane.max_routes (16)");
}

static void
test_to_json(void **state)
{
	json_object *j, *o, *a, *e;

	ASSERT_OK(full_conf);
	j = config_to_json(&cfg);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "global", &o));
	assert_string_equal(json_object_get_string(
		json_object_object_get(o, "log_level")), "debug");
	assert_string_equal(json_object_get_string(
		json_object_object_get(o, "socket_mode")), "0640");
	assert_string_equal(json_object_get_string(
		json_object_object_get(o, "socket_group")), "dplb");
	o = json_object_object_get(j, "eal");
	assert_false(json_object_get_boolean(
		json_object_object_get(o, "hugepages")));
	assert_int_equal(json_object_array_length(
		json_object_object_get(o, "args")), 2);
	o = json_object_object_get(j, "dataplane");
	assert_int_equal(json_object_get_int(
		json_object_object_get(o, "mbufs")), 32767);
	o = json_object_object_get(j, "ip");
	assert_true(json_object_get_boolean(
		json_object_object_get(o, "forward")));
	o = json_object_object_get(j, "neigh");
	assert_int_equal(json_object_get_int(
		json_object_object_get(o, "queue_len")), 16);
	e = json_object_array_get_idx(json_object_object_get(o, "static"), 0);
	assert_string_equal(json_object_get_string(
		json_object_object_get(e, "mac")), "02:00:00:00:01:02");
	a = json_object_object_get(j, "ports");
	assert_int_equal(json_object_array_length(a), 2);
	e = json_object_array_get_idx(a, 0);
	assert_int_equal(json_object_get_int(
		json_object_object_get(e, "mtu")), 9000);
	assert_true(json_object_get_boolean(
		json_object_object_get(e, "promisc")));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
		json_object_object_get(e, "addresses"), 1)), "198.18.10.1/32");
	a = json_object_object_get(j, "routes");
	assert_int_equal(json_object_array_length(a), 3);
	e = json_object_array_get_idx(a, 2);
	assert_string_equal(json_object_get_string(
		json_object_object_get(e, "dst")), "198.20.0.0/16");
	assert_string_equal(json_object_get_string(
		json_object_object_get(e, "via")), "");
	assert_string_equal(json_object_get_string(
		json_object_object_get(e, "dev")), "dp1");
	json_object_put(j);
}

/* JSON back to libconfig text, to show both share one structure. */
static size_t
json_to_conf(json_object *o, char *buf, size_t len, size_t n, bool root)
{
	size_t i;

	switch (json_object_get_type(o)) {
	case json_type_object:
		n += (size_t)snprintf(buf + n, len - n, "%s", root ? "" : "{ ");
		json_object_object_foreach(o, key, val) {
			n += (size_t)snprintf(buf + n, len - n, "%s = ", key);
			n = json_to_conf(val, buf, len, n, false);
			n += (size_t)snprintf(buf + n, len - n, ";\n");
		}
		return n + (size_t)snprintf(buf + n, len - n, "%s",
					    root ? "" : "}");
	case json_type_array: {
		json_object *first = json_object_array_get_idx(o, 0);
		bool list = first != NULL &&
			    json_object_is_type(first, json_type_object);

		n += (size_t)snprintf(buf + n, len - n, list ? "( " : "[ ");
		for (i = 0; i < json_object_array_length(o); i++) {
			n += (size_t)snprintf(buf + n, len - n, i ? ", " : "");
			n = json_to_conf(json_object_array_get_idx(o, i), buf,
					 len, n, false);
		}
		return n + (size_t)snprintf(buf + n, len - n, list ? " )" : " ]");
	}
	case json_type_string:
		return n + (size_t)snprintf(buf + n, len - n, "\"%s\"",
					    json_object_get_string(o));
	case json_type_boolean:
		return n + (size_t)snprintf(buf + n, len - n, "%s",
			json_object_get_boolean(o) ? "true" : "false");
	default:
		return n + (size_t)snprintf(buf + n, len - n, "%lld",
			(long long)json_object_get_int64(o));
	}
}

static void
test_json_round_trip(void **state)
{
	static char text[16384];
	json_object *j1, *j2;
	char *s1;

	ASSERT_OK(full_conf);
	j1 = config_to_json(&cfg);
	json_to_conf(j1, text, sizeof(text), 0, true);
	s1 = strdup(json_object_to_json_string(j1));
	ASSERT_OK(text);
	j2 = config_to_json(&cfg);
	assert_string_equal(s1, json_object_to_json_string(j2));
	free(s1);
	json_object_put(j1);
	json_object_put(j2);

	/* The defaults make the same trip. */
	ASSERT_OK("");
	j1 = config_to_json(&cfg);
	json_to_conf(j1, text, sizeof(text), 0, true);
	ASSERT_OK(text);
	json_object_put(j1);
}

/* ---- laddr_groups and services (lb_svc.h) ---- */

static const char lb_conf[] =
	"laddr_groups = (\n"
	"  { name = \"lg1\"; addresses = [ \"198.18.1.100\", \"198.18.1.101\" ]; },\n"
	"  { name = \"lg2\"; addresses = [ ]; }\n"
	");\n"
	"services = (\n"
	"  { proto = \"tcp\"; vip = \"198.18.0.100\"; port = 80; sched = \"rr\";\n"
	"    laddr_group = \"lg1\";\n"
	"    dests = ( { addr = \"198.18.1.11\"; port = 80; weight = 1; fwd = \"fnat\"; },\n"
	"              { addr = \"198.18.1.12\"; weight = 3; u_threshold = 100;\n"
	"                l_threshold = 50; } ); },\n"
	"  { proto = \"udp\"; vip = \"198.18.0.100\"; port = 0; sched = \"mh\";\n"
	"    flags = [ \"mh-port\", \"mh-fallback\", \"one-packet\" ];\n"
	"    persistent = 300; netmask = \"255.255.255.0\";\n"
	"    dests = ( { addr = \"198.18.1.13\"; fwd = \"dr\"; } ); },\n"
	"  { proto = \"tcp\"; vip = \"198.18.0.101\"; port = 443; }\n"
	");\n";

static void
test_lb_services(void **state)
{
	const struct cfg_service *s;

	ASSERT_OK(lb_conf);
	assert_int_equal(cfg.n_laddr_groups, 2);
	assert_string_equal(cfg.laddr_groups[0].name, "lg1");
	assert_int_equal(cfg.laddr_groups[0].n_addrs, 2);
	assert_int_equal(cfg.laddr_groups[1].n_addrs, 0);
	assert_int_equal(cfg.n_services, 3);
	assert_int_equal(cfg.n_svc_dests, 3);
	s = &cfg.services[0];
	assert_int_equal(s->key.proto, IPPROTO_TCP);
	assert_int_equal(s->key.port, 80);
	assert_string_equal(s->conf.sched, "rr");
	assert_string_equal(s->conf.laddr_group, "lg1");
	assert_int_equal(s->n_dests, 2);
	assert_int_equal(cfg.svc_dests[s->first_dest + 1].port, 80);
	assert_int_equal(cfg.svc_dests[s->first_dest + 1].weight, 3);
	assert_int_equal(cfg.svc_dests[s->first_dest + 1].fwd, LB_FWD_FNAT);
	assert_int_equal(cfg.svc_dests[s->first_dest + 1].u_threshold, 100);
	s = &cfg.services[1];
	assert_int_equal(s->key.proto, IPPROTO_UDP);
	assert_int_equal(s->key.port, 0);
	assert_int_equal(s->conf.flags, LB_SVC_F_HASH_PORT | LB_SVC_F_FALLBACK |
			 LB_SVC_F_ONE_PACKET);
	assert_int_equal(s->conf.persistent, 300);
	assert_int_equal(s->conf.netmask_len, 24);
	assert_int_equal(cfg.svc_dests[s->first_dest].fwd, LB_FWD_DR);
	s = &cfg.services[2];	/* ipvsadm's defaults */
	assert_string_equal(s->conf.sched, "wlc");
	assert_int_equal(s->conf.netmask_len, 32);
	assert_int_equal(s->n_dests, 0);
}

#define SVC "services = ( { proto = \"tcp\"; vip = \"198.18.0.100\"; port = 80; "
#define LG "laddr_groups = ( { name = \"lg1\"; addresses = [ \"198.18.1.100\" ]; } );\n"

static void
test_lb_services_errors(void **state)
{
	ASSERT_ERR("services = ( { proto = \"sctp\"; vip = \"198.18.0.100\"; "
		   "port = 80; } );",
		   "t.conf:1: services.[0].proto: must be \"tcp\" or \"udp\"");
	ASSERT_ERR(SVC "schd = \"rr\"; } );",
		   "t.conf:1: services.[0].schd: unknown key");
	ASSERT_ERR("services = ( { proto = \"tcp\";\n vip = \"198.18.0.100\"; "
		   "} );",
		   "t.conf:1: services.[0].port: is required (0 = every port)");
	ASSERT_ERR("services = ( { proto = \"tcp\"; port = 1; } );",
		   "t.conf:1: services.[0].vip: is required");
	ASSERT_ERR("services = ( { vip = \"198.18.0.100\"; port = 1; } );",
		   "t.conf:1: services.[0].proto: is required");
	ASSERT_ERR(SVC "port = 80; } );",
		   "t.conf:1: syntax error: duplicate setting name");
	ASSERT_ERR("services = ( { proto = \"tcp\"; vip = \"198.18.0.100\"; "
		   "port = 65536; } );",
		   "t.conf:1: services.[0].port: must be between 0 and 65535");
	ASSERT_ERR("services = ( { proto = \"tcp\"; vip = \"ff02::1\"; "
		   "port = 1; } );",
		   "t.conf:1: services.[0].vip: not a global or unique local "
		   "IPv6 unicast address");
	ASSERT_ERR("services = ( { proto = \"tcp\"; vip = \"224.0.0.1\"; "
		   "port = 1; } );",
		   "t.conf:1: services.[0].vip: '224.0.0.1' is not a unicast "
		   "address");
	ASSERT_ERR(SVC "\n sched = \"xx\"; } );",
		   "t.conf:2: services.[0].sched: unknown scheduler 'xx' (rr "
		   "wrr lc wlc sh mh fo dh lblc lblcr sed nq)");
	ASSERT_ERR(SVC "flags = [ \"sh-prt\" ]; } );",
		   "t.conf:1: services.[0].flags.[0]: unknown flag 'sh-prt' "
		   "(sh-port, sh-fallback, mh-port, mh-fallback, one-packet, "
		   "expire-quiescent, proxy-protocol-v1, proxy-protocol-v2, "
		   "toa, syn-proxy)");
	ASSERT_ERR("services = ( { proto = \"udp\"; vip = \"198.18.0.100\"; "
		   "port = 80;\n flags = [ \"toa\" ]; } );",
		   "t.conf:2: services.[0].flags: toa and syn-proxy are for "
		   "TCP services only");
	ASSERT_ERR("services = ( { proto = \"udp\"; vip = \"198.18.0.100\"; "
		   "port = 80;\n flags = [ \"proxy-protocol-v1\" ]; } );",
		   "t.conf:2: services.[0].flags: proxy-protocol-v1 is for TCP "
		   "services only (its text header has no UDP form); UDP "
		   "services take proxy-protocol-v2");
	ASSERT_ERR(SVC "\n flags = [ \"proxy-protocol-v1\", "
		   "\"proxy-protocol-v2\" ]; } );",
		   "t.conf:2: services.[0].flags: proxy-protocol-v1 and "
		   "proxy-protocol-v2 exclude each other");
	ASSERT_ERR(SVC "\n flags = [ \"one-packet\" ]; } );",
		   "t.conf:2: services.[0].flags: one-packet is for UDP "
		   "services only");
	ASSERT_ERR(SVC "\n netmask = \"255.255.255.0\"; } );",
		   "t.conf:2: services.[0].netmask: only with persistent (as "
		   "ipvsadm -M)");
	ASSERT_ERR(SVC "persistent = 300; netmask = \"255.0.255.0\"; } );",
		   "t.conf:1: services.[0].netmask: invalid netmask "
		   "'255.0.255.0' (expected e.g. \"255.255.255.0\", or a "
		   "prefix length such as \"/64\" for IPv6)");
	ASSERT_ERR(SVC "persistent = 4294968; } );",
		   "t.conf:1: services.[0].persistent: must be between 0 and "
		   "4294967");
	ASSERT_ERR(SVC "laddr_group = \"lg9\"; } );",
		   "t.conf:1: services.[0].laddr_group: no laddr group 'lg9' "
		   "in laddr_groups");
	/* laddr_groups are read first, wherever the file puts them */
	ASSERT_OK(SVC "laddr_group = \"lg1\"; } );\n" LG);
	ASSERT_ERR(SVC "\n  dests = ( { addr = \"198.18.1.11\"; } ); } );",
		   "t.conf:2: services.[0].dests.[0].fwd: full-NAT needs the "
		   "service to have a laddr_group");
	ASSERT_ERR(SVC "\n  dests = ( { addr = \"198.18.1.11\"; port = 8080;\n"
		   "  fwd = \"dr\"; } ); } );",
		   "t.conf:2: services.[0].dests.[0].port: dr dests keep the "
		   "service's port 80");
	ASSERT_ERR(SVC "\n  dests = ( { addr = \"198.18.1.11\"; fwd = \"nat\";"
		   " },\n  { addr = \"198.18.1.11\"; port = 80; fwd = \"nat\"; }"
		   " ); } );",
		   "t.conf:3: services.[0].dests.[1]: duplicate dest (see "
		   "dests.[0])");
	ASSERT_ERR(SVC "dests = ( { fwd = \"nat\"; } ); } );",
		   "t.conf:1: services.[0].dests.[0].addr: is required");
	ASSERT_ERR(SVC "dests = ( { addr = \"198.18.1.11\"; fwd = \"masq\"; } );"
		   " } );",
		   "t.conf:1: services.[0].dests.[0].fwd: must be one of fnat, "
		   "nat, dr, tunnel");
	ASSERT_ERR(SVC "dests = ( { addr = \"198.18.1.11\"; fwd = \"nat\"; "
		   "weight = 65536; } ); } );",
		   "t.conf:1: services.[0].dests.[0].weight: must be between 0 "
		   "and 65535");
	ASSERT_ERR(SVC "dests = ( { addr = \"198.18.1.11\"; fwd = \"nat\";\n"
		   " u_threshold = 10; l_threshold = 20; } ); } );",
		   "t.conf:2: services.[0].dests.[0].l_threshold: must not "
		   "exceed u_threshold");
	ASSERT_ERR(SVC "dests = ( { addr = \"198.18.1.11\"; fwd = \"nat\"; "
		   "wieght = 1; } ); } );",
		   "t.conf:1: services.[0].dests.[0].wieght: unknown key");
	ASSERT_ERR(SVC "} ,\n { proto = \"tcp\"; vip = \"198.18.0.100\"; "
		   "port = 80; } );",
		   "t.conf:2: services.[1]: duplicate service tcp "
		   "198.18.0.100:80 (see services.[0])");
	ASSERT_ERR("services = { };",
		   "t.conf:1: services: must be a list ( ... )");
}

#define SVC6 "services = ( { proto = \"tcp\"; vip = \"2001:db8::1\"; port = 80; "
#define LG6 "laddr_groups = ( { name = \"lg6\"; addresses = [ \"2001:db8:1::100\", " \
	"\"198.18.1.100\" ]; } );\n"

/* IPv6 and NAT64 services (issue 15): what the file says, its defaults,
 * and the refusals named by file:line:key. */
static void
test_lb_ipv6_services(void **state)
{
	const struct cfg_service *s;

	ASSERT_OK(LG6 SVC6 "laddr_group = \"lg6\";\n"
		  " dests = ( { addr = \"2001:db8:1::11\"; },\n"
		  " { addr = \"198.18.1.11\"; port = 8080; },\n"
		  " { addr = \"2001:db8:1::12\"; fwd = \"dr\"; },\n"
		  " { addr = \"198.18.1.13\"; fwd = \"tunnel\"; } ); },\n"
		  " { proto = \"udp\"; vip = \"2001:db8::2\"; port = 53;\n"
		  " persistent = 60; netmask = \"/56\"; } );");
	assert_int_equal(cfg.n_laddr_groups, 1);
	assert_int_equal(cfg.laddr_groups[0].addrs[0].family, AF_INET6);
	assert_int_equal(cfg.n_services, 2);
	s = &cfg.services[0];
	assert_int_equal(s->key.vip.family, AF_INET6);
	assert_int_equal(s->conf.netmask_len, 64);	/* IPv6's default */
	assert_int_equal(s->n_dests, 4);
	assert_int_equal(cfg.svc_dests[s->first_dest + 1].addr.family, AF_INET);
	assert_int_equal(cfg.services[1].conf.netmask_len, 56);
	/* IPv4 services keep /32 */
	ASSERT_OK(SVC "persistent = 9; } );");
	assert_int_equal(cfg.services[0].conf.netmask_len, 32);

	ASSERT_ERR(SVC6 "\n flags = [ \"toa\" ]; } );",
		   "t.conf:2: services.[0].flags: proxy-protocol, toa and "
		   "syn-proxy are for IPv4 services only (not yet on the IPv6 "
		   "packet path)");
	ASSERT_ERR(SVC6 "persistent = 5;\n netmask = \"/129\"; } );",
		   "t.conf:2: services.[0].netmask: invalid netmask '/129' "
		   "(expected e.g. \"255.255.255.0\", or a prefix length such "
		   "as \"/64\" for IPv6)");
	ASSERT_ERR(SVC "persistent = 5;\n netmask = \"/64\"; } );",
		   "t.conf:2: services.[0].netmask: must be /0 to /32 for an "
		   "IPv4 service");
	ASSERT_ERR(SVC6 "\n netmask = \"/48\"; } );",
		   "t.conf:2: services.[0].netmask: only with persistent (as "
		   "ipvsadm -M)");
	ASSERT_ERR(SVC6 "\n  dests = ( { addr = \"198.18.1.11\"; fwd = \"nat\";"
		   " } ); } );",
		   "t.conf:2: services.[0].dests.[0].addr: nat dests must have "
		   "the VIP's address family (IPv6); mixed families are for "
		   "fnat (NAT64: IPv6 VIP, IPv4 dests) and tunnel only");
	ASSERT_ERR(LG SVC "laddr_group = \"lg1\";\n"
		   "  dests = ( { addr = \"2001:db8::11\"; } ); } );",
		   "t.conf:3: services.[0].dests.[0].addr: an IPv6 dest of an "
		   "IPv4 service (NAT46) is not supported; full-NAT translates "
		   "IPv6 VIPs to IPv4 dests only (NAT64)");
	ASSERT_ERR(SVC6 "} ,\n { proto = \"tcp\"; vip = \"2001:db8::1\"; "
		   "port = 80; } );",
		   "t.conf:2: services.[1]: duplicate service tcp "
		   "[2001:db8::1]:80 (see services.[0])");
	ASSERT_ERR("laddr_groups = ( { name = \"a\"; addresses = [ "
		   "\"2001:db8::5\" ]; },\n { name = \"b\"; addresses = [ "
		   "\"2001:db8::5\" ]; } );",
		   "t.conf:2: laddr_groups.[1].addresses.[0]: duplicate address "
		   "'2001:db8::5' (see laddr_groups.[0])");
}

static void
test_lb_laddr_groups_errors(void **state)
{
	ASSERT_ERR("laddr_groups = ( { addresses = [ ]; } );",
		   "t.conf:1: laddr_groups.[0].name: is required");
	ASSERT_ERR("laddr_groups = ( { name = \"a b\"; } );",
		   "t.conf:1: laddr_groups.[0].name: invalid name 'a b': use 1 "
		   "to 31 characters of A-Z a-z 0-9 _ . -");
	ASSERT_ERR("laddr_groups = ( { name = \"lg1\"; },\n"
		   " { name = \"lg1\"; } );",
		   "t.conf:2: laddr_groups.[1].name: duplicate laddr group "
		   "'lg1' (see laddr_groups.[0])");
	ASSERT_ERR("laddr_groups = ( { name = \"lg1\"; addresses = "
		   "[ \"198.18.1.100\" ]; },\n"
		   " { name = \"lg2\"; addresses = [ \"198.18.1.100\" ]; } );",
		   "t.conf:2: laddr_groups.[1].addresses.[0]: duplicate address "
		   "'198.18.1.100' (see laddr_groups.[0])");
	ASSERT_ERR("laddr_groups = ( { name = \"lg1\"; addresses = "
		   "[ \"198.18.1.100/24\" ]; } );",
		   "t.conf:1: laddr_groups.[0].addresses.[0]: invalid address "
		   "'198.18.1.100/24'");
	ASSERT_ERR("laddr_groups = ( { name = \"lg1\"; addrs = [ ]; } );",
		   "t.conf:1: laddr_groups.[0].addrs: unknown key");
}

static void
test_lb_json_round_trip(void **state)
{
	static char text[16384];
	json_object *j1, *j2, *s;
	char *s1;

	ASSERT_OK(lb_conf);
	j1 = config_to_json(&cfg);
	s = json_object_array_get_idx(json_object_object_get(j1, "services"),
				      1);
	assert_string_equal(json_object_get_string(
		json_object_object_get(s, "netmask")), "255.255.255.0");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
		json_object_object_get(s, "flags"), 0)), "mh-fallback");
	json_to_conf(j1, text, sizeof(text), 0, true);
	s1 = strdup(json_object_to_json_string(j1));
	ASSERT_OK(text);
	j2 = config_to_json(&cfg);
	assert_string_equal(s1, json_object_to_json_string(j2));
	free(s1);
	json_object_put(j1);
	json_object_put(j2);
}

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_load_missing(void **state)
{
	assert_int_equal(config_load("/nonexistent/dplbd.conf", &cfg, err,
				     sizeof(err)), -ENOENT);
	assert_string_equal(err, "cannot read /nonexistent/dplbd.conf: No "
			    "such file or directory");
	assert_int_equal(config_load("/tmp", &cfg, err, sizeof(err)),
			 -EISDIR);
	assert_string_equal(err, "cannot read /tmp: Is a directory");
}

static void
test_load_file(void **state)
{
	char dir[] = "/tmp/test_config.XXXXXX", path[PATH_MAX],
	     inc[PATH_MAX], msg[2 * PATH_MAX + 64];

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/dplbd.conf", dir);
	snprintf(inc, sizeof(inc), "%s/inc.conf", dir);
	write_file(path, full_conf);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.path, path);
	assert_int_equal(cfg.n_routes, 3);

	/* Errors name the file; in an @include, the included one. */
	write_file(path, "ip = { forward = true; };\n\nip2 = 1;\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(msg, sizeof(msg), "%s:3: ip2: unknown key", path);
	assert_string_equal(err, msg);
	write_file(path, "ip = { forward = true; };\n@include \"inc.conf\"\n");
	write_file(inc, "\ndataplane = { burst = 1000; };\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(msg, sizeof(msg), "%s:2: dataplane.burst: must be between 1 "
		 "and 512", inc);
	assert_string_equal(err, msg);
	write_file(inc, "dataplane = {\n burst = 1 2; };\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(msg, sizeof(msg), "%s:2: syntax error", inc);
	assert_string_equal(err, msg);
	unlink(inc);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	snprintf(msg, sizeof(msg), "%s:2: @include \"inc.conf\": cannot read "
		 "%s: No such file or directory", path, inc);
	assert_string_equal(err, msg);

	unlink(path);
	rmdir(dir);
}

/* --- @include ------------------------------------------------------ */

/* A scratch directory and the files a test writes in it. */
struct scratch {
	char dir[32];
	char (*paths)[PATH_MAX];
	unsigned int n;
};

static char scratch_paths[16][PATH_MAX];

static void
scratch_init(struct scratch *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/test_config.XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	d->paths = scratch_paths;
	d->n = 0;
}

/* Write dir/name; returns its path. */
static const char *
scratch_file(struct scratch *d, const char *name, const char *text)
{
	char *path = d->paths[d->n++];

	assert_true(d->n <= 16);
	snprintf(path, PATH_MAX, "%s/%s", d->dir, name);
	if (text != NULL)
		write_file(path, text);
	return path;
}

static void
scratch_clean(struct scratch *d)
{
	unsigned int i;

	for (i = 0; i < d->n; i++)
		unlink(d->paths[i]);
	assert_int_equal(rmdir(d->dir), 0);
}

/* config_load(path) fails with exactly the message fmt makes. */
static void __attribute__((format(printf, 2, 3)))
assert_load_err(const char *path, const char *fmt, ...)
{
	char msg[2 * PATH_MAX + 128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, msg);
}

/*
 * Included files land where their @include stands, nested ones too, by
 * relative (to the main file) or absolute name; an @include inside a
 * comment is not one; errors keep naming the right file and line.
 */
static void
test_include_works(void **state)
{
	char text[PATH_MAX + 512];
	const char *main_conf, *routes, *neigh;
	struct scratch d;
	size_t len;

	scratch_init(&d);
	routes = scratch_file(&d, "routes.conf", "routes = ( { dst = "
			      "\"198.19.0.0/24\"; via = \"198.18.0.2\"; } );\n");
	scratch_file(&d, "ports.conf", "ports = ( { name = \"dp0\"; device = "
		     "\"net_null0\";\n  addresses = [ \"198.18.0.1/24\" ]; } );"
		     "\n@include \"neigh.conf\"\n");
	/* no newline at the end: the next line must not be glued to it */
	neigh = scratch_file(&d, "neigh.conf", "neigh = { probes = 5; }");
	strcpy(text, "# @include \"commented.conf\"\n"
	       "/* a comment\n"
	       "@include \"in-a-comment.conf\"\n"
	       "*/ global = { log_level = \"debug\"; };\n"
	       "@include \"ports.conf\"   # two lines, with neigh.conf's\n"
	       "  @include \"");
	strcat(text, routes);
	strcat(text, "\"\nip = { forward = true; };\n"
	       "dataplane = { burst = 64; };\n");
	main_conf = scratch_file(&d, "main.conf", text);
	if (config_load(main_conf, &cfg, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
	assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
	assert_int_equal(cfg.n_ports, 1);
	assert_string_equal(cfg.ports[0].name, "dp0");
	assert_int_equal(cfg.neigh_probes, 5);
	assert_int_equal(cfg.n_routes, 1);
	assert_true(cfg.ip_forward);
	assert_int_equal(cfg.burst, 64);

	/* lines of the main file after the includes keep their numbers */
	len = strlen(text);
	strcat(text, "dataplane2 = 1;\n");
	write_file(main_conf, text);
	assert_load_err(main_conf, "%s:9: dataplane2: unknown key", main_conf);
	/* an error two includes down names that file; big integers there
	 * are widened too (2^32 + 5 is not 5) */
	write_file(neigh, "\nneigh = { probes = 4294967301; };\n");
	text[len] = '\0';
	write_file(main_conf, text);
	assert_load_err(main_conf, "%s:2: neigh.probes: must be between 1 and "
			"10", neigh);
	scratch_clean(&d);
}

/* What libconfig 1.5 would exit(2) on, or loop on, is an error naming
 * the @include's file and line; the loaded configuration stays. */
static void
test_include_refused(void **state)
{
	const char *main_conf, *b, *fifo;
	char text[64], name[16];
	struct scratch d;
	int i;

	scratch_init(&d);
	main_conf = scratch_file(&d, "main.conf", "dataplane = { burst = 64; "
				 "};\n");
	assert_int_equal(config_load(main_conf, &cfg, err, sizeof(err)), 0);

	write_file(main_conf, "ip = { };\n@include \".\"\n");
	assert_load_err(main_conf, "%s:2: @include \".\": %s/. is a directory",
			main_conf, d.dir);
	write_file(main_conf, "ip = { };\n@include \"\"\n");
	assert_load_err(main_conf, "%s:2: @include \"\": no file name",
			main_conf);
	write_file(main_conf, "ip = { };\n@include \"missing.conf\"\n");
	assert_load_err(main_conf, "%s:2: @include \"missing.conf\": cannot "
			"read %s/missing.conf: No such file or directory",
			main_conf, d.dir);
	write_file(main_conf, "@include \"/dev/null\"\n");
	assert_load_err(main_conf, "%s:1: @include \"/dev/null\": /dev/null is "
			"not a regular file", main_conf);
	/* a FIFO with no writer would block a plain open() forever */
	fifo = scratch_file(&d, "fifo", NULL);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	write_file(main_conf, "@include \"fifo\"\n");
	assert_load_err(main_conf, "%s:1: @include \"fifo\": %s is not a "
			"regular file", main_conf, fifo);
	write_file(main_conf, "ip = { };\n@include \"unterminated\n");
	assert_load_err(main_conf, "%s:2: @include: no closing quote on the "
			"line", main_conf);

	/* loops: the file itself, and back through another one */
	write_file(main_conf, "\n@include \"main.conf\"\n");
	assert_load_err(main_conf, "%s:2: @include \"main.conf\": include "
			"loop: %s is being read already", main_conf, main_conf);
	b = scratch_file(&d, "b.conf", "ip = { };\n@include \"main.conf\"\n");
	write_file(main_conf, "@include \"b.conf\"\n");
	assert_load_err(main_conf, "%s:2: @include \"main.conf\": include "
			"loop: %s is being read already", b, main_conf);
	/* nothing above touched what was loaded */
	assert_int_equal(cfg.burst, 64);
	assert_string_equal(cfg.path, main_conf);

	/* ten levels are fine, eleven are not */
	for (i = 1; i <= 11; i++) {
		snprintf(name, sizeof(name), "d%d.conf", i);
		snprintf(text, sizeof(text), "@include \"d%d.conf\"\n", i + 1);
		scratch_file(&d, name, i < 10 ? text : "");
	}
	write_file(main_conf, "@include \"d1.conf\"\n");
	if (config_load(main_conf, &cfg, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
	write_file(d.paths[d.n - 2], "@include \"d11.conf\"\n");
	assert_load_err(main_conf, "%s:1: @include \"d11.conf\": nested more "
			"than 10 deep", d.paths[d.n - 2]);
	scratch_clean(&d);

	/* from a string, relative names are the cwd's: "." is too */
	ASSERT_ERR("ip = { };\n@include \".\"\n",
		   "t.conf:2: @include \".\": . is a directory");
}

/* Every config we ship (and the lab's) must pass the validator. */
static void
test_shipped_configs(void **state)
{
	const char *top = getenv("DPLB_TOP");
	char root[PATH_MAX], pattern[PATH_MAX + 32];
	static const char *const globs[] = { "config/*.conf",
					     "config/examples/*.conf",
					     "config/examples/*/*.conf" };
	size_t i, j, found = 0;
	glob_t g;

	/* The source's own path locates the tree when DPLB_TOP is unset. */
	if (top == NULL) {
		snprintf(root, sizeof(root), "%s", __FILE__);
		*(strstr(root, "tests/unit/test_config.c")) = '\0';
		top = root;
	}
	for (i = 0; i < sizeof(globs) / sizeof(globs[0]); i++) {
		snprintf(pattern, sizeof(pattern), "%s%s%s", top,
			 *top && top[strlen(top) - 1] != '/' ? "/" : "",
			 globs[i]);
		if (glob(pattern, 0, NULL, &g) != 0)
			continue;
		for (j = 0; j < g.gl_pathc; j++, found++) {
			/* keepalived's configs live beside dplbd's */
			if (strstr(g.gl_pathv[j], "/keepalived") != NULL)
				continue;
			if (config_load(g.gl_pathv[j], &cfg, err,
					sizeof(err)) != 0)
				fail_msg("%s", err);
		}
		globfree(&g);
	}
	/* At least dplbd.conf and examples/two-port-router.conf. */
	if (found < 2)
		fail_msg("only %zu config files under '%s' (set DPLB_TOP to "
			 "the source tree)", found, top);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_is_defaults),
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_error_keeps_cfg),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_unknown_key_top),
		cmocka_unit_test(test_unknown_key_nested),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_range_low),
		cmocka_unit_test(test_range_high),
		cmocka_unit_test(test_range_edges),
		cmocka_unit_test(test_big_integers),
		cmocka_unit_test(test_port_names),
		cmocka_unit_test(test_duplicate_port_name),
		cmocka_unit_test(test_duplicate_device),
		cmocka_unit_test(test_duplicate_twin),
		cmocka_unit_test(test_bad_address),
		cmocka_unit_test(test_duplicate_address),
		cmocka_unit_test(test_ipv6_taken),
		cmocka_unit_test(test_route_host_bits),
		cmocka_unit_test(test_route_unknown_dev),
		cmocka_unit_test(test_routes_before_ports),
		cmocka_unit_test(test_route_needs_via_or_dev),
		cmocka_unit_test(test_route_gateway),
		cmocka_unit_test(test_route_duplicate),
		cmocka_unit_test(test_bad_mac),
		cmocka_unit_test(test_port_mac),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_sync),
		cmocka_unit_test(test_ha_lease_grace),
		cmocka_unit_test(test_static_neigh),
		cmocka_unit_test(test_bad_socket_mode),
		cmocka_unit_test(test_bad_cpus),
		cmocka_unit_test(test_global_strings),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_lb_services),
		cmocka_unit_test(test_lb_services_errors),
		cmocka_unit_test(test_lb_ipv6_services),
		cmocka_unit_test(test_lb_laddr_groups_errors),
		cmocka_unit_test(test_lb_json_round_trip),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_include_works),
		cmocka_unit_test(test_include_refused),
		cmocka_unit_test(test_shipped_configs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
