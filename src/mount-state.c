/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <libmount.h>
#include <string.h>

#include "macro.h"
#include "mount-state.h"

static struct libmnt_table *mount_table;

/* The table is read once: a CLI call looks up many directories. */
static struct libmnt_table *get_mount_table(void) {
        if (mount_table)
                return mount_table;

        mount_table = mnt_new_table_from_file("/proc/self/mountinfo");

        return mount_table;
}

void mount_state_reload(void) {
        mnt_unref_table(mount_table);
        mount_table = NULL;
}

MountState mount_state_of(const char *path) {
        struct libmnt_table *t = get_mount_table();
        struct libmnt_fs *fs;

        if (!t)
                return MOUNT_STATE_UNKNOWN;

        /* The last mount on a target is the one in effect. */
        fs = mnt_table_find_target(t, path, MNT_ITER_BACKWARD);
        if (!fs || !streq(strempty(mnt_fs_get_target(fs)), path))
                return MOUNT_STATE_UNMOUNTED;

        return streq(strempty(mnt_fs_get_fstype(fs)), "overlay") ? MOUNT_STATE_OVERLAY : MOUNT_STATE_OTHER;
}

const char *mount_state_to_string(MountState s) {
        static const char *const table[] = {
                [MOUNT_STATE_UNMOUNTED] = "unmounted",
                [MOUNT_STATE_OVERLAY] = "mounted",
                [MOUNT_STATE_OTHER] = "other-mount",
                [MOUNT_STATE_UNKNOWN] = "unknown",
        };

        return table[s];
}
