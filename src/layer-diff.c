/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "content-pool.h"
#include "entry-compare.h"
#include "entry-xattrs.h"
#include "layer-diff.h"
#include "log.h"
#include "macro.h"

/* Each level of the walk keeps one descriptor per layer open, so the depth is bounded to stay
 * within the open file limit. Deeper directories are kept whole without being compared. */
#define MAX_DEPTH 256u

#define COMPARE_BUFFER_SIZE (1024u * 1024u)

typedef struct Scan {
        const LayerStack *stack;
        const LayerDiffOptions *options;
        LayerDiff *diff;
        ContentPool pool;
        struct timespec last_progress;
} Scan;

static const char *const change_kind_table[_CHANGE_MAX] = {
        [CHANGE_NONE] = "identical",
        [CHANGE_ADDED] = "added",
        [CHANGE_MODIFIED] = "modified",
        [CHANGE_METADATA] = "metadata",
        [CHANGE_DELETED] = "deleted",
        [CHANGE_OPAQUE] = "opaque",
        [CHANGE_REDIRECT] = "redirect",
        [CHANGE_UNCHECKED] = "unchecked",
};

const char *change_kind_to_string(ChangeKind k) {
        return k >= 0 && k < _CHANGE_MAX ? change_kind_table[k] : NULL;
}

void layer_diff_done(LayerDiff *d) {
        for (uint32_t i = 0; i < d->n; i++) {
                free(d->entries[i].name);
                free(d->entries[i].origin_hex);
                free(d->entries[i].lower_handle);
        }
        free(d->entries);
        *d = (LayerDiff) {};
}

/* struct ovl_fb in fs/overlayfs/overlayfs.h (Linux 4.13 and later): version 0, magic 0xfb, total
 * length, flags, the fid type, the file system's 16-byte UUID, then the fid. */
#define OVL_FB_HEADER_SIZE 21

char *origin_key(const char *origin_hex) {
        size_t n = strlen(origin_hex);
        unsigned type, len;
        char *key;

        if (n < OVL_FB_HEADER_SIZE * 2 || !strneq(origin_hex, "00fb", 4) ||
            sscanf(origin_hex + 4, "%2x", &len) != 1 || sscanf(origin_hex + 8, "%2x", &type) != 1 ||
            len < OVL_FB_HEADER_SIZE || len * 2 > n)
                return NULL;

        if (asprintf(&key, "%02x:%.*s", type, (int) (len - OVL_FB_HEADER_SIZE) * 2, origin_hex + OVL_FB_HEADER_SIZE * 2) < 0)
                return NULL;

        return key;
}

/* Return the handle of name in dir_fd in origin_key()'s form. */
static char *lower_handle_key(int dir_fd, const char *name) {
        static const char digits[] = "0123456789abcdef";
        union {
                struct file_handle handle;
                char buffer[sizeof(struct file_handle) + MAX_HANDLE_SZ];
        } h = { .handle.handle_bytes = MAX_HANDLE_SZ };
        int mount_id;
        char *key, *p;

        if (name_to_handle_at(dir_fd, name, &h.handle, &mount_id, 0) < 0)
                return NULL;

        key = malloc(3 + h.handle.handle_bytes * 2 + 1);
        if (!key)
                return NULL;

        p = key + sprintf(key, "%02x:", (unsigned) h.handle.handle_type & 0xff);
        for (unsigned i = 0; i < h.handle.handle_bytes; i++) {
                *p++ = digits[h.handle.f_handle[i] >> 4];
                *p++ = digits[h.handle.f_handle[i] & 15];
        }
        *p = '\0';
        return key;
}

char *layer_entry_path(const LayerDiff *d, uint32_t index) {
        size_t len = 0;
        char *path, *p;

        if (index == 0)
                return strdup("/");

        for (uint32_t i = index; i != 0; i = d->entries[i].parent)
                len += strlen(d->entries[i].name) + 1;

        path = malloc(len + 1);
        if (!path)
                return NULL;

        p = path + len;
        *p = '\0';
        for (uint32_t i = index; i != 0; i = d->entries[i].parent) {
                size_t n = strlen(d->entries[i].name);

                p -= n;
                memcpy(p, d->entries[i].name, n);
                *--p = '/';
        }

        return path;
}

