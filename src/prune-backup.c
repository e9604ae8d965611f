/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs-util.h"
#include "layer-stack.h"
#include "log.h"
#include "macro.h"
#include "prune-backup.h"

void backup_done(Backup *b) {
        free(b->dir);
        if (b->files_fd >= 0)
                (void) close(b->files_fd);
        *b = (Backup) { .files_fd = -EBADF };
}

int backup_create(const char *dir, dev_t upper_dev, Backup *ret) {
        _cleanup_(backup_done) Backup b = { .files_fd = -EBADF };
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        assert(dir);
        assert(ret);

        /* The moved files belong to the guest and may be setuid: only root may reach them. */
        r = mkdir_p(dir, 0700);
        if (r < 0)
                return r;

        fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_dev != upper_dev)
                return -EXDEV;
        if (fchmod(fd, 0700) < 0)
                return -errno;

        if (mkdirat(fd, BACKUP_FILES, 0700) < 0 && errno != EEXIST)
                return -errno;

        b.files_fd = open_beneath(fd, BACKUP_FILES, O_RDONLY|O_DIRECTORY);
        if (b.files_fd < 0)
                return b.files_fd;

        b.dir = strdup(dir);
        if (!b.dir)
                return -ENOMEM;

        *ret = b;
        b = (Backup) { .files_fd = -EBADF };
        return 0;
}

/* Give a directory made to mirror another the owner, mode and mtime of that one. */
static int copy_directory_metadata(int fd, const struct stat *st) {
        struct timespec times[2] = { { .tv_nsec = UTIME_OMIT }, st->st_mtim };

        if (fchown(fd, st->st_uid, st->st_gid) < 0 || fchmod(fd, st->st_mode & 07777) < 0 || futimens(fd, times) < 0)
                return -errno;

        return 0;
}

/* Open the directory component name in to_fd, creating it like the directory from_fd/name. */
static int mirror_directory(int from_fd, int to_fd, const char *name, int *ret_from, int *ret_to) {
        _cleanup_close_ int from = -EBADF, to = -EBADF;
        struct stat st;
        bool created = false;
        int r;

        from = open_beneath(from_fd, name, O_RDONLY|O_DIRECTORY);
        if (from < 0)
                return from;
        if (fstat(from, &st) < 0)
                return -errno;

        if (mkdirat(to_fd, name, 0700) >= 0)
                created = true;
        else if (errno != EEXIST)
                return -errno;

        to = open_beneath(to_fd, name, O_RDONLY|O_DIRECTORY);
        if (to < 0)
                return to;

        if (created) {
                r = copy_directory_metadata(to, &st);
                if (r < 0)
                        return r;
        }

        *ret_from = TAKE_FD(from);
        *ret_to = TAKE_FD(to);
        return 0;
}

int backup_move(Backup *b, int upper_fd, int parent_fd, const char *path, const char *name) {
        _cleanup_free_ char *copy = strdup(path);
        _cleanup_close_ int from = -EBADF, to = -EBADF;
        char *component, *slash;
        int r;

        assert(b);
        assert(path);
        assert(name);

        if (!copy)
                return -ENOMEM;

        /* Mirror the parent directories, then move the entry itself in one rename(). */
        from = fcntl(upper_fd, F_DUPFD_CLOEXEC, 3);
        to = fcntl(b->files_fd, F_DUPFD_CLOEXEC, 3);
        if (from < 0 || to < 0)
                return -errno;

        component = copy;
        while ((slash = strchr(component, '/'))) {
                int next_from = -EBADF, next_to = -EBADF;

                *slash = '\0';
                r = mirror_directory(from, to, component, &next_from, &next_to);
                if (r < 0)
                        return r;
                (void) close(from);
                (void) close(to);
                from = next_from;
                to = next_to;
                component = slash + 1;
        }

        if (renameat2(parent_fd, name, to, name, RENAME_NOREPLACE) < 0)
                return -errno;

        return 0;
}

