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

char *runtime_lower_path(const char *name, size_t index) {
        char *p;

        if (asprintf(&p, RUNTIME_DIR "/%s/lower%zu", name, index) < 0)
                return NULL;

        return p;
}
