/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "string-util.h"

void json_append_string(StrBuf *b, const char *s) {
        if (!s) {
                strbuf_append(b, "null");
                return;
        }

        strbuf_append_char(b, '"');
        for (const unsigned char *p = (const unsigned char *) s; *p; p++) {
                switch (*p) {
                case '"':
                        strbuf_append(b, "\\\"");
                        break;
                case '\\':
                        strbuf_append(b, "\\\\");
                        break;
                case '\n':
                        strbuf_append(b, "\\n");
                        break;
                case '\t':
                        strbuf_append(b, "\\t");
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f)
                                strbuf_appendf(b, "\\u%04x", *p);
                        else if (*p >= 0x80) {
                                char one[5] = {};
                                size_t n = (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 1;

                                if (n > 1 && strnlen((const char *) p, n) == n) {
                                        memcpy(one, p, n);
                                        if (utf8_is_valid(one)) {
                                                strbuf_append_n(b, one, n);
                                                p += n - 1;
                                                break;
                                        }
                                }
                                strbuf_append(b, "\\ufffd");
                        } else
                                strbuf_append_char(b, (char) *p);
                }
        }
        strbuf_append_char(b, '"');
}

static void append_key(StrBuf *b, bool first, const char *key) {
        if (!first)
                strbuf_append_char(b, ',');
        json_append_string(b, key);
        strbuf_append_char(b, ':');
}

void json_append_member_string(StrBuf *b, bool first, const char *key, const char *value) {
        append_key(b, first, key);
        json_append_string(b, value);
}

void json_append_member_uint(StrBuf *b, bool first, const char *key, uint64_t value) {
        append_key(b, first, key);
        strbuf_appendf(b, "%" PRIu64, value);
}

void json_append_member_bool(StrBuf *b, bool first, const char *key, bool value) {
        append_key(b, first, key);
        strbuf_append(b, value ? "true" : "false");
}
