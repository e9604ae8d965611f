/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "entry-xattrs.h"
#include "layer-stack.h"
#include "macro.h"

int open_beneath(int dir_fd, const char *path, int flags) {
        static bool have_openat2 = true;
        /* openat2() rejects O_PATH combined with flags such as O_NOCTTY. */
        int extra = (flags & O_PATH) ? 0 : O_NOCTTY;
        struct open_how how = {
                .flags = (uint64_t) (flags | O_NOFOLLOW | O_CLOEXEC | extra),
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
        };
        int fd;

        assert(path);

        if (have_openat2) {
                fd = (int) syscall(SYS_openat2, dir_fd, path, &how, sizeof(how));
                if (fd >= 0)
                        return fd;
                if (errno != ENOSYS)
                        return -errno;
                have_openat2 = false;
        }

        /* Before Linux 5.6: O_NOFOLLOW only guards the last component, so accept no others. */
        if (strchr(path, '/') || streq(path, "..") || streq(path, "."))
                return -EOPNOTSUPP;

        fd = openat(dir_fd, path, flags | O_NOFOLLOW | O_CLOEXEC | extra);
        return fd < 0 ? -errno : fd;
}

void close_fds(int *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i] >= 0) {
                        (void) close(fds[i]);
                        fds[i] = -EBADF;
                }
}

