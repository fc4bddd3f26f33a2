/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_log.h>

#include "core/eal.h"
#include "log.h"

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
 * The stream is fully buffered and DPDK flushes it after each message,
 * so a call normally carries one whole message, possibly several lines;
 * each line gets the message's priority.
 */
static ssize_t
journal_write(void *cookie, const char *buf, size_t size)
{
	char out[512];
	int prio = cur_priority();
	size_t i, o = 0;

	(void)cookie;
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
