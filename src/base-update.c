/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "base-change-record.h"
#include "base-changes.h"
#include "base-lock.h"
#include "base-update.h"
#include "child-lock.h"
#include "child-units.h"
#include "event-log.h"
#include "layer-stack.h"
#include "log.h"
#include "machine-name.h"
#include "machined.h"
#include "mount-state.h"
#include "path-util.h"
#include "prune.h"
#include "remove-tree.h"
#include "strbuf.h"
#include "unit-control.h"
#include "unit-name.h"
#include "unit-render.h"
#include "userns-plan.h"
#include "write-file.h"

#define UNIT_TIMEOUT_USEC (120 * UINT64_C(1000000))
#define UPDATE_STATE_DIR "/var/lib/nspawn-overlay/updates"

/* One child of the base, as found before the update. */
typedef struct ChildState {
        Container *container;
        int lock_fd;
        bool was_running;
} ChildState;

/* The directories of one base. */
typedef struct BasePaths {
        const char *base;         /* the base itself */
        char *staging;            /* DIR/.NAME.update: the copy the command changes */
        char *versions;           /* DIR/.NAME.versions: old versions, for rollback */
        char *state;              /* the phase of an unfinished update, for recovery */
} BasePaths;

static void base_paths_done(BasePaths *p) {
        free(p->staging);
        free(p->versions);
        free(p->state);
}

static int base_paths_make(const char *base, BasePaths *ret) {
        _cleanup_free_ char *copy = strdup(base), *copy2 = strdup(base), *escaped = NULL;
        const char *dir, *name;
        int r;

        if (!copy || !copy2)
                return log_oom();

        dir = dirname(copy);
        name = basename(copy2);
        *ret = (BasePaths) { .base = base };

        r = unit_name_from_path(base, ".state", &escaped);
        if (r < 0)
                return log_error_errno(r, "Failed to name the update state file of %s: %m", base);

        if (asprintf(&ret->staging, "%s/.%s.update", streq(dir, "/") ? "" : dir, name) < 0 ||
            asprintf(&ret->versions, "%s/.%s.versions", streq(dir, "/") ? "" : dir, name) < 0 ||
            asprintf(&ret->state, UPDATE_STATE_DIR "/%s", escaped) < 0) {
                base_paths_done(ret);
                return log_oom();
        }

        return 0;
}

char *base_resolve(const ContainerSet *set, const char *name_or_path) {
        char *normalized = NULL;

        if (strchr(name_or_path, '/')) {
                if (path_normalize(name_or_path, &normalized) < 0)
                        return NULL;
                return normalized;
        }

        for (size_t i = 0; i < set->n; i++) {
                const Container *c = set->containers[i];

                for (size_t j = 0; !c->invalid && c->bases[j]; j++)
                        if (streq(c->bases[j], name_or_path))
                                return strdup(c->lowers[j]);
        }

        return path_join(DEFAULT_IMAGE_DIRECTORY, name_or_path);
}

/* Run argv and wait for it. Returns its exit status, or a negative errno. */
static int run_program(char *const argv[]) {
        int status;
        pid_t pid;

        pid = fork();
        if (pid < 0)
                return log_error_errno(errno, "Failed to fork: %m");
        if (pid == 0) {
                /* If the update is killed, what it started must not go on changing the copy. */
                (void) prctl(PR_SET_PDEATHSIG, SIGKILL);
                execvp(argv[0], argv);
                log_error_errno(errno, "Failed to run %s: %m", argv[0]);
                _exit(127);
        }

        if (waitpid(pid, &status, 0) < 0)
                return log_error_errno(errno, "Failed to wait for %s: %m", argv[0]);

        if (WIFEXITED(status))
                return WEXITSTATUS(status);

        return log_error_errno(EINTR, "%s was killed by signal %d.", argv[0], WTERMSIG(status));
}