/* Restore the tree below the backup directory from_fd into the upper directory to_fd. */
static int restore_directory(int from_fd, int to_fd, const char *path, RestoreReport *report, unsigned depth) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd, r;

        if (depth > 4096)
                return -ELOOP;

        fd = fcntl(from_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                (void) close(fd);
                return -errno;
        }

        while ((de = readdir(d))) {
                _cleanup_free_ char *child_path = NULL;
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;

                if (asprintf(&child_path, "%s/%s", path, de->d_name) < 0)
                        return -ENOMEM;

                if (fstatat(from_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;

                if (S_ISDIR(st.st_mode)) {
                        _cleanup_close_ int from = -EBADF, to = -EBADF;
                        struct stat upper_st;
                        bool created = false;

                        if (fstatat(to_fd, de->d_name, &upper_st, AT_SYMLINK_NOFOLLOW) >= 0) {
                                if (!S_ISDIR(upper_st.st_mode)) {
                                        log_warning("%s is no longer a directory in the upper layer, keeping its backup.", child_path);
                                        report->skipped++;
                                        continue;
                                }
                        } else if (errno == ENOENT) {
                                if (mkdirat(to_fd, de->d_name, 0700) < 0)
                                        return -errno;
                                created = true;
                        } else
                                return -errno;

                        from = open_beneath(from_fd, de->d_name, O_RDONLY|O_DIRECTORY);
                        if (from < 0)
                                return from;
                        to = open_beneath(to_fd, de->d_name, O_RDONLY|O_DIRECTORY);
                        if (to < 0)
                                return to;

                        r = restore_directory(from, to, child_path, report, depth + 1);
                        if (r < 0)
                                return r;

                        /* After the files went in, so that the recorded mtime stays. */
                        if (created) {
                                r = copy_directory_metadata(to, &st);
                                if (r < 0)
                                        return r;
                        }

                        /* Drop the emptied backup directory; ENOTEMPTY keeps a skipped file's. */
                        (void) unlinkat(from_fd, de->d_name, AT_REMOVEDIR);
                        continue;
                }

                if (renameat2(from_fd, de->d_name, to_fd, de->d_name, RENAME_NOREPLACE) < 0) {
                        if (errno == EEXIST) {
                                log_warning("%s exists in the upper layer again, keeping the backup copy.", child_path);
                                report->skipped++;
                        } else {
                                log_warning_errno(errno, "Failed to move %s back into the upper layer: %m", child_path);
                                report->failed++;
                        }
                        continue;
                }

                report->restored++;
        }

        return 0;
}

int backup_restore(const char *dir, const char *upper, RestoreReport *ret) {
        _cleanup_close_ int dir_fd = -EBADF, files_fd = -EBADF, upper_fd = -EBADF;
        RestoreReport report = {};
        int r;

        assert(dir);
        assert(upper);
        assert(ret);

        dir_fd = open(dir, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (dir_fd < 0)
                return -errno;
        files_fd = open_beneath(dir_fd, BACKUP_FILES, O_RDONLY|O_DIRECTORY);
        if (files_fd < 0)
                return files_fd;
        upper_fd = open(upper, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (upper_fd < 0)
                return -errno;

        r = restore_directory(files_fd, upper_fd, "", &report, 0);
        if (r < 0)
                return r;

        if (report.skipped == 0 && report.failed == 0 &&
            unlinkat(dir_fd, BACKUP_FILES, AT_REMOVEDIR) >= 0) {
                (void) unlinkat(dir_fd, BACKUP_REPORT, 0);
                report.backup_removed = rmdir(dir) >= 0;
        }

        *ret = report;
        return 0;
}

int backup_find_latest(const char *parent, char **ret) {
        _cleanup_closedir_ DIR *d = NULL;
        _cleanup_free_ char *best = NULL;
        struct dirent *de;

        d = opendir(parent);
        if (!d)
                return -errno;

        /* The names end in a UTC timestamp, so the largest name is the newest. */
        while ((de = readdir(d))) {
                if (!strneq(de->d_name, "backup-", 7))
                        continue;
                if (best && strcmp(de->d_name, best) <= 0)
                        continue;
                free(best);
                best = strdup(de->d_name);
                if (!best)
                        return -ENOMEM;
        }

        if (!best)
                return -ENOENT;

        if (asprintf(ret, "%s/%s", parent, best) < 0)
                return -ENOMEM;

        return 0;
}
