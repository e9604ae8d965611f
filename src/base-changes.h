/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The change record of a base: the paths that an update created, modified or removed in it,
 * which "prune --older-than-base" moves out of the children's upper layers.
 *
 * Location: BASE_CHANGES_DIR/NAME.changes, where NAME is the base directory's absolute path
 * escaped as "systemd-escape --path" does (/var/lib/machines/default-ns-1 becomes
 * var-lib-machines-default\x2dns\x2d1.changes). The writer replaces the file atomically
 * (temporary file and rename) after each update.
 *
 * Format: one path per record, relative to the base's root ("usr/bin/ls"; a leading "/" is
 * accepted and ignored). A file that contains a NUL byte has NUL-terminated records, which
 * can hold any file name; otherwise each line is one record. "." and ".." components and
 * empty records are ignored. */
#define BASE_CHANGES_DIR "/var/lib/nspawn-overlay/changes"

/* Return the change record path for the base directory base_dir (normalized, absolute). */
int base_changes_path(const char *base_dir, char **ret);

/* A set of changed paths, sorted for lookup. */
typedef struct BaseChanges {
        char **paths;
        size_t n;
        char *data;
} BaseChanges;

void base_changes_done(BaseChanges *c);

/* Add the records of the file at path to c. Returns -ENOENT when there is no such file. */
int base_changes_load(BaseChanges *c, const char *path);

/* Sort the loaded paths; call once after the last base_changes_load(). */
void base_changes_finish(BaseChanges *c);

/* True if relative path (without a leading "/") is in the set. */
bool base_changes_contains(const BaseChanges *c, const char *path);
