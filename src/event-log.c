/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "event-log.h"
#include "log.h"

static void add_field(struct iovec *iov, size_t *n, char *buf, size_t size, const char *name, const char *value) {
        int len = snprintf(buf, size, "%s=%s", name, value);

        if (len < 0)
                return;

        iov[(*n)++] = (struct iovec) { .iov_base = buf, .iov_len = MIN((size_t) len, size - 1) };
}

void event_log(int priority, const char *child, const char *base, const char *format, ...) {
        char message[2048], fields[5][2100];
        struct iovec iov[5];
        size_t n = 0;
        va_list ap;
        int r;

        va_start(ap, format);
        (void) vsnprintf(message, sizeof(message), format, ap);
        va_end(ap);

        log_full(priority, "%s", message);

        add_field(iov, &n, fields[0], sizeof(fields[0]), "MESSAGE", message);
        (void) snprintf(fields[1], sizeof(fields[1]), "PRIORITY=%i", priority);
        iov[n++] = (struct iovec) { .iov_base = fields[1], .iov_len = strlen(fields[1]) };
        add_field(iov, &n, fields[2], sizeof(fields[2]), "SYSLOG_IDENTIFIER", "nspawn-overlay");
        if (child)
                add_field(iov, &n, fields[3], sizeof(fields[3]), "NSPAWN_OVERLAY_CHILD", child);
        if (base)
                add_field(iov, &n, fields[4], sizeof(fields[4]), "NSPAWN_OVERLAY_BASE", base);

        /* The journal copy is best effort: without journald the terminal message is all there is. */
        r = sd_journal_sendv(iov, (int) n);
        if (r < 0)
                log_debug_errno(r, "Failed to send a message to the journal: %m");
}
