/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "machined.h"

/* The layers that prune, diff and restore work on: those of a configured child, or directories
 * given with --lower, --upper and --work. */
typedef struct LayerTarget {
        const Container *container; /* NULL for layers given on the command line */
        const char *label;        /* the child's name or the upper's path, for messages */
        char **lowers;            /* top-most first */
        char *upper;
        char *work;
        bool userxattr;
        uid_t lower_id_shift;     /* the child's lower layers are idmapped with this shift */
} LayerTarget;

void layer_target_done(LayerTarget *t);

int layer_target_from_container(const Container *c, LayerTarget *ret);

/* lowers is a colon-separated list, as in lowerdir=, or NULL for restore, which needs none;
 * work may be NULL. */
int layer_target_from_paths(const char *lowers, const char *upper, const char *work, bool userxattr, LayerTarget *ret);

/* Fail with a message that names the child and what to do when its overlay is mounted, its
 * upper layer is in use by any overlay mount or its machine runs. verb is the command
 * ("prune"). */
int layer_target_check_offline(const LayerTarget *t, sd_bus *bus, const char *verb);

/* Take the lock that prune, restore and update share for this child (or upper directory).
 * Returns the open lock file. */
int layer_target_lock(const LayerTarget *t, const char *verb);

/* The directory that "prune NAME --older-than-base" moves files into and "restore NAME"
 * searches: PRUNE_STATE_DIR/NAME. */
char *layer_target_state_dir(const LayerTarget *t);
