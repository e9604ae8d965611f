/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Lock of a base image, held exclusively by update and rollback while they change it and taken
 * shared by the prepare unit, so no child mounts a base in the middle of an update. A lock file
 * per base path under the child lock directory, flock()ed: a dead holder releases it. */

/* operation is LOCK_SH or LOCK_EX, optionally with LOCK_NB (then -EBUSY when held). Returns the
 * open lock file; close it to release. */
int base_lock_acquire(const char *base_path, int operation);
