/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

static const char *log_ident = "nspawn-overlay";
static LogTarget log_target = LOG_TARGET_CONSOLE;
static int log_max_level = LOG_INFO;
static int kmsg_fd = -EBADF;

static void open_kmsg(void) {
        if (kmsg_fd >= 0)
                return;

        /* Without /dev/kmsg (as in most containers) messages go to stderr instead. */
        kmsg_fd = open("/dev/kmsg", O_WRONLY|O_NOCTTY|O_CLOEXEC);
}

void log_setup(const char *ident, LogTarget target) {
        log_ident = ident;
        log_target = target;

        if (target == LOG_TARGET_KMSG)
                open_kmsg();
}

static int log_level_from_string(const char *s) {
        static const char *const names[] = {
                "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
        };

        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(s, names[i]) == 0)
                        return (int) i;

        if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
                return s[0] - '0';

        return -EINVAL;
}

void log_parse_environment(void) {
        const char *e;

        e = getenv("SYSTEMD_LOG_LEVEL");
        if (e) {
                int level = log_level_from_string(e);
                if (level >= 0)
                        log_max_level = level;
        }

        e = getenv("SYSTEMD_LOG_TARGET");
        if (e) {
                if (streq(e, "console"))
                        log_target = LOG_TARGET_CONSOLE;
                else if (streq(e, "kmsg")) {
                        log_target = LOG_TARGET_KMSG;
                        open_kmsg();
                }
        }
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

static void write_message(int level, const char *message) {
        if (log_target == LOG_TARGET_NULL)
                return;

        if (log_target == LOG_TARGET_KMSG && kmsg_fd >= 0) {
                char prefix[64];
                int n;

                n = snprintf(prefix, sizeof(prefix), "<%i>%s[%i]: ", LOG_DAEMON | level, log_ident, (int) getpid());
                if (n > 0 && (size_t) n < sizeof(prefix)) {
                        struct iovec iov[] = {
                                { .iov_base = prefix, .iov_len = (size_t) n },
                                { .iov_base = (char *) message, .iov_len = strlen(message) },
                                { .iov_base = (char *) "\n", .iov_len = 1 },
                        };

                        if (writev(kmsg_fd, iov, ELEMENTSOF(iov)) >= 0)
                                return;
                }
        }

        if (log_target == LOG_TARGET_KMSG)
                fprintf(stderr, "%s: %s\n", log_ident, message);
        else
                fprintf(stderr, "%s\n", message);
}

static int log_formatted(int level, int error, const char *prefix, const char *format, va_list ap) {
        char buffer[2048];
        size_t n = 0;
        int saved_errno = errno;

        if (prefix) {
                n = strlen(prefix);
                if (n >= sizeof(buffer))
                        n = sizeof(buffer) - 1;
                memcpy(buffer, prefix, n);
        }

        /* %m in the format prints the error passed in, not whatever errno happens to be. */
        errno = abs(error);
        (void) vsnprintf(buffer + n, sizeof(buffer) - n, format, ap);
        write_message(level, buffer);

        errno = saved_errno;
        return -abs(error);
}

int log_internal(int level, int error, const char *format, ...) {
        va_list ap;
        int r;

        va_start(ap, format);
        r = log_formatted(level, error, NULL, format, ap);
        va_end(ap);

        return r;
}

int log_syntax_internal(const char *path, unsigned line, int level, int error, const char *format, ...) {
        char prefix[4096 + 32];
        va_list ap;
        int r;

        if (level > log_max_level)
                return -abs(error);

        if (line > 0)
                (void) snprintf(prefix, sizeof(prefix), "%s:%u: ", path, line);
        else
                (void) snprintf(prefix, sizeof(prefix), "%s: ", path);

        va_start(ap, format);
        r = log_formatted(level, error, prefix, format, ap);
        va_end(ap);

        return r;
}
