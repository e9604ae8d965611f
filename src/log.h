/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

typedef enum LogTarget {
        LOG_TARGET_CONSOLE,     /* stderr, without a prefix: for interactive tools */
        LOG_TARGET_KMSG,        /* /dev/kmsg, with "ident[pid]: " as systemd's generators write it */
        LOG_TARGET_NULL,        /* formatted, then dropped: for the fuzzer, which still exercises the formatting */
} LogTarget;

void log_setup(const char *ident, LogTarget target);
void log_parse_environment(void);
void log_set_max_level(int level);
int log_get_max_level(void);

/* Log a message at the given syslog level. Returns -abs(error), so a caller can write
 * "return log_error_errno(r, …)". With error != 0, %m in the format prints that error. */
int log_internal(int level, int error, const char *format, ...) _printf_(3, 4);

/* Log a message about a configuration file, prefixed with "path:line: ". line 0 omits the number. */
int log_syntax_internal(const char *path, unsigned line, int level, int error, const char *format, ...)
        _printf_(5, 6);

#define log_full_errno(level, error, ...)                                       \
        ({                                                                      \
                int _level = (level), _e = (error);                             \
                _level <= log_get_max_level()                                   \
                        ? log_internal(_level, _e, __VA_ARGS__)                 \
                        : -abs(_e);                                             \
        })

#define log_full(level, ...) (void) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...)   log_full_errno(LOG_DEBUG, error, __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno(LOG_INFO, error, __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, error, __VA_ARGS__)
#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, error, __VA_ARGS__)

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")

#define log_syntax(path, line, level, error, ...) \
        log_syntax_internal((path), (line), (level), (error), __VA_ARGS__)
