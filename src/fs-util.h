/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Create the missing parent directories of path with mode 0755, not path itself. Returns a
 * negative errno. */
int mkdir_parents(const char *path);

/* Create path and its missing parents, path with mode and the parents with 0755, like
 * "mkdir -p". An existing directory is not an error. */
int mkdir_p(const char *path, mode_t mode);

/* Read the whole file at path into a NUL-terminated buffer, which may contain NULs: *ret_size
 * is the number of bytes read. */
int read_full_file(const char *path, char **ret, size_t *ret_size);
