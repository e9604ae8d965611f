/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "time-util.h"

static const struct {
        const char *suffix;
        uint64_t usec;
} time_units[] = {
        { "seconds", USEC_PER_SEC },
        { "second",  USEC_PER_SEC },
        { "sec",     USEC_PER_SEC },
        { "s",       USEC_PER_SEC },
        { "minutes", 60 * USEC_PER_SEC },
        { "minute",  60 * USEC_PER_SEC },
        { "min",     60 * USEC_PER_SEC },
        { "months",  2629800 * USEC_PER_SEC },
        { "month",   2629800 * USEC_PER_SEC },
        { "M",       2629800 * USEC_PER_SEC },
        { "msec",    USEC_PER_MSEC },
        { "ms",      USEC_PER_MSEC },
        { "m",       60 * USEC_PER_SEC },
        { "hours",   3600 * USEC_PER_SEC },
        { "hour",    3600 * USEC_PER_SEC },
        { "hr",      3600 * USEC_PER_SEC },
        { "h",       3600 * USEC_PER_SEC },
        { "days",    86400 * USEC_PER_SEC },
        { "day",     86400 * USEC_PER_SEC },
        { "d",       86400 * USEC_PER_SEC },
        { "weeks",   604800 * USEC_PER_SEC },
        { "week",    604800 * USEC_PER_SEC },
        { "w",       604800 * USEC_PER_SEC },
        { "years",   31557600 * USEC_PER_SEC },
        { "year",    31557600 * USEC_PER_SEC },
        { "y",       31557600 * USEC_PER_SEC },
        { "usec",    1 },
        { "us",      1 },
        { "μs",      1 },
};

/* Match the longest unit name at p; "" (no unit) means seconds. */
static int parse_unit(const char **p, uint64_t *ret) {
        size_t best = 0;
        uint64_t usec = USEC_PER_SEC;

        for (size_t i = 0; i < ELEMENTSOF(time_units); i++) {
                size_t n = strlen(time_units[i].suffix);

                if (n > best && strneq(*p, time_units[i].suffix, n) &&
                    !isalpha((unsigned char) (*p)[n])) {
                        best = n;
                        usec = time_units[i].usec;
                }
        }

        if (best == 0 && isalpha((unsigned char) **p))
                return -EINVAL;

        *p += best;
        *ret = usec;
        return 0;
}

int parse_timespan(const char *s, uint64_t *ret_usec) {
        uint64_t total = 0;
        const char *p = s;
        bool any = false;

        assert(s);
        assert(ret_usec);

        p += strspn(p, " \t");
        if (streq(p, "infinity")) {
                *ret_usec = USEC_INFINITY;
                return 0;
        }

        for (;;) {
                uint64_t value, unit;
                char *end;
                int r;

                p += strspn(p, " \t");
                if (*p == '\0')
                        break;

                if (!isdigit((unsigned char) *p))
                        return -EINVAL;

                errno = 0;
                value = strtoull(p, &end, 10);
                if (errno != 0)
                        return -ERANGE;
                p = end;

                p += strspn(p, " \t");
                r = parse_unit(&p, &unit);
                if (r < 0)
                        return r;

                if (value > (UINT64_MAX - 1 - total) / unit)
                        return -ERANGE;

                total += value * unit;
                any = true;
        }

        if (!any)
                return -EINVAL;

        *ret_usec = total;
        return 0;
}

void strbuf_append_timespan(StrBuf *b, uint64_t usec) {
        if (usec % USEC_PER_SEC == 0)
                strbuf_appendf(b, "%" PRIu64 "s", usec / USEC_PER_SEC);
        else if (usec % USEC_PER_MSEC == 0)
                strbuf_appendf(b, "%" PRIu64 "ms", usec / USEC_PER_MSEC);
        else
                strbuf_appendf(b, "%" PRIu64 "us", usec);
}
