/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli.h"
#include "layer-diff.h"
#include "layer-target.h"
#include "log.h"
#include "prune-report.h"

static bool arg_ignore_mtime = false;
static bool arg_userxattr = false;
static const char *arg_lower = NULL;
static const char *arg_upper = NULL;

static void help(void) {
        printf("nspawn-overlay diff NAME [OPTIONS...]\n"
               "nspawn-overlay diff --lower=DIR[:DIR...] --upper=DIR [OPTIONS...]\n\n"
               "List what a child changed against its base, one entry per line:\n"
               "  added      not in the base\n"
               "  modified   type, size, content, symlink target or device number differ\n"
               "  metadata   only mode, owner, mtime or xattrs differ (what differs in brackets)\n"
               "  deleted    a whiteout hides the base's entry\n"
               "  opaque     a directory that hides the base's directory of that name\n"
               "  redirect   a renamed directory (its contents are not compared)\n"
               "  unchecked  could not be compared (the reason in brackets)\n"
               "Entries identical to the base are not listed; prune removes them.\n\n"
               "Options:\n"
               "  -h --help           Show this help\n"
               "     --ignore-mtime   Do not count a different modification time as a change\n"
               "     --lower=DIR:...  Lower layers, top-most first, for layers no config names\n"
               "     --upper=DIR      Upper layer, with --lower\n"
               "     --userxattr      The overlay is mounted with userxattr (user.overlay.* xattrs)\n"
               "     --json           Print JSON: counts per change and the changed entries\n");
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_IGNORE_MTIME = 0x100,
                ARG_LOWER,
                ARG_UPPER,
                ARG_USERXATTR,
                ARG_JSON,
        };
        static const struct option options[] = {
                { "help",         no_argument,       NULL, 'h'              },
                { "ignore-mtime", no_argument,       NULL, ARG_IGNORE_MTIME },
                { "lower",        required_argument, NULL, ARG_LOWER        },
                { "upper",        required_argument, NULL, ARG_UPPER        },
                { "userxattr",    no_argument,       NULL, ARG_USERXATTR    },
                { "json",         optional_argument, NULL, ARG_JSON         },
                {}
        };
        int c;

        optind = 0;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_IGNORE_MTIME:
                        arg_ignore_mtime = true;
                        break;
                case ARG_LOWER:
                        arg_lower = optarg;
                        break;
                case ARG_UPPER:
                        arg_upper = optarg;
                        break;
                case ARG_USERXATTR:
                        arg_userxattr = true;
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
                log_error("--lower and --upper go together. See 'nspawn-overlay diff --help'.");
                return -EINVAL;
        }
        if ((arg_upper ? 0 : 1) != argc - optind) {
                log_error("Give one child name, or --lower and --upper. See 'nspawn-overlay diff --help'.");
                return -EINVAL;
        }

        return 1;
}

/* Diff only reads, so a running child may be diffed: the result is then a snapshot that the
 * guest may already have changed. */
static int diff_target(const LayerTarget *t) {
        _cleanup_(layer_stack_done) LayerStack stack = { .upper_fd = -EBADF, .work_fd = -EBADF };
        _cleanup_(layer_diff_done) LayerDiff d = {};
        LayerDiffOptions o = {
                .ignore_mtime = arg_ignore_mtime,
                .compare_all_contents = true,
                .progress = isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO),
        };
        int r;

        r = layer_stack_open(t->lowers, t->upper, NULL, t->userxattr, t->lower_id_shift, &stack);
        if (r < 0)
                return log_error_errno(r, "Failed to open the layers of %s: %m", t->label);

        r = layer_diff_scan(&stack, &o, &d);
        if (r < 0)
                return log_error_errno(r, "Failed to compare the upper layer %s with its lower layers: %m", t->upper);

        if (arg_json) {
                _cleanup_(strbuf_done) StrBuf json = {};

                layer_diff_append_json(&json, &d);
                if (!strbuf_ok(&json))
                        return log_oom();
                fputs(strbuf_str(&json), stdout);
        } else
                layer_diff_print(stdout, &d);

        return 0;
}

int verb_diff(int argc, char *argv[]) {
        _cleanup_(layer_target_done) LayerTarget t = {};
        ContainerSet set = {};
        Container *c;
        int r;

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : 0;

        if (arg_upper) {
                r = layer_target_from_paths(arg_lower, arg_upper, NULL, arg_userxattr, &t);
                if (r < 0)
                        return EXIT_USAGE;
                return diff_target(&t);
        }

        r = load_container_or_fail(&set, argv[optind], &c);
        if (r >= 0)
                r = layer_target_from_container(c, &t);
        if (r >= 0)
                r = diff_target(&t);

        container_set_done(&set);
        return r;
}