static int open_layer_root(const char *path, int *ret_fd, dev_t *ret_dev) {
        struct stat st;
        int fd;

        /* The layer paths come from the administrator, so symlinks in them are followed. */
        fd = open(path, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (fd < 0)
                return -errno;

        if (fstat(fd, &st) < 0) {
                int r = -errno;
                (void) close(fd);
                return r;
        }

        *ret_fd = fd;
        *ret_dev = st.st_dev;
        return 0;
}

void layer_stack_done(LayerStack *s) {
        if (s->upper_fd >= 0)
                (void) close(s->upper_fd);
        if (s->work_fd >= 0)
                (void) close(s->work_fd);
        if (s->lower_fds)
                close_fds(s->lower_fds, s->n_lowers);
        free(s->lower_fds);
        free(s->lower_devs);
        *s = (LayerStack) { .upper_fd = -EBADF, .work_fd = -EBADF };
}

static uid_t map_id(uid_t id, uid_t shift) {
        return id < LOWER_ID_RANGE ? id + shift : OVERFLOW_ID;
}

void layer_stack_map_owner(const LayerStack *s, struct stat *st) {
        if (s->lower_id_shift == 0)
                return;

        st->st_uid = map_id(st->st_uid, s->lower_id_shift);
        st->st_gid = map_id(st->st_gid, s->lower_id_shift);
}

int layer_stack_open(char *const *lowers, const char *upper, const char *work, bool userxattr, uid_t lower_id_shift,
                     LayerStack *ret) {
        _cleanup_(layer_stack_done) LayerStack s = { .upper_fd = -EBADF, .work_fd = -EBADF };
        dev_t dev;
        int r;

        assert(lowers);
        assert(upper);
        assert(ret);

        s.overlay_prefix = userxattr ? OVERLAY_XATTR_USER : OVERLAY_XATTR_TRUSTED;
        s.lower_id_shift = lower_id_shift;

        for (char *const *l = lowers; *l; l++)
                s.n_lowers++;

        s.lower_fds = malloc(MAX(s.n_lowers, 1u) * sizeof(int));
        s.lower_devs = malloc(MAX(s.n_lowers, 1u) * sizeof(dev_t));
        if (!s.lower_fds || !s.lower_devs)
                return -ENOMEM;
        for (size_t i = 0; i < s.n_lowers; i++)
                s.lower_fds[i] = -EBADF;

        r = open_layer_root(upper, &s.upper_fd, &s.upper_dev);
        if (r < 0)
                return r;

        for (size_t i = 0; i < s.n_lowers; i++) {
                r = open_layer_root(lowers[i], &s.lower_fds[i], &s.lower_devs[i]);
                if (r < 0)
                        return r;
        }

        if (work) {
                r = open_layer_root(work, &s.work_fd, &dev);
                if (r < 0)
                        return r;
        }

        *ret = s;
        s = (LayerStack) { .upper_fd = -EBADF, .work_fd = -EBADF };
        return 0;
}

/* An xattr whiteout is an empty regular file; only those need their xattrs read. */
static int lower_is_xattr_whiteout(const LayerStack *s, int dir_fd, const char *name, const struct stat *st) {
        _cleanup_(entry_xattrs_done) EntryXattrs x = {};
        int r;

        if (!S_ISREG(st->st_mode) || st->st_size != 0)
                return 0;

        r = entry_xattrs_read(dir_fd, name, s->overlay_prefix, false, &x);
        if (r < 0)
                return r;

        return x.whiteout;
}

int lower_lookup(const LayerStack *s, const int *dir_fds, const char *name, LowerEntry *ret) {
        int r;

        assert(s);
        assert(dir_fds);
        assert(name);
        assert(ret);

        for (size_t i = 0; i < s->n_lowers; i++) {
                struct stat st;

                if (dir_fds[i] < 0)
                        continue;

                if (fstatat(dir_fds[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return -errno;
                }

                if (stat_is_whiteout(&st))
                        break;
                r = lower_is_xattr_whiteout(s, dir_fds[i], name, &st);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;

                *ret = (LowerEntry) {
                        .layer = (int) i,
                        .dir_fd = dir_fds[i],
                        .mount_point = st.st_dev != s->lower_devs[i],
                        .st = st,
                };
                layer_stack_map_owner(s, &ret->st);
                return 0;
        }

        *ret = (LowerEntry) { .layer = -1, .dir_fd = -EBADF };
        return 0;
}

static int open_lower_dir(const LayerStack *s, int dir_fd, const char *name, bool *ret_opaque) {
        _cleanup_(entry_xattrs_done) EntryXattrs x = {};
        _cleanup_close_ int fd = -EBADF;
        int r;

        fd = open_beneath(dir_fd, name, O_RDONLY|O_DIRECTORY);
        if (fd < 0)
                return fd;

        r = entry_xattrs_read(fd, NULL, s->overlay_prefix, false, &x);
        if (r < 0)
                return r;

        *ret_opaque = x.opaque;
        return TAKE_FD(fd);
}

int lower_open_children(const LayerStack *s, const int *dir_fds, const char *name, const LowerEntry *top, int *child_fds) {
        bool opaque = false;
        int fd, r;

        assert(s);
        assert(top);
        assert(child_fds);

        for (size_t i = 0; i < s->n_lowers; i++)
                child_fds[i] = -EBADF;

        if (top->layer < 0 || top->mount_point || !S_ISDIR(top->st.st_mode))
                return 0;

        fd = open_lower_dir(s, top->dir_fd, name, &opaque);
        if (fd < 0)
                return fd;
        child_fds[top->layer] = fd;

        for (size_t i = top->layer + 1; i < s->n_lowers && !opaque; i++) {
                struct stat st;

                if (dir_fds[i] < 0)
                        continue;

                if (fstatat(dir_fds[i], name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                        if (errno == ENOENT)
                                continue;
                        r = -errno;
                        goto fail;
                }

                /* A whiteout, an xattr whiteout or a non-directory ends the merge; an xattr
                 * whiteout is a regular file, so the type check covers it. */
                if (!S_ISDIR(st.st_mode) || st.st_dev != s->lower_devs[i])
                        break;

                fd = open_lower_dir(s, dir_fds[i], name, &opaque);
                if (fd < 0) {
                        r = fd;
                        goto fail;
                }
                child_fds[i] = fd;
        }

        return 0;

fail:
        close_fds(child_fds, s->n_lowers);
        return r;
}
