/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>

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

int check_upper_and_work(const Container *c) {
        struct stat upper, work;
        struct statfs fs;
        int r, have_upper, have_work;

        have_upper = r = stat_layer_dir(c, "Upper=", c->upper, &upper);
        if (r < 0)
                return r;

        have_work = r = stat_layer_dir(c, "Work=", c->work, &work);
        if (r < 0)
                return r;

        if (have_upper && have_work && upper.st_dev != work.st_dev)
                return log_syntax(c->path, 0, LOG_ERR, EXDEV,
                                  "Upper=%s and Work=%s are on different filesystems, but overlayfs needs both on the same one. "
                                  "Move Work= next to Upper=.", c->upper, c->work);

        if (have_upper && statfs(c->upper, &fs) >= 0 && fs.f_type == OVERLAYFS_SUPER_MAGIC)
                return log_syntax(c->path, 0, LOG_ERR, EINVAL,
                                  "Upper=%s is on an overlayfs, which cannot be an upper layer. "
                                  "Put it on a regular filesystem such as ext4, xfs or btrfs.", c->upper);

        return 0;
}

void warn_base_machine_id(const Container *c) {
        _cleanup_free_ char *path = path_join(c->lowers[0], "etc/machine-id");
        struct stat st;

        if (path && stat(path, &st) >= 0 && S_ISREG(st.st_mode) && st.st_size > 0)
                log_syntax(c->path, 0, LOG_WARNING, 0,
                           "Base image %s carries a machine ID in %s, so its children would share it. "
                           "Empty the file in the base: truncate -s0 %s", c->lowers[0], path, path);
}
