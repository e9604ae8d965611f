/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "layer-checks.h"
#include "log.h"

static int mkdir_parents(const char *path) {
        _cleanup_free_ char *p = strdup(path);

        if (!p)
                return log_oom();

        for (char *slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
                *slash = '\0';
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        return log_error_errno(errno, "Failed to create directory %s: %m", p);
                *slash = '/';
        }

        return 0;
}

/* Create dir with exactly this owner and mode, unless it exists. Returns 1 if it was created. */
static int make_layer_dir(const char *path, uid_t uid, gid_t gid, mode_t mode) {
        int r;

        r = mkdir_parents(path);
        if (r < 0)
                return r;

        if (mkdir(path, 0700) < 0) {
                if (errno == EEXIST)
                        return 0;
                return log_error_errno(errno, "Failed to create %s: %m", path);
        }

        /* Set owner first: chown() clears the setuid and setgid bits that chmod() then sets. */
        if (chown(path, uid, gid) < 0)
                return log_error_errno(errno, "Failed to set the owner of %s: %m", path);
        if (chmod(path, mode) < 0)
                return log_error_errno(errno, "Failed to set the mode of %s: %m", path);

        return 1;
}

/* The merged root directory takes its owner and mode from the upper layer's root, so the upper
 * root copies the top-most base's; nspawn also derives the user namespace range from it. */
static int make_upper(const Container *c) {
        struct stat base;
        int r;

        if (stat(c->lowers[0], &base) < 0)
                return log_error_errno(errno, "Failed to read the owner of base %s: %m", c->lowers[0]);

        r = make_layer_dir(c->upper, base.st_uid, base.st_gid, base.st_mode & 07777);
        if (r > 0)
                log_info("Created upper layer %s for container %s.", c->upper, c->name);

        return r;
}

int verb_prepare(int argc, char *argv[]) {
        ContainerSet set = {};
        Container *c;
        int r;

        r = load_container_or_fail(&set, argv[1], &c);
        if (r < 0)
                goto finish;

        r = check_lowers(c);
        if (r < 0)
                goto finish;
        r = check_mount_point(c);
        if (r < 0)
                goto finish;

        r = make_upper(c);
        if (r < 0)
                goto finish;

        /* The work directory holds overlayfs's private state: nobody else may look into it. */
        r = make_layer_dir(c->work, 0, 0, 0700);
        if (r < 0)
                goto finish;

        r = check_upper_and_work(c);

finish:
        container_set_done(&set);
        return r < 0 ? r : 0;
}
