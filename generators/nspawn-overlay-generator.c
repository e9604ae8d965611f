/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Turns /etc/nspawn-overlay/NAME.conf into the units that mount an overlayfs child and run it
 * with systemd-nspawn@NAME.service. systemd runs generators early at boot and on every
 * daemon-reload, in parallel: this one reads only the config directories, writes only into
 * its output directory, and logs to the kernel log. A bad config is logged and skipped; the
 * others are still written. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-load.h"
#include "log.h"
#include "machine-name.h"
#include "strbuf.h"
#include "string-util.h"
#include "unit-name.h"
#include "unit-render.h"

typedef struct Output {
        int dir_fd;
        const char *dir;
        StrBuf buffer;            /* reused for every file, so rendering allocates rarely */
        char **guarded_bases;     /* base machine names that already have a guard drop-in */
        char *last_lower;         /* the lower layer checked last: most children share one */
        bool wants_dir_made;
        int result;               /* the first error, while the other containers are still written */
} Output;

static int write_file(Output *o, const char *name, const Container *c) {
        _cleanup_close_ int fd = -EBADF;
        ssize_t n;

        if (!strbuf_ok(&o->buffer))
                return log_oom();

        /* O_EXCL: a unit that another generator (or another config) already wrote is an error,
         * never silently replaced. */
        fd = openat(o->dir_fd, name, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC|O_NOFOLLOW, 0644);
        if (fd < 0 && errno == EEXIST)
                return log_syntax(c->path, 0, LOG_ERR, EEXIST,
                                  "Unit %s/%s already exists, probably from /etc/fstab or another generator, ignoring container %s.",
                                  o->dir, name, c->name);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create %s/%s: %m", o->dir, name);

        n = write(fd, o->buffer.data, o->buffer.len);
        if (n < 0)
                return log_error_errno(errno, "Failed to write %s/%s: %m", o->dir, name);
        if ((size_t) n != o->buffer.len)
                return log_error_errno(EIO, "Failed to write %s/%s: short write.", o->dir, name);

        return 0;
}

static int make_dir(Output *o, const char *name) {
        if (mkdirat(o->dir_fd, name, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create directory %s/%s: %m", o->dir, name);

        return 0;
}

static int write_dropin(Output *o, const char *unit_prefix, const char *instance, const char *file, const Container *c) {
        /* Instances are machine names, at most 64 bytes; the prefixes and file names are ours. */
        char path[128 + MACHINE_NAME_MAX], *end;
        int r;

        assert(strlen(unit_prefix) + strlen(instance) + strlen(".service.d/") + strlen(file) < sizeof(path));

        end = stpcpy(stpcpy(stpcpy(path, unit_prefix), instance), ".service.d");
        r = make_dir(o, path);
        if (r < 0)
                return r;

        *end++ = '/';
        strcpy(end, file);
        return write_file(o, path, c);
}

static int link_automount(Output *o, const char *automount_unit) {
        char link[UNIT_NAME_MAX + 32], target[UNIT_NAME_MAX + 8];
        int r;

        assert(strlen(automount_unit) <= UNIT_NAME_MAX);

        if (!o->wants_dir_made) {
                r = make_dir(o, "local-fs.target.wants");
                if (r < 0)
                        return r;
                o->wants_dir_made = true;
        }

        /* .wants, never .requires: an automount that cannot be set up must not fail the boot. */
        strcpy(stpcpy(link, "local-fs.target.wants/"), automount_unit);
        strcpy(stpcpy(target, "../"), automount_unit);
        if (symlinkat(target, o->dir_fd, link) < 0)
                return log_error_errno(errno, "Failed to create symlink %s/%s: %m", o->dir, link);

        return 0;
}

static int write_automount(Output *o, const Container *c) {
        /* The mount unit's name with ".automount" in place of ".mount"; config_finalize() checked
         * that it fits UNIT_NAME_MAX. */
        char unit[UNIT_NAME_MAX + 1];
        size_t n = strlen(c->mount_unit) - strlen(".mount");
        int r;

        assert(n + strlen(".automount") <= UNIT_NAME_MAX);
        memcpy(unit, c->mount_unit, n);
        strcpy(unit + n, ".automount");

        strbuf_reset(&o->buffer);
        unit_render_automount(&o->buffer, c);
        r = write_file(o, unit, c);
        if (r < 0)
                return r;

        return link_automount(o, unit);
}

static int write_base_guards(Output *o, const Container *c) {
        for (char **l = c->lowers; *l; l++) {
                const char *base;
                int r;

                if (o->last_lower && streq(*l, o->last_lower))
                        continue;

                free(o->last_lower);
                o->last_lower = strdup(*l);
                if (!o->last_lower)
                        return log_oom();

                base = lower_machine_name(*l);
                if (!base || strv_contains(o->guarded_bases, base))
                        continue;

                if (strv_extend(&o->guarded_bases, base) < 0)
                        return log_oom();

                strbuf_reset(&o->buffer);
                unit_render_base_guard(&o->buffer, c, base);
                r = write_dropin(o, NSPAWN_UNIT_PREFIX, base, BASE_GUARD_DROPIN_NAME, c);
                if (r < 0)
                        return r;
        }

        return 0;
}

static int write_container(Output *o, const Container *c) {
        int r;

        strbuf_reset(&o->buffer);
        unit_render_mount(&o->buffer, c);
        r = write_file(o, c->mount_unit, c);
        if (r < 0)
                return r;

        if (c->automount) {
                r = write_automount(o, c);
                if (r < 0)
                        return r;
        }

        strbuf_reset(&o->buffer);
        unit_render_prepare_dropin(&o->buffer, c);
        r = write_dropin(o, PREPARE_UNIT_PREFIX, c->name, DROPIN_NAME, c);
        if (r < 0)
                return r;

        strbuf_reset(&o->buffer);
        unit_render_nspawn_dropin(&o->buffer, c);
        r = write_dropin(o, NSPAWN_UNIT_PREFIX, c->name, DROPIN_NAME, c);
        if (r < 0)
                return r;

        return write_base_guards(o, c);
}

/* Write one container's units as soon as it is loaded, while its data is still in the CPU
 * cache, and free it. */
static int handle_container(Container *c, void *userdata) {
        Output *o = userdata;
        int r = 0;

        if (c->invalid) {
                log_syntax(c->path, 0, LOG_ERR, EINVAL,
                           "Container %s has invalid settings (see above), ignoring.", c->name);
                r = -EINVAL;
        } else
                r = write_container(o, c);

        container_free(c);

        if (r == -ENOMEM)
                return r;
        if (r < 0 && o->result == 0)
                o->result = r;

        return 0;
}

static int run(const char *dest) {
        Output o = { .dir = dest };
        int r;

        o.dir_fd = open(dest, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        if (o.dir_fd < 0)
                return log_error_errno(errno, "Failed to open output directory %s: %m", dest);

        r = config_load_each(handle_container, &o);
        if (r >= 0)
                r = o.result;

        strbuf_done(&o.buffer);
        strv_free(o.guarded_bases);
        free(o.last_lower);
        (void) close(o.dir_fd);
        return r;
}

int main(int argc, char *argv[]) {
        int r;

        log_setup("nspawn-overlay-generator", LOG_TARGET_KMSG);
        log_parse_environment();

        if (argc != 2 && argc != 4) {
                log_error("This program takes one or three arguments: the output directories "
                          "(systemd passes NORMAL_DIR EARLY_DIR LATE_DIR).");
                return EXIT_FAILURE;
        }

        umask(0022);

        r = run(argv[1]);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
