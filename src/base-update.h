/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "config-load.h"

/* An update replaces a base with a changed copy in one step. The copy is made next to the base
 * (".NAME.update"), COMMAND runs in it, and the children are pruned against the old version.
 * Then renameat2(RENAME_EXCHANGE) swaps the two directories atomically, and the old version is
 * kept in ".NAME.versions/" for rollback. Killed at any point, the base is either the old or
 * the new version, never a mix, and the next update or rollback cleans up what was left. */

typedef struct UpdateOptions {
        const char *base;         /* normalized absolute path */
        char **command;           /* run in the copy with systemd-nspawn */
        unsigned keep;            /* old versions to keep, at least 1 */
} UpdateOptions;

/* Returns 0, a negative errno, or the command's exit status (1…255) when it failed. */
int base_update(const ContainerSet *set, const UpdateOptions *o);

/* Swap the base back to its newest kept version and delete the version it replaced. */
int base_rollback(const ContainerSet *set, const char *base);

/* Resolve a base given as its children's Base= name or as a path. */
char *base_resolve(const ContainerSet *set, const char *name_or_path);
