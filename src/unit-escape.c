/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <string.h>

#include "unit-escape.h"

void unit_append_value(StrBuf *b, const char *s) {
        for (const char *p = s;;) {
                size_t n = strcspn(p, "%");

                strbuf_append_n(b, p, n);
                p += n;
                if (*p == '\0')
                        break;

                strbuf_append(b, "%%");
                p++;
        }
}

/* The characters that make systemd split or unquote a word. */
#define WORD_SPECIAL_CHARS " \t\"'\\;"

/* Append s with backslash escapes for "\" and '"', "%" doubled, and in exec arguments "$"
 * doubled. Runs of plain bytes are copied at once. */
static void append_escaped(StrBuf *b, const char *s, bool exec_arg) {
        const char *special = exec_arg ? "\\\"%$" : "\\\"%";

        for (const char *p = s;;) {
                size_t n = strcspn(p, special);

                strbuf_append_n(b, p, n);
                p += n;
                if (*p == '\0')
                        break;

                strbuf_append_char(b, *p == '\\' || *p == '"' ? '\\' : *p);
                strbuf_append_char(b, *p);
                p++;
        }
}

/* Append prefix and s as one word, quoted when it is empty or contains a special character. */
static void append_quoted(StrBuf *b, const char *prefix, const char *s, bool exec_arg) {
        bool quote = (prefix[0] == '\0' && s[0] == '\0') ||
                     strpbrk(prefix, WORD_SPECIAL_CHARS) || strpbrk(s, WORD_SPECIAL_CHARS);

        if (quote)
                strbuf_append_char(b, '"');

        append_escaped(b, prefix, exec_arg);
        append_escaped(b, s, exec_arg);

        if (quote)
                strbuf_append_char(b, '"');
}

void unit_append_word(StrBuf *b, const char *s) {
        append_quoted(b, "", s, false);
}

void unit_append_exec_arg(StrBuf *b, const char *s) {
        append_quoted(b, "", s, true);
}

void unit_append_exec_option(StrBuf *b, const char *option, const char *value) {
        append_quoted(b, option, value, true);
}
