/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config-load.h"
#include "log.h"

#ifndef PROJECT_VERSION
#define PROJECT_VERSION "unknown"
#endif

bool arg_json = false;
bool arg_json_pretty = false;
bool arg_legend = true;
bool arg_no_pager = false;
char **arg_bases = NULL;
bool arg_start = false;
bool arg_enable = false;
bool arg_no_reload = false;
bool arg_purge = false;
bool arg_yes = false;
static bool arg_help = false;

typedef struct Verb {
        const char *name;
        const char *summary;      /* one line for the list of verbs */
        int min_args;             /* arguments after the verb */
        int max_args;             /* -1: any number */
        int (*run)(int argc, char *argv[]);
        const char *synopsis;
        const char *description;
        const char *options;      /* help lines of the options only this verb takes, or NULL */
        bool own_options;         /* parses the arguments after the verb itself, with its own --help */
} Verb;

static const Verb verbs[] = {
        { "create", "Write, check and optionally start a new child", 1, -1, verb_create, "create NAME --base=BASE [KEY=VALUE...]",
          "Write /etc/nspawn-overlay/NAME.conf for a new child of BASE, check it as the generator\n"
          "does, create its mount point and reload systemd. KEY=VALUE sets any other key of\n"
          "nspawn-overlay.conf(5), e.g. ImageDirectory=/var/lib/container Network=host.",
          "     --base=BASE     Base image: a name in ImageDirectory= or an absolute path;\n"
          "                     repeat for a stack, top-most first\n"
          "     --enable        Enable systemd-nspawn@NAME.service, so it starts at boot\n"
          "     --start         Start systemd-nspawn@NAME.service and wait until it runs\n"
          "     --no-reload     Write the config only; do not reload systemd\n" },
        { "remove", "Stop a child and delete its config (and layers)", 1, 1, verb_remove, "remove NAME [--purge [--yes]]",
          "Stop container NAME, its mount and automount, disable it, delete its config from\n"
          "/etc/nspawn-overlay and reload systemd. Its upper layer stays unless --purge is given.\n"
          "A base image is never deleted.",
          "     --purge         Also delete the upper layer and work directory\n"
          "     --yes           Do not ask before deleting them (required without a terminal)\n"
          "     --no-reload     Do not stop units or reload systemd; only delete files\n" },
        { "list", "List every child and its state", 0, 0, verb_list, "list [--json] [--no-legend]",
          "List every configured container: base, mount point, mount state, machine state\n"
          "(from systemd-machined) and the disk space its upper layer uses." },
        { "status", "Show one child, its units and the ExecStart= in force", 1, 1, verb_status, "status NAME [--json]",
          "Show one container: its config files, layers, mount and machine state, the units\n"
          "generated for it and the ExecStart= that systemd actually applies." },
        { "fstab", "Print equivalent /etc/fstab lines", 0, -1, verb_fstab, "fstab [NAME...]",
          "Print /etc/fstab lines equivalent to the generated mount units, for hosts that\n"
          "prefer fstab. The upper and work directories must then be created by hand." },
        { "verify", "Check the configs and the directories they name", 0, -1, verb_verify, "verify [NAME...]",
          "Check the configs as the generator does, and the directories the mounts need.\n"
          "Prints every problem; exits with 1 if any container has an error." },
        { "check-base", "Fail if an image is the base of children", 1, 1, verb_check_base, "check-base NAME",
          "Fail if NAME is the base image of a configured container. Run by the generated\n"
          "drop-in of systemd-nspawn@NAME.service so that a base is not booted under its children." },
        { "prepare", "Check and create a child's layers (prepare unit)", 1, 1, verb_prepare, "prepare NAME",
          "Check the layers of container NAME and create its upper and work directories.\n"
          "Run by nspawn-overlay-prepare@NAME.service before the overlay is mounted." },
        { "shift-base", "Shift a base once into a UID range", 1, 2, verb_shift_base, "shift-base BASE [UID]",
          "Shift the owners of every file in base image BASE once into the UID range UID…UID+65535\n"
          "(default: derived from the path), for file systems without idmapped mounts. Its\n"
          "children then share that range. Refuses while a child is mounted. Afterwards, boot\n"
          "the base itself with: systemd-nspawn -D PATH --private-users=yes" },
        { "update", "Change a base safely, all or nothing", 2, -1, verb_update, "update BASE [--keep=N] -- COMMAND...",
          "Update base image BASE safely: stop its running children and unmount them, run\n"
          "COMMAND in a copy of BASE with systemd-nspawn, prune from every child the files that\n"
          "match the old version, switch BASE to the copy in one rename, list child files that\n"
          "hide paths the update changed, and restart the children that ran. If COMMAND fails,\n"
          "BASE stays as it was and its exit status is returned. --keep=N old versions are kept\n"
          "for rollback (default 1)." },
        { "rollback", "Go back to the base's previous version", 1, 1, verb_rollback, "rollback BASE",
          "Switch BASE back to the newest version that update kept, with its children stopped\n"
          "and restarted as for update. The version rolled back from is deleted." },
        { "diff", "Show what a child changed against its base", 0, -1, verb_diff, "diff NAME|--lower=DIR:... --upper=DIR [--json]",
          "List what a child changed against its base: added, modified, metadata-only, deleted\n"
          "(whiteouts), opaque and renamed entries. See 'nspawn-overlay diff --help'.", NULL, true },
        { "prune", "Remove upper-layer entries the merged view does not need", 0, -1, verb_prune, "prune NAME...|--all [--dry-run] [--older-than-base]",
          "Remove the entries of a stopped child's upper layer that the merged view does not\n"
          "need: copies identical to the base, needless whiteouts, empty identical directories.\n"
          "--older-than-base also moves aside the child's files at paths the base changed.\n"
          "Also: prune --lower=DIR:... --upper=DIR. See 'nspawn-overlay prune --help'.", NULL, true },
        { "restore", "Put back files that prune moved aside", 0, -1, verb_restore, "restore NAME [--backup=DIR]",
          "Put back the files that 'prune --older-than-base' moved aside. See\n"
          "'nspawn-overlay restore --help'.", NULL, true },
        { "release", "Unmount the lower layers that prepare mounted", 1, 1, verb_release, "release NAME",
          "Unmount the lower-layer mounts that prepare made for container NAME. The mounted\n"
          "overlay keeps its own references, so this is safe once it is mounted." },
};

