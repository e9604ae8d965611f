/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

#include "entry-xattrs.h"
#include "macro.h"

/* The *at() forms of the xattr calls are new in Linux 6.13. On older kernels the path
 * "/proc/self/fd/DIRFD/NAME" reaches the entry: the magic link resolves to the open directory
 * itself, NAME contains no "/", and the l*xattr() calls do not follow a symlink at NAME. */
static int entry_path(char buf[static 320], int dir_fd, const char *name) {
        int n;

        if (name)
                n = snprintf(buf, 320, "/proc/self/fd/%d/%s", dir_fd, name);
        else
                n = snprintf(buf, 320, "/proc/self/fd/%d", dir_fd);

        return n >= 320 ? -ENAMETOOLONG : 0;
}

static ssize_t list_names(int dir_fd, const char *path, bool self, char *buf, size_t size) {
        ssize_t n = self ? flistxattr(dir_fd, buf, size) : llistxattr(path, buf, size);

        return n < 0 ? -errno : n;
}

static ssize_t get_value(int dir_fd, const char *path, bool self, const char *name, void *buf, size_t size) {
        ssize_t n = self ? fgetxattr(dir_fd, name, buf, size) : lgetxattr(path, name, buf, size);

        return n < 0 ? -errno : n;
}

static int xattr_compare(const void *a, const void *b) {
        return strcmp(((const Xattr *) a)->name, ((const Xattr *) b)->name);
}

void entry_xattrs_done(EntryXattrs *x) {
        for (size_t i = 0; i < x->n; i++) {
                free(x->items[i].name);
                free(x->items[i].value);
        }
        free(x->items);
        free(x->origin_hex);
        *x = (EntryXattrs) {};
}

/* Read one value, growing the buffer if it changed size between the two calls. */
static int read_value(int dir_fd, const char *path, bool self, const char *name, char **ret, size_t *ret_size) {
        for (unsigned attempt = 0; attempt < 4; attempt++) {
                _cleanup_free_ char *value = NULL;
                ssize_t n, m;

                n = get_value(dir_fd, path, self, name, NULL, 0);
                if (n < 0)
                        return (int) n;

                value = malloc(n + 1);
                if (!value)
                        return -ENOMEM;

                m = get_value(dir_fd, path, self, name, value, n);
                if (m == -ERANGE)
                        continue;
                if (m < 0)
                        return (int) m;

                value[m] = '\0';
                *ret = TAKE_PTR(value);
                *ret_size = m;
                return 0;
        }

        return -EBUSY;
}

static char *hex_encode(const char *data, size_t size) {
        static const char digits[] = "0123456789abcdef";
        char *s = malloc(size * 2 + 1);

        if (!s)
                return NULL;

        for (size_t i = 0; i < size; i++) {
                s[2 * i] = digits[(unsigned char) data[i] >> 4];
                s[2 * i + 1] = digits[(unsigned char) data[i] & 15];
        }
        s[size * 2] = '\0';
        return s;
}

static int record_marker(EntryXattrs *x, int dir_fd, const char *path, bool self, const char *name,
                         const char *suffix, bool want_origin) {
        _cleanup_free_ char *value = NULL;
        size_t size;
        int r;

        if (streq(suffix, "whiteout"))
                x->whiteout = true;
        else if (streq(suffix, "redirect"))
                x->redirect = true;
        else if (streq(suffix, "metacopy"))
                x->metacopy = true;
        else if (streq(suffix, "opaque") || (streq(suffix, "origin") && want_origin)) {
                r = read_value(dir_fd, path, self, name, &value, &size);
                if (r == -ENODATA)
                        return 0;
                if (r < 0)
                        return r;

                /* "x" marks a directory that only contains xattr whiteouts, it is not opaque. */
                if (streq(suffix, "opaque"))
                        x->opaque = size == 1 && value[0] == 'y';
                else {
                        x->origin_hex = hex_encode(value, size);
                        if (!x->origin_hex)
                                return -ENOMEM;
                }
        }

        return 0;
}

int entry_xattrs_read(int dir_fd, const char *name, const char *overlay_prefix, bool want_origin, EntryXattrs *ret) {
        _cleanup_(entry_xattrs_done) EntryXattrs x = {};
        _cleanup_free_ char *names = NULL;
        size_t prefix_len = strlen(overlay_prefix);
        bool self = !name;
        char path[320];
        ssize_t n;
        int r;

        assert(overlay_prefix);
        assert(ret);

        r = entry_path(path, dir_fd, name);
        if (r < 0)
                return r;

        for (unsigned attempt = 0;; attempt++) {
                ssize_t m;

                n = list_names(dir_fd, path, self, NULL, 0);
                if (n == -EOPNOTSUPP || n == 0) {
                        *ret = (EntryXattrs) {};
                        return 0;
                }
                if (n < 0)
                        return (int) n;

                free(names);
                names = malloc(n);
                if (!names)
                        return -ENOMEM;

                m = list_names(dir_fd, path, self, names, n);
                if (m == -ERANGE && attempt < 4)
                        continue;
                if (m < 0)
                        return (int) m;
                n = m;
                break;
        }

        for (const char *p = names; p < names + n; p += strlen(p) + 1) {
                Xattr *items;

                if (strneq(p, overlay_prefix, prefix_len)) {
                        r = record_marker(&x, dir_fd, path, self, p, p + prefix_len, want_origin);
                        if (r < 0)
                                return r;
                        continue;
                }

                items = realloc(x.items, (x.n + 1) * sizeof(Xattr));
                if (!items)
                        return -ENOMEM;
                x.items = items;

                x.items[x.n] = (Xattr) { .name = strdup(p) };
                if (!x.items[x.n].name)
                        return -ENOMEM;
                r = read_value(dir_fd, path, self, p, &x.items[x.n].value, &x.items[x.n].size);
                if (r == -ENODATA) {
                        free(x.items[x.n].name);
                        continue;
                }
                x.n++;
                if (r < 0)
                        return r;
        }

        if (x.n > 1)
                qsort(x.items, x.n, sizeof(Xattr), xattr_compare);

        *ret = x;
        x = (EntryXattrs) {};
        return 0;
}

bool entry_xattrs_equal(const EntryXattrs *a, const EntryXattrs *b) {
        if (a->n != b->n)
                return false;

        for (size_t i = 0; i < a->n; i++)
                if (!streq(a->items[i].name, b->items[i].name) ||
                    a->items[i].size != b->items[i].size ||
                    memcmp(a->items[i].value, b->items[i].value, a->items[i].size) != 0)
                        return false;

        return true;
}
