/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Shift a base image's file owners once into a UID range, for file systems without idmapped
 * mounts: its children then share that range (PrivateUsers=shared). systemd-nspawn does the
 * chown itself, as it does for --private-users-ownership=chown. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "mount-state.h"
#include "path-util.h"
#include "userns-plan.h"

static int parse_uid_shift(const char *s, uid_t *ret) {
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || *end != '\0' || v % CHILD_UID_RANGE != 0 || v < CHILD_UID_MIN || v >= CHILD_UID_MAX)
                return log_error_errno(EINVAL, "Invalid UID range \"%s\": use a multiple of 65536 from %u to %u.", s,
                                       (unsigned) CHILD_UID_MIN, (unsigned) CHILD_UID_MAX - 1);

        *ret = (uid_t) v;
        return 0;
}

/* A base is named as its children's Base= does, or given as a path. */
static char *resolve_base(const ContainerSet *set, const char *base) {
        if (base[0] == '/')
                return strdup(base);

        for (size_t i = 0; i < set->n; i++) {
                const Container *c = set->containers[i];

                for (size_t j = 0; !c->invalid && c->bases[j]; j++)
                        if (streq(c->bases[j], base))
                                return strdup(c->lowers[j]);
        }

        return path_join(DEFAULT_IMAGE_DIRECTORY, base);
}

/* Every child of the base must be unmounted and able to run on a shifted base. */
static int check_children(const ContainerSet *set, const char *path) {
        int r = 0;

        for (size_t i = 0; i < set->n; i++) {
                const Container *c = set->containers[i];

                if (c->invalid || !strv_contains(c->lowers, path))
                        continue;

                if (mount_state_of(c->directory) != MOUNT_STATE_UNMOUNTED)
                        r = log_error_errno(EBUSY, "Child %s of %s is mounted at %s. Stop it and its mount unit first: "
                                            "systemctl stop systemd-nspawn@%s.service %s", c->name, path, c->directory,
                                            c->name, c->mount_unit);

                if (c->private_users != PRIVATE_USERS_AUTO && c->private_users != PRIVATE_USERS_SHARED)
                        r = log_error_errno(EINVAL, "Child %s of %s has PrivateUsers=%s, which cannot run on a shifted base. "
                                            "Set PrivateUsers=auto or shared in %s first.", c->name, path,
                                            private_users_mode_to_string(c->private_users), c->path);
        }

        return r;
}

static int run_nspawn_chown(const char *path, uid_t shift) {
        char users[64];
        int status;
        pid_t pid;

        (void) snprintf(users, sizeof(users), "--private-users=%u:%u", (unsigned) shift, (unsigned) CHILD_UID_RANGE);

        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork: %m");
        if (pid == 0) {
                /* Under a booted systemd, nspawn runs in a scope of its own. Elsewhere there is no
                 * manager to ask for one, so it must stay in the caller's cgroup. */
                execlp("systemd-nspawn", "systemd-nspawn", "--quiet", "--register=no",
                       sd_booted() > 0 ? "--console=pipe" : "--keep-unit",
                       "--directory", path, users, "--private-users-ownership=chown", "--", "/bin/true", (char *) NULL);
                log_error_errno(errno, "Failed to run systemd-nspawn: %m");
                _exit(EXIT_FAILURE);
        }

        if (waitpid(pid, &status, 0) < 0)
                return log_error_errno(errno, "Failed to wait for systemd-nspawn: %m");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return log_error_errno(EIO, "systemd-nspawn failed to shift %s (status %d); see its messages above.", path, status);

        return 0;
}

int verb_shift_base(int argc, char *argv[]) {
        _cleanup_free_ char *path = NULL;
        ContainerSet set = {};
        struct stat st;
        uid_t shift;
        int r;

        r = load_configs_quietly(&set);
        if (r < 0)
                return r;

        path = resolve_base(&set, argv[1]);
        if (!path) {
                r = log_oom();
                goto finish;
        }

        shift = child_uid_range_preferred(path);
        if (argc > 2) {
                r = parse_uid_shift(argv[2], &shift);
                if (r < 0)
                        goto finish;
        }

        if (stat(path, &st) < 0) {
                r = log_error_errno(errno, "Cannot access base %s: %m", path);
                goto finish;
        }

        if (st.st_uid == shift) {
                log_info("Base %s is already shifted to UID range %u.", path, (unsigned) shift);
                r = 0;
                goto finish;
        }
        if (st.st_uid != 0) {
                r = log_error_errno(EBADSLT, "Base %s is already shifted to UID range %u, not %u. Shifting it again would "
                                    "break its children's upper layers. Pass %u to keep it.", path,
                                    (unsigned) (st.st_uid & ~(CHILD_UID_RANGE - 1)), (unsigned) shift,
                                    (unsigned) (st.st_uid & ~(CHILD_UID_RANGE - 1)));
                goto finish;
        }

        r = check_children(&set, path);
        if (r < 0)
                goto finish;

        r = run_nspawn_chown(path, shift);
        if (r < 0)
                goto finish;

        log_info("Shifted base %s to UID range %u. Boot it directly with: systemd-nspawn -D %s --private-users=yes",
                 path, (unsigned) shift, path);

finish:
        container_set_done(&set);
        return r;
}