const char *layer_entry_reason(const LayerEntry *e, char *buf, size_t size) {
        char list[80];

        if (e->note)
                return e->note;

        switch (e->change) {
        case CHANGE_NONE:
                return e->whiteout ? "whiteout without a lower entry" : "identical";
        case CHANGE_ADDED:
                return "not in the lower layers";
        case CHANGE_DELETED:
                return "whiteout over a lower entry";
        case CHANGE_OPAQUE:
                return "opaque directory";
        case CHANGE_REDIRECT:
                return "redirect: renamed directory or metacopy data source";
        case CHANGE_UNCHECKED:
                snprintf(buf, size, "not compared: %s", strerror(e->error));
                return buf;
        case CHANGE_MODIFIED:
        case CHANGE_METADATA:
        default:
                entry_difference_to_string(e->differences, list, sizeof(list));
                snprintf(buf, size, "%s differ%s", list, strchr(list, ',') || streq(list, "xattrs") ? "" : "s");
                return buf;
        }
}

static int append_entry(LayerDiff *d, const char *name, uint32_t parent, const struct stat *st, uint32_t *ret) {
        LayerEntry *e;

        if (d->n == UINT32_MAX)
                return -E2BIG;

        if (d->n == d->allocated) {
                uint32_t n = d->allocated ? d->allocated * 2 : 1024;
                LayerEntry *entries = realloc(d->entries, (size_t) n * sizeof(LayerEntry));

                if (!entries)
                        return -ENOMEM;
                d->entries = entries;
                d->allocated = n;
        }

        e = &d->entries[d->n];
        *e = (LayerEntry) {
                .name = strdup(name),
                .parent = parent,
                .mode = st->st_mode,
                .nlink = st->st_nlink,
                .ino = st->st_ino,
                .size = (uint64_t) st->st_size,
                .disk_bytes = (uint64_t) st->st_blocks * 512,
                .mtime = st->st_mtim,
        };
        if (!e->name)
                return -ENOMEM;

        *ret = d->n++;
        return 0;
}

static void show_progress(Scan *s, bool final) {
        struct timespec now;

        if (!s->options->progress)
                return;

        if (final) {
                fputs("\r\033[K", stderr);
                return;
        }

        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - s->last_progress.tv_sec) * 1000 + (now.tv_nsec - s->last_progress.tv_nsec) / 1000000 < 200)
                return;
        s->last_progress = now;

        pthread_mutex_lock(&s->pool.lock);
        fprintf(stderr, "\r\033[K%" PRIu32 " entries walked, %" PRIu64 " files compared, %.1f MiB read",
                s->diff->n, s->pool.files_compared, (double) s->pool.bytes_read / (1024 * 1024));
        pthread_mutex_unlock(&s->pool.lock);
}

/* Mark an entry that could not be compared. It is kept, so the only cost is a missed prune. */
static void mark_unchecked(Scan *s, uint32_t index, int error, const char *note) {
        LayerEntry *e = &s->diff->entries[index];
        _cleanup_free_ char *path = layer_entry_path(s->diff, index);

        e->change = CHANGE_UNCHECKED;
        e->error = error < 0 ? -error : error;
        e->note = note;

        if (note)
                log_warning("%s: %s, keeping it.", strempty(path), note);
        else
                log_warning_errno(error, "Failed to compare %s, keeping it: %m", strempty(path));
}

static ChangeKind change_from_differences(unsigned mask) {
        if (mask & DIFF_DATA_MASK)
                return CHANGE_MODIFIED;

        return mask ? CHANGE_METADATA : CHANGE_NONE;
}

/* Open a regular file for reading, making sure it is still the inode that was compared. */
static int open_regular(int dir_fd, const char *name, dev_t dev, ino_t ino) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        fd = open_beneath(dir_fd, name, O_RDONLY|O_NONBLOCK);
        if (fd < 0)
                return fd;

        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_dev != dev || st.st_ino != ino)
                return -ESTALE;

        return TAKE_FD(fd);
}

