/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "strbuf.h"
#include "unit-name.h"

static bool char_needs_no_escape(char c) {
        return (c >= 'a' && c <= 'z') ||
               (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9') ||
               c == ':' || c == '_' || c == '.';
}

static void append_hex_escape(StrBuf *b, unsigned char c) {
        static const char hex[] = "0123456789abcdef";
        char escape[] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

        strbuf_append_n(b, escape, sizeof(escape));
}

int unit_name_from_path(const char *path, const char *suffix, char **ret) {
        _cleanup_(strbuf_done) StrBuf b = {};

        assert(path);
        assert(suffix);
        assert(ret);

        if (path[0] != '/')
                return -EINVAL;

        while (*path == '/')
                path++;

        if (*path == '\0')
                strbuf_append_char(&b, '-');

        for (const char *p = path; *p;) {
                /* Copy runs of bytes that need no escape at once. */
                size_t n = 0;

                while (char_needs_no_escape(p[n]))
                        n++;

                /* A leading dot would make a hidden file name, so systemd escapes it. */
                if (b.len == 0 && *p == '.')
                        n = 0;

                strbuf_append_n(&b, p, n);
                p += n;
                if (*p == '\0')
                        break;

                if (*p == '/')
                        strbuf_append_char(&b, '-');
                else
                        append_hex_escape(&b, (unsigned char) *p);
                p++;
        }

        strbuf_append(&b, suffix);
        if (!strbuf_ok(&b))
                return -ENOMEM;
        if (b.len > UNIT_NAME_MAX)
                return -ENAMETOOLONG;

        *ret = TAKE_PTR(b.data);
        return 0;
}
