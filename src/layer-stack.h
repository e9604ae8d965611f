/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* The directories of one overlay, opened once. Everything below them is reached with *at()
 * calls relative to these descriptors, never by path strings, and never through a symlink or
 * across a mount point. The upper layer is written by the guest, so any name in it may be a
 * symlink planted to lead the host elsewhere. */
typedef struct LayerStack {
        int upper_fd;
        int work_fd;              /* -EBADF when no work dir was given */
        int *lower_fds;           /* top-most first, as in lowerdir= */
        dev_t *lower_devs;
        size_t n_lowers;
        dev_t upper_dev;
        const char *overlay_prefix;
        uid_t lower_id_shift;     /* see layer_stack_open() */
} LayerStack;

/* The owners an idmapped lower layer shows: on-disk IDs below LOWER_ID_RANGE appear shifted by
 * lower_id_shift, all others as the overflow ID. */
#define LOWER_ID_RANGE 65536u
#define OVERFLOW_ID 65534u

/* Open the layers. With lower_id_shift > 0 the lower layers' owners are compared as an idmapped
 * mount with that shift shows them. ACLs and file capabilities are compared as stored, so files
 * that carry them stay in the upper layer of such a child. */
int layer_stack_open(char *const *lowers, const char *upper, const char *work, bool userxattr, uid_t lower_id_shift,
                     LayerStack *ret);

/* Map the owner in st as the lower layers show it. */
void layer_stack_map_owner(const LayerStack *s, struct stat *st);
void layer_stack_done(LayerStack *s);

/* What the merged view shows at a name when the upper layer has nothing there. */
typedef struct LowerEntry {
        int layer;                /* index into the lower layers; -1 when no lower entry shows */
        int dir_fd;               /* the lower directory that contains it (borrowed) */
        bool mount_point;         /* another file system is mounted on it: not a layer entry */
        struct stat st;
} LowerEntry;

/* True for the 0/0 character device that overlayfs uses as a whiteout. */
static inline bool stat_is_whiteout(const struct stat *st) {
        return S_ISCHR(st->st_mode) && st->st_rdev == 0;
}

/* Find name in the lower directories dir_fds (n_lowers entries, -EBADF where a layer has no
 * directory at this path), top-most first, honouring whiteouts and xattr whiteouts there. */
int lower_lookup(const LayerStack *s, const int *dir_fds, const char *name, LowerEntry *ret);

/* Open the lower directories that merge into the directory name, whose top-most lower entry
 * is top: child_fds[i] is layer i's directory or -EBADF. Merging stops at an opaque directory,
 * a whiteout or a non-directory, as overlayfs's lookup does. */
int lower_open_children(const LayerStack *s, const int *dir_fds, const char *name, const LowerEntry *top, int *child_fds);

void close_fds(int *fds, size_t n);

/* Open path below dir_fd without following any symlink, leaving dir_fd's tree or crossing a
 * mount point (openat2() with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS|
 * RESOLVE_NO_XDEV). Where openat2() is missing, only a single name is accepted and opened with
 * O_NOFOLLOW. Returns the descriptor or a negative errno. */
int open_beneath(int dir_fd, const char *path, int flags);
