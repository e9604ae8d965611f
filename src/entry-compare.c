/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "entry-compare.h"
#include "macro.h"

unsigned stat_difference(const struct stat *upper, const struct stat *lower, bool ignore_mtime) {
        unsigned mask = 0;

        if ((upper->st_mode & S_IFMT) != (lower->st_mode & S_IFMT))
                return DIFF_TYPE;

        if ((upper->st_mode & 07777) != (lower->st_mode & 07777))
                mask |= DIFF_MODE;
        if (upper->st_uid != lower->st_uid || upper->st_gid != lower->st_gid)
                mask |= DIFF_OWNER;
        if (!ignore_mtime && (upper->st_mtim.tv_sec != lower->st_mtim.tv_sec ||
                              upper->st_mtim.tv_nsec != lower->st_mtim.tv_nsec))
                mask |= DIFF_MTIME;
        if ((S_ISCHR(upper->st_mode) || S_ISBLK(upper->st_mode)) && upper->st_rdev != lower->st_rdev)
                mask |= DIFF_RDEV;
        if ((S_ISREG(upper->st_mode) || S_ISLNK(upper->st_mode)) && upper->st_size != lower->st_size)
                mask |= S_ISREG(upper->st_mode) ? DIFF_SIZE : DIFF_TARGET;

        return mask;
}

void entry_difference_to_string(unsigned mask, char *buf, size_t size) {
        static const char *const names[] = {
                "type", "size", "content", "symlink target", "device number",
                "mode", "owner", "mtime", "xattrs",
        };
        size_t used = 0;

        assert(size > 0);
        buf[0] = '\0';

        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                int n;

                if (!(mask & (1u << i)))
                        continue;

                n = snprintf(buf + used, size - used, "%s%s", used > 0 ? ", " : "", names[i]);
                if (n < 0 || (size_t) n >= size - used)
                        break;
                used += n;
        }
}

int compare_symlinks(int dir_a, const char *name_a, int dir_b, const char *name_b) {
        char a[PATH_MAX], b[PATH_MAX];
        ssize_t n, m;

        n = readlinkat(dir_a, name_a, a, sizeof(a));
        if (n < 0)
                return -errno;
        m = readlinkat(dir_b, name_b, b, sizeof(b));
        if (m < 0)
                return -errno;

        return n == m && memcmp(a, b, n) == 0;
}

int compare_buffers_init(CompareBuffers *buffers, size_t size) {
        buffers->a = malloc(size);
        buffers->b = malloc(size);
        buffers->size = size;

        if (!buffers->a || !buffers->b) {
                compare_buffers_done(buffers);
                return -ENOMEM;
        }

        return 0;
}

void compare_buffers_done(CompareBuffers *buffers) {
        free(buffers->a);
        free(buffers->b);
        *buffers = (CompareBuffers) {};
}

static int read_full(int fd, char *buf, size_t size, uint64_t offset) {
        size_t done = 0;

        while (done < size) {
                ssize_t n = pread(fd, buf + done, size - done, (off_t) (offset + done));

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        return -ENODATA;   /* the file shrank since it was compared by size */
                done += n;
        }

        return 0;
}

/* Return the start of the next data range at or after offset, or size at the end. */
static uint64_t next_data(int fd, uint64_t offset, uint64_t size) {
        off_t o = lseek(fd, (off_t) offset, SEEK_DATA);

        if (o < 0)
                return errno == ENXIO ? size : offset;

        return (uint64_t) o;
}

int compare_file_contents(int fd_a, int fd_b, uint64_t size, bool sparse, CompareBuffers *buffers, uint64_t *ret_read) {
        uint64_t offset = 0, read_bytes = 0;
        int r;

        assert(buffers);
        assert(ret_read);

        (void) posix_fadvise(fd_a, 0, 0, POSIX_FADV_SEQUENTIAL);
        (void) posix_fadvise(fd_b, 0, 0, POSIX_FADV_SEQUENTIAL);

        while (offset < size) {
                size_t chunk = (size_t) MIN((uint64_t) buffers->size, size - offset);

                /* Holes read as zeros, so a range that is a hole in both files is equal. */
                if (sparse) {
                        uint64_t skip = MIN(next_data(fd_a, offset, size), next_data(fd_b, offset, size));

                        if (skip > offset) {
                                offset = skip;
                                continue;
                        }
                }

                r = read_full(fd_a, buffers->a, chunk, offset);
                if (r >= 0)
                        r = read_full(fd_b, buffers->b, chunk, offset);
                if (r == -ENODATA) {
                        *ret_read = read_bytes;
                        return 0;
                }
                if (r < 0)
                        return r;

                read_bytes += 2 * chunk;
                if (memcmp(buffers->a, buffers->b, chunk) != 0) {
                        *ret_read = read_bytes;
                        return 0;
                }

                offset += chunk;
        }

        *ret_read = read_bytes;
        return 1;
}
