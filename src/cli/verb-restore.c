/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "layer-target.h"
#include "log.h"
#include "path-util.h"
#include "prune-backup.h"

static const char *arg_backup = NULL;
static const char *arg_upper = NULL;

static void help(void) {
        printf("nspawn-overlay restore NAME [--backup=DIR]\n"
               "nspawn-overlay restore --upper=DIR --backup=DIR\n\n"
               "Move the files that 'prune --older-than-base' moved aside back into the child's\n"
               "upper layer. A file whose path the child has written again stays in the backup.\n"
               "The backup directory is removed once it is empty. The child must be stopped.\n\n"
               "Options:\n"
               "  -h --help         Show this help\n"
               "     --backup=DIR   Backup to restore (default: the newest\n"
               "                    " PRUNE_STATE_DIR "/NAME/backup-*)\n"
               "     --upper=DIR    Upper layer to restore into, for layers no config names\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_BACKUP = 0x100,
                ARG_UPPER,
        };
        static const struct option options[] = {
                { "help",   no_argument,       NULL, 'h'        },
                { "backup", required_argument, NULL, ARG_BACKUP },
                { "upper",  required_argument, NULL, ARG_UPPER  },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_BACKUP:
                        arg_backup = optarg;
                        break;
                case ARG_UPPER:
                        arg_upper = optarg;
                        break;
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        if (arg_upper && !arg_backup) {
                log_error("--upper needs --backup=DIR. See 'nspawn-overlay restore --help'.");
                return -EINVAL;
        }
        if ((arg_upper ? 0 : 1) != argc - optind) {
                log_error("Give one child name, or --upper and --backup. See 'nspawn-overlay restore --help'.");
                return -EINVAL;
        }

        return 1;
}

static int restore_target(const LayerTarget *t) {
        _cleanup_free_ char *backup = NULL, *state = NULL;
        _cleanup_close_ int lock_fd = -EBADF;
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        RestoreReport report;
        int r;

        if (t->container)
                bus = system_bus_open();

        r = layer_target_check_offline(t, bus, "restore");
        if (r < 0)
                return r;

        lock_fd = layer_target_lock(t, "restore");
        if (lock_fd < 0)
                return lock_fd;

        if (arg_backup) {
                r = path_normalize(arg_backup, &backup);
                if (r < 0)
                        return log_error_errno(r, "Invalid --backup \"%s\": give an absolute path without \"..\".", arg_backup);
        } else {
                state = layer_target_state_dir(t);
                if (!state)
                        return log_oom();
                r = backup_find_latest(state, &backup);
                if (r == -ENOENT)
                        return log_error_errno(r, "No backup of %s in %s: 'prune --older-than-base' moved nothing aside, "
                                               "or it was restored already.", t->label, state);
                if (r < 0)
                        return log_error_errno(r, "Failed to look for backups of %s in %s: %m", t->label, state);
        }

        r = backup_restore(backup, t->upper, &report);
        if (r < 0)
                return log_error_errno(r, "Failed to restore %s from %s: %m", t->label, backup);

        printf("Restored %" PRIu64 " files of %s from %s", report.restored, t->label, backup);
        if (report.skipped > 0)
                printf("; kept %" PRIu64 " in the backup because the child has those paths again", report.skipped);
        if (report.failed > 0)
                printf("; failed to restore %" PRIu64 " (see the warnings above)", report.failed);
        printf(".%s\n", report.backup_removed ? " The backup directory is removed." : "");

        return report.failed > 0 ? -EIO : 0;
}

int verb_restore(int argc, char *argv[]) {
        _cleanup_(layer_target_done) LayerTarget t = {};
        ContainerSet set = {};
        Container *c;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;

        if (arg_upper) {
                r = layer_target_from_paths(NULL, arg_upper, NULL, false, &t);
                if (r < 0)
                        return EXIT_USAGE;
                return restore_target(&t);
        }

        r = load_container_or_fail(&set, argv[optind], &c);
        if (r >= 0)
                r = layer_target_from_container(c, &t);
        if (r >= 0)
                r = restore_target(&t);

        container_set_done(&set);
        return r;
}
