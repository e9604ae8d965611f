/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "layer-diff.h"

/* What prune does with one upper entry. */
typedef enum PruneAction {
        PRUNE_KEEP,
        PRUNE_REMOVE,             /* the merged view is the same without it */
        PRUNE_MOVE,               /* --older-than-base: moved into the backup directory */
        PRUNE_FAILED,             /* chosen for removal or move, but that failed: still there */
} PruneAction;

typedef struct PruneOptions {
        char **lowers;            /* the lower layers, top-most first */
        const char *upper;
        const char *work;         /* the work dir, whose index/ entries of removed files go too; may be NULL */
        bool userxattr;           /* the overlay is mounted with "userxattr": its xattrs are user.overlay.* */
        uid_t lower_id_shift;     /* the lower layers are idmapped with this shift (0: not idmapped) */

        bool dry_run;
        bool ignore_mtime;
        bool progress;            /* a progress line on stderr */
        unsigned n_threads;       /* 0: one per CPU */

        /* Move files at paths the base changed into backup_dir. The change record files,
         * if any exist, say which paths; without one a lower file with a newer mtime does. */
        bool older_than_base;
        char **change_records;
        const char *backup_dir;
} PruneOptions;

typedef struct PruneReport {
        LayerDiff diff;           /* every upper entry with its classification */
        PruneAction *actions;     /* per entry */
        const char **notes;       /* per entry: why the policy kept or moved it, or NULL */

        uint64_t removed_files;   /* everything but directories and whiteouts */
        uint64_t removed_directories;
        uint64_t removed_whiteouts;
        uint64_t removed_index_entries;
        uint64_t moved;
        uint64_t kept;
        uint64_t failed;
        uint64_t bytes_freed;     /* allocated bytes of the removed inodes */
        uint64_t bytes_moved;

        bool dry_run;
        bool change_record_used;  /* false: --older-than-base fell back to mtimes */
        double seconds;
} PruneReport;

/* Prune one upper layer against the lower layers o->lowers, which must be unmounted: remove
 * every upper entry whose removal leaves the merged view the same, and with
 * o->older_than_base move the files at paths the base changed. A SIGKILL at any point leaves
 * an upper layer that mounts and shows the same merged view, apart from the moved files. Until
 * the next prune or the prepare unit replays the journal (prune-journal.h), directories whose
 * entries were being removed may show the time of the last removal.
 * Errors on single entries are logged and counted as failed. The return value is negative only
 * when nothing could be done. */
int prune_layers(const PruneOptions *o, PruneReport *ret);

void prune_report_done(PruneReport *r);

const char *prune_action_to_string(PruneAction a);
