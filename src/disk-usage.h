/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdint.h>

/* Sum the allocated bytes (st_blocks × 512) of the tree at path, counting each hard-linked inode
 * once, as "du -s" does. Never follows symlinks and stays on path's filesystem. */
int disk_usage(const char *path, uint64_t *ret_bytes);

/* Format bytes with a binary unit ("8.2M"), as machinectl and du -h print sizes. */
const char *format_bytes(char buf[static 16], uint64_t bytes);
