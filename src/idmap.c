/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "log.h"
#include "macro.h"

/* glibc 2.36 has no wrappers for the new mount API. */
static int sys_open_tree(int dfd, const char *path, unsigned flags) {
        return (int) syscall(SYS_open_tree, dfd, path, flags);
}

static int sys_mount_setattr(int dfd, const char *path, unsigned flags, struct mount_attr *attr) {
        return (int) syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof(*attr));
}

static int sys_move_mount(int from_dfd, const char *from, int to_dfd, const char *to, unsigned flags) {
        return (int) syscall(SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static int write_id_map(pid_t pid, const char *file, uid_t shift, uid_t range) {
        char path[64], map[64];
        _cleanup_close_ int fd = -EBADF;
        int n;

        (void) snprintf(path, sizeof(path), "/proc/%i/%s", (int) pid, file);
        n = snprintf(map, sizeof(map), "0 %u %u\n", (unsigned) shift, (unsigned) range);

        fd = open(path, O_WRONLY|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, map, (size_t) n) != n)
                return -errno;

        return 0;
}

/* A user namespace that maps 0…range-1 to shift…, held open by its fd. The process that
 * created it exits at once; the namespace lives as long as the fd. */
static int userns_fd_for_range(uid_t shift, uid_t range) {
        char path[64];
        int pipe_fds[2], fd, r;
        pid_t pid;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -errno;

        pid = fork();
        if (pid < 0) {
                r = -errno;
                (void) close(pipe_fds[0]);
                (void) close(pipe_fds[1]);
                return r;
        }
        if (pid == 0) {
                char c;

                (void) close(pipe_fds[1]);
                if (unshare(CLONE_NEWUSER) < 0)
                        _exit(EXIT_FAILURE);
                /* Wait until the parent has written the maps and opened the namespace. */
                (void) read(pipe_fds[0], &c, 1);
                _exit(EXIT_SUCCESS);
        }
        (void) close(pipe_fds[0]);

        /* The child signals nothing; poll until it has left the parent's namespace. */
        for (int i = 0; i < 1000; i++) {
                char own[64], theirs[64];
                ssize_t a, b;

                (void) snprintf(path, sizeof(path), "/proc/%i/ns/user", (int) pid);
                a = readlink("/proc/self/ns/user", own, sizeof(own) - 1);
                b = readlink(path, theirs, sizeof(theirs) - 1);
                if (a > 0 && b > 0 && (a != b || memcmp(own, theirs, (size_t) a) != 0))
                        break;
                usleep(1000);
        }

        r = write_id_map(pid, "uid_map", shift, range);
        if (r >= 0)
                r = write_id_map(pid, "gid_map", shift, range);

        fd = r >= 0 ? open(path, O_RDONLY|O_CLOEXEC) : -EBADF;
        if (r >= 0 && fd < 0)
                r = -errno;

        (void) close(pipe_fds[1]);
        (void) waitpid(pid, NULL, 0);

        return r < 0 ? r : fd;
}

int idmapped_mount_create(const char *source, const char *target, uid_t shift, uid_t range) {
        _cleanup_close_ int userns_fd = -EBADF, tree_fd = -EBADF;
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_RDONLY,
        };

        userns_fd = userns_fd_for_range(shift, range);
        if (userns_fd < 0)
                return log_error_errno(userns_fd, "Failed to create a user namespace for UID range %u: %m", (unsigned) shift);

        tree_fd = sys_open_tree(AT_FDCWD, source, OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC);
        if (tree_fd < 0)
                return log_error_errno(errno, "Failed to clone the mount of %s: %m", source);

        attr.userns_fd = (uint64_t) userns_fd;
        if (sys_mount_setattr(tree_fd, "", AT_EMPTY_PATH, &attr) < 0)
                return log_debug_errno(errno, "Failed to make an idmapped mount of %s: %m", source);

        if (sys_move_mount(tree_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return log_error_errno(errno, "Failed to attach the idmapped mount of %s at %s: %m", source, target);

        return 0;
}

int idmapped_mount_supported(const char *path) {
        _cleanup_close_ int userns_fd = -EBADF, tree_fd = -EBADF;
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_IDMAP,
        };

        userns_fd = userns_fd_for_range(0x7FFE0000, 65536);
        if (userns_fd < 0)
                return userns_fd;

        /* A detached clone is enough to ask the file system; it vanishes with its fd. */
        tree_fd = sys_open_tree(AT_FDCWD, path, OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC);
        if (tree_fd < 0)
                return -errno;

        attr.userns_fd = (uint64_t) userns_fd;
        if (sys_mount_setattr(tree_fd, "", AT_EMPTY_PATH, &attr) < 0) {
                if (errno == EINVAL || errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP)
                        return 0;
                return -errno;
        }

        return 1;
}

int read_only_bind_mount_create(const char *source, const char *target) {
        _cleanup_close_ int tree_fd = -EBADF;
        struct mount_attr attr = {
                .attr_set = MOUNT_ATTR_RDONLY,
        };

        tree_fd = sys_open_tree(AT_FDCWD, source, OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC);
        if (tree_fd < 0)
                return log_error_errno(errno, "Failed to clone the mount of %s: %m", source);

        if (sys_mount_setattr(tree_fd, "", AT_EMPTY_PATH, &attr) < 0)
                return log_error_errno(errno, "Failed to make the bind mount of %s read-only: %m", source);

        if (sys_move_mount(tree_fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
                return log_error_errno(errno, "Failed to attach the bind mount of %s at %s: %m", source, target);

        return 0;
}