/* Remove a leftover tree of ours, if there is one. */
static int remove_if_present(const char *path) {
        if (access(path, F_OK) < 0)
                return 0;

        return remove_tree(path);
}

/* The state file: the phase, the staging copy's inode (to tell after a crash whether the
 * exchange happened) and the children the update stopped, which the next update or rollback
 * restarts if this one is killed. It is written before each step that a kill could leave half
 * done, and removed only after the children were started again. */
static int write_state(const BasePaths *p, const char *phase, ino_t staging_inode, const char *stopped) {
        _cleanup_free_ char *text = NULL;
        int r;

        if (mkdir("/var/lib/nspawn-overlay", 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create /var/lib/nspawn-overlay: %m");
        if (mkdir(UPDATE_STATE_DIR, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create " UPDATE_STATE_DIR ": %m");

        if (asprintf(&text, "PHASE=%s\nSTAGING_INODE=%llu\nSTOPPED=%s\n", phase, (unsigned long long) staging_inode,
                     strempty(stopped)) < 0)
                return log_oom();
        r = write_file_atomic(p->state, text, 0644);
        if (r < 0)
                return log_error_errno(r, "Failed to write %s: %m", p->state);

        return 0;
}

static int read_state(const BasePaths *p, char phase[static 32], unsigned long long *ret_inode, char **ret_stopped) {
        _cleanup_fclose_ FILE *f = fopen(p->state, "re");
        char stopped[4096] = "";

        if (!f)
                return errno == ENOENT ? 0 : -errno;

        if (fscanf(f, "PHASE=%31s\nSTAGING_INODE=%llu\nSTOPPED=%4095[^\n]", phase, ret_inode, stopped) < 2)
                return log_error_errno(EBADMSG, "Update state file %s is damaged; remove it after checking %s.", p->state, p->base);

        *ret_stopped = strdup(stopped);
        return *ret_stopped ? 1 : -ENOMEM;
}

static int exchange(const char *a, const char *b) {
        if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) < 0)
                return -errno;

        return 0;
}

/* Name for the version the base had until now: its time of replacement. */
static int new_version_path(const BasePaths *p, char **ret) {
        char stamp[32];
        time_t now = time(NULL);
        struct tm tm;

        (void) strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime_r(&now, &tm));

        for (unsigned n = 0; n < 1000; n++) {
                char *path;

                if (asprintf(&path, "%s/%s%s%.0u", p->versions, stamp, n ? "-" : "", n) < 0)
                        return log_oom();
                if (access(path, F_OK) < 0) {
                        *ret = path;
                        return 0;
                }
                free(path);
        }

        return log_error_errno(EEXIST, "Too many versions of %s in %s.", p->base, p->versions);
}

static int keep_old_version(const BasePaths *p, const char *old, char **ret_version) {
        _cleanup_free_ char *version = NULL;
        int r;

        if (mkdir(p->versions, 0700) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create %s: %m", p->versions);

        r = new_version_path(p, &version);
        if (r < 0)
                return r;

        if (rename(old, version) < 0)
                return log_error_errno(errno, "Failed to move the old version of %s to %s: %m", p->base, version);

        if (ret_version)
                *ret_version = TAKE_PTR(version);
        return 0;
}

/* Finish or undo what an update that was killed left behind. Stores the names of the children
 * that update had stopped, space-separated, in *ret_stopped. The state file stays until this
 * run has written its own, so a kill right after recovery loses none of those names. */
static int recover(const BasePaths *p, char **ret_stopped) {
        char phase[32];
        unsigned long long inode = 0;
        struct stat st;
        int r;

        *ret_stopped = NULL;
        r = read_state(p, phase, &inode, ret_stopped);
        if (r <= 0)
                return r;

        if (streq(phase, "switching") && stat(p->base, &st) >= 0 && (unsigned long long) st.st_ino == inode &&
            access(p->staging, F_OK) >= 0) {
                /* The exchange happened: the staging path contains the old version. */
                log_notice("Finishing an interrupted update of %s: keeping the old version.", p->base);
                r = keep_old_version(p, p->staging, NULL);
                if (r < 0)
                        return r;
        } else {
                if (access(p->staging, F_OK) < 0)
                        return 0;

                log_notice("Removing the unfinished copy %s of an interrupted update.", p->staging);
                r = remove_tree(p->staging);
                if (r < 0)
                        return log_error_errno(r, "Failed to remove %s: %m", p->staging);
        }

        return 0;
}

/* True if the state file records that only starting the children again was left. */
static bool state_is_restarting(const BasePaths *p) {
        _cleanup_free_ char *stopped = NULL;
        unsigned long long inode;
        char phase[32];

        return read_state(p, phase, &inode, &stopped) > 0 && streq(phase, "restarting");
}

/* Remove the state file once the stopped children were started again. */
static void remove_state(const BasePaths *p) {
        if (unlink(p->state) < 0 && errno != ENOENT)
                log_warning_errno(errno, "Failed to remove %s: %m", p->state);
}

static int lock_children(const ContainerSet *set, const char *base, ChildState **ret, size_t *ret_n) {
        ChildState *children = calloc(set->n + 1, sizeof(ChildState));
        size_t n = 0;

        if (!children)
                return log_oom();

        for (size_t i = 0; i < set->n; i++) {
                Container *c = set->containers[i];
                int fd;

                if (c->invalid || !strv_contains(c->lowers, base))
                        continue;

                if (c->offline_changes_unsafe) {
                        *ret = children;
                        *ret_n = n;
                        return log_error_errno(EINVAL, "Child %s of %s enables an overlay feature (Options= in %s) under which "
                                               "changing the base is undefined. Remove it from Options= before updating.",
                                               c->name, base, c->path);
                }

                fd = child_lock_acquire(c->name, false);
                if (fd < 0) {
                        *ret = children;
                        *ret_n = n;
                        return log_error_errno(fd, "Failed to lock child %s: %s", c->name,
                                               fd == -EBUSY ? "a prune or update of it is running" : strerror(-fd));
                }

                children[n++] = (ChildState) { .container = c, .lock_fd = fd };
        }

        *ret = children;
        *ret_n = n;
        return 0;
}

static void unlock_children(ChildState *children, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (children[i].lock_fd >= 0)
                        (void) close(children[i].lock_fd);
        free(children);
}

/* Stop the child and unmount it, storing in *ret_was_running whether it ran. */
static int stop_child(sd_bus *bus, const char *base, const ChildState *child, bool *ret_was_running) {
        const Container *c = child->container;

        if (bus)
                return child_units_stop(bus, c, base, ret_was_running);

        /* Without systemd there are no units to stop; the overlay must not be mounted. */
        mount_state_reload();
        if (mount_state_of(c->directory) != MOUNT_STATE_UNMOUNTED)
                return log_error_errno(EBUSY, "Child %s is still mounted at %s. Unmount it and run the update again.",
                                       c->name, c->directory);

        return 0;
}

static bool name_in_list(const char *list, const char *name) {
        size_t n = strlen(name);

        for (const char *p = strempty(list); *p; p += strcspn(p, " "), p += strspn(p, " "))
                if (strcspn(p, " ") == n && strneq(p, name, n))
                        return true;

        return false;
}

/* Store the names of the children marked as running, space-separated, in *ret. */
static int running_names(const ChildState *children, size_t n, char **ret) {
        _cleanup_(strbuf_done) StrBuf names = {};

        for (size_t i = 0; i < n; i++)
                if (children[i].was_running) {
                        if (names.len > 0)
                                strbuf_append_char(&names, ' ');
                        strbuf_append(&names, children[i].container->name);
                }

        if (!strbuf_ok(&names))
                return log_oom();

        *ret = names.data ? TAKE_PTR(names.data) : strdup("");
        return *ret ? 0 : log_oom();
}

/* Stop every child, counting as running also those that a killed update had stopped. Before
 * the first stop, the state file gets every child that runs now or ran before that update, so
 * that a kill in the middle of the stops leaves the list for the next update or rollback. Lists
 * the children to start again in *ret_stopped. */
static int stop_children(sd_bus *bus, const BasePaths *p, ChildState *children, size_t n, const char *stopped_before,
                         char **ret_stopped) {
        _cleanup_free_ char *planned = NULL;
        int r;

        for (size_t i = 0; i < n; i++) {
                bool up = false;

                if (bus) {
                        r = child_units_service_is_up(bus, children[i].container, &up);
                        if (r < 0)
                                return r;
                }

                children[i].was_running = up || name_in_list(stopped_before, children[i].container->name);
        }

        r = running_names(children, n, &planned);
        if (r < 0)
                return r;

        r = write_state(p, "stopping", 0, planned);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n; i++) {
                bool was_running = false;

                r = stop_child(bus, p->base, &children[i], &was_running);
                if (r < 0)
                        return r;

                /* A child started since the check above is started again too. */
                children[i].was_running = children[i].was_running || was_running;
        }

        return running_names(children, n, ret_stopped);
}

static void restart_children(sd_bus *bus, const char *base, ChildState *children, size_t n) {
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *service = NULL;
                const Container *c = children[i].container;

                if (!children[i].was_running || !bus)
                        continue;

                /* The lock would make the prepare unit of a restarted child wait on us. */
                if (children[i].lock_fd >= 0) {
                        (void) close(children[i].lock_fd);
                        children[i].lock_fd = -EBADF;
                }

                if (asprintf(&service, NSPAWN_UNIT_PREFIX "%s.service", c->name) < 0)
                        continue;
                if (unit_start_and_wait(bus, service, UNIT_TIMEOUT_USEC) >= 0)
                        event_log(LOG_INFO, c->name, base, "Restarted child %s after the update of %s.", c->name, base);
        }
}

