/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "overlay-options.h"
#include "path-util.h"
#include "unit-name.h"

Container *container_new(const char *name, const char *path) {
        Container *c;

        /* The assignment below clears every other field, so malloc() is enough. */
        c = malloc(sizeof(Container));
        if (!c)
                return NULL;

        *c = (Container) {
                .automount = true,
                .boot = true,
                .network = NETWORK_VETH,
                .private_users = PRIVATE_USERS_AUTO,
        };

        c->name = strdup(name);
        c->path = strdup(path);
        if (!c->name || !c->path)
                return container_free(c);

        return c;
}

Container *container_free(Container *c) {
        if (!c)
                return NULL;

        free(c->name);
        free(c->path);
        strv_free(c->dropins);
        strv_free(c->bases);
        strv_free(c->lowers);
        free(c->image_directory);
        free(c->directory);
        free(c->upper);
        free(c->work);
        strv_free(c->options);
        free(c->network_name);
        strv_free(c->binds);
        strv_free(c->binds_read_only);
        strv_free(c->environment);
        free(c->mount_unit);
        free(c->mount_options);
        free(c);
        return NULL;
}

/* Errors found here concern the whole file, so they carry no line number. */
#define fail(c, ...)                                                            \
        ({                                                                      \
                (c)->invalid = true;                                            \
                log_syntax((c)->path, 0, LOG_ERR, EINVAL, __VA_ARGS__);         \
        })

/* The parts of IMAGE_DIRECTORY/NAME, measured once for the three default paths. */
typedef struct DefaultPrefix {
        const char *directory;
        size_t directory_length;  /* without the "/" of the root directory, which needs no separator */
        const char *name;
        size_t name_length;
} DefaultPrefix;

/* Set an unset path to IMAGE_DIRECTORY/NAME followed by suffix. */
static int default_path(char **field, const DefaultPrefix *prefix, const char *suffix) {
        size_t suffix_length, n;
        char *p;

        if (*field)
                return 0;

        suffix_length = strlen(suffix);
        p = malloc(prefix->directory_length + 1 + prefix->name_length + suffix_length + 1);
        if (!p)
                return log_oom();

        memcpy(p, prefix->directory, prefix->directory_length);
        n = prefix->directory_length;
        p[n++] = '/';
        memcpy(p + n, prefix->name, prefix->name_length);
        n += prefix->name_length;
        memcpy(p + n, suffix, suffix_length + 1);

        *field = p;
        return 0;
}

static int apply_defaults(Container *c) {
        DefaultPrefix prefix;
        int r;

        if (!c->image_directory) {
                c->image_directory = strdup(DEFAULT_IMAGE_DIRECTORY);
                if (!c->image_directory)
                        return log_oom();
        }

        /* A normalized ImageDirectory= ends in "/" only when it is the root directory. */
        prefix = (DefaultPrefix) {
                .directory = c->image_directory,
                .directory_length = streq(c->image_directory, "/") ? 0 : strlen(c->image_directory),
                .name = c->name,
                .name_length = strlen(c->name),
        };

        r = default_path(&c->directory, &prefix, "");
        if (r < 0)
                return r;

        r = default_path(&c->upper, &prefix, "_up");
        if (r < 0)
                return r;

        return default_path(&c->work, &prefix, "_work");
}

static int resolve_bases(Container *c) {
        if (strv_length(c->bases) == 0)
                return fail(c, "Base= is not set. Set it to the name of an image in %s or to an absolute path.",
                            c->image_directory);

        for (char **b = c->bases; *b; b++) {
                _cleanup_free_ char *path = NULL;

                path = (*b)[0] == '/' ? strdup(*b) : path_join(c->image_directory, *b);
                if (!path)
                        return log_oom();

                if (strv_contains(c->lowers, path))
                        return fail(c, "Base=%s is listed twice; overlayfs rejects a repeated lower layer.", *b);

                if (strv_consume(&c->lowers, TAKE_PTR(path)) < 0)
                        return log_oom();
        }

        return 0;
}

/* libmount 2.38 splits options at every comma, escaped or not, and treats quotes specially. */
static int check_layer_path(Container *c, const char *key, const char *path) {
        if (strpbrk(path, ",\""))
                return fail(c, "%s path \"%s\" contains a comma or a double quote, which mount options cannot carry. "
                            "Rename the directory.", key, path);

        return 0;
}

