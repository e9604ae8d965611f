/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Delete the directory path and everything below it, like "rm -rf --one-file-system". The tree
 * may have been written by a guest, so it is walked with openat() and O_NOFOLLOW: a symlink is
 * removed, never followed, and a directory on another file system (a mount point) is left alone
 * and reported. Logs each failure with its path and returns the first negative errno. */
int remove_tree(const char *path);
