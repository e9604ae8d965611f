/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdio.h>

#include "layer-diff.h"
#include "prune.h"
#include "strbuf.h"

/* Append the prune report as one JSON object: counts, bytes, speed, and every upper entry with
 * the action taken and its reason. */
void prune_report_append_json(StrBuf *b, const PruneReport *r, const char *upper);

/* Print the summary of a prune: counts, bytes freed, the moved files and the speed. */
void prune_report_print(FILE *f, const PruneReport *r, const char *upper, const char *backup_dir);

/* Print every changed upper entry, one per line: the change, the path and for modified and
 * metadata-only entries what differs. */
void layer_diff_print(FILE *f, const LayerDiff *d);

/* Append the diff as one JSON object: counts per change and the changed entries. */
void layer_diff_append_json(StrBuf *b, const LayerDiff *d);

/* True if diff lists the entry: it changes the merged view, or could not be compared. */
bool layer_diff_lists(const LayerDiff *d, uint32_t index);