static const Verb *find_verb(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(verbs[i].name, name))
                        return &verbs[i];

        return NULL;
}

static void help_options(void) {
        printf("\nOptions:\n"
               "  -h --help          Show this help, or the help of VERB\n"
               "     --version       Show the version\n"
               "     --json=MODE     Print JSON (list, status): short (one line) or pretty;\n"
               "                     --json is the same as --json=short\n"
               "     --no-legend     Omit table headers and footers\n"
               "     --no-pager      Do not pipe the output into a pager\n"
               "     --keep=N        Old base versions that update keeps (default 1)\n"
               "\nEnvironment:\n"
               "  " CONFIG_PATH_ENV "  colon-separated config directories, replacing\n"
               "                     /etc, /run, /usr/local/lib and /usr/lib/nspawn-overlay\n"
               "\nSee the nspawn-overlay(1) and nspawn-overlay.conf(5) manual pages.\n");
}

static void help(void) {
        printf("nspawn-overlay [OPTIONS...] VERB [ARGS...]\n\n"
               "Manage systemd-nspawn containers whose root is an overlayfs child of a shared base\n"
               "image, configured in /etc/nspawn-overlay/NAME.conf.\n\nVerbs:\n");

        /* A synopsis too long for the column gets the summary on a line of its own. */
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strlen(verbs[i].synopsis) <= 38)
                        printf("  %-38s %s\n", verbs[i].synopsis, verbs[i].summary);
                else
                        printf("  %s\n  %-38s %s\n", verbs[i].synopsis, "", verbs[i].summary);

        printf("\nSee 'nspawn-overlay VERB --help' for what a verb does and its options.\n");

        help_options();
}

static void help_verb(const Verb *v) {
        printf("nspawn-overlay %s\n\n%s\n", v->synopsis, v->description);
        if (v->options)
                printf("\nOptions of %s:\n%s", v->name, v->options);
        help_options();
}

