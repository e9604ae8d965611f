/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "disk-usage.h"
#include "log.h"
#include "output.h"

static const char *first_base(const Container *c) {
        if (c->invalid || !c->bases)
                return "-";
        return c->bases[0];
}

static void print_table(ContainerInfo *infos, size_t n) {
        int w_name = 4, w_base = 4, w_dir = 9;

        for (size_t i = 0; i < n; i++) {
                const Container *c = infos[i].container;
                w_name = MAX((int) strlen(c->name), w_name);
                w_base = MAX((int) strlen(first_base(c)), w_base);
                w_dir = MAX((int) strlen(c->directory ?: "-"), w_dir);
        }

        if (arg_legend)
                printf("%-*s %-*s %-*s %-11s %-9s %s\n", w_name, "NAME", w_base, "BASE", w_dir, "DIRECTORY",
                       "MOUNT", "MACHINE", "UPPER");

        for (size_t i = 0; i < n; i++) {
                const Container *c = infos[i].container;
                char size[16];

                const char *machine_color = machine_state_color(infos[i].machine);

                printf("%-*s %-*s %-*s %s%-11s%s %s%-9s%s %s\n", w_name, c->name, w_base, first_base(c), w_dir,
                       c->directory ?: "-",
                       c->invalid ? ansi(ANSI_RED) : "", c->invalid ? "invalid" : mount_state_to_string(infos[i].mount),
                       c->invalid ? ansi(ANSI_NORMAL) : "",
                       machine_color, infos[i].machine, *machine_color ? ansi(ANSI_NORMAL) : "",
                       infos[i].upper_known ? format_bytes(size, infos[i].upper_bytes) : "-");
        }

        if (arg_legend)
                printf("\n%zu container%s listed.\n", n, n == 1 ? "" : "s");
}

int verb_list(int argc, char *argv[]) {
        _cleanup_(strbuf_done) StrBuf json = {};
        ContainerSet set = {};
        ContainerInfo *infos = NULL;
        sd_bus *bus = NULL;
        int r;

        r = load_configs_quietly(&set);
        if (r < 0)
                return r;

        infos = calloc(set.n + 1, sizeof(ContainerInfo));
        if (!infos) {
                r = log_oom();
                goto finish;
        }

        bus = system_bus_open();
        for (size_t i = 0; i < set.n; i++) {
                r = container_info_gather(bus, set.containers[i], &infos[i]);
                if (r < 0)
                        goto finish;
        }

        if (arg_json) {
                strbuf_append_char(&json, '[');
                for (size_t i = 0; i < set.n; i++) {
                        if (i > 0)
                                strbuf_append_char(&json, ',');
                        container_info_append_json(&json, &infos[i]);
                }
                strbuf_append(&json, "]\n");
                if (!strbuf_ok(&json)) {
                        r = log_oom();
                        goto finish;
                }
                pager_open(arg_no_pager);
                json_print(strbuf_str(&json), arg_json_pretty);
        } else {
                pager_open(arg_no_pager);
                print_table(infos, set.n);
        }
        r = 0;

finish:
        for (size_t i = 0; infos && i < set.n; i++)
                container_info_done(&infos[i]);
        free(infos);
        sd_bus_flush_close_unref(bus);
        container_set_done(&set);
        return r;
}
