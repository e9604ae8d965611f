/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Loads configs from temporary directories through the real search-path loader. */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "config-load.h"
#include "log.h"
#include "macro.h"
#include "test-macros.h"

static char root[] = "/tmp/nspawn-overlay-test-config.XXXXXX";

static void write_file(const char *relative, const char *content) {
        char path[4096];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", root, relative);
        for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                mkdir(path, 0755);
                *s = '/';
        }

        f = fopen(path, "we");
        fputs(content, f);
        fclose(f);
}

static void link_to_dev_null(const char *relative) {
        char path[512];

        snprintf(path, sizeof(path), "%s/%s", root, relative);
        if (symlink("/dev/null", path) < 0) {
                perror(path);
                exit(EXIT_FAILURE);
        }
}

static void reset_root(void) {
        char cmd[4200];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'/etc '%s'/run '%s'/lib", root, root, root);
        (void) system(cmd);
}

static void use_search_path(void) {
        char path[4096];

        snprintf(path, sizeof(path), "%s/etc:%s/run:%s/lib", root, root, root);
        setenv(CONFIG_PATH_ENV, path, 1);
}

static void test_all_keys(void) {
        ContainerSet set = {};
        Container *c;

        reset_root();
        write_file("etc/full.conf",
                   "; a comment\n"
                   "# another comment\n"
                   "[Overlay]\n"
                   "Base=top\n"
                   "Base=/srv/images/bottom/\n"
                   "ImageDirectory=/var/lib/container\n"
                   "Directory=/srv/children/full\n"
                   "Upper=/srv/layers/full/upper\n"
                   "Work=/srv/layers/full/work\n"
                   "Automount=no\n"
                   "IdleTimeoutSec=1min 30s\n"
                   "Options=userxattr,volatile ; inline comment\n"
                   "[Container]\n"
                   "Boot=no\n"
                   "Network=bridge:br0\n"
                   "PrivateUsers=131072:65536\n"
                   "Bind=/srv/www:/var/www:norbind\n"
                   "Bind=/srv/a\\:b:/x\n"
                   "BindReadOnly=/etc/resolv.conf\n"
                   "Environment=LANG=C.UTF-8\n"
                   "Environment=HASH=#not-a-comment\n");

        CHECK_INTEQ(config_load_all(&set), 0);
        CHECK_INTEQ(set.n, 1);
        c = container_set_find(&set, "full");
        CHECK(c != NULL);
        if (!c)
                goto finish;
        CHECK(!c->invalid);

        CHECK_INTEQ(strv_length(c->lowers), 2);
        CHECK_STREQ(c->lowers[0], "/var/lib/container/top");
        CHECK_STREQ(c->lowers[1], "/srv/images/bottom");
        CHECK_STREQ(c->directory, "/srv/children/full");
        CHECK_STREQ(c->upper, "/srv/layers/full/upper");
        CHECK_STREQ(c->work, "/srv/layers/full/work");
        CHECK(!c->automount);
        CHECK(c->idle_timeout_set);
        CHECK_INTEQ(c->idle_timeout_usec, 90000000);
        CHECK_INTEQ(strv_length(c->options), 2);
        CHECK_STREQ(c->options[1], "volatile");
        CHECK(!c->boot);
        CHECK_INTEQ(c->network, NETWORK_BRIDGE);
        CHECK_STREQ(c->network_name, "br0");
        CHECK_INTEQ(c->private_users, PRIVATE_USERS_FIXED);
        CHECK_INTEQ(c->uid_shift, 131072);
        CHECK_STREQ(c->binds[0], "/srv/www:/var/www:norbind");
        CHECK_STREQ(c->binds[1], "/srv/a\\:b:/x");
        CHECK_STREQ(c->binds_read_only[0], "/etc/resolv.conf");
        CHECK_STREQ(c->environment[1], "HASH=#not-a-comment");
        CHECK_STREQ(c->mount_unit, "srv-children-full.mount");

finish:
        container_set_done(&set);
}

static void test_defaults(void) {
        ContainerSet set = {};
        Container *c;

        reset_root();
        write_file("etc/child-apache.conf", "[Overlay]\nBase=default-ns-1\nImageDirectory=/var/lib/container\n");

        CHECK_INTEQ(config_load_all(&set), 0);
        c = container_set_find(&set, "child-apache");
        CHECK(c != NULL);
        if (c) {
                CHECK(!c->invalid);
                CHECK_STREQ(c->directory, "/var/lib/container/child-apache");
                CHECK_STREQ(c->upper, "/var/lib/container/child-apache_up");
                CHECK_STREQ(c->work, "/var/lib/container/child-apache_work");
                CHECK(c->automount);
                CHECK(c->boot);
                CHECK_INTEQ(c->network, NETWORK_VETH);
        }
        container_set_done(&set);
}