static int parse_argv(int argc, char *argv[]) {
        enum {
                ARG_VERSION = 0x100,
                ARG_JSON,
                ARG_NO_LEGEND,
                ARG_NO_PAGER,
                ARG_BASE,
                ARG_START,
                ARG_ENABLE,
                ARG_NO_RELOAD,
                ARG_PURGE,
                ARG_YES,
                ARG_KEEP,
        };
        static const struct option options[] = {
                { "help",      no_argument,       NULL, 'h'           },
                { "version",   no_argument,       NULL, ARG_VERSION   },
                { "json",      optional_argument, NULL, ARG_JSON      },
                { "no-legend", no_argument,       NULL, ARG_NO_LEGEND },
                { "no-pager",  no_argument,       NULL, ARG_NO_PAGER  },
                { "base",      required_argument, NULL, ARG_BASE      },
                { "start",     no_argument,       NULL, ARG_START     },
                { "enable",    no_argument,       NULL, ARG_ENABLE    },
                { "no-reload", no_argument,       NULL, ARG_NO_RELOAD },
                { "purge",     no_argument,       NULL, ARG_PURGE     },
                { "yes",       no_argument,       NULL, ARG_YES       },
                { "keep",      required_argument, NULL, ARG_KEEP      },
                {}
        };
        int c;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        arg_help = true;
                        break;
                case ARG_VERSION:
                        printf("nspawn-overlay %s\n", PROJECT_VERSION);
                        return 0;
                case ARG_JSON:
                        if (optarg && !streq(optarg, "short") && !streq(optarg, "pretty")) {
                                log_error("Invalid --json= mode \"%s\". Use --json=short or --json=pretty.", optarg);
                                return -EINVAL;
                        }
                        arg_json = true;
                        arg_json_pretty = optarg && streq(optarg, "pretty");
                        break;
                case ARG_NO_LEGEND:
                        arg_legend = false;
                        break;
                case ARG_NO_PAGER:
                        arg_no_pager = true;
                        break;
                case ARG_BASE:
                        if (strv_extend(&arg_bases, optarg) < 0)
                                return log_oom();
                        break;
                case ARG_START:
                        arg_start = true;
                        break;
                case ARG_ENABLE:
                        arg_enable = true;
                        break;
                case ARG_NO_RELOAD:
                        arg_no_reload = true;
                        break;
                case ARG_PURGE:
                        arg_purge = true;
                        break;
                case ARG_YES:
                        arg_yes = true;
                        break;
                case ARG_KEEP: {
                        char *end;
                        unsigned long v = strtoul(optarg, &end, 10);

                        if (*optarg == '\0' || *end != '\0' || v < 1 || v > 1000) {
                                log_error("Invalid --keep= value \"%s\". Give a number of versions from 1 to 1000.", optarg);
                                return -EINVAL;
                        }
                        arg_keep = (unsigned) v;
                        break;
                }
                case '?':
                        return -EINVAL;
                default:
                        abort();
                }

        return 1;
}

/* Find the first argument that is not an option: global options take no separate value. */
static const Verb *find_verb_with_own_options(int argc, char *argv[], int *ret_index) {
        for (int i = 1; i < argc; i++) {
                const Verb *v;

                if (streq(argv[i], "--"))
                        return NULL;
                if (argv[i][0] == '-')
                        continue;

                v = find_verb(argv[i]);
                if (!v || !v->own_options)
                        return NULL;

                *ret_index = i;
                return v;
        }

        return NULL;
}

int main(int argc, char *argv[]) {
        const Verb *v;
        int r, n_args, verb_index;

        log_setup("nspawn-overlay", LOG_TARGET_CONSOLE);
        log_parse_environment();

        /* Verbs with their own options get the arguments after the verb, global options
         * before it. */
        v = find_verb_with_own_options(argc, argv, &verb_index);
        if (v) {
                r = parse_argv(verb_index, argv);
                if (r <= 0)
                        return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;
                if (arg_help) {
                        help_verb(v);
                        return EXIT_SUCCESS;
                }

                r = v->run(argc - verb_index, argv + verb_index);
                return r < 0 ? EXIT_FAILURE : r;
        }

        r = parse_argv(argc, argv);
        if (r <= 0)
                return r < 0 ? EXIT_USAGE : EXIT_SUCCESS;

        if (optind >= argc) {
                if (arg_help) {
                        help();
                        return EXIT_SUCCESS;
                }
                log_error("Missing verb. See 'nspawn-overlay --help'.");
                return EXIT_USAGE;
        }

        v = find_verb(argv[optind]);
        if (!v) {
                log_error("Unknown verb \"%s\". See 'nspawn-overlay --help'.", argv[optind]);
                return EXIT_USAGE;
        }

        if (arg_help) {
                help_verb(v);
                return EXIT_SUCCESS;
        }

        n_args = argc - optind - 1;
        if (n_args < v->min_args || (v->max_args >= 0 && n_args > v->max_args)) {
                log_error("Wrong number of arguments. Usage: nspawn-overlay %s", v->synopsis);
                return EXIT_USAGE;
        }

        /* update returns the exit status of the command it ran when that failed. */
        r = v->run(argc - optind, argv + optind);
        return r < 0 ? EXIT_FAILURE : r;
}
