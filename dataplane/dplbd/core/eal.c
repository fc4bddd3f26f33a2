/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

#include "core/eal.h"
#include "core/port.h"
#include "log.h"

#define MAX_EAL_ARGV 96

#define EAL_LOG_BUF 4096	/* longer messages arrive in pieces */

static char stream_buf[EAL_LOG_BUF];
static bool at_line_start = true;	/* under the FILE's lock */

/* RTE_LOG_EMERG (1) .. RTE_LOG_DEBUG (8) are syslog's 0..7 plus one. */
static int
cur_priority(void)
{
	int lvl = rte_log_cur_msg_loglevel();

	return lvl >= 1 && lvl <= 8 ? lvl - 1 : LOG_LVL_INFO;
}

static void
write_all(const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(STDERR_FILENO, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* nowhere else to report it */
		p += w;
		n -= (size_t)w;
	}
}

/*
 * Errors of net_tap that are no error for dplbd: every twin logs them
 * at start on kernels without the multiq qdisc (sch_multiq, absent from
 * most distribution kernels), where the tap PMD gives up its own
 * rte_flow support, which dplbd does not use on twins; and with
 * --in-memory or --no-shconf there is no secondary process to tell
 * about queue starts.  They are demoted to debug.
 */
static const char *const benign[] = {
	"multiq qdisc",
	"Specified qdisc kind is unknown",
	"Disabling rte flow support",
	"req to secondary",
};

static bool
is_benign(const char *buf, size_t size)
{
	size_t i;

	for (i = 0; i < RTE_DIM(benign); i++)
		if (memmem(buf, size, benign[i], strlen(benign[i])) != NULL)
			return true;
	return false;
}

/*
 * The message's syslog priority, or -1 to drop a demoted one below
 * log_level (DPDK's own level filtered the others already).
 */
static int
msg_priority(const char *buf, size_t size)
{
	int prio = cur_priority();

	if (prio >= LOG_LVL_DEBUG || !is_benign(buf, size))
		return prio;
	return log_get_level() >= LOG_LVL_DEBUG ? LOG_LVL_DEBUG : -1;
}

/*
 * The stream is fully buffered and DPDK flushes it after each message,
 * so a call normally carries one whole message, possibly several lines;
 * each line gets the message's priority.
 */
static ssize_t
journal_write(void *cookie, const char *buf, size_t size)
{
	char out[512];
	int prio = msg_priority(buf, size);
	size_t i, o = 0;

	(void)cookie;
	if (prio < 0)
		return (ssize_t)size;
	for (i = 0; i < size; i++) {
		if (o > sizeof(out) - 8) {
			write_all(out, o);
			o = 0;
		}
		if (at_line_start)
			o += (size_t)snprintf(out + o, sizeof(out) - o, "<%d>",
					      prio);
		out[o++] = buf[i];
		at_line_start = buf[i] == '\n';
	}
	write_all(out, o);
	return (ssize_t)size;
}

static ssize_t
plain_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	if (msg_priority(buf, size) >= 0)
		write_all(buf, size);
	return (ssize_t)size;
}

int
eal_log_init(void)
{
	cookie_io_functions_t fns = {
		.write = log_to_journal() ? journal_write : plain_write,
	};
	FILE *f = fopencookie(NULL, "w", fns);

	if (f == NULL)
		return -ENOMEM;
	setvbuf(f, stream_buf, _IOFBF, sizeof(stream_buf));
	return rte_openlog_stream(f);
}

unsigned int
eal_log_level(int dplb_level)
{
	return dplb_level >= LOG_LVL_DEBUG ? RTE_LOG_INFO : RTE_LOG_ERR;
}

/* ---- EAL start ---- */

/* The cpus lcores may run on: the config's list or our affinity. */
static int
cpu_list(const struct dplb_config *cfg, int *cpus, int max)
{
	cpu_set_t set;
	int n = 0, i;

	if (cfg->cpus[0] != '\0') {
		const char *p = cfg->cpus;

		while (*p != '\0' && n < max) {
			char *end;
			long lo = strtol(p, &end, 10), hi = lo;

			if (*end == '-')
				hi = strtol(end + 1, &end, 10);
			for (i = (int)lo; i <= hi && n < max; i++)
				cpus[n++] = i;
			p = *end == ',' ? end + 1 : end;
		}
		return n;
	}
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (i = 0; i < CPU_SETSIZE && n < max; i++)
		if (CPU_ISSET(i, &set))
			cpus[n++] = i;
	return n;
}

/* Lcore 0 is the main lcore, 1..workers the workers, spread over the
 * cpus round-robin so that small machines can still run several. */
static void
lcore_map(const struct dplb_config *cfg, char *buf, size_t len)
{
	int cpus[256], n = cpu_list(cfg, cpus, 256);
	size_t off = 0;
	unsigned int l;

	if (n == 0) {
		cpus[0] = 0;
		n = 1;
	}
	for (l = 0; l <= cfg->workers && off < len; l++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u@%d",
					l ? "," : "", l, cpus[l % n]);
}

int
eal_start(const struct dplb_config *cfg)
{
	static char lcores[1024], mem[32], loglvl[32];
	char *argv[MAX_EAL_ARGV];
	int argc = 0, ret;
	unsigned int i;

	argv[argc++] = (char *)"dplbd";
	lcore_map(cfg, lcores, sizeof(lcores));
	argv[argc++] = (char *)"--lcores";
	argv[argc++] = lcores;
	if (cfg->hugepages) {
		argv[argc++] = (char *)"--in-memory";
	} else {
		argv[argc++] = (char *)"--no-huge";
		argv[argc++] = (char *)"--no-shconf";
	}
	if (cfg->memory_mb != 0 || !cfg->hugepages) {
		snprintf(mem, sizeof(mem), "%u",
			 cfg->memory_mb ? cfg->memory_mb : 512);
		argv[argc++] = (char *)"-m";
		argv[argc++] = mem;
	}
	snprintf(loglvl, sizeof(loglvl), "--log-level=%u",
		 eal_log_level(cfg->log_level));
	argv[argc++] = loglvl;
	if (port_eal_args(cfg, argv, &argc, MAX_EAL_ARGV - CFG_MAX_EAL_ARGS - 1))
		return -E2BIG;
	for (i = 0; i < cfg->n_eal_args; i++)
		argv[argc++] = (char *)cfg->eal_args[i];
	argv[argc] = NULL;
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		LOG_ERR("DPDK EAL init failed: %s (the EAL's messages above say "
			"why; %s)", rte_strerror(rte_errno), cfg->hugepages ?
			"without free 2 MiB hugepages, reserve some with "
			"eal.nr_hugepages or set eal.hugepages = false" :
			"check eal.args and eal.cpus");
		return -rte_errno;
	}
	return 0;
}