static void test_dropins_and_masking(void) {
        ContainerSet set = {};
        Container *c;

        reset_root();
        /* /etc masks /lib's main file; drop-ins from both apply in file name order, and a
         * same-named drop-in in /etc masks the one in /lib. */
        write_file("lib/a.conf", "[Overlay]\nBase=wrong\n");
        write_file("etc/a.conf", "[Overlay]\nBase=one\n[Container]\nBind=/x\n");
        write_file("lib/a.conf.d/10-two.conf", "[Overlay]\nBase=two\n");
        write_file("etc/a.conf.d/20-reset.conf", "[Container]\nBind=\nBind=/y\n");
        write_file("lib/a.conf.d/30-net.conf", "[Container]\nNetwork=host\n");
        write_file("etc/a.conf.d/30-net.conf", "[Container]\nNetwork=none\n");
        write_file("run/b.conf", "[Overlay]\nBase=one\n");
        write_file("etc/b.conf", "");
        write_file("run/c.conf", "[Overlay]\nBase=one\n");
        /* A symlink to /dev/null masks a main file and a drop-in just as an empty file does. */
        write_file("lib/c.conf.d/40-host.conf", "[Container]\nNetwork=host\n");
        write_file("etc/c.conf.d/10-boot.conf", "[Container]\nBoot=no\n");
        link_to_dev_null("etc/c.conf.d/40-host.conf");
        write_file("run/d.conf", "[Overlay]\nBase=one\n");
        link_to_dev_null("etc/d.conf");

        CHECK_INTEQ(config_load_all(&set), 0);
        CHECK_INTEQ(set.n, 2);
        CHECK(container_set_find(&set, "d") == NULL);
        CHECK(container_set_find(&set, "b") == NULL);

        c = container_set_find(&set, "a");
        CHECK(c != NULL);
        if (c) {
                CHECK(!c->invalid);
                CHECK_INTEQ(strv_length(c->bases), 2);
                CHECK_STREQ(c->bases[1], "two");
                CHECK_INTEQ(strv_length(c->binds), 1);
                CHECK_STREQ(c->binds[0], "/y");
                CHECK_INTEQ(c->network, NETWORK_NONE);
                CHECK_INTEQ(strv_length(c->dropins), 3);
        }

        c = container_set_find(&set, "c");
        CHECK(c != NULL);
        if (c) {
                CHECK(!c->invalid);
                CHECK(!c->boot);
                CHECK_INTEQ(c->network, NETWORK_VETH);
                CHECK_INTEQ(strv_length(c->dropins), 1);
        }
        container_set_done(&set);
}

static void expect_invalid(const char *name, const char *content) {
        char file[256];
        ContainerSet set = {};
        Container *c;

        reset_root();
        snprintf(file, sizeof(file), "etc/%s.conf", name);
        write_file(file, content);
        write_file("etc/good.conf", "[Overlay]\nBase=base\n");

        CHECK_INTEQ(config_load_all(&set), 0);
        c = container_set_find(&set, name);
        if (!c || !c->invalid)
                fprintf(stderr, "expected %s to be invalid:\n%s\n", name, content);
        CHECK(c != NULL);
        CHECK(!c || c->invalid);

        c = container_set_find(&set, "good");
        CHECK(c != NULL);
        CHECK(!c || !c->invalid);
        container_set_done(&set);
}

