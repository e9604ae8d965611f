/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* The namespaces overlayfs keeps its own xattrs in: trusted.overlay.* by default, user.overlay.*
 * when mounted with "userxattr". The other namespace's overlay.* names are ordinary xattrs. */
#define OVERLAY_XATTR_TRUSTED "trusted.overlay."
#define OVERLAY_XATTR_USER "user.overlay."

/* One extended attribute of a file. */
typedef struct Xattr {
        char *name;
        char *value;
        size_t size;
} Xattr;

/* The xattrs a file shows through a mounted overlay, sorted by name, and the overlayfs markers
 * that the filtered-out overlay xattrs carry. */
typedef struct EntryXattrs {
        Xattr *items;
        size_t n;

        bool whiteout;            /* overlay.whiteout: an empty regular file that is a whiteout */
        bool opaque;              /* overlay.opaque = "y": nothing below the directory shows */
        bool redirect;            /* overlay.redirect: a renamed directory or metacopy source */
        bool metacopy;            /* overlay.metacopy: the file's data lives in a lower layer */
        char *origin_hex;         /* overlay.origin in hex: the name of the file's index entry */
} EntryXattrs;

void entry_xattrs_done(EntryXattrs *x);

/* Read the xattrs of name in the directory dir_fd without following a symlink, or of dir_fd
 * itself when name is NULL. overlay_prefix selects the overlay's own namespace. Reads the
 * origin only if want_origin is set. A file system without xattr support has none. */
int entry_xattrs_read(int dir_fd, const char *name, const char *overlay_prefix, bool want_origin, EntryXattrs *ret);

/* True if both files have the same xattr names and values. */
bool entry_xattrs_equal(const EntryXattrs *a, const EntryXattrs *b);