static int queue_content_compare(Scan *s, uint32_t index, int upper_fd, const char *name, const LowerEntry *lower,
                                 const struct stat *st) {
        _cleanup_close_ int fd_upper = -EBADF, fd_lower = -EBADF;
        bool sparse;

        fd_upper = open_regular(upper_fd, name, st->st_dev, st->st_ino);
        if (fd_upper < 0)
                return fd_upper;

        fd_lower = open_regular(lower->dir_fd, name, lower->st.st_dev, lower->st.st_ino);
        if (fd_lower < 0)
                return fd_lower;

        sparse = (uint64_t) st->st_blocks * 512 < (uint64_t) st->st_size ||
                 (uint64_t) lower->st.st_blocks * 512 < (uint64_t) lower->st.st_size;

        s->diff->entries[index].pending = true;
        return content_pool_submit(&s->pool, index, TAKE_FD(fd_upper), TAKE_FD(fd_lower), (uint64_t) st->st_size, sparse);
}

/* Compare a non-directory with the lower entry of the same type. */
static int compare_leaf(Scan *s, uint32_t index, int upper_fd, const char *name, const struct stat *st,
                        const EntryXattrs *xattrs, const LowerEntry *lower) {
        _cleanup_(entry_xattrs_done) EntryXattrs lower_xattrs = {};
        LayerEntry *e = &s->diff->entries[index];
        unsigned mask;
        int r;

        mask = stat_difference(st, &lower->st, s->options->ignore_mtime);
        if (mask & DIFF_TYPE) {
                e->differences = mask;
                e->change = CHANGE_MODIFIED;
                return 0;
        }

        r = entry_xattrs_read(lower->dir_fd, name, s->stack->overlay_prefix, false, &lower_xattrs);
        if (r < 0)
                return r;
        if (!entry_xattrs_equal(xattrs, &lower_xattrs))
                mask |= DIFF_XATTRS;

        if (S_ISLNK(st->st_mode) && !(mask & DIFF_TARGET)) {
                r = compare_symlinks(upper_fd, name, lower->dir_fd, name);
                if (r < 0)
                        return r;
                if (r == 0)
                        mask |= DIFF_TARGET;
        }

        e->differences = mask;
        e->change = change_from_differences(mask);

        /* overlayfs gives a lower file and an upper file copied up from it one inode, so a
         * candidate's lower file must not be the origin of another upper file. */
        if (mask == 0)
                e->lower_handle = lower_handle_key(lower->dir_fd, name);

        if (!S_ISREG(st->st_mode) || st->st_size == 0 || (mask & DIFF_SIZE))
                return 0;

        if (xattrs->metacopy) {
                /* The data is read from the lower file at the same path, unless a redirect
                 * names another one. Either way its bytes are never compared. */
                e->metacopy = true;
                if (xattrs->redirect)
                        e->change = CHANGE_REDIRECT;
                return 0;
        }

        if (mask != 0 && !s->options->compare_all_contents)
                return 0;

        return queue_content_compare(s, index, upper_fd, name, lower, st);
}

static int scan_directory(Scan *s, uint32_t dir_index, int upper_fd, const int *lower_fds, unsigned depth);

/* Compare a directory with its lower entry and walk into it with the lower directories that
 * merge into it. */
