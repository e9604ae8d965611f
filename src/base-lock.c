/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "base-lock.h"
#include "child-lock.h"
#include "macro.h"
#include "unit-name.h"

int base_lock_acquire(const char *base_path, int operation) {
        _cleanup_free_ char *escaped = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        /* The escaped path has no "/" and, with the "base-" prefix, never clashes with a child's
         * "NAME.lock". */
        r = unit_name_from_path(base_path, ".lock", &escaped);
        if (r < 0)
                return r;
        if (asprintf(&path, CHILD_LOCK_DIR "/base-%s", escaped) < 0)
                return -ENOMEM;

        if (mkdir(RUNTIME_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(CHILD_LOCK_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;

        fd = open(path, O_RDWR|O_CREAT|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;

        if (flock(fd, operation) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;

        return TAKE_FD(fd);
}
