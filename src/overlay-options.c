/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <string.h>

#include "macro.h"
#include "overlay-options.h"
#include "runtime-dir.h"
#include "string-util.h"

const char *const overlay_pinned_options[] = {
        "redirect_dir=off",
        "index=off",
        "xino=off",
        "metacopy=off",
        NULL,
};

void overlay_append_escaped_path(StrBuf *b, const char *path) {
        for (const char *p = path;;) {
                size_t n = strcspn(p, ":\\");

                strbuf_append_n(b, p, n);
                p += n;
                if (*p == '\0')
                        break;

                strbuf_append_char(b, '\\');
                strbuf_append_char(b, *p);
                p++;
        }
}

static size_t option_name_length(const char *option) {
        return strcspn(option, "=");
}

static const char *find_configured(char *const *options, const char *pinned) {
        size_t n = option_name_length(pinned);

        if (options)
                for (char *const *o = options; *o; o++)
                        if (option_name_length(*o) == n && strneq(*o, pinned, n))
                                return *o;

        return NULL;
}

/* With userxattr, Linux (seen on 6.18) rejects redirect_dir=off, which it treats as "follow
 * existing redirects", and defaults to nofollow. So that case pins nofollow: redirects are then
 * neither created nor followed, which keeps offline changes to a lower layer legal too. */
static const char *pinned_option(const Container *c, const char *pinned) {
        if (strneq(pinned, "redirect_dir=", 13) && strv_contains(c->options, "userxattr"))
                return "redirect_dir=nofollow";

        return pinned;
}

static bool option_keeps_offline_changes_legal(const char *configured, const char *pinned) {
        return streq(configured, pinned) || streq(configured, "redirect_dir=nofollow");
}

static void append_lowerdir(StrBuf *b, const Container *c, bool layer_mounts) {
        strbuf_append(b, "lowerdir=");

        for (size_t i = 0; c->lowers && c->lowers[i]; i++) {
                if (i > 0)
                        strbuf_append_char(b, ':');

                /* The runtime path needs no escaping: a machine name has no ":" or "\". */
                if (layer_mounts)
                        runtime_append_lower_path(b, c->name, i);
                else
                        overlay_append_escaped_path(b, c->lowers[i]);
        }
}

int overlay_build_options(const Container *c, bool layer_mounts, char **ret, bool *ret_unsafe) {
        _cleanup_(strbuf_done) StrBuf b = {};
        bool unsafe = false;

        assert(c);
        assert(ret);

        append_lowerdir(&b, c, layer_mounts);

        strbuf_append(&b, ",upperdir=");
        overlay_append_escaped_path(&b, c->upper);
        strbuf_append(&b, ",workdir=");
        overlay_append_escaped_path(&b, c->work);

        for (const char *const *p = overlay_pinned_options; *p; p++) {
                const char *configured = find_configured(c->options, *p);

                if (!configured) {
                        strbuf_append_char(&b, ',');
                        strbuf_append(&b, pinned_option(c, *p));
                } else if (!option_keeps_offline_changes_legal(configured, *p))
                        unsafe = true;
        }

        for (char **o = c->options; o && *o; o++) {
                strbuf_append_char(&b, ',');
                strbuf_append(&b, *o);
        }

        if (!strbuf_ok(&b))
                return -ENOMEM;
        if (b.len > OVERLAY_OPTIONS_MAX)
                return -E2BIG;

        *ret = TAKE_PTR(b.data);
        if (ret_unsafe)
                *ret_unsafe = unsafe;
        return 0;
}
