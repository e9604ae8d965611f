/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "runtime-dir.h"

/* Lock files of the commands that change a child's layers (prune, restore, update). They sit
 * on /run, so a reboot clears them, and they are flock()ed, so the lock of a process that died
 * is released by the kernel. */
#define CHILD_LOCK_DIR RUNTIME_DIR "/locks"

/* Take the exclusive lock of child name, CHILD_LOCK_DIR/NAME.lock. Returns the open lock file
 * (close it to release), or -EBUSY without waiting when another process holds it (unless wait
 * is true), or another negative errno. */
int child_lock_acquire(const char *name, bool wait);

/* Take an exclusive flock() on the directory at path itself, for layers that no config names.
 * Returns the open directory, -EBUSY as above, or another negative errno. */
int directory_lock_acquire(const char *path, bool wait);