static int compare_directory(Scan *s, uint32_t index, int upper_fd, const char *name, const struct stat *st,
                             const EntryXattrs *xattrs, const LowerEntry *lower, const int *lower_fds, unsigned depth) {
        _cleanup_(entry_xattrs_done) EntryXattrs lower_xattrs = {};
        _cleanup_close_ int child_fd = -EBADF;
        _cleanup_free_ int *child_lower_fds = NULL;
        LayerEntry *e = &s->diff->entries[index];
        bool merged = false;
        struct stat child_st;
        int r;

        if (xattrs->redirect) {
                /* The directory shows the lower directory the redirect names, not the one at
                 * its path, so nothing below it may be compared by path. */
                e->change = CHANGE_REDIRECT;
                return 0;
        }

        if (lower->layer < 0)
                e->change = CHANGE_ADDED;
        else if (!S_ISDIR(lower->st.st_mode)) {
                /* A directory over a non-directory hides it, as an opaque directory would. */
                e->change = CHANGE_MODIFIED;
                e->differences = DIFF_TYPE;
        } else if (xattrs->opaque)
                e->change = CHANGE_OPAQUE;
        else {
                e->differences = stat_difference(st, &lower->st, s->options->ignore_mtime);

                r = entry_xattrs_read(lower->dir_fd, name, s->stack->overlay_prefix, false, &lower_xattrs);
                if (r < 0)
                        return r;
                if (!entry_xattrs_equal(xattrs, &lower_xattrs))
                        e->differences |= DIFF_XATTRS;

                e->change = change_from_differences(e->differences);
                merged = true;
        }

        if (depth >= MAX_DEPTH) {
                mark_unchecked(s, index, 0, "directory nested too deep to compare");
                return 0;
        }

        child_fd = open_beneath(upper_fd, name, O_RDONLY|O_DIRECTORY);
        if (child_fd < 0)
                return child_fd;
        if (fstat(child_fd, &child_st) < 0)
                return -errno;
        if (child_st.st_ino != st->st_ino || child_st.st_dev != st->st_dev)
                return -ESTALE;

        child_lower_fds = malloc(MAX(s->stack->n_lowers, 1u) * sizeof(int));
        if (!child_lower_fds)
                return -ENOMEM;
        for (size_t i = 0; i < s->stack->n_lowers; i++)
                child_lower_fds[i] = -EBADF;

        if (merged) {
                r = lower_open_children(s->stack, lower_fds, name, lower, child_lower_fds);
                if (r < 0)
                        return r;
        }

        r = scan_directory(s, index, child_fd, child_lower_fds, depth + 1);
        close_fds(child_lower_fds, s->stack->n_lowers);
        return r;
}

static int classify_whiteout(Scan *s, uint32_t index, const int *lower_fds, const char *name) {
        LayerEntry *e = &s->diff->entries[index];
        LowerEntry lower;
        int r;

        e->whiteout = true;

        r = lower_lookup(s->stack, lower_fds, name, &lower);
        if (r < 0)
                return r;

        e->has_lower = lower.layer >= 0;
        e->change = e->has_lower ? CHANGE_DELETED : CHANGE_NONE;
        return 0;
}