static int clone_base(const BasePaths *p) {
        char *argv[] = { (char *) "cp", (char *) "-a", (char *) "--reflink=auto", (char *) "--",
                         (char *) p->base, (char *) p->staging, NULL };
        int r;

        r = run_program(argv);
        if (r != 0)
                return log_error_errno(r < 0 ? r : EIO, "Failed to copy %s to %s. Is there enough free space?", p->base, p->staging);

        return 0;
}

static int run_command(const BasePaths *p, char **command) {
        _cleanup_free_ char *machine = NULL, *users = NULL;
        const char *base_name = strrchr(p->base, '/') + 1;
        char **argv;
        size_t n = 0, n_command = strv_length(command);
        struct stat st;
        int r;

        if (stat(p->staging, &st) < 0)
                return log_error_errno(errno, "Failed to read %s: %m", p->staging);

        if (asprintf(&machine, "--machine=%.50s-update", machine_name_is_valid(base_name, NULL) ? base_name : "base") < 0)
                return log_oom();

        /* A base shifted into a range runs there, so that files the command creates land in it. */
        if (st.st_uid != 0 && asprintf(&users, "--private-users=%u:65536", (unsigned) (st.st_uid & ~0xFFFFu)) < 0)
                return log_oom();

        argv = calloc(n_command + 16, sizeof(char *));
        if (!argv)
                return log_oom();

        argv[n++] = (char *) "systemd-nspawn";
        argv[n++] = (char *) "--quiet";
        argv[n++] = (char *) "--register=no";
        /* Outside a booted systemd nspawn cannot get a scope of its own. */
        if (sd_booted() <= 0)
                argv[n++] = (char *) "--keep-unit";
        argv[n++] = machine;
        argv[n++] = (char *) "--directory";
        argv[n++] = (char *) p->staging;
        /* Leave the base's own resolv.conf, timezone and journal links as they are. */
        argv[n++] = (char *) "--resolv-conf=bind-host";
        argv[n++] = (char *) "--timezone=off";
        argv[n++] = (char *) "--link-journal=no";
        argv[n++] = (char *) "--console=autopipe";
        if (users) {
                argv[n++] = users;
                argv[n++] = (char *) "--private-users-ownership=off";
        }
        argv[n++] = (char *) "--";
        for (size_t i = 0; i < n_command; i++)
                argv[n++] = command[i];

        r = run_program(argv);
        free(argv);
        return r;
}

