/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "write-file.h"

int write_file_atomic(const char *path, const char *content, mode_t mode) {
        return write_file_atomic_n(path, content, strlen(content), mode);
}

int write_file_atomic_n(const char *path, const char *content, size_t n, mode_t mode) {
        _cleanup_free_ char *temp = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (asprintf(&temp, "%s.XXXXXX", path) < 0)
                return -ENOMEM;

        fd = mkostemp(temp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        if (fchmod(fd, mode) < 0 || write(fd, content, n) != (ssize_t) n || fsync(fd) < 0) {
                r = errno > 0 ? -errno : -EIO;
                (void) unlink(temp);
                return r;
        }

        if (rename(temp, path) < 0) {
                r = -errno;
                (void) unlink(temp);
                return r;
        }

        return 0;
}
