/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* Compares our unit names with what systemd-escape --path prints for the same paths. */

#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "macro.h"
#include "path-util.h"
#include "test-macros.h"
#include "unit-name.h"

static const char *const paths[] = {
        "/",
        "/var/lib/container/child-apache",
        "/var/lib/machines/web.example.com",
        "/srv/with space/and\ttab",
        "/srv/ümlaut/日本",
        "/.hidden/dir",
        "/a/.dot-after-slash",
        "/back\\slash/x",
        "/colon:and_underscore",
        "/percent%sign/$dollar/\"quote\"",
        "//double//slashes///",
        "/dash-/-dash",
        "/a/./b/.",
};

/* Run systemd-escape --path --suffix=mount PATH and return its output without the newline. */
static char *systemd_escape(const char *path) {
        int pipe_fds[2];
        char buf[4096];
        ssize_t n, total = 0;
        pid_t pid;

        if (pipe(pipe_fds) < 0)
                return NULL;

        pid = fork();
        if (pid < 0)
                return NULL;
        if (pid == 0) {
                dup2(pipe_fds[1], STDOUT_FILENO);
                close(pipe_fds[0]);
                execlp("systemd-escape", "systemd-escape", "--path", "--suffix=mount", "--", path, (char *) NULL);
                _exit(127);
        }

        close(pipe_fds[1]);
        while ((n = read(pipe_fds[0], buf + total, sizeof(buf) - 1 - total)) > 0)
                total += n;
        close(pipe_fds[0]);
        waitpid(pid, NULL, 0);

        while (total > 0 && buf[total - 1] == '\n')
                total--;
        buf[total] = '\0';
        return strdup(buf);
}

static void test_matches_systemd_escape(void) {
        for (size_t i = 0; i < ELEMENTSOF(paths); i++) {
                _cleanup_free_ char *normalized = NULL, *ours = NULL, *theirs = NULL;

                CHECK_INTEQ(path_normalize(paths[i], &normalized), 0);
                CHECK_INTEQ(unit_name_from_path(normalized, ".mount", &ours), 0);
                theirs = systemd_escape(paths[i]);
                CHECK_STREQ(ours, theirs);
        }
}

static void test_name_length_limit(void) {
        char path[300] = "/";
        char *name = NULL;

        /* 249 characters of path give "…" + ".mount" = 255: the longest name systemd takes. */
        memset(path + 1, 'a', 248);
        path[249] = '\0';
        CHECK_INTEQ(unit_name_from_path(path, ".mount", &name), 0);
        CHECK_INTEQ(strlen(name ?: ""), 254);
        free(name);

        memset(path + 1, 'a', 249);
        path[250] = '\0';
        CHECK_INTEQ(unit_name_from_path(path, ".mount", &name), 0);
        CHECK_INTEQ(strlen(name ?: ""), 255);
        free(name);

        memset(path + 1, 'a', 250);
        path[251] = '\0';
        CHECK_INTEQ(unit_name_from_path(path, ".mount", &name), -ENAMETOOLONG);

        /* Each escaped byte takes four characters. */
        memset(path + 1, '-', 70);
        path[71] = '\0';
        CHECK_INTEQ(unit_name_from_path(path, ".mount", &name), -ENAMETOOLONG);
}

int main(void) {
        test_matches_systemd_escape();
        test_name_length_limit();
        return test_exit_status();
}