static int check_layer_paths(Container *c) {
        int r = 0;

        for (char **l = c->lowers; *l; l++)
                if (check_layer_path(c, "Base=", *l) < 0)
                        r = -EINVAL;

        if (check_layer_path(c, "Upper=", c->upper) < 0)
                r = -EINVAL;
        if (check_layer_path(c, "Work=", c->work) < 0)
                r = -EINVAL;

        return r;
}

static int check_separate(Container *c, const char *key_a, const char *a, const char *key_b, const char *b) {
        if (!path_overlaps(a, b))
                return 0;

        return fail(c, "%s%s and %s%s must be separate directories, neither inside the other.", key_a, a, key_b, b);
}

static int check_layout(Container *c) {
        int r = 0;

        if (check_separate(c, "Upper=", c->upper, "Work=", c->work) < 0)
                r = -EINVAL;
        if (check_separate(c, "Upper=", c->upper, "Directory=", c->directory) < 0)
                r = -EINVAL;
        if (check_separate(c, "Work=", c->work, "Directory=", c->directory) < 0)
                r = -EINVAL;

        for (char **l = c->lowers; *l; l++) {
                if (check_separate(c, "Base=", *l, "Directory=", c->directory) < 0)
                        r = -EINVAL;
                if (check_separate(c, "Base=", *l, "Upper=", c->upper) < 0)
                        r = -EINVAL;
                if (check_separate(c, "Base=", *l, "Work=", c->work) < 0)
                        r = -EINVAL;
        }

        return r;
}

static int derive_mount(Container *c) {
        int r;

        r = unit_name_from_path(c->directory, ".mount", &c->mount_unit);
        if (r == -ENAMETOOLONG)
                return fail(c, "Directory=%s gives a mount unit name longer than 255 characters. Use a shorter path.",
                            c->directory);
        if (r < 0)
                return log_oom();

        /* systemd 252 ignores a unit whose name is longer than 255 characters. */
        if (c->automount && strlen(c->mount_unit) - strlen(".mount") + strlen(".automount") > UNIT_NAME_MAX)
                return fail(c, "Directory=%s gives an automount unit name longer than 255 characters. "
                            "Use a shorter path, or set Automount=no.", c->directory);

        r = overlay_build_options(c, container_uses_layer_mounts(c), &c->mount_options, &c->offline_changes_unsafe);
        if (r == -E2BIG)
                return fail(c, "The overlay mount options for %s exceed %d bytes. Use shorter layer paths or fewer layers.",
                            c->directory, OVERLAY_OPTIONS_MAX);
        if (r < 0)
                return log_oom();

        return 0;
}

void config_finalize(Container *c) {
        assert(c);

        if (apply_defaults(c) < 0 || resolve_bases(c) < 0) {
                c->invalid = true;
                return;
        }

        if (check_layer_paths(c) < 0 || check_layout(c) < 0) {
                c->invalid = true;
                return;
        }

        if (derive_mount(c) < 0)
                c->invalid = true;
}

bool container_uses_layer_mounts(const Container *c) {
        return c->private_users == PRIVATE_USERS_AUTO ||
               c->private_users == PRIVATE_USERS_IDMAP ||
               c->private_users == PRIVATE_USERS_SHARED;
}

const char *network_mode_to_string(NetworkMode m) {
        static const char *const table[] = {
                [NETWORK_VETH] = "veth",
                [NETWORK_HOST] = "host",
                [NETWORK_NONE] = "none",
                [NETWORK_ZONE] = "zone",
                [NETWORK_BRIDGE] = "bridge",
        };

        return table[m];
}

const char *private_users_mode_to_string(PrivateUsersMode m) {
        static const char *const table[] = {
                [PRIVATE_USERS_AUTO] = "auto",
                [PRIVATE_USERS_IDMAP] = "idmap",
                [PRIVATE_USERS_SHARED] = "shared",
                [PRIVATE_USERS_NO] = "no",
                [PRIVATE_USERS_PICK] = "pick",
                [PRIVATE_USERS_FIXED] = "fixed",
        };

        return table[m];
}
