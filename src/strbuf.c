/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

void strbuf_done(StrBuf *b) {
        free(b->data);
        *b = (StrBuf) {};
}

void strbuf_reset(StrBuf *b) {
        b->len = 0;
        if (b->data)
                b->data[0] = '\0';
}

static bool strbuf_reserve(StrBuf *b, size_t extra) {
        size_t need, size;
        char *p;

        if (b->oom)
                return false;

        need = b->len + extra + 1;
        if (need <= b->allocated)
                return true;

        size = b->allocated > 0 ? b->allocated : 256;
        while (size < need)
                size *= 2;

        p = realloc(b->data, size);
        if (!p) {
                b->oom = true;
                return false;
        }

        b->data = p;
        b->allocated = size;
        return true;
}

void strbuf_append_n_slow(StrBuf *b, const char *s, size_t n) {
        if (!strbuf_reserve(b, n))
                return;

        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
}

void strbuf_append_char_slow(StrBuf *b, char c) {
        strbuf_append_n_slow(b, &c, 1);
}

void strbuf_append_uint(StrBuf *b, unsigned long long v) {
        char digits[20];
        size_t n = sizeof(digits);

        do {
                digits[--n] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);

        strbuf_append_n(b, digits + n, sizeof(digits) - n);
}

void strbuf_appendf(StrBuf *b, const char *format, ...) {
        va_list ap;
        int n;

        va_start(ap, format);
        n = vsnprintf(NULL, 0, format, ap);
        va_end(ap);
        if (n < 0 || !strbuf_reserve(b, (size_t) n)) {
                b->oom = true;
                return;
        }

        va_start(ap, format);
        (void) vsnprintf(b->data + b->len, (size_t) n + 1, format, ap);
        va_end(ap);
        b->len += (size_t) n;
}
