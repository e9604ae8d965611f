/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "unit-escape.h"

void unit_append_value(StrBuf *b, const char *s) {
        for (const char *p = s; *p; p++) {
                if (*p == '%')
                        strbuf_append_char(b, '%');
                strbuf_append_char(b, *p);
        }
}

static bool word_needs_quotes(const char *s) {
        return s[0] == '\0' || strpbrk(s, " \t\"'\\;") != NULL;
}

static void append_quoted(StrBuf *b, const char *s, bool exec_arg) {
        bool quote = word_needs_quotes(s);

        if (quote)
                strbuf_append_char(b, '"');

        for (const char *p = s; *p; p++) {
                switch (*p) {
                case '\\':
                case '"':
                        strbuf_append_char(b, '\\');
                        break;
                case '%':
                        strbuf_append_char(b, '%');
                        break;
                case '$':
                        if (exec_arg)
                                strbuf_append_char(b, '$');
                        break;
                }
                strbuf_append_char(b, *p);
        }

        if (quote)
                strbuf_append_char(b, '"');
}

void unit_append_word(StrBuf *b, const char *s) {
        append_quoted(b, s, false);
}

void unit_append_exec_arg(StrBuf *b, const char *s) {
        append_quoted(b, s, true);
}
