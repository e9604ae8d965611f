/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "path-util.h"

int path_normalize(const char *path, char **ret) {
        _cleanup_free_ char *out = NULL;
        size_t n = 0;
        const char *p = path;

        assert(path);
        assert(ret);

        if (path[0] != '/')
                return -EINVAL;

        out = malloc(strlen(path) + 1);
        if (!out)
                return -ENOMEM;

        for (;;) {
                size_t len;

                p += strspn(p, "/");
                if (*p == '\0')
                        break;

                len = strcspn(p, "/");
                if (len == 1 && p[0] == '.') {
                        p += len;
                        continue;
                }
                if (len == 2 && p[0] == '.' && p[1] == '.')
                        return -EBADMSG;

                out[n++] = '/';
                memcpy(out + n, p, len);
                n += len;
                p += len;
        }

        if (n == 0)
                out[n++] = '/';
        out[n] = '\0';

        *ret = TAKE_PTR(out);
        return 0;
}

const char *path_startswith(const char *path, const char *prefix) {
        size_t n;

        assert(path);
        assert(prefix);

        if (streq(prefix, "/"))
                return path[0] == '/' ? path + 1 : NULL;

        n = strlen(prefix);
        if (!strneq(path, prefix, n))
                return NULL;
        if (path[n] == '\0')
                return path + n;
        if (path[n] == '/')
                return path + n + 1;

        return NULL;
}

bool path_overlaps(const char *a, const char *b) {
        return path_startswith(a, b) || path_startswith(b, a);
}

char *path_join(const char *a, const char *b) {
        size_t n = a ? strlen(a) : 0, m;
        bool slash = n > 0 && a[n - 1] != '/';
        char *s;

        while (b[0] == '/')
                b++;
        m = strlen(b);

        s = malloc(n + slash + m + 1);
        if (!s)
                return NULL;

        memcpy(s, a, n);
        if (slash)
                s[n] = '/';
        memcpy(s + n + slash, b, m + 1);
        return s;
}