/* Debian's systemd postinst fills an empty machine ID on every configure; every child would
 * then share it. */
static int empty_machine_id(const char *root) {
        _cleanup_free_ char *path = path_join(root, "etc/machine-id");
        _cleanup_close_ int fd = -EBADF;
        struct stat st;

        if (!path)
                return log_oom();

        fd = open(path, O_WRONLY|O_NOFOLLOW|O_CLOEXEC|O_NOCTTY);
        if (fd < 0)
                return errno == ENOENT ? 0 : log_error_errno(errno, "Failed to open %s: %m", path);

        if (fstat(fd, &st) < 0)
                return log_error_errno(errno, "Failed to read %s: %m", path);
        if (!S_ISREG(st.st_mode) || st.st_size == 0)
                return 0;

        if (ftruncate(fd, 0) < 0)
                return log_error_errno(errno, "Failed to empty %s: %m", path);

        log_info("Emptied %s, which the command filled.", path);
        return 0;
}

static void prune_child(const char *base, const ChildState *child) {
        const Container *c = child->container;
        PruneOptions o = {
                .lowers = c->lowers,
                .upper = c->upper,
                .work = c->work,
                .userxattr = strv_contains(c->options, "userxattr"),
                .lower_id_shift = child_lower_id_shift(c),
        };
        PruneReport report = {};
        int r;

        if (access(c->upper, F_OK) < 0)
                return;

        r = prune_layers(&o, &report);
        if (r < 0) {
                log_warning_errno(r, "Failed to prune child %s against the old %s, continuing: %m", c->name, base);
                return;
        }

        event_log(LOG_INFO, c->name, base,
                  "Pruned %llu files, %llu directories and %llu whiteouts (%llu bytes) from child %s that matched the old %s.",
                  (unsigned long long) report.removed_files, (unsigned long long) report.removed_directories,
                  (unsigned long long) report.removed_whiteouts, (unsigned long long) report.bytes_freed, c->name, base);
        prune_report_done(&report);
}

