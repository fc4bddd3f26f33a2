/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * notify: the service manager's notification protocol (sd_notify(3))
 * without libsystemd.  A message is one datagram of "KEY=value" lines
 * sent to the unix socket named by $NOTIFY_SOCKET (a path, or an
 * abstract name written "@name").  Without $NOTIFY_SOCKET every call
 * is a successful no-op, so dplbd runs the same outside systemd.
 *
 * Main lcore only; never per packet (each send is a syscall).
 */
#ifndef DPLB_NOTIFY_H
#define DPLB_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/**
 * Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, open the
 * socket and remove the variables from the environment, so that no
 * process we might start talks to the manager in our name.  Call it
 * before any thread exists (unsetenv).  0, or a negative errno when the variable is set but unusable
 * (the daemon then runs without notifications).
 */
int notify_init(void);

/** Whether a manager listens (notify_init found a usable socket). */
bool notify_enabled(void);

/**
 * The watchdog interval the manager asked for, in microseconds, or 0
 * when WatchdogSec is not set (or is meant for another pid).
 */
uint64_t notify_watchdog_usec(void);

/** Send one message ("READY=1\nSTATUS=..."); 0 or a negative errno. */
int notify_send(const char *msg);

/** printf-style notify_send(); messages are cut at 1024 bytes. */
int notify_sendf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Close the socket (after STOPPING=1). */
void notify_close(void);

#endif /* DPLB_NOTIFY_H */
