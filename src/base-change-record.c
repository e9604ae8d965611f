/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "base-change-record.h"
#include "base-changes.h"
#include "log.h"
#include "macro.h"
#include "write-file.h"

typedef struct Walk {
        StrBuf *out;
        size_t count;
        uint64_t since_usec;
        dev_t dev;
} Walk;

static uint64_t ctime_usec(const struct stat *st) {
        return (uint64_t) st->st_ctim.tv_sec * 1000000 + (uint64_t) st->st_ctim.tv_nsec / 1000;
}

static void add_record(Walk *w, const char *relative, const char *name) {
        if (relative[0])
                strbuf_appendf(w->out, "%s/%s", relative, name);
        else
                strbuf_append(w->out, name);
        strbuf_append_char(w->out, '\0');
        w->count++;
}

static int open_subdir(int dir_fd, const char *name) {
        if (dir_fd < 0)
                return -EBADF;

        return openat(dir_fd, name, O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_CLOEXEC);
}

static char *join_relative(const char *relative, const char *name) {
        char *p;

        if (asprintf(&p, "%s%s%s", relative, relative[0] ? "/" : "", name) < 0)
                return NULL;
        return p;
}

/* Walk the new tree: record what changed since the copy. */
static int walk_new(Walk *w, int dir_fd, const char *relative) {
        _cleanup_closedir_ DIR *d = fdopendir(dir_fd);
        struct dirent *de;

        if (!d) {
                (void) close(dir_fd);
                return -errno;
        }

        while ((errno = 0, de = readdir(d))) {
                struct stat st;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;

                if (S_ISDIR(st.st_mode)) {
                        _cleanup_free_ char *sub = NULL;
                        int fd, r;

                        if (st.st_dev != w->dev)
                                continue; /* something mounted inside the base is not the base */

                        sub = join_relative(relative, de->d_name);
                        fd = open_subdir(dirfd(d), de->d_name);
                        if (!sub || fd < 0)
                                return sub ? -errno : -ENOMEM;
                        r = walk_new(w, fd, sub);
                        if (r < 0)
                                return r;
                } else if (ctime_usec(&st) >= w->since_usec)
                        add_record(w, relative, de->d_name);
        }

        return -errno;
}

/* Walk the old tree alongside the new one: record what the new tree no longer has. new_fd is
 * -EBADF below a directory that is gone. */
static int walk_removed(Walk *w, int old_fd, int new_fd, const char *relative) {
        _cleanup_closedir_ DIR *d = fdopendir(old_fd);
        struct dirent *de;

        if (!d) {
                (void) close(old_fd);
                return -errno;
        }

        while ((errno = 0, de = readdir(d))) {
                struct stat st, counterpart;
                bool present;

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                        return -errno;

                present = new_fd >= 0 && fstatat(new_fd, de->d_name, &counterpart, AT_SYMLINK_NOFOLLOW) >= 0;

                if (S_ISDIR(st.st_mode)) {
                        _cleanup_free_ char *sub = NULL;
                        _cleanup_close_ int new_sub = -EBADF;
                        int old_sub, r;

                        if (st.st_dev != w->dev)
                                continue;

                        sub = join_relative(relative, de->d_name);
                        if (!sub)
                                return -ENOMEM;
                        if (present && S_ISDIR(counterpart.st_mode))
                                new_sub = open_subdir(new_fd, de->d_name);
                        old_sub = open_subdir(dirfd(d), de->d_name);
                        if (old_sub < 0)
                                return -errno;

                        r = walk_removed(w, old_sub, new_sub, sub);
                        if (r < 0)
                                return r;
                } else if (!present)
                        add_record(w, relative, de->d_name);
        }

        return -errno;
}

int base_change_record_collect(const char *old_root, const char *new_root, uint64_t since_usec,
                               StrBuf *ret, size_t *ret_count) {
        _cleanup_close_ int new_fd = -EBADF;
        Walk w = { .out = ret, .since_usec = since_usec };
        struct stat st;
        int old_fd, fd, r;

        new_fd = open(new_root, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (new_fd < 0 || fstat(new_fd, &st) < 0)
                return log_error_errno(errno, "Failed to open %s: %m", new_root);
        w.dev = st.st_dev;

        fd = fcntl(new_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return log_error_errno(errno, "Failed to duplicate a file descriptor: %m");
        r = walk_new(&w, fd, "");
        if (r < 0)
                return log_error_errno(r, "Failed to read the updated base %s: %m", new_root);

        old_fd = open(old_root, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (old_fd < 0)
                return log_error_errno(errno, "Failed to open %s: %m", old_root);
        r = walk_removed(&w, old_fd, new_fd, "");
        if (r < 0)
                return log_error_errno(r, "Failed to compare %s with %s: %m", old_root, new_root);

        if (!strbuf_ok(ret))
                return log_oom();

        *ret_count = w.count;
        return 0;
}

int base_change_record_write(const char *base_dir, const StrBuf *records) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(strbuf_done) StrBuf text = {};
        bool has_newline = memchr(strbuf_str(records), '\n', records->len) != NULL;
        int r;

        r = base_changes_path(base_dir, &path);
        if (r < 0)
                return log_error_errno(r, "Failed to name the change record of %s: %m", base_dir);

        /* Newline-separated unless a path contains a newline; then the NUL-separated form. */
        strbuf_append_n(&text, strbuf_str(records), records->len);
        if (!has_newline)
                for (size_t i = 0; i < text.len; i++)
                        if (text.data[i] == '\0')
                                text.data[i] = '\n';
        if (!strbuf_ok(&text))
                return log_oom();

        if (mkdir("/var/lib/nspawn-overlay", 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create /var/lib/nspawn-overlay: %m");
        if (mkdir(BASE_CHANGES_DIR, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create " BASE_CHANGES_DIR ": %m");

        r = write_file_atomic_n(path, text.data ?: "", text.len, 0644);
        if (r < 0)
                return log_error_errno(r, "Failed to write the change record %s: %m", path);

        return 0;
}
