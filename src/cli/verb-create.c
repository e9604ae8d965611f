/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "fs-util.h"
#include "event-log.h"
#include "layer-checks.h"
#include "log.h"
#include "machine-name.h"
#include "unit-control.h"
#include "unit-files.h"

/* systemd enforces the unit's own start timeout, so this only bounds the wait. Starting includes
 * booting the container up to its READY notification. */
#define START_TIMEOUT_USEC (10ULL * 60 * 1000000)

/* The section of each key that create accepts as KEY=VALUE. Kept in step with the parser's table
 * in config-parse.c. The --base option sets Base=. */
static const struct {
        const char *section;
        const char *key;
} config_keys[] = {
        { "Overlay",   "Base" },
        { "Overlay",   "ImageDirectory" },
        { "Overlay",   "Directory" },
        { "Overlay",   "Upper" },
        { "Overlay",   "Work" },
        { "Overlay",   "Automount" },
        { "Overlay",   "IdleTimeoutSec" },
        { "Overlay",   "Options" },
        { "Container", "Boot" },
        { "Container", "Network" },
        { "Container", "PrivateUsers" },
        { "Container", "Bind" },
        { "Container", "BindReadOnly" },
        { "Container", "Environment" },
};

static const char *section_of_key(const char *key, size_t length) {
        for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
                if (strlen(config_keys[i].key) == length && strneq(config_keys[i].key, key, length))
                        return config_keys[i].section;

        return NULL;
}

/* Reject what inih would silently change: a line break would start a new line, " ;" an inline
 * comment, and whitespace at either end is stripped. */
static int check_value(const char *assignment, const char *value) {
        size_t n = strlen(value);

        if (string_has_control_chars(value))
                return log_error_errno(EINVAL, "Invalid assignment \"%s\": the value contains a control character.", assignment);

        if (strstr(value, " ;") || strstr(value, "\t;"))
                return log_error_errno(EINVAL, "Invalid assignment \"%s\": \" ;\" would start a comment in the config file.",
                                       assignment);

        if (n > 0 && (value[0] == ' ' || value[n - 1] == ' '))
                return log_error_errno(EINVAL, "Invalid assignment \"%s\": the value starts or ends with a space, which the config parser strips.",
                                       assignment);

        return 0;
}

static void append_section(StrBuf *b, const char *section, char **assignments) {
        bool header = false;

        for (char **a = assignments; *a; a++) {
                if (!streq(section_of_key(*a, strcspn(*a, "=")), section))
                        continue;

                if (!header) {
                        strbuf_appendf(b, "\n[%s]\n", section);
                        header = true;
                }
                strbuf_appendf(b, "%s\n", *a);
        }
}

/* Build the config text from --base and the KEY=VALUE arguments, in the order given. */
static int render_config(char **assignments, StrBuf *ret) {
        char date[32];
        time_t now = time(NULL);
        struct tm tm;

        for (char **a = assignments; *a; a++) {
                const char *eq = strchr(*a, '=');
                int r;

                if (!eq || eq == *a)
                        return log_error_errno(EINVAL, "Invalid argument \"%s\": expected KEY=VALUE, e.g. Network=host.", *a);

                if (!section_of_key(*a, eq - *a))
                        return log_error_errno(EINVAL, "Unknown key \"%.*s\". Known keys: Base, ImageDirectory, Directory, Upper, Work, "
                                               "Automount, IdleTimeoutSec, Options, Boot, Network, PrivateUsers, Bind, "
                                               "BindReadOnly, Environment. See nspawn-overlay.conf(5).",
                                               (int) (eq - *a), *a);

                r = check_value(*a, eq + 1);
                if (r < 0)
                        return r;
        }

        (void) strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime_r(&now, &tm));
        strbuf_appendf(ret, "# Written by \"nspawn-overlay create\" on %s.\n", date);
        append_section(ret, "Overlay", assignments);
        append_section(ret, "Container", assignments);

        return strbuf_ok(ret) ? 0 : log_oom();
}

