/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "child-lock.h"
#include "macro.h"

static int lock_fd(int fd, bool wait) {
        if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0)
                return errno == EWOULDBLOCK ? -EBUSY : -errno;

        return 0;
}

int child_lock_acquire(const char *name, bool wait) {
        _cleanup_free_ char *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        assert(name);

        /* The name is a validated machine name, so it cannot contain "/" or be "..". */
        if (mkdir(RUNTIME_DIR, 0755) < 0 && errno != EEXIST)
                return -errno;
        if (mkdir(CHILD_LOCK_DIR, 0700) < 0 && errno != EEXIST)
                return -errno;

        if (asprintf(&path, CHILD_LOCK_DIR "/%s.lock", name) < 0)
                return -ENOMEM;

        fd = open(path, O_RDWR|O_CREAT|O_CLOEXEC|O_NOFOLLOW|O_NOCTTY, 0600);
        if (fd < 0)
                return -errno;

        r = lock_fd(fd, wait);
        if (r < 0)
                return r;

        return TAKE_FD(fd);
}

int directory_lock_acquire(const char *path, bool wait) {
        _cleanup_close_ int fd = -EBADF;
        int r;

        assert(path);

        fd = open(path, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (fd < 0)
                return -errno;

        r = lock_fd(fd, wait);
        if (r < 0)
                return r;

        return TAKE_FD(fd);
}
