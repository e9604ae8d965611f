/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Find an overlay mount in /proc/self/mountinfo whose upperdir= is path (normalized and
 * absolute). Returns 1 and its mount point in ret_target (the caller frees it), 0 if there is
 * none, or a negative errno when the mount table cannot be read. */
int overlay_upper_mounted(const char *path, char **ret_target);
