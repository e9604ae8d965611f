/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "disk-usage.h"
#include "macro.h"

/* Open-addressing set of inode numbers of files with more than one link. */
typedef struct InodeSet {
        ino_t *slots;
        size_t n, allocated;
} InodeSet;

static size_t inode_hash(ino_t ino, size_t size) {
        return (size_t) ((uint64_t) ino * UINT64_C(0x9E3779B97F4A7C15) >> 7) & (size - 1);
}

static int inode_set_grow(InodeSet *s) {
        size_t size = s->allocated ? s->allocated * 2 : 256;
        ino_t *slots = calloc(size, sizeof(ino_t));

        if (!slots)
                return -ENOMEM;

        for (size_t i = 0; i < s->allocated; i++)
                if (s->slots[i] != 0) {
                        size_t h = inode_hash(s->slots[i], size);
                        while (slots[h] != 0)
                                h = (h + 1) & (size - 1);
                        slots[h] = s->slots[i];
                }

        free(s->slots);
        s->slots = slots;
        s->allocated = size;
        return 0;
}

/* Returns 1 if ino was added, 0 if it was there already. Inode 0 is never used by Linux
 * filesystems for a file, so it marks an empty slot. */
static int inode_set_add(InodeSet *s, ino_t ino) {
        size_t h;

        if ((s->n + 1) * 2 > s->allocated && inode_set_grow(s) < 0)
                return -ENOMEM;

        for (h = inode_hash(ino, s->allocated); s->slots[h] != 0; h = (h + 1) & (s->allocated - 1))
                if (s->slots[h] == ino)
                        return 0;

        s->slots[h] = ino;
        s->n++;
        return 1;
}

static int add_tree(int dir_fd, dev_t dev, InodeSet *seen, uint64_t *total) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;

        d = fdopendir(dir_fd);
        if (!d) {
                (void) close(dir_fd);
                return -errno;
        }

        while ((errno = 0, de = readdir(d))) {
                struct stat st;
                int r;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;

                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        continue; /* removed while we walk */

                if (st.st_nlink > 1 && !S_ISDIR(st.st_mode)) {
                        r = inode_set_add(seen, st.st_ino);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                continue;
                }

                *total += (uint64_t) st.st_blocks * 512;

                if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
                        int fd = openat(dirfd(d), de->d_name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
                        if (fd < 0)
                                continue;

                        r = add_tree(fd, dev, seen, total);
                        if (r < 0)
                                return r;
                }
        }

        return errno != 0 ? -errno : 0;
}

int disk_usage(const char *path, uint64_t *ret_bytes) {
        InodeSet seen = {};
        struct stat st;
        uint64_t total;
        int fd, r;

        fd = open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
        if (fd < 0)
                return -errno;

        if (fstat(fd, &st) < 0) {
                r = -errno;
                (void) close(fd);
                return r;
        }

        total = (uint64_t) st.st_blocks * 512;
        r = add_tree(fd, st.st_dev, &seen, &total);
        free(seen.slots);
        if (r < 0)
                return r;

        *ret_bytes = total;
        return 0;
}

const char *format_bytes(char buf[static 16], uint64_t bytes) {
        static const char units[] = "KMGTPE";
        double v = (double) bytes;
        int i = -1;

        if (bytes < 1024) {
                (void) snprintf(buf, 16, "%" PRIu64 "B", bytes);
                return buf;
        }

        while (v >= 1024 && i < 5) {
                v /= 1024;
                i++;
        }

        (void) snprintf(buf, 16, v < 10 ? "%.1f%c" : "%.0f%c", v, units[i]);
        return buf;
}
