/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Normalize an absolute path: collapse repeated slashes, drop "." components and a trailing
 * slash. Returns -EINVAL for a relative path and -EBADMSG for a ".." component, which could
 * make two spellings of one directory look different. */
int path_normalize(const char *path, char **ret);

/* Return the part of a normalized path below prefix (without a leading slash, "" if the two are
 * equal), or NULL if path is not prefix or below it. Compares whole components. */
const char *path_startswith(const char *path, const char *prefix);

/* True if a and b are the same path or one lies below the other. */
bool path_overlaps(const char *a, const char *b);

char *path_join(const char *a, const char *b);
