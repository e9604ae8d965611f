/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* Make a read-only bind mount of source at target in which every owner is shifted: on-disk IDs
 * 0…range-1 appear as shift…shift+range-1, and IDs outside that appear as the overflow ID
 * (65534). Used as overlayfs lower layer, it shows a base owned by 0 as owned by a container's
 * own UID range, without changing a byte of the base. Needs Linux 5.12 and a source file
 * system that supports idmapped mounts. */
int idmapped_mount_create(const char *source, const char *target, uid_t shift, uid_t range);

/* Check whether the file system of path supports idmapped mounts, by making one in a private
 * place and removing it again. Returns 1 if yes, 0 if not, negative errno on other errors. */
int idmapped_mount_supported(const char *path);

/* Make a read-only bind mount of source at target, without changing owners. */
int read_only_bind_mount_create(const char *source, const char *target);
