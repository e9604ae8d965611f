/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <inttypes.h>
#include <stdint.h>

#include "layer-checks.h"
#include "log.h"
#include "path-util.h"

int check_lowers(const Container *c) {
        int r = 0;

        for (char **l = c->lowers; *l; l++) {
                struct stat st;

                if (stat(*l, &st) < 0) {
                        r = log_syntax(c->path, 0, LOG_ERR, errno,
                                       "Base image %s is not accessible: %m. Create or restore it, or correct Base= in this file.", *l);
                        continue;
                }

                if (!S_ISDIR(st.st_mode))
                        r = log_syntax(c->path, 0, LOG_ERR, ENOTDIR,
                                       "Base image %s is not a directory. Base= must name a directory tree.", *l);
        }

        return r;
}

int check_mount_point(const Container *c) {
        struct stat st;

        if (lstat(c->directory, &st) < 0) {
                if (errno == ENOENT)
                        return 0; /* systemd creates it */
                return log_syntax(c->path, 0, LOG_ERR, errno, "Cannot access Directory=%s: %m.", c->directory);
        }

        if (S_ISLNK(st.st_mode))
                return log_syntax(c->path, 0, LOG_ERR, ELOOP,
                                  "Directory=%s is a symlink, and systemd does not mount over symlinks. "
                                  "Set Directory= to the real path, or replace the link with a directory.", c->directory);

        if (!S_ISDIR(st.st_mode))
                return log_syntax(c->path, 0, LOG_ERR, ENOTDIR,
                                  "Directory=%s exists but is not a directory. Remove it or choose another mount point.",
                                  c->directory);

        return 0;
}

static int stat_layer_dir(const Container *c, const char *key, const char *path, struct stat *st) {
        if (lstat(path, st) < 0) {
                if (errno == ENOENT)
                        return 0;
                return log_syntax(c->path, 0, LOG_ERR, errno, "Cannot access %s%s: %m.", key, path);
        }

        if (!S_ISDIR(st->st_mode))
                return log_syntax(c->path, 0, LOG_ERR, ENOTDIR,
                                  "%s%s is not a directory%s. Remove it, or point %s at a directory.", key, path,
                                  S_ISLNK(st->st_mode) ? " but a symlink" : "", key);

        return 1;
}

/* Open path, or where it does not exist yet its nearest existing ancestor: the directory on
 * whose filesystem and mount the prepare unit will create it. */
static int open_nearest_directory(const char *path, char **ret_opened) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return -ENOMEM;

        for (;;) {
                int fd = open(p, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
                char *slash;

                if (fd >= 0) {
                        if (ret_opened)
                                *ret_opened = TAKE_PTR(p);
                        return fd;
                }
                if (errno != ENOENT || streq(p, "/"))
                        return -errno;

                slash = strrchr(p, '/');
                if (slash == p)
                        slash[1] = '\0';
                else
                        *slash = '\0';
        }
}

/* The ID of the mount the fd is on. st_dev is not enough: two bind mounts of one filesystem
 * share it, but overlayfs wants upper and work under the same mount. */
static int get_mount_id(int fd, uint64_t *ret) {
        struct statx stx;

        if (statx(fd, "", AT_EMPTY_PATH|AT_STATX_DONT_SYNC, STATX_MNT_ID, &stx) < 0)
                return -errno;
        if (!(stx.stx_mask & STATX_MNT_ID))
                return -EOPNOTSUPP;

        *ret = stx.stx_mnt_id;
        return 0;
}

static int check_same_mount(const Container *c, int upper_fd, int work_fd) {
        uint64_t upper_id, work_id;
        struct stat upper, work;

        if (get_mount_id(upper_fd, &upper_id) >= 0 && get_mount_id(work_fd, &work_id) >= 0) {
                if (upper_id == work_id)
                        return 0;

                return log_syntax(c->path, 0, LOG_ERR, EXDEV,
                                  "Upper=%s and Work=%s are on different mounts (mount IDs %" PRIu64 " and %" PRIu64 "), "
                                  "but overlayfs needs both under the same mount. Move Work= next to Upper=.",
                                  c->upper, c->work, upper_id, work_id);
        }

        /* NOTE: kernels before 5.8 have no STATX_MNT_ID, and there only the filesystem is compared. */
        if (fstat(upper_fd, &upper) < 0 || fstat(work_fd, &work) < 0)
                return log_syntax(c->path, 0, LOG_ERR, errno, "Cannot access Upper=%s or Work=%s: %m.", c->upper, c->work);
        if (upper.st_dev != work.st_dev)
                return log_syntax(c->path, 0, LOG_ERR, EXDEV,
                                  "Upper=%s and Work=%s are on different filesystems, but overlayfs needs both under the same mount. "
                                  "Move Work= next to Upper=.", c->upper, c->work);

        return 0;
}

/* overlayfs marks whiteouts and opaque directories by file type, so the upper filesystem must
 * report types in directory entries. One without d_type reports DT_UNKNOWN for every entry,
 * "." and ".." included. */
