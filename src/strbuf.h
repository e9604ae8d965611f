/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <string.h>

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
void strbuf_append_n_slow(StrBuf *b, const char *s, size_t n);
void strbuf_append_char_slow(StrBuf *b, char c);
void strbuf_append_uint(StrBuf *b, unsigned long long v);
void strbuf_appendf(StrBuf *b, const char *format, ...) _printf_(2, 3);

/* Inline, because the renderers append many short pieces, most of them string literals, whose
 * length is then computed at compile time. */
static inline void strbuf_append_n(StrBuf *b, const char *s, size_t n) {
        if (b->len + n < b->allocated) {
                memcpy(b->data + b->len, s, n);
                b->len += n;
                b->data[b->len] = '\0';
                return;
        }

        strbuf_append_n_slow(b, s, n);
}

static inline void strbuf_append(StrBuf *b, const char *s) {
        strbuf_append_n(b, s, strlen(s));
}

/* Inline, because the escaping functions append most bytes one at a time. */
static inline void strbuf_append_char(StrBuf *b, char c) {
        if (b->len + 1 < b->allocated) {
                b->data[b->len++] = c;
                b->data[b->len] = '\0';
                return;
        }

        strbuf_append_char_slow(b, c);
}

static inline bool strbuf_ok(const StrBuf *b) {
        return !b->oom;
}

static inline const char *strbuf_str(const StrBuf *b) {
        return b->data ?: "";
}
