/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>

/* A backup directory of "prune --older-than-base": BACKUP/files/ contains the moved files at their
 * paths relative to the upper's root, in directories with the owner, mode and mtime of the
 * upper directories they came from, and BACKUP/report.json the prune report. Files are moved
 * with rename(), so the backup must be on the upper's file system. */
#define BACKUP_FILES "files"
#define BACKUP_REPORT "report.json"

/* The parent of the per-child directories that "prune NAME --older-than-base" puts its backups
 * in and "restore NAME" searches. */
#define PRUNE_STATE_DIR "/var/lib/nspawn-overlay"

typedef struct Backup {
        char *dir;
        int files_fd;
} Backup;

/* Create the backup directory dir (mode 0700) and its files/ directory. Fails with -EXDEV if
 * dir is not on the file system upper_dev. */
int backup_create(const char *dir, dev_t upper_dev, Backup *ret);
void backup_done(Backup *b);

/* Move the entry name in the upper directory parent_fd, whose path below the upper's root is
 * path (without a leading "/"), into the backup. */
int backup_move(Backup *b, int upper_fd, int parent_fd, const char *path, const char *name);

typedef struct RestoreReport {
        uint64_t restored;
        uint64_t skipped;         /* the upper layer has an entry there again: the backup keeps the file */
        uint64_t failed;
        bool backup_removed;      /* everything was put back, so the backup directory is gone */
} RestoreReport;

/* Move every file of the backup dir back into the upper layer at upper, creating missing
 * directories with the owner, mode and mtime the backup recorded. A file whose path is taken
 * in the upper layer stays in the backup. Removes the backup once it is empty. */
int backup_restore(const char *dir, const char *upper, RestoreReport *ret);

/* Return the newest "backup-*" directory in parent, -ENOENT if there is none. */
int backup_find_latest(const char *parent, char **ret);
