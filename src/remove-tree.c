/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "macro.h"
#include "remove-tree.h"

/* Remove the contents of the directory open as dir_fd (display path: path). Takes ownership of
 * dir_fd. NOTE: each level of nesting keeps one directory open, so a tree nested deeper than the
 * open file limit (RLIMIT_NOFILE) fails with EMFILE and is left partly removed. */
static int remove_contents(int dir_fd, const char *path, dev_t device) {
        _cleanup_closedir_ DIR *dir = NULL;
        struct dirent *de;
        int r = 0;

        dir = fdopendir(dir_fd);
        if (!dir) {
                r = log_error_errno(errno, "Failed to read directory %s: %m", path);
                (void) close(dir_fd);
                return r;
        }

        while ((errno = 0, de = readdir(dir))) {
                _cleanup_free_ char *child = NULL;
                struct stat st;
                int fd, k;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;

                if (asprintf(&child, "%s/%s", path, de->d_name) < 0)
                        return log_oom();

                if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        k = log_error_errno(errno, "Failed to look at %s: %m", child);
                        r = r ?: k;
                        continue;
                }

                if (!S_ISDIR(st.st_mode)) {
                        if (unlinkat(dirfd(dir), de->d_name, 0) < 0) {
                                k = log_error_errno(errno, "Failed to remove %s: %m", child);
                                r = r ?: k;
                        }
                        continue;
                }

                if (st.st_dev != device) {
                        k = log_error_errno(EXDEV, "Not removing %s: another file system is mounted there. Unmount it and run the command again.",
                                            child);
                        r = r ?: k;
                        continue;
                }

                fd = openat(dirfd(dir), de->d_name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
                if (fd < 0) {
                        k = log_error_errno(errno, "Failed to open %s: %m", child);
                        r = r ?: k;
                        continue;
                }

                k = remove_contents(fd, child, device);
                if (k < 0) {
                        r = r ?: k;
                        continue;
                }

                if (unlinkat(dirfd(dir), de->d_name, AT_REMOVEDIR) < 0) {
                        k = log_error_errno(errno, "Failed to remove directory %s: %m", child);
                        r = r ?: k;
                }
        }
        if (errno != 0)
                return log_error_errno(errno, "Failed to read directory %s: %m", path);

        return r;
}

int remove_tree(const char *path) {
        struct stat st;
        int fd, r;

        fd = open(path, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", path);

        if (fstat(fd, &st) < 0) {
                r = log_error_errno(errno, "Failed to look at %s: %m", path);
                (void) close(fd);
                return r;
        }

        r = remove_contents(fd, path, st.st_dev);
        if (r < 0)
                return r;

        if (rmdir(path) < 0)
                return log_error_errno(errno, "Failed to remove directory %s: %m", path);

        return 0;
}
