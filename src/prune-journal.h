/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "layer-diff.h"

/* Removing an entry sets its directory's mtime, which the merged view shows. prune puts the old
 * mtime back when the directory is done. In case it is killed before that, it first writes the
 * mtimes of every directory it will change into a journal. The next prune, or the prepare unit
 * before the next mount, replays it.
 *
 * Location: PRUNE_JOURNAL_DIR/UPPER.journal, UPPER being the upper directory's path escaped as
 * "systemd-escape --path" does. Records: "SECONDS NANOSECONDS PATH\0", PATH relative to the
 * upper's root ("." for the root itself). */
#define PRUNE_JOURNAL_DIR "/var/lib/nspawn-overlay/prune-journal"

/* Write the journal for the directories listed in dirs (indexes into d, n of them). */
int prune_journal_write(const char *upper, const LayerDiff *d, const uint32_t *dirs, size_t n);

/* Remove the journal once every directory mtime is back. */
void prune_journal_remove(const char *upper);

/* Put back the mtimes that a killed prune's journal recorded, then remove it. upper_fd is the
 * open upper directory. Returns 0 if there was no journal, 1 if one was replayed. */
int prune_journal_replay(const char *upper, int upper_fd);
