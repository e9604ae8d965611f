/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <libmount.h>
#include <string.h>

#include "macro.h"
#include "upper-in-use.h"

/* Undo the escapes overlayfs takes in its option values ("\\:" and "\\\\"), which is how the
 * kernel shows upperdir= in mountinfo when a path contains ':' or '\\'. */
static void unescape_layer_path(char *s) {
        char *w = s;

        for (const char *p = s; *p; p++) {
                if (*p == '\\' && p[1])
                        p++;
                *w++ = *p;
        }
        *w = '\0';
}

int overlay_upper_mounted(const char *path, char **ret_target) {
        struct libmnt_table *t = NULL;
        struct libmnt_iter *it = NULL;
        struct libmnt_fs *fs;
        int r = 0;

        assert(path);
        assert(ret_target);

        t = mnt_new_table_from_file("/proc/self/mountinfo");
        it = mnt_new_iter(MNT_ITER_FORWARD);
        if (!t || !it) {
                r = t ? -ENOMEM : -EIO;
                goto finish;
        }

        while (mnt_table_next_fs(t, it, &fs) == 0) {
                _cleanup_free_ char *upper = NULL;
                char *value = NULL;
                size_t size = 0;

                if (!streq(strempty(mnt_fs_get_fstype(fs)), "overlay"))
                        continue;
                if (mnt_fs_get_option(fs, "upperdir", &value, &size) != 0 || !value)
                        continue;

                upper = strndup(value, size);
                if (!upper) {
                        r = -ENOMEM;
                        goto finish;
                }
                unescape_layer_path(upper);

                if (streq(upper, path)) {
                        *ret_target = strdup(strempty(mnt_fs_get_target(fs)));
                        r = *ret_target ? 1 : -ENOMEM;
                        goto finish;
                }
        }

        *ret_target = NULL;

finish:
        mnt_free_iter(it);
        mnt_unref_table(t);
        return r;
}