static void test_invalid(void) {
        char long_line[300];

        expect_invalid("nobase", "[Overlay]\nImageDirectory=/x\n");
        expect_invalid("relative", "[Overlay]\nBase=b\nUpper=relative/path\n");
        expect_invalid("dotdot", "[Overlay]\nBase=/srv/../etc\n");
        expect_invalid("comma", "[Overlay]\nBase=/srv/a,b\n");
        expect_invalid("quote", "[Overlay]\nBase=b\nUpper=/srv/\"up\"\n");
        expect_invalid("nested", "[Overlay]\nBase=b\nUpper=/var/lib/machines/nested/up\n");
        expect_invalid("upperinbase", "[Overlay]\nBase=/srv/base\nUpper=/srv/base/up\n");
        expect_invalid("samework", "[Overlay]\nBase=b\nUpper=/srv/x\nWork=/srv/x\n");
        expect_invalid("selfbase", "[Overlay]\nBase=selfbase\n");
        expect_invalid("twice", "[Overlay]\nBase=b\nBase=b\n");
        expect_invalid("badbool", "[Overlay]\nBase=b\nAutomount=maybe\n");
        expect_invalid("badtime", "[Overlay]\nBase=b\nIdleTimeoutSec=soon\n");
        expect_invalid("badnet", "[Overlay]\nBase=b\n[Container]\nNetwork=vlan\n");
        expect_invalid("badzone", "[Overlay]\nBase=b\n[Container]\nNetwork=zone:waytoolongzonename\n");
        expect_invalid("badusers", "[Overlay]\nBase=b\n[Container]\nPrivateUsers=100000\n");
        expect_invalid("badbind", "[Overlay]\nBase=b\n[Container]\nBind=relative:/x\n");
        expect_invalid("badenv", "[Overlay]\nBase=b\n[Container]\nEnvironment=NOVALUE\n");
        expect_invalid("layeropt", "[Overlay]\nBase=b\nOptions=upperdir=/x\n");
        expect_invalid("spaceopt", "[Overlay]\nBase=b\nOptions=a b\n");
        expect_invalid("indented", "[Overlay]\nBase=b\n  Base=c\n");
        expect_invalid("colon", "[Overlay]\nBase: b\n");
        expect_invalid("noequals", "[Overlay]\nBase b\n");
        expect_invalid("section", "[Overlay\nBase=b\n");
        expect_invalid("control", "[Overlay]\nBase=b\x01x\n");
        expect_invalid("utf8", "[Overlay]\nBase=b\xff\n");
        expect_invalid("child_apache", "[Overlay]\nBase=b\n");
        expect_invalid("backslashend", "[Overlay]\nBase=b\nDirectory=/srv/x\\\n");

        /* inih would split this line at 197 bytes and read the tail as a new key. */
        memset(long_line, 'a', sizeof(long_line));
        memcpy(long_line, "[Overlay]\nBase=/", 16);
        memcpy(long_line + 250, "\nUpper=/x\n", 11);
        expect_invalid("longline", long_line);
}

static void test_conflicts(void) {
        ContainerSet set = {};

        reset_root();
        write_file("etc/a.conf", "[Overlay]\nBase=b\nUpper=/srv/shared\n");
        write_file("etc/b.conf", "[Overlay]\nBase=b\nUpper=/srv/shared/inner\n");
        write_file("etc/c.conf", "[Overlay]\nBase=b\nDirectory=/srv/shared-not-nested\n");
        write_file("etc/d.conf", "[Overlay]\nBase=b\nWork=/var/lib/machines/a/work\n");
        /* The same path under two different keys, and an ancestor several levels up: of two
         * conflicting containers the one whose name sorts later is skipped. */
        write_file("etc/e.conf", "[Overlay]\nBase=b\nUpper=/srv/e/up\n");
        write_file("etc/f.conf", "[Overlay]\nBase=b\nDirectory=/srv/e/up\n");
        write_file("etc/g.conf", "[Overlay]\nBase=b\nWork=/srv/deep/one/two/three/work\n");
        write_file("etc/h.conf", "[Overlay]\nBase=b\nUpper=/srv/deep/one\n");
        /* y is skipped for nesting in x, so z, which nests only in y, is kept. */
        write_file("etc/x.conf", "[Overlay]\nBase=b\nUpper=/srv/chain/x\n");
        write_file("etc/y.conf", "[Overlay]\nBase=b\nUpper=/srv/chain/x/y\n");
        write_file("etc/z.conf", "[Overlay]\nBase=b\nDirectory=/var/lib/machines/y/root\n");

        CHECK_INTEQ(config_load_all(&set), 0);
        CHECK(!container_set_find(&set, "a")->invalid);
        CHECK(container_set_find(&set, "b")->invalid);
        CHECK(!container_set_find(&set, "c")->invalid);
        CHECK(container_set_find(&set, "d")->invalid);
        CHECK(!container_set_find(&set, "e")->invalid);
        CHECK(container_set_find(&set, "f")->invalid);
        CHECK(!container_set_find(&set, "g")->invalid);
        CHECK(container_set_find(&set, "h")->invalid);
        CHECK(!container_set_find(&set, "x")->invalid);
        CHECK(container_set_find(&set, "y")->invalid);
        CHECK(!container_set_find(&set, "z")->invalid);
        container_set_done(&set);
}

int main(void) {
        if (!mkdtemp(root))
                return 77;

        log_set_max_level(LOG_CRIT);
        use_search_path();

        test_all_keys();
        test_defaults();
        test_dropins_and_masking();
        test_invalid();
        test_conflicts();

        reset_root();
        rmdir(root);
        return test_exit_status();
}
