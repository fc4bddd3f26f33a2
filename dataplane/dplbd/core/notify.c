/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/notify.h"

#define NOTIFY_MSG_MAX 1024

static int notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t notify_addr_len;
static uint64_t watchdog_usec;

/* "/path" or "@abstract" into a sockaddr; 0 or -EINVAL. */
static int
addr_from_env(const char *name)
{
	size_t n = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || n < 2 ||
	    n >= sizeof(notify_addr.sun_path))
		return -EINVAL;
	memset(&notify_addr, 0, sizeof(notify_addr));
	notify_addr.sun_family = AF_UNIX;
	memcpy(notify_addr.sun_path, name, n);
	if (name[0] == '@')
		notify_addr.sun_path[0] = '\0';	/* abstract namespace */
	notify_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				      n + (name[0] == '/'));
	return 0;
}

/* $WATCHDOG_USEC applies to us only if $WATCHDOG_PID is unset or ours. */
static uint64_t
watchdog_from_env(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long long v;
	char *end;

	if (usec == NULL)
		return 0;
	if (pid != NULL && strtol(pid, &end, 10) != (long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || end == usec || *end != '\0')
		return 0;
	return v;
}

int
notify_init(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	int ret = 0;

	notify_close();
	watchdog_usec = 0;
	if (name != NULL) {
		ret = addr_from_env(name);
		if (ret == 0) {
			notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
			if (notify_fd < 0)
				ret = -errno;
		}
		if (ret == 0)
			watchdog_usec = watchdog_from_env();
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return ret;
}

bool
notify_enabled(void)
{
	return notify_fd >= 0;
}

uint64_t
notify_watchdog_usec(void)
{
	return notify_fd >= 0 ? watchdog_usec : 0;
}

int
notify_send(const char *msg)
{
	ssize_t n;

	if (notify_fd < 0)
		return 0;
	n = sendto(notify_fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT,
		   (const struct sockaddr *)&notify_addr, notify_addr_len);
	return n < 0 ? -errno : 0;
}

int
notify_sendf(const char *fmt, ...)
{
	char msg[NOTIFY_MSG_MAX];
	va_list ap;

	if (notify_fd < 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return notify_send(msg);
}

void
notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