static int check_d_type(const Container *c, int fd, const char *checked) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int dup_fd;

        dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (dup_fd < 0)
                return log_syntax(c->path, 0, LOG_ERR, errno, "Cannot read %s: %m.", checked);
        d = fdopendir(dup_fd);
        if (!d) {
                (void) close(dup_fd);
                return log_syntax(c->path, 0, LOG_ERR, errno, "Cannot read %s: %m.", checked);
        }

        while ((de = readdir(d)))
                if (de->d_type != DT_UNKNOWN)
                        return 0;

        return log_syntax(c->path, 0, LOG_ERR, EOPNOTSUPP,
                          "Upper=%s is on a filesystem that reports no file types in directory entries (d_type), "
                          "which overlayfs needs for whiteouts. Put Upper= and Work= on ext4 (with the filetype feature), "
                          "xfs (ftype=1), btrfs or tmpfs.", c->upper);
}

static bool container_uses_userxattr(const Container *c) {
        return c->options && strv_contains(c->options, "userxattr");
}

/* overlayfs stores opaque directories, redirects and origins in trusted.overlay.* extended
 * attributes, or in user.overlay.* ones with the userxattr option. */
static int check_xattrs(const Container *c, int fd) {
        const char *name = container_uses_userxattr(c) ? "user.overlay.opaque" : "trusted.overlay.opaque";
        char value[8];

        if (fgetxattr(fd, name, value, sizeof(value)) >= 0 || errno == ENODATA || errno == ERANGE)
                return 0;

        if (errno == EOPNOTSUPP)
                return log_syntax(c->path, 0, LOG_ERR, EOPNOTSUPP,
                                  "Upper=%s is on a filesystem without %s extended attributes, which overlayfs needs for "
                                  "opaque directories. Put Upper= and Work= on ext4, xfs, btrfs or tmpfs%s.",
                                  c->upper, container_uses_userxattr(c) ? "user.*" : "trusted.*",
                                  container_uses_userxattr(c) ? "" : ", or add userxattr to Options= if it has user.* attributes");

        return log_syntax(c->path, 0, LOG_ERR, errno, "Cannot read the extended attributes of Upper=%s: %m.", c->upper);
}

static int check_not_overlayfs(const Container *c, int fd) {
        struct statfs fs;

        if (fstatfs(fd, &fs) < 0)
                return log_syntax(c->path, 0, LOG_ERR, errno, "Cannot access Upper=%s: %m.", c->upper);

        if (fs.f_type == OVERLAYFS_SUPER_MAGIC)
                return log_syntax(c->path, 0, LOG_ERR, EINVAL,
                                  "Upper=%s is on an overlayfs, which cannot be an upper layer. "
                                  "Put it on a regular filesystem such as ext4, xfs or btrfs.", c->upper);

        return 0;
}

/* The config checks compare the paths as written; a symlink can still put upper or work inside
 * a lower layer, which overlayfs rejects. */
static int check_outside_lowers(const Container *c, const char *key, const char *path, const char *opened) {
        _cleanup_free_ char *real = realpath(opened, NULL);
        int r = 0;

        if (!real)
                return 0;

        for (char **l = c->lowers; *l; l++) {
                _cleanup_free_ char *lower = realpath(*l, NULL);

                if (!lower || !path_overlaps(real, lower))
                        continue;

                /* A missing directory's ancestor may contain the lower layer without overlapping it. */
                if (!streq(opened, path) && !path_startswith(real, lower))
                        continue;

                r = log_syntax(c->path, 0, LOG_ERR, ELOOP,
                               "%s%s resolves to %s, which overlaps Base=%s (%s). overlayfs rejects overlapping layers. "
                               "Move %s out of the base, or remove the symlink that leads into it.",
                               key, path, real, *l, lower, key);
        }

        return r;
}

int check_upper_and_work(const Container *c) {
        _cleanup_free_ char *upper_opened = NULL, *work_opened = NULL;
        _cleanup_close_ int upper_fd = -EBADF, work_fd = -EBADF;
        struct stat upper, work;
        int r;

        r = stat_layer_dir(c, "Upper=", c->upper, &upper);
        if (r < 0)
                return r;

        r = stat_layer_dir(c, "Work=", c->work, &work);
        if (r < 0)
                return r;

        /* Where they do not exist yet, check where the prepare unit will create them. */
        upper_fd = open_nearest_directory(c->upper, &upper_opened);
        if (upper_fd < 0)
                return log_syntax(c->path, 0, LOG_ERR, upper_fd, "Cannot open Upper=%s or a parent directory: %m.", c->upper);
        work_fd = open_nearest_directory(c->work, &work_opened);
        if (work_fd < 0)
                return log_syntax(c->path, 0, LOG_ERR, work_fd, "Cannot open Work=%s or a parent directory: %m.", c->work);

        r = check_same_mount(c, upper_fd, work_fd);
        if (r < 0)
                return r;

        r = check_not_overlayfs(c, upper_fd);
        if (r < 0)
                return r;

        r = check_d_type(c, upper_fd, upper_opened);
        if (r < 0)
                return r;

        r = check_xattrs(c, upper_fd);
        if (r < 0)
                return r;

        r = check_outside_lowers(c, "Upper=", c->upper, upper_opened);
        if (check_outside_lowers(c, "Work=", c->work, work_opened) < 0 && r == 0)
                r = -ELOOP;

        return r;
}

void warn_base_machine_id(const Container *c) {
        _cleanup_free_ char *path = path_join(c->lowers[0], "etc/machine-id");
        struct stat st;

        if (path && stat(path, &st) >= 0 && S_ISREG(st.st_mode) && st.st_size > 0)
                log_syntax(c->path, 0, LOG_WARNING, 0,
                           "Base image %s carries a machine ID in %s, so its children would share it. "
                           "Empty the file in the base: truncate -s0 %s", c->lowers[0], path, path);
}
