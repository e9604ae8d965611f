/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config-load.h"
#include "log.h"
#include "path-util.h"

typedef struct OwnedPath {
        const char *path;
        const char *sort_key;     /* path with every "/" replaced by "\1", compared with strcmp() */
        const char *key;
        size_t owner;             /* index into the container set, which is sorted by name */
} OwnedPath;

/* Sort keys make "/" order before every other byte, so that every path below P directly
 * follows P in the sorted list. Paths carry no control characters, so "\1" cannot clash. */
static char *append_sort_key(char *arena, const char *path) {
        char *key = arena;

        for (const char *p = path; *p; p++)
                *arena++ = *p == '/' ? '\1' : *p;
        *arena = '\0';

        return key;
}

static int owned_path_compare(const void *a, const void *b) {
        const OwnedPath *x = a, *y = b;
        int r = strcmp(x->sort_key, y->sort_key);

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
        _cleanup_free_ char *keys = NULL;
        size_t n = 0, depth = 0, keys_size = 0;
        char *next_key;

        for (size_t i = 0; i < s->n; i++) {
                Container *c = s->containers[i];

                if (!c->invalid)
                        keys_size += strlen(c->directory) + strlen(c->upper) + strlen(c->work) + 3;
        }

        /* Every sort key is stored in one allocation. */
        paths = calloc(s->n * 3 + 1, sizeof(OwnedPath));
        stack = calloc(s->n * 3 + 1, sizeof(size_t));
        keys = malloc(keys_size + 1);
        if (!paths || !stack || !keys)
                return log_oom();

        next_key = keys;
        for (size_t i = 0; i < s->n; i++) {
                Container *c = s->containers[i];
                const struct {
                        const char *path, *key;
                } owned[] = {
                        { c->directory, "Directory=" },
                        { c->upper, "Upper=" },
                        { c->work, "Work=" },
                };

                if (c->invalid)
                        continue;

                for (size_t j = 0; j < ELEMENTSOF(owned); j++) {
                        paths[n++] = (OwnedPath) {
                                .path = owned[j].path,
                                .sort_key = append_sort_key(next_key, owned[j].path),
                                .key = owned[j].key,
                                .owner = i,
                        };
                        next_key += strlen(owned[j].path) + 1;
                }
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
