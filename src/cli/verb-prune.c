/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "base-changes.h"
#include "child-units.h"
#include "cli.h"
#include "event-log.h"
#include "unit-control.h"
#include "json.h"
#include "layer-target.h"
#include "log.h"
#include "prune-backup.h"
#include "prune-report.h"
#include "prune.h"

static bool arg_all = false;
static bool arg_dry_run = false;
static bool arg_older_than_base = false;
static bool arg_ignore_mtime = false;
static bool arg_userxattr = false;
static const char *arg_backup = NULL;
static const char *arg_lower = NULL;
static const char *arg_upper = NULL;
static const char *arg_work = NULL;
static char **arg_changes = NULL;
static unsigned arg_threads = 0;
static bool arg_stop = false;

static void help(void) {
        printf("nspawn-overlay prune NAME...|--all [OPTIONS...]\n"
               "nspawn-overlay prune --lower=DIR[:DIR...] --upper=DIR [--work=DIR] [OPTIONS...]\n\n"
               "Remove from a child's upper layer every entry whose removal leaves the merged view\n"
               "exactly the same: identical copies of base files, whiteouts of names no lower layer\n"
               "has, and directories that are identical and empty once those are gone. The child\n"
               "must be stopped and unmounted.\n\n"
               "Options:\n"
               "  -h --help              Show this help\n"
               "     --all              Prune every configured child that is stopped\n"
               "     --stop             Stop a running child and unmount it first, and start it\n"
               "                        again afterwards\n"
               "     --dry-run          Report what would be done, change nothing\n"
               "     --ignore-mtime     Prune files that differ only in their modification time\n"
               "     --older-than-base  Also move the child's files at paths the base changed into\n"
               "                        a backup directory, so the base's version shows; which\n"
               "                        paths is read from the base's change record, else a base\n"
               "                        file newer than the child's (by mtime) counts as changed\n"
               "     --backup=DIR       Backup directory for --older-than-base (default:\n"
               "                        " PRUNE_STATE_DIR "/NAME/backup-TIMESTAMP)\n"
               "     --changes=FILE     Change record to use (repeatable; default: each base's\n"
               "                        " BASE_CHANGES_DIR "/ESCAPED-PATH.changes)\n"
               "     --lower=DIR:...    Lower layers, top-most first, for layers no config names\n"
               "     --upper=DIR        Upper layer, with --lower\n"
               "     --work=DIR         Work dir, with --lower: index entries of pruned files go too\n"
               "     --userxattr        The overlay is mounted with userxattr (user.overlay.* xattrs)\n"
               "     --threads=N        Threads that compare file contents (default: one per CPU)\n"
               "     --json             Print the report as JSON, with every entry and its reason\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_ALL = 0x100,
                ARG_DRY_RUN,
                ARG_OLDER_THAN_BASE,
                ARG_IGNORE_MTIME,
                ARG_BACKUP,
                ARG_CHANGES,
                ARG_LOWER,
                ARG_UPPER,
                ARG_WORK,
                ARG_USERXATTR,
                ARG_THREADS,
                ARG_JSON,
                ARG_STOP,
        };
        static const struct option options[] = {
                { "help",            no_argument,       NULL, 'h'                 },
                { "all",             no_argument,       NULL, ARG_ALL             },
                { "dry-run",         no_argument,       NULL, ARG_DRY_RUN         },
                { "older-than-base", no_argument,       NULL, ARG_OLDER_THAN_BASE },
                { "ignore-mtime",    no_argument,       NULL, ARG_IGNORE_MTIME    },
                { "backup",          required_argument, NULL, ARG_BACKUP          },
                { "changes",         required_argument, NULL, ARG_CHANGES         },
                { "lower",           required_argument, NULL, ARG_LOWER           },
                { "upper",           required_argument, NULL, ARG_UPPER           },
                { "work",            required_argument, NULL, ARG_WORK            },
                { "userxattr",       no_argument,       NULL, ARG_USERXATTR       },
                { "threads",         required_argument, NULL, ARG_THREADS         },
                { "json",            optional_argument, NULL, ARG_JSON            },
                { "stop",            no_argument,       NULL, ARG_STOP            },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_ALL:
                        arg_all = true;
                        break;
                case ARG_DRY_RUN:
                        arg_dry_run = true;
                        break;
                case ARG_OLDER_THAN_BASE:
                        arg_older_than_base = true;
                        break;
                case ARG_IGNORE_MTIME:
                        arg_ignore_mtime = true;
                        break;
                case ARG_BACKUP:
                        arg_backup = optarg;
                        break;
                case ARG_CHANGES:
                        if (strv_extend(&arg_changes, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_LOWER:
                        arg_lower = optarg;
                        break;
                case ARG_UPPER:
                        arg_upper = optarg;
                        break;
                case ARG_WORK:
                        arg_work = optarg;
                        break;
                case ARG_USERXATTR:
                        arg_userxattr = true;
                        break;
                case ARG_THREADS: {
                        char *end;
                        unsigned long n = strtoul(optarg, &end, 10);

                        if (*optarg == '\0' || *end != '\0' || n < 1 || n > 64) {
                                log_error("Invalid --threads= value \"%s\". Give a number from 1 to 64.", optarg);
                                return -EINVAL;
                        }
                        arg_threads = (unsigned) n;
                        break;
                }
                case ARG_STOP:
                        arg_stop = true;
                        break;
                case ARG_JSON:
                        arg_json = true;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (!arg_lower != !arg_upper) {
                log_error("--lower and --upper go together. See 'nspawn-overlay prune --help'.");
                return -EINVAL;
        }
        if (arg_work && !arg_upper) {
                log_error("--work needs --lower and --upper; a configured child's work dir comes from its config.");
                return -EINVAL;
        }
        if (arg_upper && (arg_all || optind < argc)) {
                log_error("Give either child names, --all, or --lower and --upper. See 'nspawn-overlay prune --help'.");
                return -EINVAL;
        }
        if (!arg_upper && arg_all == (optind < argc)) {
                log_error("Give the children to prune by name, or --all. See 'nspawn-overlay prune --help'.");
                return -EINVAL;
        }
        if (arg_upper && arg_older_than_base && !arg_backup) {
                log_error("--older-than-base with --upper needs --backup=DIR: no child state directory is known.");
                return -EINVAL;
        }
        if (arg_backup && !arg_older_than_base) {
                log_error("--backup only applies with --older-than-base.");
                return -EINVAL;
        }
        if (arg_backup && arg_all) {
                log_error("--backup cannot be shared by --all: each child gets its own backup directory.");
                return -EINVAL;
        }

        return 1;
}

/* The change records of the target's lower layers, where --changes names none. */
static int default_change_records(const LayerTarget *t, char ***ret) {
        _cleanup_strv_free_ char **records = NULL;

        for (char **l = t->lowers; *l; l++) {
                _cleanup_free_ char *path = NULL;
                int r = base_changes_path(*l, &path);

                if (r == -ENAMETOOLONG)
                        continue;  /* a path that long cannot have a record file name */
                if (r < 0 || strv_extend(&records, path) < 0)
                        return log_oom();
        }

        *ret = TAKE_PTR(records);
        return 0;
}

static char *default_backup_dir(const LayerTarget *t) {
        _cleanup_free_ char *state = layer_target_state_dir(t);
        char stamp[32], *path;
        time_t now = time(NULL);
        struct tm tm;

        if (!state || !gmtime_r(&now, &tm) || strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm) == 0)
                return NULL;

        if (asprintf(&path, "%s/backup-%s", state, stamp) < 0)
                return NULL;

        return path;
}

/* With --stop, stop the child's machine and units so that its layers may be changed. Stores
 * whether the machine ran, to start it again afterwards. */
static int stop_if_asked(const LayerTarget *t, sd_bus *bus, bool *ret_was_running) {
        const Container *c = t->container;

        *ret_was_running = false;
        if (!arg_stop || !c)
                return 0;
        if (!bus)
                return log_error_errno(ENOTCONN, "--stop needs systemd on the system bus to stop %s.", c->name);

        return child_units_stop(bus, c, c->lowers[0], ret_was_running);
}

static void start_again(const LayerTarget *t, sd_bus *bus, bool was_running) {
        _cleanup_free_ char *service = NULL;
        const Container *c = t->container;

        if (!was_running || asprintf(&service, "systemd-nspawn@%s.service", c->name) < 0)
                return;

        if (unit_start_and_wait(bus, service, 5 * 60 * UINT64_C(1000000)) >= 0)
                event_log(LOG_INFO, c->name, c->lowers[0], "Started %s again after pruning.", service);
}

static int prune_stopped_target(const LayerTarget *t, sd_bus *bus, StrBuf *json) {
        _cleanup_(prune_report_done) PruneReport report = {};
        _cleanup_strv_free_ char **records = NULL;
        _cleanup_free_ char *backup = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        PruneOptions o;
        int r;

        r = layer_target_check_offline(t, bus, "prune");
        if (r < 0)
                return r;

        lock_fd = layer_target_lock(t, "prune");
        if (lock_fd < 0)
                return lock_fd;

        /* Check again under the lock: a start may have raced with the first check. */
        r = layer_target_check_offline(t, bus, "prune");
        if (r < 0)
                return r;

        if (arg_older_than_base) {
                if (!arg_changes) {
                        r = default_change_records(t, &records);
                        if (r < 0)
                                return r;
                }
                backup = arg_backup ? strdup(arg_backup) : default_backup_dir(t);
                if (!backup)
                        return log_oom();
        }

        o = (PruneOptions) {
                .lowers = t->lowers,
                .upper = t->upper,
                .work = t->work,
                .userxattr = t->userxattr,
                .lower_id_shift = t->lower_id_shift,
                .dry_run = arg_dry_run,
                .ignore_mtime = arg_ignore_mtime,
                .progress = isatty(STDERR_FILENO),
                .n_threads = arg_threads,
                .older_than_base = arg_older_than_base,
                .change_records = arg_changes ?: records,
                .backup_dir = backup,
        };

        r = prune_layers(&o, &report);
        if (r < 0)
                return r;

        if (!report.dry_run)
                event_log(LOG_INFO, t->container ? t->container->name : NULL, t->lowers ? t->lowers[0] : NULL,
                          "Pruned %llu files, %llu directories and %llu whiteouts (%llu bytes) from %s; moved %llu files aside.",
                          (unsigned long long) report.removed_files, (unsigned long long) report.removed_directories,
                          (unsigned long long) report.removed_whiteouts, (unsigned long long) report.bytes_freed,
                          t->label, (unsigned long long) report.moved);

        if (json) {
                if (json->len > 1)
                        strbuf_append_char(json, ',');
                prune_report_append_json(json, &report, t->upper);
        } else {
                if (t->container)
                        printf("%s:\n", t->container->name);
                prune_report_print(stdout, &report, t->upper, backup);
        }

        return report.failed > 0 ? -EIO : 0;
}

static int prune_target(const LayerTarget *t, sd_bus *bus, StrBuf *json) {
        bool was_running;
        int r;

        r = stop_if_asked(t, bus, &was_running);
        if (r < 0)
                return r;

        r = prune_stopped_target(t, bus, json);

        /* Started only now: its prepare unit takes the lock that the prune held. */
        start_again(t, bus, was_running);
        return r;
}

int verb_prune(int argc, char *argv[]) {
        _cleanup_(strbuf_done) StrBuf json = {};
        sd_bus *bus = NULL;
        ContainerSet set = {};
        int r, ret = 0;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;

        if (arg_json)
                strbuf_append_char(&json, '[');

        if (arg_upper) {
                _cleanup_(layer_target_done) LayerTarget t = {};

                r = layer_target_from_paths(arg_lower, arg_upper, arg_work, arg_userxattr, &t);
                if (r < 0)
                        return EXIT_USAGE;
                ret = prune_target(&t, NULL, arg_json ? &json : NULL);
                goto finish;
        }

        r = load_configs_quietly(&set);
        if (r < 0)
                return r;

        bus = system_bus_open();

        for (size_t i = 0; i < set.n; i++) {
                _cleanup_(layer_target_done) LayerTarget t = {};
                Container *c = set.containers[i];
                bool selected = arg_all && !c->invalid;

                for (int j = optind; j < argc && !selected; j++)
                        selected = streq(argv[j], c->name);
                if (!selected)
                        continue;

                if (c->invalid) {
                        ret = find_container_or_fail(&set, c->name, &c);
                        continue;
                }

                r = layer_target_from_container(c, &t);
                if (r >= 0)
                        r = prune_target(&t, bus, arg_json ? &json : NULL);
                if (r < 0 && ret == 0)
                        ret = r;
        }

        for (int j = optind; j < argc; j++) {
                Container *c;

                if (!container_set_find(&set, argv[j]) && find_container_or_fail(&set, argv[j], &c) < 0 && ret == 0)
                        ret = -ENOENT;
        }

finish:
        if (arg_json) {
                strbuf_append(&json, "]\n");
                if (!strbuf_ok(&json))
                        ret = log_oom();
                else
                        fputs(strbuf_str(&json), stdout);
        }

        sd_bus_flush_close_unref(bus);
        container_set_done(&set);
        strv_free(arg_changes);
        return ret;
}