/* List the child files that hide a path the update changed: the child keeps its own version. */
static void report_shadows(const char *base, const ChildState *child, const StrBuf *records) {
        const Container *c = child->container;
        _cleanup_close_ int upper_fd = open(c->upper, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
        size_t count = 0;

        if (upper_fd < 0)
                return;

        for (const char *p = strbuf_str(records); p < strbuf_str(records) + records->len; p += strlen(p) + 1) {
                int fd = open_beneath(upper_fd, p, O_PATH|O_NOFOLLOW|O_CLOEXEC);

                if (fd < 0)
                        continue;
                (void) close(fd);

                if (count++ == 0)
                        printf("Child %s keeps its own version of paths the update changed:\n", c->name);
                printf("  /%s\n", p);
        }

        if (count > 0) {
                printf("  'nspawn-overlay prune --older-than-base %s' moves them aside (restore puts them back).\n", c->name);
                event_log(LOG_NOTICE, c->name, base, "Child %s keeps its own version of %zu paths the update of %s changed.",
                          c->name, count, base);
        }
}

static int drop_old_versions(const BasePaths *p, unsigned keep) {
        struct dirent **entries = NULL;
        int n, r = 0;

        n = scandir(p->versions, &entries, NULL, alphasort);
        if (n < 0)
                return errno == ENOENT ? 0 : log_error_errno(errno, "Failed to read %s: %m", p->versions);

        /* Names are timestamps, so the oldest sort first; "." and ".." sort before digits. */
        for (int i = 0, kept_from = n - (int) keep; i < n; i++) {
                _cleanup_free_ char *path = NULL;

                if (entries[i]->d_name[0] != '.' && i < kept_from) {
                        path = path_join(p->versions, entries[i]->d_name);
                        if (!path || remove_if_present(path) < 0)
                                r = -EIO;
                        else
                                log_info("Removed old version %s.", path);
                }
                free(entries[i]);
        }
        free(entries);

        return r;
}

static int switch_to_staging(const BasePaths *p, const char *stopped, const StrBuf *records, char **ret_version) {
        struct stat st;
        int r;

        if (stat(p->staging, &st) < 0)
                return log_error_errno(errno, "Failed to read %s: %m", p->staging);

        r = write_state(p, "switching", st.st_ino, stopped);
        if (r < 0)
                return r;

        r = exchange(p->staging, p->base);
        if (r < 0)
                return log_error_errno(r, "Failed to swap %s with the updated copy %s: %m. The base is unchanged.", p->base, p->staging);

        r = keep_old_version(p, p->staging, ret_version);
        if (r < 0)
                return r;

        /* Nothing is left to finish but starting the children again. */
        r = write_state(p, "restarting", 0, stopped);
        if (r < 0)
                return r;

        return base_change_record_write(p->base, records);
}

static int update_locked(sd_bus *bus, const BasePaths *p, const UpdateOptions *o, ChildState *children, size_t n,
                         const char *stopped_before) {
        _cleanup_(strbuf_done) StrBuf records = {};
        _cleanup_free_ char *version = NULL, *stopped = NULL;
        struct timespec started;
        size_t n_records = 0;
        int r;

        r = stop_children(bus, p, children, n, stopped_before, &stopped);
        if (r < 0)
                return r;

        r = write_state(p, "staging", 0, stopped);
        if (r < 0)
                return r;

        event_log(LOG_INFO, NULL, p->base, "Copying %s to %s for the update.", p->base, p->staging);
        r = clone_base(p);
        if (r < 0)
                goto undo;

        /* Everything the command touches gets a newer ctime than the copy gave any file. */
        (void) clock_gettime(CLOCK_REALTIME, &started);
        event_log(LOG_INFO, NULL, p->base, "Running the update command in the copy of %s.", p->base);
        r = run_command(p, o->command);
        if (r != 0) {
                if (r > 0)
                        log_error("The update command failed with exit status %d. %s is unchanged.", r, p->base);
                goto undo;
        }

        r = empty_machine_id(p->staging);
        if (r < 0)
                goto undo;

        r = base_change_record_collect(p->base, p->staging,
                                       (uint64_t) started.tv_sec * 1000000 + (uint64_t) started.tv_nsec / 1000,
                                       &records, &n_records);
        if (r < 0)
                goto undo;

        /* Prune now, because copies of old base files still match their lower layer. After the
         * switch they would differ from the new base and hide the update. */
        for (size_t i = 0; i < n; i++)
                prune_child(p->base, &children[i]);

        r = switch_to_staging(p, stopped, &records, &version);
        if (r < 0)
                return r;

        event_log(LOG_NOTICE, NULL, p->base, "Switched %s to the updated version (%zu paths changed); the old version is %s.",
                  p->base, n_records, version);

        for (size_t i = 0; i < n; i++)
                report_shadows(p->base, &children[i], &records);

        (void) drop_old_versions(p, o->keep);
        return 0;

undo:
        if (remove_if_present(p->staging) >= 0)
                (void) write_state(p, "restarting", 0, stopped);
        return r;
}

int base_update(const ContainerSet *set, const UpdateOptions *o) {
        _cleanup_close_ int base_lock = -EBADF;
        _cleanup_free_ char *stopped_before = NULL;
        ChildState *children = NULL;
        BasePaths p = {};
        sd_bus *bus = NULL;
        size_t n = 0;
        struct stat st;
        int r;

        if (stat(o->base, &st) < 0 || !S_ISDIR(st.st_mode))
                return log_error_errno(errno ?: ENOTDIR, "Base %s is not a directory.", o->base);

        r = base_paths_make(o->base, &p);
        if (r < 0)
                return r;

        base_lock = base_lock_acquire(o->base, LOCK_EX|LOCK_NB);
        if (base_lock < 0) {
                r = log_error_errno(base_lock, "Failed to lock %s: %s", o->base,
                                    base_lock == -EBUSY ? "another update or rollback of it is running" : strerror(-base_lock));
                goto finish;
        }

        r = recover(&p, &stopped_before);
        if (r < 0)
                goto finish;

        r = lock_children(set, o->base, &children, &n);
        if (r < 0)
                goto finish;

        bus = sd_booted() > 0 ? system_bus_open() : NULL;
        r = update_locked(bus, &p, o, children, n, stopped_before);

        /* The prepare units of restarted children take the base lock. */
        base_lock = safe_close(base_lock);
        restart_children(bus, o->base, children, n);
        if (state_is_restarting(&p))
                remove_state(&p);

finish:
        unlock_children(children, n);
        sd_bus_flush_close_unref(bus);
        base_paths_done(&p);
        return r;
}

int base_rollback(const ContainerSet *set, const char *base) {
        _cleanup_close_ int base_lock = -EBADF;
        _cleanup_free_ char *stopped_before = NULL, *stopped = NULL;
        struct dirent **entries = NULL;
        _cleanup_free_ char *version = NULL, *change_record = NULL;
        ChildState *children = NULL;
        BasePaths p = {};
        sd_bus *bus = NULL;
        size_t n = 0;
        int r, count;

        r = base_paths_make(base, &p);
        if (r < 0)
                return r;

        base_lock = base_lock_acquire(base, LOCK_EX|LOCK_NB);
        if (base_lock < 0) {
                r = log_error_errno(base_lock, "Failed to lock %s: another update or rollback of it is running.", base);
                goto finish;
        }

        r = recover(&p, &stopped_before);
        if (r < 0)
                goto finish;

        count = scandir(p.versions, &entries, NULL, alphasort);
        for (int i = count - 1; i >= 0 && !version; i--)
                if (entries[i]->d_name[0] != '.')
                        version = path_join(p.versions, entries[i]->d_name);
        for (int i = 0; i < count; i++)
                free(entries[i]);
        free(entries);
        if (!version) {
                r = log_error_errno(ENOENT, "No earlier version of %s is kept in %s, so there is nothing to roll back to.", base, p.versions);
                goto finish;
        }

        r = lock_children(set, base, &children, &n);
        if (r < 0)
                goto finish;

        bus = sd_booted() > 0 ? system_bus_open() : NULL;
        r = stop_children(bus, &p, children, n, stopped_before, &stopped);
        if (r < 0)
                goto restart;

        r = write_state(&p, "restarting", 0, stopped);
        if (r < 0)
                goto restart;

        r = exchange(version, base);
        if (r < 0) {
                r = log_error_errno(r, "Failed to swap %s with %s: %m. The base is unchanged.", base, version);
                goto restart;
        }
        event_log(LOG_NOTICE, NULL, base, "Rolled %s back to the version kept as %s.", base, version);

        /* The version path now contains the version that was rolled back from. */
        r = remove_if_present(version);
        if (base_changes_path(base, &change_record) >= 0)
                (void) unlink(change_record);

restart:
        base_lock = safe_close(base_lock);
        restart_children(bus, base, children, n);
        if (state_is_restarting(&p))
                remove_state(&p);

finish:
        unlock_children(children, n);
        sd_bus_flush_close_unref(bus);
        base_paths_done(&p);
        return r;
}
