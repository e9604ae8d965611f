/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config.h"

/* Checks of the directories a container's overlay mount needs, run by "verify" and before the
 * mount by the prepare unit. Each logs a message that names the key, the path and the fix, and
 * returns a negative errno on a problem that would make the mount fail or misbehave. */

/* Every lower layer exists and is a directory. */
int check_lowers(const Container *c);

/* The mount point is not a symlink (systemd refuses to mount over one). */
int check_mount_point(const Container *c);

/* Upper and work, where they exist, are directories under one mount, on a filesystem that is not
 * overlayfs and supports d_type and trusted.* (with userxattr: user.*) extended attributes, and
 * neither resolves into a lower layer. Where they do not exist yet, the directory they will be
 * created in is checked. */
int check_upper_and_work(const Container *c);

/* Warn when the top-most base carries a machine ID, which every child would then share. */
void warn_base_machine_id(const Container *c);
