/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <stdlib.h>

#include "machine-name.h"
#include "macro.h"
#include "path-util.h"
#include "test-macros.h"

static void check_normalize(const char *in, int expected_r, const char *expected) {
        _cleanup_free_ char *out = NULL;

        CHECK_INTEQ(path_normalize(in, &out), expected_r);
        if (expected_r == 0)
                CHECK_STREQ(out, expected);
}

static void test_path_normalize(void) {
        check_normalize("/", 0, "/");
        check_normalize("///", 0, "/");
        check_normalize("/a//b/", 0, "/a/b");
        check_normalize("/a/./b/.", 0, "/a/b");
        check_normalize("/a/../b", -EBADMSG, NULL);
        check_normalize("/a/..", -EBADMSG, NULL);
        check_normalize("/a/..b", 0, "/a/..b");
        check_normalize("relative/path", -EINVAL, NULL);
        check_normalize("", -EINVAL, NULL);
}

static void test_path_startswith(void) {
        CHECK_STREQ(path_startswith("/a/b/c", "/a/b"), "c");
        CHECK_STREQ(path_startswith("/a/b", "/a/b"), "");
        CHECK(path_startswith("/a/bc", "/a/b") == NULL);
        CHECK_STREQ(path_startswith("/a", "/"), "a");
        CHECK(path_overlaps("/var/lib/x", "/var/lib/x/up"));
        CHECK(path_overlaps("/var/lib/x/up", "/var/lib/x"));
        CHECK(!path_overlaps("/var/lib/x", "/var/lib/x_up"));
        CHECK(!path_overlaps("/var/lib/x_up", "/var/lib/x"));
        CHECK(path_overlaps("/var/lib/x", "/var/lib/x"));
        CHECK(path_overlaps("/", "/var"));
        CHECK(path_overlaps("/var", "/"));
        CHECK(path_overlaps("/", "/"));
        CHECK(!path_overlaps("/a/b", "/a/c"));
        CHECK(!path_overlaps("/a", "/b/a"));
}

static void test_machine_name(void) {
        _cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL;
        const char *reason;

        CHECK(machine_name_is_valid("child-apache", NULL));
        CHECK(machine_name_is_valid("web1.example.com", NULL));
        CHECK(!machine_name_is_valid("child_apache", &reason));
        CHECK(reason != NULL);
        CHECK(!reason || strstr(reason, "letters"));
        CHECK(!machine_name_is_valid("-lead", NULL));
        CHECK(!machine_name_is_valid("trail.", NULL));
        CHECK(!machine_name_is_valid("a..b", NULL));
        CHECK(!machine_name_is_valid("", NULL));
        CHECK(machine_name_is_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL));
        CHECK(!machine_name_is_valid("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL));

        s1 = machine_name_suggest("child_apache");
        CHECK_STREQ(s1, "child-apache");
        s2 = machine_name_suggest("_web__1_");
        CHECK_STREQ(s2, "web-1");
        s3 = machine_name_suggest("___");
        CHECK(s3 == NULL);
}

int main(void) {
        test_path_normalize();
        test_path_startswith();
        test_machine_name();
        return test_exit_status();
}
