/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* The ways an upper entry can differ from the lower entry it hides, as a bit mask. */
typedef enum EntryDifference {
        DIFF_TYPE     = 1 << 0,
        DIFF_SIZE     = 1 << 1,
        DIFF_CONTENT  = 1 << 2,
        DIFF_TARGET   = 1 << 3,   /* symlink target */
        DIFF_RDEV     = 1 << 4,   /* device number */
        DIFF_MODE     = 1 << 5,   /* permission bits, setuid, setgid and sticky included */
        DIFF_OWNER    = 1 << 6,
        DIFF_MTIME    = 1 << 7,   /* modification time, to the nanosecond */
        DIFF_XATTRS   = 1 << 8,   /* ACLs, capabilities and every other non-overlay xattr */
} EntryDifference;

/* Differences that change what a reader of the file gets, as opposed to its metadata. */
#define DIFF_DATA_MASK (DIFF_TYPE | DIFF_SIZE | DIFF_CONTENT | DIFF_TARGET | DIFF_RDEV)

/* Compare the inode metadata that stat() shows. Link counts, inode numbers, atime and ctime
 * are not compared: overlayfs itself does not keep them across a copy-up. */
unsigned stat_difference(const struct stat *upper, const struct stat *lower, bool ignore_mtime);

/* Append a human-readable list of the differences in mask ("mode, mtime") to buf. */
void entry_difference_to_string(unsigned mask, char *buf, size_t size);

/* Compare the targets of two symlinks. Returns 1 if equal, 0 if not, or a negative errno. */
int compare_symlinks(int dir_a, const char *name_a, int dir_b, const char *name_b);

/* Buffers for compare_file_contents(), one set per thread. */
typedef struct CompareBuffers {
        char *a, *b;
        size_t size;
} CompareBuffers;

int compare_buffers_init(CompareBuffers *buffers, size_t size);
void compare_buffers_done(CompareBuffers *buffers);

/* Compare the first size bytes of two open regular files with large sequential reads, stopping
 * at the first difference. Ranges that are holes in both files are skipped when sparse is set.
 * Returns 1 if equal, 0 if not, or a negative errno. *ret_read gets the bytes read. */
int compare_file_contents(int fd_a, int fd_b, uint64_t size, bool sparse, CompareBuffers *buffers, uint64_t *ret_read);
