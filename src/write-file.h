/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Replace path with content: written to a temporary file next to it, flushed, and renamed over
 * it, so a reader never sees a half-written file. */
int write_file_atomic(const char *path, const char *content, mode_t mode);

/* The same for size bytes that may contain NULs. */
int write_file_atomic_n(const char *path, const char *content, size_t size, mode_t mode);
