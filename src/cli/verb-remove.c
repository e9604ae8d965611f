/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "child-units.h"
#include "cli.h"
#include "event-log.h"
#include "log.h"
#include "path-util.h"
#include "remove-tree.h"
#include "runtime-dir.h"
#include "unit-control.h"
#include "unit-files.h"

/* systemd enforces each unit's own stop timeout, so this only bounds the wait. */

static const char *first_base(const Container *c) {
        return c->bases ? c->bases[0] : NULL;
}

/* Ask on the terminal before deleting the layers. Without a terminal, only --yes allows it. */
static int confirm_purge(const Container *c) {
        char answer[16];

        if (arg_yes)
                return 0;

        if (!isatty(STDIN_FILENO))
                return log_error_errno(EPERM, "Refusing to delete upper layer %s and work directory %s of %s without confirmation: "
                                       "stdin is not a terminal. Pass --yes to delete them.",
                                       c->upper, c->work, c->name);

        fprintf(stderr, "Delete upper layer %s and work directory %s of container %s, with every file the container wrote? [y/N] ",
                c->upper, c->work, c->name);
        if (!fgets(answer, sizeof(answer), stdin))
                answer[0] = '\0';
        answer[strcspn(answer, "\n")] = '\0';

        if (!streq(answer, "y") && !streq(answer, "Y") && !streq(answer, "yes"))
                return log_error_errno(ECANCELED, "Not removing %s: not confirmed.", c->name);

        return 0;
}

/* Fail unless path (upper or work) is clear of every base of every container: a purge must never
 * delete a base, even one named through a symlink or nested in the layer. */
static int check_not_a_base(const ContainerSet *set, const char *key, const char *path) {
        char resolved[PATH_MAX];

        if (!realpath(path, resolved))
                return errno == ENOENT ? 0 : log_error_errno(errno, "Failed to resolve %s: %m", path);

        for (size_t i = 0; i < set->n; i++) {
                const Container *other = set->containers[i];

                for (char **l = other->lowers; l && *l; l++) {
                        char lower[PATH_MAX];

                        if (!realpath(*l, lower))
                                continue;

                        if (path_overlaps(resolved, lower))
                                return log_error_errno(EPERM, "Refusing to delete %s=%s: it is or contains base image %s of container %s.",
                                                       key, path, *l, other->name);
                }
        }

        return 0;
}

static int check_purge(const ContainerSet *set, const Container *c) {
        int r;

        if (c->invalid)
                return log_error_errno(EINVAL, "Refusing --purge of %s: its config is invalid, so its upper and work directories are unknown. "
                                       "Fix %s (see 'nspawn-overlay verify %s'), or remove it without --purge.",
                                       c->name, c->path, c->name);

        r = check_not_a_base(set, "Upper", c->upper);
        if (r < 0)
                return r;

        return check_not_a_base(set, "Work", c->work);
}

/* The config must be in the first search directory: files below /usr come from packages. */
static int check_config_removable(const Container *c, const char *config_dir) {
        const char *below = path_startswith(c->path, config_dir);

        if (!below || strchr(below, '/'))
                return log_error_errno(EPERM, "Refusing to remove %s: only configs in %s are removed. Mask it instead: "
                                       "ln -s /dev/null %s/%s.conf",
                                       c->path, config_dir, config_dir, c->name);

        return 0;
}

static int stop_units(sd_bus *bus, const Container *c) {
        _cleanup_free_ char *service = NULL;
        int r;

        r = child_units_stop(bus, c, first_base(c), NULL);
        if (r < 0)
                return r;

        if (asprintf(&service, "systemd-nspawn@%s.service", c->name) < 0)
                return log_oom();

        r = unit_file_disable(bus, service);
        if (r < 0)
                return r;
        if (r > 0)
                event_log(LOG_INFO, c->name, first_base(c), "Disabled %s.", service);

        return 0;
}

