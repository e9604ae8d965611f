/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config-load.h"
#include "log.h"
#include "path-util.h"

typedef struct OwnedPath {
        const char *path;
        const char *key;
        size_t owner;             /* index into the container set, which is sorted by name */
} OwnedPath;

/* Compare paths with "/" sorting before every other byte, so that every path below P directly
 * follows P in the sorted list. */
static int path_compare(const char *a, const char *b) {
        for (;; a++, b++) {
                unsigned char x = *a == '/' ? 1 : (unsigned char) *a;
                unsigned char y = *b == '/' ? 1 : (unsigned char) *b;

                if (x != y || x == 0)
                        return (int) x - (int) y;
        }
}

static int owned_path_compare(const void *a, const void *b) {
        const OwnedPath *x = a, *y = b;
        int r = path_compare(x->path, y->path);

        if (r != 0)
                return r;

        return x->owner < y->owner ? -1 : x->owner > y->owner;
}

static void report_conflict(ContainerSet *s, const OwnedPath *earlier, const OwnedPath *later) {
        const OwnedPath *keep = earlier->owner < later->owner ? earlier : later;
        const OwnedPath *skip = keep == earlier ? later : earlier;
        Container *k = s->containers[keep->owner], *c = s->containers[skip->owner];

        if (c->invalid)
                return;

        c->invalid = true;
        log_syntax(c->path, 0, LOG_ERR, EINVAL,
                   "%s%s overlaps %s%s of container %s (%s): two containers may not share or nest these directories, ignoring container %s.",
                   skip->key, skip->path, keep->key, keep->path, k->name, k->path, c->name);
}

int config_check_conflicts(ContainerSet *s) {
        _cleanup_free_ OwnedPath *paths = NULL;
        _cleanup_free_ size_t *stack = NULL;
        size_t n = 0, depth = 0;

        paths = calloc(s->n * 3 + 1, sizeof(OwnedPath));
        stack = calloc(s->n * 3 + 1, sizeof(size_t));
        if (!paths || !stack)
                return log_oom();

        for (size_t i = 0; i < s->n; i++) {
                Container *c = s->containers[i];

                if (c->invalid)
                        continue;

                paths[n++] = (OwnedPath) { c->directory, "Directory=", i };
                paths[n++] = (OwnedPath) { c->upper, "Upper=", i };
                paths[n++] = (OwnedPath) { c->work, "Work=", i };
        }

        qsort(paths, n, sizeof(OwnedPath), owned_path_compare);

        /* Walk the sorted paths keeping the chain of ancestors on a stack: any path that is still
         * on the stack when a later one arrives is equal to it or contains it. */
        for (size_t i = 0; i < n; i++) {
                while (depth > 0 && !path_startswith(paths[i].path, paths[stack[depth - 1]].path))
                        depth--;

                for (size_t d = 0; d < depth; d++)
                        if (paths[stack[d]].owner != paths[i].owner)
                                report_conflict(s, &paths[stack[d]], &paths[i]);

                stack[depth++] = i;
        }

        return 0;
}
