/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base-lock.h"
#include "child-machine-id.h"
#include "cli.h"
#include "fs-util.h"
#include "idmap.h"
#include "layer-checks.h"
#include "log.h"
#include "prune-journal.h"
#include "machine-name.h"
#include "runtime-dir.h"
#include "strbuf.h"
#include "unit-render.h"
#include "userns-plan.h"
#include "write-file.h"

/* Create dir with exactly this owner and mode, unless it exists. Returns 1 if it was created. */
static int make_layer_dir(const char *path, uid_t uid, gid_t gid, mode_t mode) {
        int r;

        r = mkdir_parents(path);
        if (r < 0)
                return log_error_errno(r, "Failed to create the parent directories of %s: %m", path);

        if (mkdir(path, 0700) < 0) {
                if (errno == EEXIST)
                        return 0;
                return log_error_errno(errno, "Failed to create %s: %m", path);
        }

        /* Set the owner first: chown() clears the setuid and setgid bits that chmod() then sets. */
        if (chown(path, uid, gid) < 0)
                return log_error_errno(errno, "Failed to set the owner of %s: %m", path);
        if (chmod(path, mode) < 0)
                return log_error_errno(errno, "Failed to set the mode of %s: %m", path);

        return 1;
}

static int dir_is_empty(const char *path) {
        _cleanup_closedir_ DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return -errno;

        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return 0;

        return 1;
}

/* Take a range no other child's upper layer is owned in, starting at the one the name hashes to.
 * The caller holds the allocation lock, so two children prepared at once cannot pick the same. */
static int allocate_uid_range(const ContainerSet *set, const Container *c, uid_t *ret) {
        uid_t preferred = child_uid_range_preferred(c->name), candidate = preferred;

        do {
                bool used = false;

                for (size_t i = 0; i < set->n && !used; i++) {
                        const Container *other = set->containers[i];
                        struct stat st;

                        if (other == c || other->invalid || lstat(other->upper, &st) < 0)
                                continue;
                        used = (st.st_uid & ~(CHILD_UID_RANGE - 1)) == candidate;
                }

                if (!used) {
                        *ret = candidate;
                        return 0;
                }

                candidate += CHILD_UID_RANGE;
                if (candidate >= CHILD_UID_MAX)
                        candidate = CHILD_UID_MIN;
        } while (candidate != preferred);

        return log_error_errno(EUSERS, "No free UID range is left for container %s.", c->name);
}

static int lock_uid_allocation(void) {
        int fd;

        fd = open(RUNTIME_DIR "/uid-allocation.lock", O_RDWR|O_CREAT|O_CLOEXEC|O_NOFOLLOW, 0600);
        if (fd < 0)
                return log_error_errno(errno, "Failed to open " RUNTIME_DIR "/uid-allocation.lock: %m");

        if (flock(fd, LOCK_EX) < 0) {
                int r = -errno;
                (void) close(fd);
                return log_error_errno(r, "Failed to lock " RUNTIME_DIR "/uid-allocation.lock: %m");
        }

        return fd;
}

/* Give an existing upper layer whose root is owned by root the wanted owner, but only while it
 * is empty: files in it were written without that user namespace and would be wrong in it. */
static int adopt_upper(const Container *c, const struct stat *st, uid_t uid, gid_t gid) {
        int r;

        if (st->st_uid == uid && st->st_gid == gid)
                return 0;

        r = dir_is_empty(c->upper);
        if (r < 0)
                return log_error_errno(r, "Failed to read upper layer %s: %m", c->upper);
        if (r == 0)
                return log_error_errno(EBADSLT,
                                       "Upper layer %s is owned by UID %u, but container %s now runs in UID range %u. "
                                       "Its files were written in another user namespace. Set PrivateUsers= back to what it "
                                       "was, or move the upper layer away to start afresh.",
                                       c->upper, (unsigned) st->st_uid, c->name, (unsigned) uid);

        if (chown(c->upper, uid, gid) < 0)
                return log_error_errno(errno, "Failed to set the owner of %s: %m", c->upper);

        return 0;
}

