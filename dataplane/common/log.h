/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log: leveled logging to stderr.  Under systemd (JOURNAL_STREAM names
 * our stderr) each line carries a "<N>" syslog priority prefix so that
 * journald files it with the right priority; elsewhere it carries the
 * level name.  Never call it per packet.
 */
#ifndef DPLB_LOG_H
#define DPLB_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);

/** "err", "warning", "notice", "info", "debug" -> level; -1 if unknown. */
int log_level_parse(const char *name);
const char *log_level_name(enum log_level lvl);

/** Whether stderr is systemd's journal stream (cached after the first call). */
bool log_to_journal(void);

/**
 * Log one line.  The line is made safe whatever it holds: control
 * characters and bytes that are not UTF-8 become \n, \t, \xNN, so a
 * string from outside can never start a line of its own.
 */
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * s made fit to quote in a log line, in buf (len bytes): control
 * characters, DEL and bytes that are not UTF-8 become \n, \r, \t or
 * \xNN, a backslash becomes \\ (so the escaped text reads back
 * unambiguously), and a string too long for buf is cut on a character
 * boundary and ends with "...".  NULL becomes "(null)".  Returns buf.
 * Use it (or LOG_STR) for every string a client, a peer or a file
 * supplied.
 */
const char *log_escape(const char *s, char *buf, size_t len);

#define LOG_STR_MAX 256
/** log_escape() into a buffer that lives until the end of the statement
 * block: LOG_NOTICE("interface %s", LOG_STR(ifname)). */
#define LOG_STR(s) log_escape((s), (char[LOG_STR_MAX]){ 0 }, LOG_STR_MAX)

#define LOG_ERR(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define LOG_WARN(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define LOG_NOTICE(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define LOG_INFO(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* DPLB_LOG_H */