static int remove_config(const Container *c, const char *config_dir) {
        _cleanup_free_ char *dropin_dir = NULL;
        struct stat st;
        int r;

        if (unlink(c->path) < 0)
                return log_error_errno(errno, "Failed to remove %s: %m", c->path);
        event_log(LOG_INFO, c->name, first_base(c), "Removed %s.", c->path);

        if (asprintf(&dropin_dir, "%s/%s.conf.d", config_dir, c->name) < 0)
                return log_oom();

        if (lstat(dropin_dir, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;

        r = remove_tree(dropin_dir);
        if (r < 0)
                return r;
        event_log(LOG_INFO, c->name, first_base(c), "Removed drop-in directory %s.", dropin_dir);

        return 0;
}

static int purge_layers(const Container *c) {
        const char *const paths[] = { c->upper, c->work };
        const char *const what[] = { "upper layer", "work directory" };
        int r;

        /* overlayfs's behaviour is undefined when its layers change under a mounted overlay. The
         * units were just stopped, so the mount table is read afresh. */
        mount_state_reload();
        if (mount_state_of(c->directory) != MOUNT_STATE_UNMOUNTED)
                return log_error_errno(EBUSY, "Not deleting the layers of %s: %s is still mounted. Unmount it and run "
                                       "'nspawn-overlay remove %s --purge' again.", c->name, c->directory, c->name);

        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                if (access(paths[i], F_OK) < 0 && errno == ENOENT)
                        continue;

                r = remove_tree(paths[i]);
                if (r < 0)
                        return log_error_errno(r, "Failed to delete the %s %s of %s completely. Delete the rest by hand.",
                                               what[i], paths[i], c->name);
                event_log(LOG_INFO, c->name, first_base(c), "Deleted %s %s.", what[i], paths[i]);
        }

        return 0;
}

/* Remove what the container left outside its layers: its mount point (only when empty) and its
 * runtime directory. */
static void remove_leftovers(const Container *c) {
        _cleanup_free_ char *runtime = runtime_path(c->name, NULL);

        if (c->directory && rmdir(c->directory) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove mount point %s: %m, leaving it.", c->directory);

        if (!runtime)
                return (void) log_oom();

        if (access(runtime, F_OK) == 0 && remove_tree(runtime) >= 0)
                event_log(LOG_INFO, c->name, first_base(c), "Removed runtime directory %s.", runtime);
}

int verb_remove(int argc, char *argv[]) {
        _cleanup_strv_free_ char **search_path = NULL;
        const char *name = argv[1];
        ContainerSet set = {};
        sd_bus *bus = NULL;
        Container *c;
        int r;

        r = load_configs_quietly(&set);
        if (r < 0)
                return r;

        c = container_set_find(&set, name);
        if (!c) {
                r = find_container_or_fail(&set, name, &c);
                goto finish;
        }

        search_path = config_search_path();
        if (!search_path || !search_path[0]) {
                r = log_oom();
                goto finish;
        }

        r = check_config_removable(c, search_path[0]);
        if (r < 0)
                goto finish;

        if (arg_purge) {
                r = check_purge(&set, c);
                if (r < 0)
                        goto finish;

                r = confirm_purge(c);
                if (r < 0)
                        goto finish;
        }

        if (!arg_no_reload) {
                r = sd_bus_open_system(&bus);
                if (r < 0) {
                        log_error_errno(r, "Failed to connect to the system bus: %m. Without systemd, pass --no-reload.");
                        goto finish;
                }

                r = stop_units(bus, c);
                if (r < 0)
                        goto finish;
        }

        r = remove_config(c, search_path[0]);
        if (r < 0)
                goto finish;

        if (bus) {
                r = manager_reload(bus);
                if (r < 0)
                        goto finish;
                event_log(LOG_INFO, c->name, first_base(c), "Reloaded systemd: the units of %s are gone.", c->name);
        }

        if (arg_purge) {
                r = purge_layers(c);
                if (r < 0)
                        goto finish;
        }

        remove_leftovers(c);
        event_log(LOG_INFO, c->name, first_base(c), "Removed container %s%s.", c->name,
                  arg_purge ? " and its layers" : "; its upper layer stays (--purge deletes it)");
        r = 0;

finish:
        sd_bus_flush_close_unref(bus);
        container_set_done(&set);
        return r;
}