/* Fail if NAME.conf exists in any config directory, as a file, a mask or a dangling link. */
static int check_name_unused(char **search_path, const char *name) {
        for (char **d = search_path; *d; d++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;

                if (asprintf(&path, "%s/%s.conf", *d, name) < 0)
                        return log_oom();

                if (lstat(path, &st) < 0) {
                        if (errno == ENOENT)
                                continue;
                        return log_error_errno(errno, "Failed to check for %s: %m", path);
                }

                return log_error_errno(EEXIST, "Container \"%s\" already exists: %s. Choose another name, or remove it first with 'nspawn-overlay remove %s'.",
                                       name, path, name);
        }

        return 0;
}

/* Write the config under a temporary name and rename it into place without replacing a file
 * another process created meanwhile, so the generator never reads a half-written config. */
static int write_config_atomic(const char *dir, const char *name, const char *content) {
        _cleanup_free_ char *temp = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        size_t n = strlen(content);
        int r;

        if (asprintf(&path, "%s/%s.conf", dir, name) < 0 || asprintf(&temp, "%s/.%s.conf.XXXXXX", dir, name) < 0)
                return log_oom();

        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return log_error_errno(errno, "Failed to create the config directory %s: %m", dir);

        fd = mkostemp(temp, O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(errno, "Failed to create a temporary file in %s: %m", dir);

        if (fchmod(fd, 0644) < 0 || write(fd, content, n) != (ssize_t) n || fsync(fd) < 0) {
                r = log_error_errno(errno ?: EIO, "Failed to write %s: %m", temp);
                (void) unlink(temp);
                return r;
        }

        if (renameat2(AT_FDCWD, temp, AT_FDCWD, path, RENAME_NOREPLACE) < 0) {
                r = log_error_errno(errno, "Failed to rename %s to %s: %m", temp, path);
                (void) unlink(temp);
                return r;
        }

        return 0;
}

/* Parse the new file on its own with logging on, to show why the loader marked it invalid. */
static void explain_invalid(const char *name, const char *path) {
        _cleanup_container_ Container *c = NULL;
        int fd;

        c = container_new(name, path);
        if (!c)
                return (void) log_oom();

        fd = open(path, O_RDONLY|O_CLOEXEC);
        if (fd < 0)
                return (void) log_error_errno(errno, "Failed to open %s: %m", path);

        (void) config_parse_file(c, path, fd);
        if (!c->invalid)
                config_finalize(c);
        if (!c->invalid)
                log_error("%s conflicts with another container (shared or nested Upper=, Work= or Directory=) "
                          "or with a drop-in in %s.conf.d. Run 'nspawn-overlay verify' to see the problem.",
                          path, name);
}

static bool directory_is_empty_or_missing(const char *path) {
        _cleanup_closedir_ DIR *d = opendir(path);
        struct dirent *de;

        if (!d)
                return errno == ENOENT;

        while ((de = readdir(d)))
                if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
                        return false;

        return true;
}

/* Check what the loader cannot: the bases exist and the mount point hides nothing. */
static int check_layers_for_create(const Container *c) {
        int r;

        r = check_lowers(c);
        if (r < 0)
                return r;

        r = check_mount_point(c);
        if (r < 0)
                return r;

        if (mount_state_of(c->directory) == MOUNT_STATE_UNMOUNTED && !directory_is_empty_or_missing(c->directory))
                return log_error_errno(ENOTEMPTY, "Directory %s already exists and is not empty: the overlay would hide its files "
                                       "(is it an image named %s?). Choose another name or set Directory=.",
                                       c->directory, c->name);

        if (!directory_is_empty_or_missing(c->upper))
                log_notice("Upper layer %s already exists and is reused.", c->upper);

        return 0;
}

/* Create the mount point, because machinectl looks the image up in its directory before it
 * starts the unit, and the directory would otherwise appear only once the overlay is mounted. */
static int create_mount_point(const Container *c) {
        int r;

        r = mkdir_p(c->directory, 0755);
        if (r < 0)
                return log_error_errno(r, "Failed to create the mount point %s: %m", c->directory);

        return 0;
}

static int activate(sd_bus *bus, const Container *c) {
        _cleanup_free_ char *service = NULL;
        int r;

        r = manager_reload(bus);
        if (r < 0)
                return r;
        event_log(LOG_INFO, c->name, c->bases[0], "Reloaded systemd: the generator wrote the units of %s.", c->name);

        if (asprintf(&service, "systemd-nspawn@%s.service", c->name) < 0)
                return log_oom();

        if (arg_enable) {
                r = unit_file_enable(bus, service);
                if (r < 0)
                        return r;
                event_log(LOG_INFO, c->name, c->bases[0], "Enabled %s.", service);

                /* As "systemctl enable" does, so the manager loads the new wants symlink. */
                r = manager_reload(bus);
                if (r < 0)
                        return r;
        }

        if (arg_start) {
                r = unit_start_and_wait(bus, service, START_TIMEOUT_USEC);
                if (r < 0)
                        return r;
                event_log(LOG_INFO, c->name, c->bases[0], "Started %s.", service);
        }

        return 0;
}

static int argv_to_assignments(int argc, char *argv[], char ***ret) {
        char **l = NULL;

        for (char **b = arg_bases; b && *b; b++) {
                _cleanup_free_ char *a = NULL;

                if (asprintf(&a, "Base=%s", *b) < 0 || strv_extend(&l, a) < 0)
                        goto oom;
        }

        for (int i = 2; i < argc; i++)
                if (strv_extend(&l, argv[i]) < 0)
                        goto oom;

        *ret = l;
        return 0;

oom:
        strv_free(l);
        return log_oom();
}

int verb_create(int argc, char *argv[]) {
        _cleanup_strv_free_ char **search_path = NULL, **assignments = NULL;
        _cleanup_free_ char *path = NULL, *suggestion = NULL;
        _cleanup_(strbuf_done) StrBuf content = {};
        const char *name = argv[1], *reason;
        ContainerSet set = {};
        sd_bus *bus = NULL;
        Container *c;
        int r;

        if (!machine_name_is_valid(name, &reason)) {
                suggestion = machine_name_suggest(name);
                if (suggestion)
                        return log_error_errno(EINVAL, "Invalid container name \"%s\": %s. Try \"%s\".", name, reason, suggestion);
                return log_error_errno(EINVAL, "Invalid container name \"%s\": %s.", name, reason);
        }

        if (!arg_bases)
                return log_error_errno(EINVAL, "Missing --base=BASE: the image (a name in ImageDirectory= or an absolute path) "
                                       "that container %s is a child of.", name);

        if (arg_no_reload && (arg_start || arg_enable))
                return log_error_errno(EINVAL, "--no-reload cannot be combined with --start or --enable: systemd must load the new units first.");

        r = argv_to_assignments(argc, argv, &assignments);
        if (r < 0)
                return r;

        r = render_config(assignments, &content);
        if (r < 0)
                return r;

        search_path = config_search_path();
        if (!search_path || !search_path[0])
                return log_oom();

        r = check_name_unused(search_path, name);
        if (r < 0)
                return r;

        if (asprintf(&path, "%s/%s.conf", search_path[0], name) < 0)
                return log_oom();

        r = write_config_atomic(search_path[0], name, strbuf_str(&content));
        if (r < 0)
                return r;

        /* Validate with the loader the generator uses, so a config that create accepts is one the
         * generator writes units for. */
        r = load_configs_quietly(&set);
        if (r < 0)
                goto remove_config;

        c = container_set_find(&set, name);
        if (!c || c->invalid) {
                explain_invalid(name, path);
                r = -EINVAL;
                goto remove_config;
        }

        r = check_layers_for_create(c);
        if (r < 0)
                goto remove_config;

        r = create_mount_point(c);
        if (r < 0)
                goto remove_config;

        event_log(LOG_INFO, name, c->bases[0], "Created container %s: %s, mount point %s.", name, path, c->directory);

        if (arg_no_reload) {
                log_info("Run 'systemctl daemon-reload' to generate its units.");
                r = 0;
                goto finish;
        }

        r = sd_bus_open_system(&bus);
        if (r < 0) {
                log_error_errno(r, "Failed to connect to the system bus: %m. %s is written; run 'systemctl daemon-reload' once systemd runs.",
                                path);
                goto finish;
        }

        r = activate(bus, c);
        if (r < 0)
                log_error("%s is written and stays. Fix the problem and run 'systemctl daemon-reload', or remove it with "
                          "'nspawn-overlay remove %s'.", path, name);
        goto finish;

remove_config:
        if (unlink(path) < 0)
                log_warning_errno(errno, "Failed to remove %s again: %m. Remove it by hand.", path);
        else
                log_error("Container %s was not created.", name);

finish:
        sd_bus_flush_close_unref(bus);
        container_set_done(&set);
        return r;
}
