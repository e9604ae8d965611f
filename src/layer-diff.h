/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "layer-stack.h"

/* How an upper entry changes the merged view, compared with what the lower layers would show
 * at its path without it. */
typedef enum ChangeKind {
        CHANGE_NONE,              /* identical: the merged view is the same without it */
        CHANGE_ADDED,             /* no lower entry at this path */
        CHANGE_MODIFIED,          /* type, size, content, symlink target or device number differ */
        CHANGE_METADATA,          /* only mode, owner, mtime or xattrs differ */
        CHANGE_DELETED,           /* a whiteout over a lower entry */
        CHANGE_OPAQUE,            /* an opaque directory over a lower directory */
        CHANGE_REDIRECT,          /* a renamed directory or a metacopy file that names its data source */
        CHANGE_UNCHECKED,         /* not compared: a mount point, too deep, or an I/O error */
        _CHANGE_MAX,
} ChangeKind;

/* One entry of the upper layer. Entries are stored in pre-order, so a directory's index is
 * smaller than those of everything below it. */
typedef struct LayerEntry {
        char *name;               /* "" for the upper's root */
        uint32_t parent;          /* the root is its own parent */

        /* The upper inode, as the walk saw it. */
        mode_t mode;
        nlink_t nlink;
        ino_t ino;
        uint64_t size;
        uint64_t disk_bytes;      /* st_blocks × 512 */
        struct timespec mtime;

        /* The lower entry it hides, if any. */
        bool has_lower;
        dev_t lower_dev;
        ino_t lower_ino;
        struct timespec lower_mtime;

        ChangeKind change;
        unsigned differences;     /* EntryDifference bits */
        int error;                /* for CHANGE_UNCHECKED: the errno, or 0 with a note */
        const char *note;         /* why an entry is kept when its differences do not say it */
        char *origin_hex;         /* overlay.origin in hex: a non-directory copied up from a lower file */
        char *lower_handle;       /* the lower file's handle, as in origin_key(), for candidates */

        bool whiteout;
        bool metacopy;            /* no data of its own: its content was never read */
        bool pending;             /* a content comparison is queued */
} LayerEntry;

typedef struct LayerDiff {
        LayerEntry *entries;
        uint32_t n;
        uint32_t allocated;

        uint64_t files_compared;
        uint64_t bytes_read;      /* from both layers */
} LayerDiff;

typedef struct LayerDiffOptions {
        bool ignore_mtime;
        /* Compare contents even where metadata differs, to tell metadata-only changes apart
         * (diff). Prune skips those reads: such a file is kept either way. */
        bool compare_all_contents;
        bool progress;            /* a progress line on stderr */
        unsigned n_threads;       /* content comparison threads; 0 picks one per CPU */
} LayerDiffOptions;

/* Walk the upper layer of s and classify every entry against the lower layers. Entries that
 * cannot be read are CHANGE_UNCHECKED and logged; only allocation failures fail the walk. */
int layer_diff_scan(const LayerStack *s, const LayerDiffOptions *o, LayerDiff *ret);
void layer_diff_done(LayerDiff *d);

/* Return "TYPE:FID" in hex from an overlay.origin value in hex, the part that identifies the
 * lower file within its file system, or NULL if it is not one overlayfs writes. */
char *origin_key(const char *origin_hex);

/* The entry's path below the upper's root, with a leading "/" ("/" for the root). */
char *layer_entry_path(const LayerDiff *d, uint32_t index);

const char *change_kind_to_string(ChangeKind k);

/* A short reason for an entry's classification ("identical", "mode, mtime differ"). buf must
 * hold at least 96 bytes. */
const char *layer_entry_reason(const LayerEntry *e, char *buf, size_t size);
