/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdio.h>

#include "cli.h"
#include "log.h"
#include "overlay-options.h"
#include "strbuf.h"
#include "time-util.h"

/* fstab fields are separated by whitespace, so util-linux reads octal escapes in them. */
static void append_fstab_field(StrBuf *b, const char *s) {
        for (const char *p = s; *p; p++) {
                if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\\' || *p == '#')
                        strbuf_appendf(b, "\\%03o", (unsigned) (unsigned char) *p);
                else
                        strbuf_append_char(b, *p);
        }
}

/* fstab lines name the bases directly: an fstab entry cannot make idmapped lower layers. */
static int append_fstab_line(StrBuf *b, const Container *c) {
        _cleanup_free_ char *options = NULL;
        int r;

        r = overlay_build_options(c, false, &options, NULL);
        if (r == -E2BIG)
                return log_error_errno(r, "The overlay mount options of %s exceed %d bytes.", c->name, OVERLAY_OPTIONS_MAX);
        if (r < 0)
                return log_oom();

        strbuf_append(b, "overlay ");
        append_fstab_field(b, c->directory);
        strbuf_append(b, " overlay noauto");
        if (c->automount) {
                strbuf_append(b, ",x-systemd.automount");
                if (c->idle_timeout_set) {
                        strbuf_append(b, ",x-systemd.idle-timeout=");
                        strbuf_append_timespan(b, c->idle_timeout_usec);
                }
        }
        strbuf_append_char(b, ',');
        append_fstab_field(b, options);
        strbuf_append(b, " 0 0\n");
        return 0;
}

int verb_fstab(int argc, char *argv[]) {
        _cleanup_(strbuf_done) StrBuf out = {};
        ContainerSet set = {};
        int r = 0;

        r = load_configs_quietly(&set);
        if (r < 0)
                return r;

        if (argc <= 1)
                for (size_t i = 0; i < set.n; i++) {
                        if (set.containers[i]->invalid)
                                continue;
                        r = append_fstab_line(&out, set.containers[i]);
                        if (r < 0)
                                goto finish;
                }
        else
                for (int i = 1; i < argc; i++) {
                        Container *c;

                        r = find_container_or_fail(&set, argv[i], &c);
                        if (r < 0)
                                goto finish;

                        r = append_fstab_line(&out, c);
                        if (r < 0)
                                goto finish;
                }

        if (!strbuf_ok(&out)) {
                r = log_oom();
                goto finish;
        }

        fputs(strbuf_str(&out), stdout);
        r = 0;

finish:
        container_set_done(&set);
        return r;
}
