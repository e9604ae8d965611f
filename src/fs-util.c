/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs-util.h"
#include "macro.h"

int mkdir_parents(const char *path) {
        _cleanup_free_ char *copy = strdup(path);

        if (!copy)
                return -ENOMEM;

        for (char *slash = strchr(copy + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (mkdir(copy, 0755) < 0 && errno != EEXIST)
                        return -errno;
                *slash = '/';
        }

        return 0;
}

int mkdir_p(const char *path, mode_t mode) {
        int r;

        r = mkdir_parents(path);
        if (r < 0)
                return r;

        if (mkdir(path, mode) < 0 && errno != EEXIST)
                return -errno;

        return 0;
}

int read_full_file(const char *path, char **ret, size_t *ret_size) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        _cleanup_free_ char *data = NULL;
        size_t size = 0, allocated = 0;

        if (!f)
                return -errno;

        for (;;) {
                size_t n;

                if (allocated - size < 4096) {
                        char *p = realloc(data, allocated + 65536 + 1);
                        if (!p)
                                return -ENOMEM;
                        data = p;
                        allocated += 65536;
                }

                n = fread(data + size, 1, allocated - size, f);
                size += n;
                if (n == 0)
                        break;
        }
        if (ferror(f))
                return -EIO;

        data[size] = '\0';
        *ret = TAKE_PTR(data);
        *ret_size = size;
        return 0;
}
