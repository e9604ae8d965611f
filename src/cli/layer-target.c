/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "child-lock.h"
#include "layer-target.h"
#include "log.h"
#include "mount-state.h"
#include "path-util.h"
#include "prune-backup.h"
#include "runtime-dir.h"
#include "string-util.h"
#include "upper-in-use.h"
#include "userns-plan.h"

void layer_target_done(LayerTarget *t) {
        strv_free(t->lowers);
        free(t->upper);
        free(t->work);
        *t = (LayerTarget) {};
}

/* The shift of a child whose lower layers are idmapped: recorded by prepare in the runtime
 * directory, or, after a reboot, the difference between the owners of the upper's root and the
 * base's root, which prepare makes exactly that. */
int layer_target_from_container(const Container *c, LayerTarget *ret) {
        _cleanup_(layer_target_done) LayerTarget t = {};

        t.container = c;
        t.label = c->name;
        t.userxattr = strv_contains(c->options, "userxattr");
        t.lower_id_shift = child_lower_id_shift(c);
        t.upper = strdup(c->upper);
        t.work = strdup(c->work);
        if (!t.upper || !t.work)
                return log_oom();

        for (char **l = c->lowers; l && *l; l++)
                if (strv_extend(&t.lowers, *l) < 0)
                        return log_oom();

        *ret = t;
        t = (LayerTarget) {};
        return 0;
}

static int normalize_directory(const char *option, const char *path, char **ret) {
        int r;

        r = path_normalize(path, ret);
        if (r < 0)
                return log_error_errno(r, "Invalid %s \"%s\": give an absolute path without \"..\".", option, path);

        return 0;
}

int layer_target_from_paths(const char *lowers, const char *upper, const char *work, bool userxattr, LayerTarget *ret) {
        _cleanup_(layer_target_done) LayerTarget t = {};
        _cleanup_free_ char *copy = NULL;
        char *state = NULL;
        int r;

        assert(upper);

        r = normalize_directory("--upper", upper, &t.upper);
        if (r < 0)
                return r;
        if (work) {
                r = normalize_directory("--work", work, &t.work);
                if (r < 0)
                        return r;
        }

        copy = strdup(strempty(lowers));
        if (!copy)
                return log_oom();

        for (char *l = strtok_r(copy, ":", &state); l; l = strtok_r(NULL, ":", &state)) {
                _cleanup_free_ char *normalized = NULL;

                r = normalize_directory("--lower", l, &normalized);
                if (r < 0)
                        return r;
                if (path_overlaps(normalized, t.upper))
                        return log_error_errno(EINVAL, "Lower layer %s and upper layer %s overlap; give separate directories.",
                                               normalized, t.upper);
                if (strv_extend(&t.lowers, normalized) < 0)
                        return log_oom();
        }

        if (lowers && !t.lowers)
                return log_error_errno(EINVAL, "--lower needs at least one directory.");

        t.userxattr = userxattr;
        *ret = t;
        ret->label = ret->upper;
        t = (LayerTarget) {};
        return 0;
}

int layer_target_check_offline(const LayerTarget *t, sd_bus *bus, const char *verb) {
        _cleanup_free_ char *target = NULL, *state = NULL;
        const Container *c = t->container;
        int r;

        if (c) {
                MountState m = mount_state_of(c->directory);

                if (m == MOUNT_STATE_OVERLAY || m == MOUNT_STATE_OTHER)
                        return log_error_errno(EBUSY,
                                               "Refusing to %s %s: its overlay is mounted on %s, and overlayfs leaves changes to the "
                                               "layers of a mounted overlay undefined. Stop it first: 'machinectl poweroff %s', then "
                                               "'systemctl stop %s'.",
                                               verb, c->name, c->directory, c->name, c->mount_unit);

                state = machine_state(bus, c->name);
                if (!state)
                        return log_oom();
                if (streq(state, "running") || streq(state, "opening") || streq(state, "closing"))
                        return log_error_errno(EBUSY, "Refusing to %s %s: machine %s is %s. Stop it first with 'machinectl poweroff %s'.",
                                               verb, c->name, c->name, state, c->name);
        }

        r = overlay_upper_mounted(t->upper, &target);
        if (r < 0)
                return log_error_errno(r, "Failed to read the mount table to check that %s is not in use: %m", t->upper);
        if (r > 0)
                return log_error_errno(EBUSY, "Refusing to %s %s: %s is the upper layer of the overlay mounted on %s. Unmount it first: 'umount %s'.",
                                       verb, t->label, t->upper, target, target);

        return 0;
}

int layer_target_lock(const LayerTarget *t, const char *verb) {
        int fd;

        if (t->container)
                fd = child_lock_acquire(t->container->name, false);
        else
                fd = directory_lock_acquire(t->upper, false);

        if (fd == -EBUSY)
                return log_error_errno(fd, "Refusing to %s %s: a prune, restore or update of it is running. Try again when it has finished.",
                                       verb, t->label);
        if (fd < 0)
                return log_error_errno(fd, "Failed to lock %s: %m", t->label);

        return fd;
}

char *layer_target_state_dir(const LayerTarget *t) {
        char *path;

        if (!t->container)
                return NULL;

        if (asprintf(&path, PRUNE_STATE_DIR "/%s", t->container->name) < 0)
                return NULL;

        return path;
}