static int scan_entry(Scan *s, uint32_t parent, int upper_fd, const int *lower_fds, const char *name, unsigned depth) {
        _cleanup_(entry_xattrs_done) EntryXattrs xattrs = {};
        LowerEntry lower;
        struct stat st;
        uint32_t index;
        LayerEntry *e;
        int r;

        if (fstatat(upper_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                        return 0;

                /* Record it all the same, so that its directory counts it as kept. */
                r = -errno;
                st = (struct stat) {};
                if (append_entry(s->diff, name, parent, &st, &index) < 0)
                        return -ENOMEM;
                return r;
        }

        r = append_entry(s->diff, name, parent, &st, &index);
        if (r < 0)
                return r;

        if (st.st_dev != s->stack->upper_dev) {
                mark_unchecked(s, index, 0, "a mount point, not part of the upper layer");
                return 0;
        }

        if (stat_is_whiteout(&st))
                return classify_whiteout(s, index, lower_fds, name);

        r = entry_xattrs_read(upper_fd, name, s->stack->overlay_prefix, !S_ISDIR(st.st_mode), &xattrs);
        if (r < 0)
                return r;

        if (xattrs.whiteout && S_ISREG(st.st_mode) && st.st_size == 0)
                return classify_whiteout(s, index, lower_fds, name);

        e = &s->diff->entries[index];
        e->origin_hex = TAKE_PTR(xattrs.origin_hex);

        r = lower_lookup(s->stack, lower_fds, name, &lower);
        if (r < 0)
                return r;

        e->has_lower = lower.layer >= 0;
        if (e->has_lower) {
                e->lower_dev = lower.st.st_dev;
                e->lower_ino = lower.st.st_ino;
                e->lower_mtime = lower.st.st_mtim;
        }

        if (lower.mount_point) {
                mark_unchecked(s, index, 0, "the lower entry is a mount point");
                return 0;
        }

        if (S_ISDIR(st.st_mode))
                return compare_directory(s, index, upper_fd, name, &st, &xattrs, &lower, lower_fds, depth);

        if (!e->has_lower) {
                e->change = xattrs.redirect ? CHANGE_REDIRECT : CHANGE_ADDED;
                return 0;
        }

        return compare_leaf(s, index, upper_fd, name, &st, &xattrs, &lower);
}

static int scan_directory(Scan *s, uint32_t dir_index, int upper_fd, const int *lower_fds, unsigned depth) {
        _cleanup_closedir_ DIR *d = NULL;
        struct dirent *de;
        int fd, r;

        /* closedir() closes the duplicate, the caller keeps upper_fd. */
        fd = fcntl(upper_fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        d = fdopendir(fd);
        if (!d) {
                r = -errno;
                (void) close(fd);
                return r;
        }

        for (;;) {
                uint32_t index = s->diff->n;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                return -errno;
                        break;
                }

                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;

                r = scan_entry(s, dir_index, upper_fd, lower_fds, de->d_name, depth);
                if (r == -ENOMEM || r == -E2BIG)
                        return r;
                if (r < 0 && s->diff->n > index)
                        mark_unchecked(s, index, r, NULL);

                if ((s->diff->n & 255) == 0)
                        show_progress(s, false);
        }

        return 0;
}

/* Compare the upper's root with the top-most lower root, whose owner and mode the merged root
 * would otherwise show. The root itself is never removed. */
static int scan_root(Scan *s) {
        _cleanup_(entry_xattrs_done) EntryXattrs upper_xattrs = {}, lower_xattrs = {};
        const LayerStack *stack = s->stack;
        LayerEntry *e;
        struct stat st, lower_st;
        uint32_t index;
        int r;

        if (fstat(stack->upper_fd, &st) < 0)
                return -errno;

        r = append_entry(s->diff, "", 0, &st, &index);
        if (r < 0)
                return r;
        e = &s->diff->entries[index];

        if (stack->n_lowers == 0) {
                e->change = CHANGE_ADDED;
                return 0;
        }

        if (fstat(stack->lower_fds[0], &lower_st) < 0)
                return -errno;
        layer_stack_map_owner(stack, &lower_st);

        r = entry_xattrs_read(stack->upper_fd, NULL, stack->overlay_prefix, false, &upper_xattrs);
        if (r < 0)
                return r;
        r = entry_xattrs_read(stack->lower_fds[0], NULL, stack->overlay_prefix, false, &lower_xattrs);
        if (r < 0)
                return r;

        e->has_lower = true;
        e->differences = stat_difference(&st, &lower_st, s->options->ignore_mtime);
        if (!entry_xattrs_equal(&upper_xattrs, &lower_xattrs))
                e->differences |= DIFF_XATTRS;
        e->change = change_from_differences(e->differences);
        return 0;
}

static void apply_content_results(LayerDiff *d, ContentJob *done) {
        for (ContentJob *job = done; job; job = job->next) {
                LayerEntry *e = &d->entries[job->entry];

                e->pending = false;
                if (job->result < 0) {
                        _cleanup_free_ char *path = layer_entry_path(d, job->entry);

                        e->change = CHANGE_UNCHECKED;
                        e->error = -job->result;
                        log_warning_errno(job->result, "Failed to compare the contents of %s, keeping it: %m", strempty(path));
                        continue;
                }
                if (job->result == 0)
                        e->differences |= DIFF_CONTENT;
                e->change = change_from_differences(e->differences);
        }
}

int layer_diff_scan(const LayerStack *stack, const LayerDiffOptions *o, LayerDiff *ret) {
        _cleanup_(layer_diff_done) LayerDiff d = {};
        Scan s = { .stack = stack, .options = o, .diff = &d };
        ContentJob *done;
        int r;

        assert(stack);
        assert(o);
        assert(ret);

        r = content_pool_start(&s.pool, o->n_threads ?: content_pool_default_threads(), COMPARE_BUFFER_SIZE);
        if (r < 0)
                return r;

        r = scan_root(&s);
        if (r >= 0)
                r = scan_directory(&s, 0, stack->upper_fd, stack->lower_fds, 1);

        /* Wait for the workers even after a failure: they own descriptors and buffers. */
        done = content_pool_finish(&s.pool);
        apply_content_results(&d, done);
        content_jobs_free(done);
        show_progress(&s, true);

        d.files_compared = s.pool.files_compared;
        d.bytes_read = s.pool.bytes_read;

        if (r < 0)
                return r;

        *ret = d;
        d = (LayerDiff) {};
        return 0;
}
