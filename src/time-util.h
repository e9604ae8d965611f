/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "strbuf.h"

#define USEC_PER_MSEC UINT64_C(1000)
#define USEC_PER_SEC  UINT64_C(1000000)
#define USEC_INFINITY UINT64_MAX

/* Parse a time span in systemd's syntax ("90", "1min 30s", "500ms", "infinity"); a bare number
 * is seconds. */
int parse_timespan(const char *s, uint64_t *ret_usec);

/* Append a time span that systemd parses back to the same value, in s, ms or us. */
void strbuf_append_timespan(StrBuf *b, uint64_t usec);
