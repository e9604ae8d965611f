/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include "cli.h"
#include "log.h"
#include "strbuf.h"
#include "unit-render.h"

/* Used as ExecStartPre= of systemd-nspawn@BASE.service: booting a base writes to it, which
 * overlayfs does not allow under its mounted children. */
int verb_check_base(int argc, char *argv[]) {
        _cleanup_(strbuf_done) StrBuf children = {};
        const char *base = argv[1];
        ContainerSet set = {};
        unsigned n = 0;
        int r;

        r = load_configs_quietly(&set);
        if (r < 0)
                return r;

        for (size_t i = 0; i < set.n; i++) {
                const Container *c = set.containers[i];

                if (c->invalid)
                        continue;

                for (char **l = c->lowers; *l; l++) {
                        const char *name = lower_machine_name(*l);

                        if (name && streq(name, base)) {
                                strbuf_appendf(&children, "%s%s", n > 0 ? ", " : "", c->name);
                                n++;
                                break;
                        }
                }
        }
        container_set_done(&set);

        if (n == 0)
                return 0;

        return log_error_errno(EBUSY,
                               "Refusing to boot %s: it is the base image of %s. Changing a lower layer under overlay "
                               "children is undefined. Remove the children's configs first, or change the base with "
                               "'systemd-nspawn -D' while all its children are stopped and unmounted.",
                               base, strbuf_str(&children));
}
