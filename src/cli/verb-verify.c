/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdio.h>

#include "cli.h"
#include "layer-checks.h"
#include "log.h"

/* Run the checks that need the host's directories. Returns the number of errors. */
static unsigned verify_layers(const Container *c) {
        unsigned errors = 0;

        if (check_lowers(c) < 0)
                errors++;
        if (check_mount_point(c) < 0)
                errors++;
        if (check_upper_and_work(c) < 0)
                errors++;

        if (!c->invalid && c->lowers)
                warn_base_machine_id(c);

        if (c->offline_changes_unsafe)
                log_syntax(c->path, 0, LOG_NOTICE, 0,
                           "Options= turns on an overlay feature (metacopy, index, xino or redirect_dir) that makes "
                           "changing the base undefined while this child exists.");

        return errors;
}

int verb_verify(int argc, char *argv[]) {
        ContainerSet set = {};
        unsigned failed = 0, checked = 0;
        int r;

        /* The loader logs every config problem as it reads, which is the first half of the report. */
        r = config_load_all(&set);
        if (r < 0)
                return r;

        for (size_t i = 0; i < set.n; i++) {
                Container *c = set.containers[i];
                bool selected = argc <= 1;

                for (int j = 1; j < argc && !selected; j++)
                        selected = streq(argv[j], c->name);
                if (!selected)
                        continue;

                checked++;
                if (c->invalid || verify_layers(c) > 0)
                        failed++;
        }

        for (int j = 1; j < argc; j++)
                if (!container_set_find(&set, argv[j])) {
                        log_error("No container \"%s\": there is no %s.conf in the config directories.", argv[j], argv[j]);
                        failed++;
                }

        if (arg_legend)
                printf("%u container%s checked, %u with errors.\n", checked, checked == 1 ? "" : "s", failed);

        container_set_done(&set);
        return failed > 0 ? -EINVAL : 0;
}