/* The merged root directory takes its owner and mode from the upper layer's root, and nspawn
 * derives the container's UID range from that owner. */
static int make_upper(const ContainerSet *set, const Container *c, const UsernsPlan *plan, uid_t *ret_shift) {
        _cleanup_close_ int lock_fd = -EBADF;
        struct stat base, upper;
        uid_t shift = 0;
        int r;

        if (stat(c->lowers[0], &base) < 0)
                return log_error_errno(errno, "Failed to read the owner of base %s: %m", c->lowers[0]);

        if (plan->mode == PRIVATE_USERS_IDMAP) {
                lock_fd = lock_uid_allocation();
                if (lock_fd < 0)
                        return lock_fd;

                if (lstat(c->upper, &upper) >= 0 && upper.st_uid >= CHILD_UID_MIN)
                        shift = upper.st_uid & ~(CHILD_UID_RANGE - 1);
                else {
                        r = allocate_uid_range(set, c, &shift);
                        if (r < 0)
                                return r;
                }

                /* The idmapped lower layers show the base's root as owned by the range's first UID. */
                base.st_uid += shift;
                base.st_gid += shift;
        }

        r = make_layer_dir(c->upper, base.st_uid, base.st_gid, base.st_mode & 07777);
        if (r < 0)
                return r;
        if (r > 0)
                log_info("Created upper layer %s for container %s.", c->upper, c->name);
        else if (plan->mode == PRIVATE_USERS_IDMAP || plan->mode == PRIVATE_USERS_SHARED) {
                if (lstat(c->upper, &upper) < 0)
                        return log_error_errno(errno, "Failed to read %s: %m", c->upper);

                r = adopt_upper(c, &upper, base.st_uid, base.st_gid);
                if (r < 0)
                        return r;
        }

        *ret_shift = plan->mode == PRIVATE_USERS_IDMAP ? shift : plan->base_shift;
        return 0;
}

