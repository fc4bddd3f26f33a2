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

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define LOG_ERR(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define LOG_WARN(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define LOG_NOTICE(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define LOG_INFO(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif /* DPLB_LOG_H */
