/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

#include "strbuf.h"

/* Collect the paths an update changed. These are the non-directories of new_root whose ctime is
 * at or after since_usec (CLOCK_REALTIME), because the copy of the base gave every other file
 * an older ctime, and the non-directories of old_root missing from new_root.
 * Appends one path per record, relative to the root and NUL-terminated, to ret, and stores the
 * number of records in *ret_count. */
int base_change_record_collect(const char *old_root, const char *new_root, uint64_t since_usec,
                               StrBuf *ret, size_t *ret_count);

/* Write the records in base_changes.h's format for base_dir, atomically. */
int base_change_record_write(const char *base_dir, const StrBuf *records);
