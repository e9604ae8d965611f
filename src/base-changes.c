/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base-changes.h"
#include "fs-util.h"
#include "macro.h"
#include "unit-name.h"

int base_changes_path(const char *base_dir, char **ret) {
        _cleanup_free_ char *escaped = NULL;
        int r;

        assert(base_dir);
        assert(ret);

        r = unit_name_from_path(base_dir, ".changes", &escaped);
        if (r < 0)
                return r;

        if (asprintf(ret, BASE_CHANGES_DIR "/%s", escaped) < 0)
                return -ENOMEM;

        return 0;
}

void base_changes_done(BaseChanges *c) {
        free(c->paths);
        free(c->data);
        *c = (BaseChanges) {};
}

/* Drop a leading "/" and "./" and reject records that name nothing. */
static char *clean_record(char *s) {
        while (*s == '/' || (s[0] == '.' && s[1] == '/'))
                s++;

        if (isempty(s) || streq(s, ".") || streq(s, "..") || strstr(s, "/../") || strneq(s, "../", 3))
                return NULL;

        /* A trailing "/" may mark a directory; paths are compared without it. */
        for (size_t n = strlen(s); n > 0 && s[n - 1] == '/'; n--)
                s[n - 1] = '\0';

        return s;
}

int base_changes_load(BaseChanges *c, const char *path) {
        _cleanup_free_ char *data = NULL;
        char separator, *p, *end, *merged;
        size_t size = 0, offset;
        int r;

        assert(c);
        assert(path);

        r = read_full_file(path, &data, &size);
        if (r < 0)
                return r;

        separator = memchr(data, '\0', size) ? '\0' : '\n';

        /* Append to the data of earlier files, keeping the record pointers valid. */
        offset = 0;
        if (c->data) {
                size_t old = 0;
                for (size_t i = 0; i < c->n; i++)
                        old = MAX(old, (size_t) (c->paths[i] - c->data) + strlen(c->paths[i]) + 1);
                merged = realloc(c->data, old + size + 1);
                if (!merged)
                        return -ENOMEM;
                for (size_t i = 0; i < c->n; i++)
                        c->paths[i] = merged + (c->paths[i] - c->data);
                memcpy(merged + old, data, size + 1);
                c->data = merged;
                offset = old;
        } else {
                c->data = TAKE_PTR(data);
        }

        p = c->data + offset;
        end = p + size;
        while (p < end) {
                char *next = memchr(p, separator, end - p), *record;
                char **paths;

                if (next)
                        *next = '\0';
                else
                        next = end;

                record = clean_record(p);
                p = next + 1;
                if (!record)
                        continue;

                paths = realloc(c->paths, (c->n + 1) * sizeof(char *));
                if (!paths)
                        return -ENOMEM;
                c->paths = paths;
                c->paths[c->n++] = record;
        }

        return 0;
}

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

void base_changes_finish(BaseChanges *c) {
        if (c->n > 1)
                qsort(c->paths, c->n, sizeof(char *), compare_strings);
}

bool base_changes_contains(const BaseChanges *c, const char *path) {
        return c->n > 0 && bsearch(&path, c->paths, c->n, sizeof(char *), compare_strings);
}
