/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

typedef enum MountState {
        MOUNT_STATE_UNMOUNTED,
        MOUNT_STATE_OVERLAY,      /* an overlayfs is mounted on the directory */
        MOUNT_STATE_OTHER,        /* something else is mounted there */
        MOUNT_STATE_UNKNOWN,      /* the mount table could not be read */
} MountState;

/* Look up what is mounted on path in /proc/self/mountinfo, through libmount. The table is read
 * once and reused; mount_state_reload() makes the next lookup read it again. */
MountState mount_state_of(const char *path);
void mount_state_reload(void);
const char *mount_state_to_string(MountState s);
