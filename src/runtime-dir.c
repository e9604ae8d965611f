/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>

#include "macro.h"
#include "runtime-dir.h"

char *runtime_path(const char *name, const char *leaf) {
        char *p;

        if (asprintf(&p, RUNTIME_DIR "/%s%s%s", name, leaf ? "/" : "", strempty(leaf)) < 0)
                return NULL;

        return p;
}

void runtime_append_lower_path(StrBuf *b, const char *name, size_t index) {
        strbuf_append(b, RUNTIME_DIR "/");
        strbuf_append(b, name);
        strbuf_append(b, "/lower");
        strbuf_append_uint(b, index);
}

char *runtime_lower_path(const char *name, size_t index) {
        _cleanup_(strbuf_done) StrBuf b = {};

        runtime_append_lower_path(&b, name, index);
        if (!strbuf_ok(&b))
                return NULL;

        return TAKE_PTR(b.data);
}
