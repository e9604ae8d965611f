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

/* What a byte needs inside a word of a unit file setting. */
enum {
        NEEDS_QUOTES = 1 << 0,      /* systemd would split or unquote the word here */
        NEEDS_ESCAPE = 1 << 1,      /* a backslash escape, or "%" doubled */
        NEEDS_ESCAPE_EXEC = 1 << 2, /* the same in a command line, where "$" is doubled too */
};

static const unsigned char word_byte_class[256] = {
        [' '] = NEEDS_QUOTES,
        ['\t'] = NEEDS_QUOTES,
        ['\''] = NEEDS_QUOTES,
        [';'] = NEEDS_QUOTES,
        ['"'] = NEEDS_QUOTES | NEEDS_ESCAPE | NEEDS_ESCAPE_EXEC,
        ['\\'] = NEEDS_QUOTES | NEEDS_ESCAPE | NEEDS_ESCAPE_EXEC,
        ['%'] = NEEDS_ESCAPE | NEEDS_ESCAPE_EXEC,
        ['$'] = NEEDS_ESCAPE_EXEC,
};

/* The bytes that word_byte_class gives a class. */
#define WORD_SPECIAL_BYTES " \t';\"\\%$"

/* Return the classes of all bytes of s, and its length in *ret_length. Most words have no
 * special byte, which strcspn() finds out many bytes at a time. */
static unsigned word_classes(const char *s, size_t *ret_length) {
        const unsigned char *p = (const unsigned char *) s + strcspn(s, WORD_SPECIAL_BYTES);
        unsigned classes = 0;

        for (; *p; p++)
                classes |= word_byte_class[*p];

        *ret_length = (size_t) ((const char *) p - s);
        return classes;
}

/* Append s with backslash escapes for "\" and '"', "%" doubled, and in exec arguments "$"
 * doubled. */
static void append_escaped(StrBuf *b, const char *s, size_t length, unsigned escape) {
        for (size_t i = 0; i < length; i++) {
                char c = s[i];

                if (word_byte_class[(unsigned char) c] & escape)
                        strbuf_append_char(b, c == '\\' || c == '"' ? '\\' : c);
                strbuf_append_char(b, c);
        }
}

/* Append prefix and s as one word, quoted when it is empty or contains a special character.
 * Most words need neither quotes nor escapes and are copied as they are. */
static void append_quoted(StrBuf *b, const char *prefix, const char *s, bool exec_arg) {
        unsigned escape = exec_arg ? NEEDS_ESCAPE_EXEC : NEEDS_ESCAPE;
        size_t prefix_length, length;
        unsigned classes;
        bool quote;

        classes = word_classes(prefix, &prefix_length) | word_classes(s, &length);
        quote = (classes & NEEDS_QUOTES) || prefix_length + length == 0;

        if (quote)
                strbuf_append_char(b, '"');

        if (classes & escape) {
                append_escaped(b, prefix, prefix_length, escape);
                append_escaped(b, s, length, escape);
        } else {
                strbuf_append_n(b, prefix, prefix_length);
                strbuf_append_n(b, s, length);
        }

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