static int unmount_lower(const char *path) {
        if (umount2(path, MNT_DETACH|UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
                return log_error_errno(errno, "Failed to unmount %s: %m", path);

        if (rmdir(path) < 0 && errno != ENOENT)
                return log_error_errno(errno, "Failed to remove %s: %m", path);

        return 0;
}

static int release_lowers(const char *name) {
        int r = 0;

        for (size_t i = 0;; i++) {
                _cleanup_free_ char *path = runtime_lower_path(name, i);

                if (!path)
                        return log_oom();
                if (access(path, F_OK) < 0)
                        break;

                if (unmount_lower(path) < 0)
                        r = -EBUSY;
        }

        return r;
}

static int mount_lowers(const Container *c, const UsernsPlan *plan, uid_t shift) {
        int r;

        /* A previous run that was killed may have left mounts behind. */
        r = release_lowers(c->name);
        if (r < 0)
                return r;

        for (size_t i = 0; c->lowers[i]; i++) {
                _cleanup_free_ char *path = runtime_lower_path(c->name, i);

                if (!path)
                        return log_oom();

                if (mkdir(path, 0700) < 0)
                        return log_error_errno(errno, "Failed to create %s: %m", path);

                if (plan->mode == PRIVATE_USERS_IDMAP)
                        r = idmapped_mount_create(c->lowers[i], path, shift, CHILD_UID_RANGE);
                else
                        r = read_only_bind_mount_create(c->lowers[i], path);
                if (r < 0)
                        return log_error_errno(r, "Failed to mount lower layer %s of container %s: %m", c->lowers[i], c->name);
        }

        return 0;
}

static int write_runtime_files(const Container *c, const UsernsPlan *plan, uid_t shift) {
        _cleanup_free_ char *env_path = NULL, *state_path = NULL;
        _cleanup_(strbuf_done) StrBuf env = {}, state = {};
        sd_id128_t id;
        int r;

        r = child_machine_id(c->name, &id);
        if (r < 0)
                return log_error_errno(r, "Failed to derive a machine ID for container %s from the host's: %m", c->name);

        strbuf_appendf(&env, MACHINE_ID_VARIABLE "=" SD_ID128_FORMAT_STR "\n", SD_ID128_FORMAT_VAL(id));
        strbuf_appendf(&state, "MODE=%s\nUID_SHIFT=%u\nREASON=%s\n", private_users_mode_to_string(plan->mode),
                       (unsigned) shift, plan->reason);
        env_path = runtime_path(c->name, RUNTIME_ENVIRONMENT_FILE);
        state_path = runtime_path(c->name, RUNTIME_USERNS_FILE);
        if (!strbuf_ok(&env) || !strbuf_ok(&state) || !env_path || !state_path)
                return log_oom();

        r = write_file_atomic(env_path, strbuf_str(&env), 0644);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", env_path);

        r = write_file_atomic(state_path, strbuf_str(&state), 0644);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", state_path);

        return 0;
}

/* A prune that was killed may have left directory mtimes of the upper changed; the merged view
 * must show the old ones. */
static int replay_prune_journal(const Container *c) {
        _cleanup_close_ int fd = open(c->upper, O_RDONLY|O_DIRECTORY|O_CLOEXEC);

        if (fd < 0)
                return log_error_errno(errno, "Failed to open upper layer %s: %m", c->upper);

        return prune_journal_replay(c->upper, fd);
}

/* An update swaps the base while it holds the base's lock; a child must not mount it then. */
static int check_no_update_running(const Container *c) {
        for (char **l = c->lowers; *l; l++) {
                int fd = base_lock_acquire(*l, LOCK_SH|LOCK_NB);

                if (fd == -EBUSY)
                        return log_error_errno(EBUSY, "Base %s of container %s is being updated or rolled back. "
                                               "Start the container again when that has finished.", *l, c->name);
                if (fd < 0)
                        return log_error_errno(fd, "Failed to check the update lock of base %s: %m", *l);
                (void) close(fd);
        }

        return 0;
}

static int prepare(const ContainerSet *set, const Container *c) {
        _cleanup_free_ char *runtime = NULL;
        UsernsPlan plan;
        uid_t shift = 0;
        int r;

        r = check_no_update_running(c);
        if (r < 0)
                return r;

        r = check_lowers(c);
        if (r < 0)
                return r;
        r = check_mount_point(c);
        if (r < 0)
                return r;

        r = userns_plan_make(c, &plan);
        if (r < 0)
                return r;

        runtime = runtime_path(c->name, NULL);
        if (!runtime)
                return log_oom();
        r = mkdir_p(runtime, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create %s: %m", runtime);

        r = make_upper(set, c, &plan, &shift);
        if (r < 0)
                return r;

        /* The work directory contains overlayfs's private state, so only root may look into it. */
        r = make_layer_dir(c->work, 0, 0, 0700);
        if (r < 0)
                return r;

        r = check_upper_and_work(c);
        if (r < 0)
                return r;

        r = replay_prune_journal(c);
        if (r < 0)
                return r;

        if (container_uses_layer_mounts(c)) {
                r = mount_lowers(c, &plan, shift);
                if (r < 0)
                        return r;
        }

        r = write_runtime_files(c, &plan, shift);
        if (r < 0)
                return r;

        log_info("Prepared container %s: user namespace %s, UID range %u (%s).", c->name,
                 private_users_mode_to_string(plan.mode), (unsigned) shift, plan.reason);
        return 0;
}

int verb_prepare(int argc, char *argv[]) {
        ContainerSet set = {};
        Container *c;
        int r;

        r = load_container_or_fail(&set, argv[1], &c);
        if (r >= 0)
                r = prepare(&set, c);

        container_set_done(&set);
        return r;
}

int verb_release(int argc, char *argv[]) {
        const char *name = argv[1];
        const char *reason;

        if (!machine_name_is_valid(name, &reason))
                return log_error_errno(EINVAL, "Invalid container name \"%s\": %s.", name, reason);

        return release_lowers(name);
}
