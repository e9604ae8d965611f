/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <stdlib.h>

#include "base-update.h"
#include "cli.h"
#include "log.h"

unsigned arg_keep = 1;

int verb_update(int argc, char *argv[]) {
        _cleanup_free_ char *base = NULL;
        ContainerSet set = {};
        UpdateOptions o;
        int r;

        r = load_configs_quietly(&set);
        if (r < 0)
                return r;

        base = base_resolve(&set, argv[1]);
        if (!base) {
                r = log_error_errno(EINVAL, "Invalid base \"%s\": use a name from the children's Base= or an absolute path.", argv[1]);
                goto finish;
        }

        o = (UpdateOptions) {
                .base = base,
                .command = argv + 2,
                .keep = arg_keep,
        };
        r = base_update(&set, &o);

finish:
        container_set_done(&set);
        return r;
}

int verb_rollback(int argc, char *argv[]) {
        _cleanup_free_ char *base = NULL;
        ContainerSet set = {};
        int r;

        r = load_configs_quietly(&set);
        if (r < 0)
                return r;

        base = base_resolve(&set, argv[1]);
        if (!base)
                r = log_error_errno(EINVAL, "Invalid base \"%s\": use a name from the children's Base= or an absolute path.", argv[1]);
        else
                r = base_rollback(&set, base);

        container_set_done(&set);
        return r;
}
