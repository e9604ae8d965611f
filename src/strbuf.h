/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "macro.h"

/* A growable, NUL-terminated byte string. An allocation failure is remembered and reported
 * once by strbuf_ok(), so rendering code can append without checking every call. */
typedef struct StrBuf {
        char *data;
        size_t len;
        size_t allocated;
        bool oom;
} StrBuf;

void strbuf_done(StrBuf *b);
void strbuf_reset(StrBuf *b);
void strbuf_append_n(StrBuf *b, const char *s, size_t n);
void strbuf_append(StrBuf *b, const char *s);
void strbuf_append_char(StrBuf *b, char c);
void strbuf_appendf(StrBuf *b, const char *format, ...) _printf_(2, 3);

static inline bool strbuf_ok(const StrBuf *b) {
        return !b->oom;
}

static inline const char *strbuf_str(const StrBuf *b) {
        return b->data ?: "";
}
