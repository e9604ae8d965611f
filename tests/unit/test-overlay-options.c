/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>

#include "config.h"
#include "macro.h"
#include "overlay-options.h"
#include "test-macros.h"
#include "unit-escape.h"

static Container *make_container(const char *const *lowers, const char *upper, const char *work) {
        Container *c = container_new("t", "/etc/nspawn-overlay/t.conf");

        for (size_t i = 0; lowers[i]; i++)
                strv_extend(&c->lowers, lowers[i]);
        c->upper = strdup(upper);
        c->work = strdup(work);
        return c;
}

static void test_escaping(void) {
        static const char *const lowers[] = { "/img/a:b", "/img/back\\slash", "/img/plain", NULL };
        _cleanup_container_ Container *c = make_container(lowers, "/up:per", "/wo\\rk");
        _cleanup_free_ char *options = NULL;
        bool unsafe = true;

        CHECK_INTEQ(overlay_build_options(c, false, &options, &unsafe), 0);
        CHECK_STREQ(options,
                    "lowerdir=/img/a\\:b:/img/back\\\\slash:/img/plain,upperdir=/up\\:per,workdir=/wo\\\\rk,"
                    "redirect_dir=off,index=off,xino=off,metacopy=off");
        CHECK(!unsafe);
}

static void test_configured_options(void) {
        static const char *const lowers[] = { "/b", NULL };
        _cleanup_container_ Container *c = make_container(lowers, "/u", "/w");
        _cleanup_free_ char *options = NULL, *options2 = NULL;
        bool unsafe = false;

        /* Repeating a pinned value is safe and appears once; turning a feature on is not. */
        strv_extend(&c->options, "index=off");
        strv_extend(&c->options, "userxattr");
        CHECK_INTEQ(overlay_build_options(c, false, &options, &unsafe), 0);
        CHECK_STREQ(options, "lowerdir=/b,upperdir=/u,workdir=/w,redirect_dir=nofollow,xino=off,metacopy=off,index=off,userxattr");
        CHECK(!unsafe);

        strv_extend(&c->options, "metacopy=on");
        CHECK_INTEQ(overlay_build_options(c, false, &options2, &unsafe), 0);
        CHECK_STREQ(options2, "lowerdir=/b,upperdir=/u,workdir=/w,redirect_dir=nofollow,xino=off,index=off,userxattr,metacopy=on");
        CHECK(unsafe);
}

static void test_length_limit(void) {
        char long_path[1100];
        const char *lowers[5];
        _cleanup_free_ char *options = NULL;
        Container *c;

        long_path[0] = '/';
        memset(long_path + 1, 'x', sizeof(long_path) - 2);
        long_path[sizeof(long_path) - 1] = '\0';

        for (size_t i = 0; i < 4; i++)
                lowers[i] = long_path;
        lowers[4] = NULL;

        c = make_container(lowers, "/u", "/w");
        CHECK_INTEQ(overlay_build_options(c, false, &options, NULL), -E2BIG);
        container_free(c);
}

static void test_unit_escape(void) {
        _cleanup_(strbuf_done) StrBuf b = {};

        unit_append_exec_arg(&b, "--bind=/srv/a b:/x");
        CHECK_STREQ(strbuf_str(&b), "\"--bind=/srv/a b:/x\"");

        strbuf_reset(&b);
        unit_append_exec_arg(&b, "--setenv=A=$HOME 100%\"q\"\\");
        CHECK_STREQ(strbuf_str(&b), "\"--setenv=A=$$HOME 100%%\\\"q\\\"\\\\\"");

        strbuf_reset(&b);
        unit_append_exec_arg(&b, "--machine=plain");
        CHECK_STREQ(strbuf_str(&b), "--machine=plain");

        strbuf_reset(&b);
        unit_append_exec_arg(&b, ";");
        CHECK_STREQ(strbuf_str(&b), "\";\"");

        strbuf_reset(&b);
        unit_append_word(&b, "/srv/with space/%i");
        CHECK_STREQ(strbuf_str(&b), "\"/srv/with space/%%i\"");

        strbuf_reset(&b);
        unit_append_value(&b, "/a/%n b");
        CHECK_STREQ(strbuf_str(&b), "/a/%%n b");
}

int main(void) {
        test_escaping();
        test_configured_options();
        test_length_limit();
        test_unit_escape();
        return test_exit_status();
}
